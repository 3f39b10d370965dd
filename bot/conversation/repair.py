"""Shared repair patterns: what happens the same way at every step (after Rasa CALM's conversation patterns).

Every typed message is read for everything, at every step, in this order:
  relay            after the handover, every message goes to the Lotse (acknowledged now and then)
  crisis           an emergency anywhere: numbers first, then "a person now, or continue" (never the age question)
  typed button     the step's button labels typed in any language, typed yes / no / "I don't know"
  step reading     what only this step reads (a bare number at the age question, a contact time, ...)
  human handoff    "can I talk to someone" at any step
  offer question   "is it open on Saturday?" after offers were shown (bot.conversation.offer_questions)
  facts            ages, place, needs: new ones are taken, a changed one is confirmed in one line (correction)
  chit-chat        hello / thanks: answered, the question asked again, not counted as a miss
  cannot handle    the first miss asks again in other words, the second offers a way on (skip, person, list)
The step table (bot.conversation.flow.STEPS) says what each step asks and reads; this module never asks itself.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from babel import Locale

from bot.conversation.model import EscalateCase, RelayToLotse, Reply, State, Step
from bot.conversation.offer_questions import answer_offer_question
from bot.conversation.typed import (
    age_answer_months,
    fold_label,
    is_baby_answer,
    negated_numbers,
    typed_button,
    word_set,
    yes_or_no,
)
from bot.i18n import SUPPORTED, native_name, resolve_locale, texts
from bot.understanding import Understanding
from bot.understanding.intents import QUESTION_INTENTS

if TYPE_CHECKING:
    from bot.conversation.flow import Turn

log = logging.getLogger(__name__)

MAX_WORDS_CHARS = 2000  # the family's words for the Lotse's note, over the whole conversation
MAX_RELAY_CHARS = 4096  # Telegram's own limit: a family's message reaches the Lotse whole (the outbox splits it)
ACK_EVERY = timedelta(minutes=10)
ACK_EVERY_MESSAGES = 5
# Emergencies whose help is protection: the need is set so the Lotse and the offers see it at once.
PROTECTION_KINDS = frozenset({"violence", "child_danger", "child_missing"})
_HELP_WORDS = word_set(
    "help hilfe helfen yardim yardım imdat مساعدة ساعدني допоможіть допомога помогите помощь کمک "
    "ajutor ajutați pomocy pomoc aiuto aiutatemi pomozite ndihmë ndihme alîkarî alikari "
    "sofort schnell dringend urgent immediately hemen acil فورا терміново негайно срочно немедленно فوری "
    "urgent imediat szybko natychmiast subito urgente odmah hitno menjëherë urgjent zû lezgîn"
)  # not "now" / "jetzt": "jetzt nicht" is a no


# "Delete my data", "lösch alles": the /delete question (which asks before anything is deleted).
_DELETE_WORDS = word_set(
    "lösch löschen loschen lösche losche löscht loscht delete erase remove sil silin silmek احذف امسح حذف "
    "удали удалите удалить видали видаліть видалити پاک حذف sterge ștergeți stergeti usuń usun usuńcie "
    "cancella cancellate obriši obrisi izbriši izbrisi fshij fshini jê bibe jêbibe"
)
_DELETE_OBJECTS = word_set(
    "alles all everything daten meine mein my data bitte sie please du verilerimi verileri her şeyi seyi hepsini "
    "بياناتي كل شي شيء معلوماتي данные мои все всё дані мої все اطلاعاتم همه datele mele tot dane moje wszystko "
    "dati miei tutto podatke moje sve të dhënat e mia gjithçka daneyên min hemû"
)


def asks_to_delete(text: str) -> bool:
    """A short request to delete the family's data ("bitte löschen Sie meine Daten", "احذف بياناتي")."""
    words = fold_label(text).split()
    return (
        0 < len(words) <= 6
        and any(w in _DELETE_WORDS for w in words)
        and all(w in _DELETE_WORDS or w in _DELETE_OBJECTS for w in words)
    )


