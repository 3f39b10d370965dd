"""Questions about the offers a family was shown — cost, hours, place, appointment, languages, what to bring.

Answered only from the offer data, in the family's language: the sheet's HSDS texts (who can come, how to
start, what to bring, interpretation, cost note) in German with a note; an offer closed for the time being and
its current note are said first; a phone that answers day and night is said as such. Where the data says
nothing, the answer says so kindly and offers a person. Which offers: the one the family
names ("the second one", "#2", "Nr. 2", a word of its title), else each offer of the last page, briefly.

The conversation calls `answer_offer_question` when `understood.intents` holds an ask_* intent and offers are
shown; it returns () when there is nothing to answer, so the conversation goes on as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from bot.conversation.model import Button, Reply, State, Venue
from bot.conversation.render import COST_LABELS, IN_GERMAN, german_note, opening_line, status_lines
from bot.domain.matching import topic_tokens
from bot.domain.offers import Access, Cost, Offer
from bot.domain.places import fold
from bot.i18n import N_, SUPPORTED, Texts, texts
from bot.understanding import Understanding
from bot.understanding.intents import QUESTION_INTENTS

if TYPE_CHECKING:
    from bot.conversation.flow import Services

# Languages a family may ask about: the 14 of the bot and others often spoken in the networks' families.
LANGUAGE_CODES = tuple(sorted({code.split("@")[0] for code in SUPPORTED} | {"fr", "es", "bg", "sr", "bs", "ps", "ti"}))
PAGE_SIZE = 3  # the conversation shows offers three at a time: "the last page" is the last three or fewer
MAP_LINK = "https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=17/{lat:.5f}/{lon:.5f}"

# The order in which several questions in one message are answered ("where and when?").
ORDER = ("ask_cost", "ask_hours", "ask_place", "ask_appointment", "ask_languages", "ask_documents")

FREE = N_("Free of charge.")
COSTS_NOTE = N_("Costs: {note}")
COSTS_ASK = N_("{cost} — please ask there how much.")
OPEN_ON = N_("Yes, open on {day}: {hours}.")
CLOSED_ON = N_("No, closed on {day}.")
HOURS = N_("Opening hours: {hours}")
NO_HOURS = N_("No fixed opening hours — please call to make an appointment.")
PHONE = N_("Phone: {phone}")
ADDRESS = N_("Address: {address}")
NO_ADDRESS = N_("The offer data has no address. Please call, or ask a Lotse.")
WALK_IN = N_("You can just come by during the opening hours, no appointment needed.")
APPOINTMENT = N_("Please make an appointment first.")
REFERRAL = N_("You need a referral first, for example from a doctor or an office. A Lotse can help you with it.")
SPOKEN = N_("Languages spoken: {languages}")
NONE_SPEAK = N_("None of these speak {language}. A Lotse can look for help in your language.")
NOT_SPOKEN = N_("{language} is not listed there. A Lotse can look for help in your language.")
TEXT_SAYS = N_("The offer text says:")
CALL_ANYTIME = N_("You can call day and night: {phone}")
HOW_TO_START = N_("How to start: {text}")
WHO_CAN_COME = N_("Who can come: {text}")
BRING = N_("Please bring: {documents}")
INTERPRETING = N_("Interpreting: {text}")
NO_DOCUMENTS = N_(
    "The offer data doesn't say what to bring. Please ask when you call, or a Lotse can find out for you."
)
TALK = N_("Talk to a person")

# Words in the German offer texts that say what to bring or show (folded word starts).
_DOCUMENT_WORDS = (
    "nachweis",
    "ausweis",
    "unterlagen",
    "mitbringen",
    "mitnehmen",
    "bescheid",
    "berechtigung",
    "verordnung",
    "rezept",
    "uberweisung",
    "mutterpass",
    "untersuchungsheft",
)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+")

# "#2", "Nr. 2", "Nummer 2", "no. 2", "2." at the start: the family points at a numbered card.
_NUMBER = re.compile(
    r"(?:#|\bnr\.?|\bnummer|\bno\.?|\bnumber|\bnumara|\bномер|№)\s*(\d{1,2})\b|^\s*(\d{1,2})[.)]", re.I
)
# Ordinal words in the languages of the networks (folded): 1, 2, 3 — "the second one", "ikincisi", "второй".
_ORDINALS: dict[str, int] = {
    **dict.fromkeys(("first", "erste", "ersten", "erstes", "birinci", "ilk", "первый", "первое", "перший"), 1),
    **dict.fromkeys(("перша", "первая", "primo", "prima", "pierwszy", "pierwsza", "primul", "prvi", "prva"), 1),
    **dict.fromkeys(("second", "zweite", "zweiten", "zweites", "ikinci", "ikincisi", "второй", "второе"), 2),
    **dict.fromkeys(("другий", "друга", "вторая", "secondo", "seconda", "drugi", "druga", "doilea", "al doilea"), 2),
    **dict.fromkeys(("third", "dritte", "dritten", "drittes", "ucuncu", "üçüncü", "третий", "третье", "третій"), 3),
    **dict.fromkeys(("третя", "третья", "terzo", "terza", "trzeci", "trzecia", "treilea", "treći", "treca"), 3),
    **{"الأول": 1, "الاول": 1, "الثاني": 2, "الثالث": 3, "اول": 1, "دوم": 2, "سوم": 3},
}
_ORDINALS = {fold(word): number for word, number in _ORDINALS.items()}  # compared with the folded message


def answer_offer_question(
    state: State, understood: Understanding, services: Services, t: Texts, text: str = ""
) -> tuple[Reply, ...]:
    """Answers the ask_* intents of a message about the shown offers; () when there is nothing to answer.

    `text` is the family's message: it may name one offer ("the second one", "#2", "the Tafel") and the
    language it asks about ("do they speak Polish?")."""
    asked = [intent for intent in ORDER if intent in understood.intents and intent in QUESTION_INTENTS]
    offers = chosen_offers(state, services, text)
    if not asked or not offers:
        return ()
    now = services.now()
    single = len(offers) == 1
    replies: list[Reply] = []
    lines: list[str] = []
    missing = False
    only_place = asked == ["ask_place"]
    for number, offer in offers:
        said_first = status_lines(offer, now, t)  # closed for now, the current note: before any answer
        answers: list[str] = []
        for intent in asked:
            if intent == "ask_place":
                continue  # one reply per place: it carries the offer's map pin
            answer, lacking = ANSWERS[intent](offer, understood, now, t)
            answers += answer
            missing = missing or lacking
        answers = list(dict.fromkeys(answers))  # "call day and night" answers both "when?" and "appointment?"
        if answers or (said_first and not only_place):
            lines.append("\n".join([heading(number, offer, t), *said_first, *answers]))
        if "ask_place" in asked:
            place, lacking = place_answer(offer, t)
            missing = missing or lacking
            replies.append(
                Reply(
                    "\n".join([heading(number, offer, t), *(said_first if only_place else ()), *place]),
                    rtl=t.rtl,
                    venue=venue(offer, t) if not lacking else None,
                )
            )
    if "ask_languages" in asked:
        absent = missing_language(offers, state, text, t)
        if absent:
            lines.append(t._(NOT_SPOKEN if single else NONE_SPEAK, language=absent))
            missing = True
    if lines:
        replies.insert(0, Reply("\n\n".join(lines), rtl=t.rtl))
    if missing:  # the data left something open: a person can find out
        last = replies[-1]
        replies[-1] = Reply(
            last.text, ((Button("🙋 " + t._(TALK), "lotse"),),), last.ask_location, last.rtl, last.venue
        )
    return tuple(replies)


# ------------------------------------------------------------------ which offers


def chosen_offers(state: State, services: Services, text: str = "") -> list[tuple[int, Offer]]:
    """(card number, offer): the one the text points at, else the offers of the last page shown."""
    shown = [(n, o) for n, i in enumerate(state.shown_offer_ids, 1) if (o := services.offers.get(i)) is not None]
    if not shown:
        return []
    pointed = pointed_number(text)
    if pointed is not None:
        hit = [(n, o) for n, o in shown if n == pointed]
        if hit:
            return hit
    named = named_offers(text, shown)
    if len(named) == 1:
        return named
    last_page = (len(state.shown_offer_ids) - 1) // PAGE_SIZE * PAGE_SIZE
    return [(n, o) for n, o in shown if n > last_page]


def pointed_number(text: str) -> int | None:
    """The card number a message points at: '#2', 'Nr. 2', 'the second one', 'ikincisi'; None if none."""
    if not text:
        return None
    if match := _NUMBER.search(text):
        return int(match.group(1) or match.group(2))
    words = fold(text).replace("’", "'").split()
    for i, word in enumerate(words):
        word = word.strip(".,!?;:()\"'")
        if word in _ORDINALS:
            return _ORDINALS[word]
        if i and f"{words[i - 1]} {word}" in _ORDINALS:
            return _ORDINALS[f"{words[i - 1]} {word}"]
    return None


def named_offers(text: str, shown: Sequence[tuple[int, Offer]]) -> list[tuple[int, Offer]]:
    """Shown offers whose title shares a distinctive word with the text ("Tafel", "Schwimmkurs")."""
    words = {w for w in topic_tokens(text) if len(w) >= 5}
    if not words:
        return []
    found = []
    for number, offer in shown:
        title_words = set(topic_tokens(offer.title))
        for translation in offer.translations.values():
            title_words.update(topic_tokens(translation.title))
        if words & title_words:
            found.append((number, offer))
    return found


# ------------------------------------------------------------------ the answers


def heading(number: int, offer: Offer, t: Texts) -> str:
    own = offer.text_in(t.code.split("@")[0])
    return f"{number}. {own.title if own and own.title else t.ltr(offer.title)}"


def cost_answer(offer: Offer, understood: Understanding, now: datetime, t: Texts) -> tuple[list[str], bool]:
    if offer.cost is Cost.FREE and not offer.cost_note:
        return [t._(FREE)], False
    if offer.cost_note:
        lines = [t._(FREE)] if offer.cost is Cost.FREE else []
        return [*lines, t._(COSTS_NOTE, note=german_note(offer.cost_note, t))], False
    return [t._(COSTS_ASK, cost=t._(COST_LABELS[offer.cost]))], False


def day_hours(offer: Offer, weekday: int, t: Texts) -> str:
    spans = sorted(s for s in offer.opening_hours if s.weekday == weekday)
    return t.ltr(", ".join(f"{t.time(s.opens)}–{t.time(s.closes)}" for s in spans))


def week_hours(offer: Offer, t: Texts) -> str:
    days = sorted({s.weekday for s in offer.opening_hours})
    return " · ".join(f"{t.weekday(day)} {day_hours(offer, day, t)}" for day in days)


def hours_answer(offer: Offer, understood: Understanding, now: datetime, t: Texts) -> tuple[list[str], bool]:
    if not offer.opening_hours:
        if offer.phone and offer.phone_around_the_clock:
            return [t._(CALL_ANYTIME, phone=t.ltr(offer.phone))], False
        lines = [] if offer.closed_on(now.date()) else [t._(NO_HOURS)]
        if offer.phone:
            lines.append(t._(PHONE, phone=t.ltr(offer.phone)))
        return lines, not offer.phone
    if offer.closed_on(now.date()):  # the closure was said first; the usual hours are for afterwards
        return [t._(HOURS, hours=week_hours(offer, t))], False
    day = understood.asked_weekday
    if day is not None:
        hours = day_hours(offer, day, t)
        wide = t.weekday(day, "wide")
        first = t._(OPEN_ON, day=wide, hours=hours) if hours else t._(CLOSED_ON, day=wide)
        return [first, t._(HOURS, hours=week_hours(offer, t))], False
    return [opening_line(offer, now, t), t._(HOURS, hours=week_hours(offer, t))], False


def place_answer(offer: Offer, t: Texts) -> tuple[list[str], bool]:
    if not offer.address:
        lines = [t._(NO_ADDRESS)]
        if offer.phone:
            lines.append(t._(PHONE, phone=t.ltr(offer.phone)))
        return lines, True
    return [f"📍 {t._(ADDRESS, address=t.ltr(offer.address))}"], False


def venue(offer: Offer, t: Texts) -> Venue | None:
    """The offer's map pin, titled in the family's language where the offer data has a translation."""
    if offer.latitude is None or offer.longitude is None or not offer.address:
        return None
    own = offer.text_in(t.code.split("@")[0])
    return Venue(offer.latitude, offer.longitude, own.title if own and own.title else offer.title, offer.address)


def map_link(place: Venue) -> str:
    """An OpenStreetMap link for channels without map pins (the terminal)."""
    return MAP_LINK.format(lat=place.latitude, lon=place.longitude)


def appointment_answer(offer: Offer, understood: Understanding, now: datetime, t: Texts) -> tuple[list[str], bool]:
    """Walk-in, appointment or referral — or a phone that answers day and night (a Frauenhaus takes people by
    phone, not by appointment) — then the sheet's own words on how to start and who can come."""
    told = ((HOW_TO_START, offer.application_process), (WHO_CAN_COME, offer.eligibility_description))
    sheet = [t._(message, text=german_note(value, t)) for message, value in told if value]
    if offer.phone and offer.phone_around_the_clock:
        return [t._(CALL_ANYTIME, phone=t.ltr(offer.phone)), *sheet], False
    if offer.access is Access.WALK_IN:
        return [t._(WALK_IN), *sheet], False
    lines = [t._(APPOINTMENT if offer.access is Access.APPOINTMENT else REFERRAL)]
    if offer.phone:
        lines.append(t._(PHONE, phone=t.ltr(offer.phone)))
    return [*lines, *sheet], offer.access is Access.REFERRAL and not offer.application_process