def text_received(turn: Turn, text: str) -> None:
    """Reads one typed message for everything it says and answers it (see the module docstring)."""
    if turn.state.locale is not None and turn.state.step is not Step.CONFIRMING_DELETE and asks_to_delete(text):
        turn.delete_asked()  # before the crisis reading: "lösch alles" is a privacy request, not despair
        return
    understood = turn.services.understander.understand(text, lang_hint=turn.state.locale or turn.state.suggested_locale)
    state = turn.state
    relaying = state.case_open and not state.browsing
    if relaying and state.step is Step.HANDED_OVER:
        relay(turn, text, understood)
        return
    if relaying and state.resume is Step.HANDED_OVER:  # a question in between: the Lotse still sees everything
        turn.effects.append(RelayToLotse(text[:MAX_RELAY_CHARS]))
    if state.step is Step.HANDED_OVER:  # the case was closed: this message may start a new request
        case_was_closed(turn)
    if turn.state.locale is None:
        chosen = language_of(turn, text, understood)
        if chosen:
            turn.state = turn.state.with_(locale=chosen)
    if understood.emergency:
        crisis(turn, text, understood)
        return
    # After "no, we are not in danger", a message in the uncertain band is read as what it says: asking again
    # would loop (the family repeats its need); a certain emergency still gets the numbers first, always.
    if understood.emergency_uncertain and turn.state.step is not Step.ASKING_DANGER and not turn.state.danger_denied:
        if turn.state.step is Step.ASKING_CONTACT_TIME:  # the answer is kept first; the question comes after
            turn.contact_time_given(text.strip()[:500], typed=True)
        maybe_crisis(turn, text, understood)
        return
    if turn.state.locale is None:
        keep_words(turn, text)
        merge_facts(turn, text, understood)
        turn.ask_language(None)
        return
    if answer_as_button(turn, text, understood):
        return
    asked = language_asked_for(text)
    if asked == language_by_name(text) and turn.state.step in (Step.CHOOSING_NEED, Step.SHOWING_OFFERS):
        asked = None  # "Deutsch" alone where a need is asked may be the German course, not "in German, please"
    other_facts = carries_facts(replace(understood, needs=tuple(n for n in understood.needs if n != "language")))
    if asked and asked != turn.state.locale and not other_facts:  # "speak English" reads as a language need too
        turn.language_chosen(asked)  # "auf Deutsch bitte": the whole conversation in that language from here
        return
    keep_words(turn, text)
    spec = turn.spec
    if spec.read is not None and spec.read(turn, text, understood):
        return
    if "person" in understood.intents:
        turn.lotse_asked("lotse")
        return
    if QUESTION_INTENTS & set(understood.intents) and turn.state.shown_offer_ids:
        offer_question(turn, text, understood)
        return
    learned = merge_facts(turn, text, understood)
    if turn.state.pending_fact:
        turn.interrupt(Step.CONFIRMING_FACT)
        turn.ask_fact()
        return
    if turn.state.consent_version is None:
        if learned or turn.progress:
            if learned:
                turn.say(turn.t._("Thank you, I have noted that. First, one thing:"))
            turn.ask_consent()
        elif not chit_chat(turn, text, understood):
            # a miss at the consent question, or at a question that interrupted it (a Lotse now, after a
            # crisis): that question again, never a jump back to consent that drops the urgent one
            if turn.state.step is Step.ASKING_CONSENT or turn.state.resume is not None:
                cannot_handle(turn)
            else:
                turn.ask_consent()
        return
    if learned or turn.progress:
        turn.state = turn.state.with_(misses=0)
        turn.ask_next()
        return
    if chit_chat(turn, text, understood):
        return
    cannot_handle(turn)


# ----------------------------------------------------------------- typed buttons, yes and no


def typed_data(turn: Turn, text: str) -> str | None:
    """The button of the current step whose label (in any of the 14 languages) the family typed."""
    build = turn.spec.buttons
    if build is None:
        return None
    return typed_button(text, (build(turn, texts(code)) for code in SUPPORTED))


def answer_as_button(turn: Turn, text: str, understood: Understanding) -> bool:
    """A typed label, yes, no or "I don't know" works exactly like the step's button."""
    spec = turn.spec
    data = typed_data(turn, text)
    if data is None:
        answer = yes_or_no(text, understood.intents)
        data = spec.yes if answer == "yes" else spec.no if answer == "no" else None
    if data is None and "dont_know" in understood.intents and not carries_facts(understood):
        data = spec.dont_know  # "I don't know" alone; "debts, I don't know what to do" names a need
    if data is None:
        return False
    turn.button(data)
    return True


def carries_facts(understood: Understanding) -> bool:
    """Whether a message names an age, a pregnancy, a place or a need: then it is an answer, whatever else."""
    return bool(
        understood.needs
        or understood.ages_months
        or understood.age_months is not None
        or understood.pregnant
        or understood.district_id
        or understood.network_id
        or understood.district_candidates
    )


# ----------------------------------------------------------------- what single steps read


def read_language(turn: Turn, text: str, understood: Understanding) -> bool:
    """At the language menu, a message in a supported language chooses it (and its facts are read on)."""
    chosen = language_of(turn, text, understood)
    if chosen and chosen != turn.state.locale:
        turn.state = turn.state.with_(locale=chosen)
    if chosen:
        turn.progress = True
    return False


def language_of(turn: Turn, text: str, understood: Understanding) -> str | None:
    """The language a message chooses: its name ("Türkçe"), else the language it is written in. A word or two
    ("hi", "salam", "privet", "hej") says too little to tell languages apart: there Telegram's language for
    the family stands, where it gave one."""
    named = language_by_name(text)
    if named:
        return named
    if turn.state.suggested_locale and len(text.split()) <= 2:
        return turn.state.suggested_locale
    return resolve_locale(understood.language)


# Words around a language's name when a family asks to switch: "auf Deutsch bitte", "can we speak English?"
_SWITCH_WORDS = word_set(
    "bitte auf in mit uns mir wir können koennen sprechen schreiben lieber sprache please can could we you speak "
    "write talk language lütfen lutfen konuşalım konusalim konuşabilir miyiz dil من فضلك ممكن باللغة بالعربي "
    "пожалуйста можно на по говорить мовою будь ласка можна لطفا به زبان vă rog va rog în pe limba proszę "
    "prosze po mówić po per favore in parlare molim na možemo ju lutem në flisni ji kerema xwe bi"
)


@cache
def _native_names() -> dict[str, str]:
    """Each supported language by its own name, folded, as the language menu shows it ("turkce" -> "tr")."""
    return {fold_label(native_name(code)): code for code in SUPPORTED}


@cache
def _language_names() -> tuple[tuple[str, str], ...]:
    """Every supported language by its name in itself, in English and in German (folded), longest first so that
    "einfache sprache" is found before "sprache"."""
    names = {**_native_names(), "farsi": "fa", "kurdi": "ku", "kurmanci": "ku"}
    for table in (Locale.parse("en").languages, Locale.parse("de").languages):
        for code in SUPPORTED:
            if "@" not in code:
                names.setdefault(fold_label(table.get(code, code)), code)
    return tuple(sorted(names.items(), key=lambda item: -len(item[0])))


def language_asked_for(text: str) -> str | None:
    """The language a short message asks to switch to ("english please", "auf deutsch bitte"), if any."""
    folded = fold_label(text)
    words = folded.split()
    if not words or len(words) > 6:
        return None
    for name, code in _language_names():
        if f" {name} " in f" {folded} ":
            rest = f" {folded} ".replace(f" {name} ", " ").split()
            if all(w in _SWITCH_WORDS for w in rest):
                return code
    return None