def languages_answer(offer: Offer, understood: Understanding, now: datetime, t: Texts) -> tuple[list[str], bool]:
    lines = [t._(SPOKEN, languages=t.join([t.language_name(code) for code in offer.languages]))]
    if offer.interpretation_services:
        lines.append(t._(INTERPRETING, text=german_note(offer.interpretation_services, t)))
    return lines, False


def documents_answer(offer: Offer, understood: Understanding, now: datetime, t: Texts) -> tuple[list[str], bool]:
    """The sheet's "what to bring" column; without it, what the description and cost note say about papers."""
    if offer.required_documents:
        return [t._(BRING, documents=german_note(offer.required_documents, t))], False
    said = [
        sentence
        for text in (offer.description, offer.cost_note)
        for sentence in _SENTENCE.split(text)
        if any(f" {word}" in " " + " ".join(topic_tokens(sentence)) for word in _DOCUMENT_WORDS)
    ]
    if not said:
        return [t._(NO_DOCUMENTS)], True
    quoted = " ".join(f"„{t.ltr(s.strip())}“" for s in said[:2])
    return [t._(TEXT_SAYS), quoted if t.code.startswith("de") else f"{quoted} {t._(IN_GERMAN)}"], False


ANSWERS = {
    "ask_cost": cost_answer,
    "ask_hours": hours_answer,
    "ask_appointment": appointment_answer,
    "ask_languages": languages_answer,
    "ask_documents": documents_answer,
}


def missing_language(offers: Sequence[tuple[int, Offer]], state: State, text: str, t: Texts) -> str | None:
    """The language asked about (named in the text, else the family's own) when none of the offers lists it."""
    wanted = asked_language(text, t) or (state.locale or "").split("@")[0]
    if not wanted or wanted == "de":
        return None
    if any(wanted in offer.languages for _, offer in offers):
        return None
    return t.language_name(wanted)


def asked_language(text: str, t: Texts) -> str | None:
    """A language the message names, in the family's language, in English, German or its own name."""
    words = [w for w in re.findall(r"[^\W\d_]+", fold(text)) if len(w) >= 4]
    if not words:
        return None
    for code in LANGUAGE_CODES:
        names = {
            fold(n) for n in (t.language_name(code), texts("en").language_name(code), texts("de").language_name(code))
        }
        # "Polish", "polnisch", "польский", "lehçe": the name, with any ending ("polnische", "польском")
        if any(fuzz.ratio(word, name) >= 80 for word in words for name in names if len(name) >= 4):
            return code
    return None