def language_by_name(text: str) -> str | None:
    return _native_names().get(fold_label(text))


def read_age(turn: Turn, text: str, understood: Understanding) -> bool:
    """The answer to the age question: every age named (several children), or a bare number ("4")."""
    ages = understood.ages_months or ((understood.age_months,) if understood.age_months is not None else ())
    typed = age_answer_months(text)  # "5 und 9": two children, even where the understanding names one
    if len(typed) > len(ages):
        ages = typed
    if ages:
        turn.set_ages(tuple(ages))
        turn.progress = turn.age_answered = True
    elif understood.pregnant:
        turn.state = turn.state.with_(pregnant=True, age_known=True)
        turn.progress = True
    elif is_baby_answer(text):
        turn.button("age:0")  # "a baby": under one year
        return True
    return False  # the same message may name the place and the need too


def read_need(turn: Turn, text: str, understood: Understanding) -> bool:
    """At "what can I help you with?" the heads' best guess is answer enough ("pomoc w nauce": school)."""
    other_intents = set(understood.intents) - QUESTION_INTENTS - {"dont_know"}  # "how do I get …?" is an answer
    if understood.needs or not understood.likely_needs or understood.emergency or other_intents:
        return False
    turn.button(f"need:{understood.likely_needs[0]}")
    return True


# Words of a question about what is stored and why ("warum brauchen Sie meine Daten?", "what do you save?").
_PRIVACY_WORDS = word_set(
    "daten datenschutz speichern speichert gespeichert warum wieso privacy data store save saved why veri verilerim "
    "neden niye بيانات بياناتي خصوصية لماذا ليش данные данных зачем почему дані навіщо чому داده اطلاعات چرا "
    "date datele datelor de ce dane danych dlaczego po co dati perché perche podaci podatke zašto zasto "
    "të dhënat dhenat pse privatësi dane çima çi ji bo"
)


def read_consent(turn: Turn, text: str, understood: Understanding) -> bool:
    """At the consent question, "why do you need my data?" or "what do you store?" gets the privacy text."""
    words = set(fold_label(text).split())
    asks = text.strip().endswith(("?", "؟")) or bool(QUESTION_INTENTS & set(understood.intents))
    if words & _PRIVACY_WORDS and (asks or len(words) <= 3) and not carries_facts(understood):
        turn.button("privacy")
        return True
    return False


def read_contact_time(turn: Turn, text: str, understood: Understanding) -> bool:
    """Any typed answer is the family's own words about when to write; the case exists already."""
    turn.contact_time_given(text.strip()[:500], typed=True)
    return True


def read_delete(turn: Turn, text: str, understood: Understanding) -> bool:
    turn.ask_delete()
    return True


def read_crisis_choice(turn: Turn, text: str, understood: Understanding) -> bool:
    """After the numbers, "help me" (or any ask for a person) is "a person now"."""
    if asks_for_help(text, understood):
        turn.button("urgent")
        return True
    return False


def read_handover_answer(turn: Turn, text: str, understood: Understanding) -> bool:
    """Asked whether a Lotse may get the request after a crisis, "help", "now", "please someone" is a yes."""
    if turn.state.handover_reason == "emergency" and asks_for_help(text, understood):
        turn.button("handover:yes")
        return True
    return False


def asks_for_help(text: str, understood: Understanding) -> bool:
    return "person" in understood.intents or bool(set(fold_label(text).split()) & _HELP_WORDS)


# ----------------------------------------------------------------- crisis first, then care


def with_protection(needs: tuple[str, ...], kinds: tuple[str, ...]) -> tuple[str, ...]:
    if not PROTECTION_KINDS & set(kinds) or "protection" in needs:
        return needs
    return ("protection", *needs)[:3]


def crisis(turn: Turn, text: str, understood: Understanding) -> None:
    """Emergency numbers first; the message's facts are kept; then: a person now, or continue."""
    if turn.state.locale is None:
        turn.state = turn.state.with_(locale=resolve_locale(understood.language) or "en")
    keep_words(turn, text)
    merge_facts(turn, text, understood, quiet=True)
    state = turn.state
    kinds = tuple(dict.fromkeys((*state.emergency_kinds, *understood.emergency_kinds)))
    turn.state = state.with_(
        emergency=True, emergency_kinds=kinds, needs=with_protection(state.needs, understood.emergency_kinds)
    )
    t = turn.t
    if state.step is Step.CONFIRMING_HANDOVER and state.handover_reason == "emergency" and not state.case_open:
        turn.button("handover:yes")  # "please, quick!" to "may a Lotse get this?", numbers just shown: a yes
        return
    if turn.state.case_open:  # the open case is raised as urgent, with the message; never a second case
        if not any(isinstance(e, RelayToLotse) for e in turn.effects):
            turn.effects.append(RelayToLotse(text[:MAX_RELAY_CHARS]))
        turn.effects.append(EscalateCase(understood.emergency_kinds))
        turn.state = turn.state.with_(handover_reason="emergency")
        lines = turn.emergency_numbers(understood.emergency_kinds, t._("I have told your Lotse that it is urgent."))
        turn.say("\n".join(lines), turn.listen_row())
        return
    lines = turn.emergency_numbers(
        understood.emergency_kinds, t._("These numbers are free. You can also talk to a Lotse here, urgently.")
    )
    turn.interrupt(Step.CHOOSING_AFTER_CRISIS)
    turn.say("\n".join(lines), (*turn.crisis_buttons(t), *turn.listen_row()))


def maybe_crisis(turn: Turn, text: str, understood: Understanding) -> None:
    """Maybe a crisis: the numbers and one gentle question, never silence and never an alarm on a guess."""
    if turn.state.locale is None:
        turn.state = turn.state.with_(locale=resolve_locale(understood.language) or "en")
    if turn.state.case_open:
        if not any(isinstance(e, RelayToLotse) for e in turn.effects):
            turn.effects.append(RelayToLotse(text[:MAX_RELAY_CHARS]))
    else:
        keep_words(turn, text)
        merge_facts(turn, text, understood, quiet=True)
    lines = turn.emergency_numbers((), turn.t._("Are you or your children in danger right now?"))
    turn.interrupt(Step.ASKING_DANGER)
    turn.say("\n".join(lines), turn.danger_buttons(turn.t))


# ----------------------------------------------------------------- after the handover


def relay(turn: Turn, text: str, understood: Understanding) -> None:
    """Every message goes to the Lotse; the family hears "passed on" first and then now and then, not each time."""
    if understood.emergency:
        crisis(turn, text, understood)
        turn.state = turn.state.with_(acked_at=turn.services.now().isoformat(), relayed_since_ack=0, words=())
        return
    if understood.emergency_uncertain:
        maybe_crisis(turn, text, understood)
        return
    turn.effects.append(RelayToLotse(text[:MAX_RELAY_CHARS]))
    state, now = turn.state, turn.services.now()
    last = _parse_time(state.acked_at)
    due = last is None or now - last >= ACK_EVERY or state.relayed_since_ack + 1 >= ACK_EVERY_MESSAGES
    if due:
        turn.state = state.with_(acked_at=now.isoformat(), relayed_since_ack=0)
        turn.say(turn.t._("I've passed that on to the Lotse. They will answer you here."))
    else:
        turn.state = state.with_(relayed_since_ack=state.relayed_since_ack + 1)


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def case_was_closed(turn: Turn) -> None:
    """The Lotsen closed the case: back to the search with every fact kept; a new request is one tap away."""
    state = turn.state
    turn.state = state.with_(
        step=Step.SHOWING_OFFERS if state.needs else Step.CHOOSING_NEED, shown=0, shown_offer_ids=(), resume=None
    )
    turn.say(turn.t._("Your earlier request is closed. I'm glad to help again."))


# ----------------------------------------------------------------- questions about a shown offer


def offer_question(turn: Turn, text: str, understood: Understanding) -> None:
    """ "Is it open on Saturday?" after the offers: answered from the offers, never read as an age or a need."""
    replies: tuple[Reply, ...] = ()
    try:
        replies = answer_offer_question(turn.state, understood, turn.services, turn.t, text=text)
    except Exception:  # an answer must never break the conversation
        log.exception("answering an offer question failed")
        replies = ()
    turn.state = turn.state.with_(misses=0)
    if replies:
        turn.replies.extend(replies)
        return
    turn.say(
        turn.t._("I can't answer that myself. The phone number is in the offer, or a Lotse can find out for you."),
        turn.results_buttons(turn.t),
    )


# ----------------------------------------------------------------- facts: taken, added, or confirmed


def merge_facts(turn: Turn, text: str, understood: Understanding, quiet: bool = False) -> bool:
    """Adds what the message says. A fact already known changes only when clearly stated: at its own question,
    as a correction, or after a one-line check ("Is your child 10 now, not 6?"). Returns whether it learned."""
    state, step = turn.state, turn.state.step
    correction = "correction" in understood.intents
    question = bool(QUESTION_INTENTS & set(understood.intents)) or text.strip().endswith(("?", "؟"))
    learned = False

    # ages: a number in a question ("open on Saturday?", "80 Euro?") never changes the age
    ages = understood.ages_months or ((understood.age_months,) if understood.age_months is not None else ())
    if correction and len(ages) > 1 and (wrong := negated_numbers(text)):  # "sie ist 4, nicht 3": one child, 4
        ages = tuple(a for a in ages if not any(a in (n * 12, n) for n in wrong)) or ages[:1]  # years or months
    if ages and not question and not turn.age_answered:  # read_age answered it
        known = state.children_months or ((state.age_months,) if state.age_months is not None else ())
        if state.age_months is None or correction or step is Step.ASKING_AGE:
            turn.set_ages(tuple(ages))
            learned = True
            if correction and known and not quiet:
                turn.say(turn.t._("Okay: {facts}.", facts=age_text(turn, turn.state)))
        elif set(ages) - set(known) and not quiet:
            new = next(a for a in ages if a not in known)
            turn.state = turn.state.with_(pending_fact=f"age:{new}")
    pregnancy_answer = not turn.state.age_known or step is Step.ASKING_AGE or correction
    if understood.pregnant and not turn.state.pregnant and not question and pregnancy_answer:
        turn.state = turn.state.with_(pregnant=True, age_known=True)
        learned = True

    # place: a district, an ambiguous name, or a whole town
    places = turn.services.knowledge.places
    network_id = understood.network_id or network_named(turn, text)
    answering_place = step in (Step.CHOOSING_NETWORK, Step.ASKING_DISTRICT)
    place_known = turn.place_known()
    district = places.district(understood.district_id) if understood.district_id else None
    if district and district.id != turn.state.district_id:
        if not place_known or answering_place or correction or quiet:
            turn.state = turn.state.with_(
                district_id=district.id, network_id=district.network_id, district_candidates=(), whole_town=False
            )
            learned = True
        elif not turn.state.pending_fact:
            turn.state = turn.state.with_(pending_fact=f"district:{district.id}")
    elif network_id and not district:
        if network_id != turn.state.network_id and (not place_known or answering_place or correction):
            turn.state = turn.state.with_(
                network_id=network_id, district_id=None, district_candidates=(), whole_town=False
            )
            learned = True
        elif network_id == turn.state.network_id and step is Step.ASKING_DISTRICT:
            # "Weimar" (or its postcode, shared by several districts) again at "which part of Weimar?": the
            # family names its place as closely as it can, so the whole town it is, not the question a third time
            turn.state = turn.state.with_(whole_town=True, district_candidates=())
            learned = True
        elif network_id == turn.state.network_id and answering_place:
            learned = True  # "Weimar" while choosing the town: its districts are asked next, no miss
    elif understood.district_candidates and not place_known:
        in_network = [
            c
            for c in understood.district_candidates
            if (d := places.district(c)) is not None and d.network_id == turn.state.network_id
        ]
        if turn.state.network_id and len(in_network) == 1:
            turn.state = turn.state.with_(district_id=in_network[0], district_candidates=())
        else:
            turn.state = turn.state.with_(district_candidates=understood.district_candidates, district_id=None)
        learned = True

    # needs: named later, a need is added (and said), not silently swapped. A question about the offers shown
    # is no new need; before any are shown, "how do I get Kinderzuschlag?" is the family's need.
    asking_for_need = step is Step.CHOOSING_NEED or (step is not Step.SHOWING_OFFERS and not state.shown_offer_ids)
    if understood.needs and (not question or asking_for_need):
        current = turn.state.needs
        new = tuple(n for n in understood.needs[:3] if n not in current)
        if not current or step is Step.CHOOSING_NEED or correction:
            if understood.needs[:3] != current:
                turn.state = turn.state.with_(needs=understood.needs[:3])
                learned = True
        elif new:
            turn.state = turn.state.with_(needs=(*new, *current)[:3])
            learned = True
            if not quiet:
                label = turn.t._(need_label(new[0]))
                turn.say(turn.t._("I'll also look for: {topic}.", topic=label))
    if learned:
        turn.state = turn.state.with_(shown=0, shown_offer_ids=())
    return learned


def need_label(need_id: str) -> str:
    from bot.conversation.flow import NEED_LABELS

    return NEED_LABELS.get(need_id, need_id)


def network_named(turn: Turn, text: str) -> str | None:
    """A town typed as its name alone ("weimar", "Stadt Ludwigsburg"): the network, whatever the understanding."""
    typed = fold_label(text).split()
    if not typed or len(typed) > 3:
        return None
    for network in turn.services.knowledge.places.networks:
        name = fold_label(network.name).split()
        if typed[-1] == name[-1] and set(typed) <= set(name):
            return network.id
    return None


def apply_fact(turn: Turn, pending: str) -> None:
    kind, _, value = pending.partition(":")
    if kind == "age" and value.isdigit():
        known = turn.state.children_months or ((turn.state.age_months,) if turn.state.age_months is not None else ())
        ages = (int(value),) if len(known) <= 1 else (int(value), *known[1:])
        turn.set_ages(ages)
    elif kind == "district" and (district := turn.services.knowledge.places.district(value)):
        turn.state = turn.state.with_(
            district_id=district.id, network_id=district.network_id, district_candidates=(), whole_town=False
        )
    turn.state = turn.state.with_(shown=0, shown_offer_ids=())


def fact_question(turn: Turn) -> str:
    """'Is your child 10 now, not 6?' / 'Do you live in Oßweil now, not Eglosheim?'"""
    t, state = turn.t, turn.state
    kind, _, value = (state.pending_fact or "").partition(":")
    if kind == "age" and value.isdigit():
        return t._(
            "Is your child {new} now, not {old}?",
            new=months_text(turn, int(value)),
            old=months_text(turn, state.age_months or 0),
        )
    places = turn.services.knowledge.places
    new_district, old_district = places.district(value), places.district(state.district_id or "")
    return t._(
        "Do you live in {new} now, not {old}?",
        new=t.ltr(new_district.name if new_district else value),
        old=t.ltr(old_district.name if old_district else "?"),
    )


# ----------------------------------------------------------------- what was understood, in one line


def months_text(turn: Turn, months: int) -> str:
    t = turn.t
    if months < 12:
        return t.n_("{count} month", "{count} months", months)
    halves = round(months / 6)
    whole, half = divmod(halves, 2)
    shown = f"{whole}½" if half else str(whole)
    return t.n_("{age} year", "{age} years", whole if not half else 2, age=shown)


def age_text(turn: Turn, state: State) -> str:
    if state.pregnant and state.age_months is None:
        return "🤰"
    ages = state.children_months or ((state.age_months,) if state.age_months is not None else ())
    if not ages:
        return ""
    if not state.children_months and state.age_until_months is not None:  # a band chosen by button
        from bot.conversation.flow import AGE_BANDS

        band = next((b for b in AGE_BANDS if b[2] == state.age_months and b[3] == state.age_until_months), None)
        if band:
            return turn.t._(band[1])
    return turn.t.join([months_text(turn, a) for a in ages])


def summary_line(turn: Turn) -> str:
    """ "Kita & childcare · 2½ years · Oßweil": what the results are for, so a family sees a misunderstanding."""
    state, t = turn.state, turn.t
    places = turn.services.knowledge.places
    parts = [t._(need_label(n)) for n in state.needs[:2]]
    if age := age_text(turn, state):
        parts.append(age)
    district = places.district(state.district_id or "")
    network = places.network(state.network_id or "")
    if district:
        parts.append(t.ltr(district.name))
    elif network:
        parts.append(t._("{town} (whole town)", town=t.ltr(network.name)))
    return " · ".join(parts)


# ----------------------------------------------------------------- words for the Lotse


def keep_words(turn: Turn, text: str) -> None:
    """All the family's own texts (up to 2,000 characters, oldest dropped first), only ever for a case."""
    text = text.strip()
    if not text:
        return
    words = [*turn.state.words, text[:MAX_WORDS_CHARS]]
    while sum(len(w) for w in words) > MAX_WORDS_CHARS and len(words) > 1:
        words.pop(0)
    turn.state = turn.state.with_(words=tuple(words))


# ----------------------------------------------------------------- chit-chat and cannot-handle


def chit_chat(turn: Turn, text: str, understood: Understanding) -> bool:
    """Hello and thanks are answered warmly and the question is asked again (not a miss)."""
    if "thanks" in understood.intents:
        turn.say(turn.t._("You're welcome! I'm here if you need anything."))
    elif "greeting" in understood.intents or is_greeting(turn, text):
        turn.say(turn.t._("Hello! I'm glad you're here."))
    else:
        return False
    turn.ask_again()
    return True


def is_greeting(turn: Turn, text: str) -> bool:
    words = text.casefold().strip(" !.?👋🙂😊")
    return any(words in (lex.get("greetings") or ()) for lex in turn.services.knowledge.lexicons.values())


def cannot_handle(turn: Turn) -> None:
    """First miss: ask again in other words. Second miss: a way on (skip, a person, the list). Third: go on
    by itself (skip where the step can be skipped, else the offer of a person) — never a loop."""
    misses = turn.state.misses + 1
    turn.state = turn.state.with_(misses=misses)
    spec = turn.spec
    if misses < 2 or spec.way_on is None:
        turn.say(turn.t._("I'm not sure I understood. Tap a button, or write it in other words."))
        turn.ask_again()
        return
    if misses >= 3:  # never the same screen a third time: go on as "I don't know" would, or offer a person
        turn.state = turn.state.with_(misses=0)
        if spec.dont_know:
            turn.button(spec.dont_know)
        else:
            turn.lotse_asked("lotse")
        return
    rows = spec.way_on(turn, turn.t)
    if not any(b.data == "lotse" for row in rows for b in row):
        rows = (*rows, turn.way_out())
    turn.say(turn.t._("Sorry, I still don't understand. Here is how we can go on:"), rows)


__all__ = ["text_received"]
