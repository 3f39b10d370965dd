"""The family conversation as one pure function: handle(state, event, services) -> Outcome.

Steps (see flow.mmd): language -> consent -> age -> district -> need -> offers, with a way out of every step
(/lotse, /restart, /language, /delete). Free text at any step is understood as far as it goes and skips the
questions it already answers; an emergency is answered with emergency numbers first, at any step.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.conversation import notices
from bot.conversation.model import (
    Button,
    ButtonPressed,
    Command,
    CountRequest,
    DeleteMyData,
    Effect,
    Event,
    Media,
    Outcome,
    RateHelp,
    RelayToLotse,
    Reply,
    RequestHandover,
    SharedLocation,
    State,
    Step,
    Text,
)
from bot.conversation.render import emergency_lines, offer_card
from bot.domain.matching import MatchRequest, OfferIndex
from bot.i18n import FALLBACK, N_, SUPPORTED, Texts, native_name, resolve_locale, texts
from bot.knowledge import Knowledge
from bot.understanding import Understander, Understanding

log = logging.getLogger(__name__)

CONSENT_VERSION = "2026-11"
MAX_WORDS, MAX_WORDS_CHARS = 3, 800
PAGE_SIZE = 3

# Age bands on the buttons: (callback value, label, from months, until months)
AGE_BANDS: tuple[tuple[str, str, int, int], ...] = (
    ("0", N_("under 1 year"), 0, 11),
    ("1", N_("1–2 years"), 12, 35),
    ("3", N_("3–5 years"), 36, 71),
    ("6", N_("6–9 years"), 72, 119),
    ("10", N_("10–13 years"), 120, 167),
    ("14", N_("14–17 years"), 168, 216),
)

NEED_LABELS: dict[str, str] = {
    "pregnancy": N_("Pregnancy & birth"),
    "early_help": N_("Baby & toddler help"),
    "childcare": N_("Kita & childcare"),
    "school": N_("School & learning"),
    "money": N_("Money & forms"),
    "parenting": N_("Parenting advice"),
    "health": N_("Health"),
    "language": N_("German & arriving"),
    "leisure": N_("Free time & meeting"),
    "housing": N_("Housing"),
    "debt": N_("Debts"),
    "work": N_("Work & training"),
    "disability": N_("Development & disability"),
    "protection": N_("Safety from violence"),
    "basic_needs": N_("Food, clothes, things"),
    "single_parents": N_("Separation & single parents"),
}

_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Services:
    """What the core reads: knowledge, understanding, offers and the time. It writes nothing itself."""

    knowledge: Knowledge
    understander: Understander
    offers: OfferIndex
    now: Callable[[], datetime]
    controller: str = "Stadt Ludwigsburg (Beispiel)"
    retention_days: int = 90
    listen: frozenset[str] = frozenset()  # locales the channel can read aloud ("listen" button); empty: none


def handle(state: State, event: Event, services: Services) -> Outcome:
    """Does whatever the event asks and returns the new state, the replies and the effects for the shell."""
    conversation = _Turn(state, services)
    try:
        conversation.dispatch(event)
    except Exception:  # a family must always get an answer; the cause goes to the log, never the text
        log.exception("conversation step failed at %s", state.step)
        conversation = _Turn(state, services)
        conversation.say(conversation.t._("Sorry, something went wrong on my side. Let's try again."))
        conversation.ask_next()
    return Outcome(conversation.state, tuple(conversation.replies), tuple(conversation.effects))


class _Turn:
    """One turn of the conversation: accumulates state changes, replies and effects."""

    def __init__(self, state: State, services: Services) -> None:
        self.state = state
        self.services = services
        self.replies: list[Reply] = []
        self.effects: list[Effect] = []

    # ------------------------------------------------------------- helpers

    @property
    def t(self) -> Texts:
        return texts(self.state.locale or FALLBACK)

    def say(self, text: str, buttons: tuple[tuple[Button, ...], ...] = (), ask_location: bool = False) -> None:
        self.replies.append(Reply(text, buttons, ask_location, self.t.rtl))

    def way_out(self) -> tuple[Button, ...]:
        return (Button("🙋 " + self.t._("Talk to a person"), "lotse"),)

    def listen_row(self) -> tuple[tuple[Button, ...], ...]:
        """A 'listen' button under longer texts, for families who read poorly (where the channel can speak)."""
        if (self.state.locale or FALLBACK) not in self.services.listen:
            return ()
        return ((Button("🔊 " + self.t._(notices.LISTEN), "listen"),),)

    # ------------------------------------------------------------- dispatch

    def dispatch(self, event: Event) -> None:
        match event:
            case Command():
                self.command(event)
            case ButtonPressed():
                self.button(event.data)
            case Text():
                self.text_received(event.text)
            case SharedLocation():
                self.location_shared(event.latitude, event.longitude)
            case Media():
                self.media_received(event.kind)

    # ------------------------------------------------------------- commands

    def command(self, event: Command) -> None:
        name = event.name.lower()
        if name == "start":
            self.started(event.payload, event.user_language)
        elif name == "help":
            self.help_asked()
        elif name in ("language", "sprache"):
            self.ask_language(self.state.locale)
        elif name == "lotse":
            self.lotse_asked("lotse")
        elif name in ("privacy", "datenschutz"):
            self.privacy_asked()
        elif name in ("delete", "loeschen"):
            self.delete_asked()
        elif name == "restart":
            self.restarted()
        else:
            self.say(self.t._("I don't know that command. /help shows what I can do."))
            self.ask_next()

    def started(self, payload: str, user_language: str | None) -> None:
        """/start, maybe from a poster's deep link: presets district, language, need and counts the source."""
        preset = self._read_payload(payload)
        state = State(
            locale=preset.get("locale") or self.state.locale,
            consent_version=self.state.consent_version,
            consent_at=self.state.consent_at,
            entry=preset.get("entry") or self.state.entry,
        )
        if "district" in preset:
            district = self.services.knowledge.places.district(preset["district"])
            if district:
                state = state.with_(district_id=district.id, network_id=district.network_id)
        elif "candidates" in preset:
            state = state.with_(district_candidates=tuple(preset["candidates"].split(",")))
        if "need" in preset:
            state = state.with_(needs=(preset["need"],))
        self.state = state
        if state.locale is None:
            self.ask_language(resolve_locale(user_language))
        elif state.consent_version is None:
            self.ask_consent()
        else:
            self.say(self.t._("Welcome back! Let's look for what fits your family."))
            self.ask_next()

    def _read_payload(self, payload: str) -> dict[str, str]:
        """Parse 'd-eglosheim_l-tr_n-childcare_s-kita12'; anything unknown is ignored, never trusted."""
        found: dict[str, str] = {}
        if not payload or not _PAYLOAD.match(payload):
            return found
        places = self.services.knowledge.places
        for part in payload.split("_"):
            key, _, value = part.partition("-")
            value = value.lower()
            if key == "l" and (locale := resolve_locale(value.replace("simple", "@simple").replace("-@", "@"))):
                found["locale"] = locale
            elif key == "d":
                matches = [d.id for d in places.districts if d.id == value or d.id.split("-", 1)[1] == value]
                if len(matches) == 1:
                    found["district"] = matches[0]
                elif matches:
                    found["candidates"] = ",".join(matches)
            elif key == "n" and value.replace("-", "_") in NEED_LABELS:  # '_' separates parts, so '-' in ids
                found["need"] = value.replace("-", "_")
            elif key == "s" and re.fullmatch(r"[a-z0-9-]{1,32}", value):
                found["entry"] = value
        return found

    def help_asked(self) -> None:
        self.say(
            self.t._(
                "I help you find support for your family nearby, and a person if you want one.\n"
                "Tap the buttons or just write, in your language.\n\n"
                "/lotse – talk to a person\n/language – change language\n/restart – start again\n"
                "/privacy – what I store\n/delete – delete everything about you"
            ),
            self.listen_row(),
        )
        self.ask_next()

    def privacy_asked(self) -> None:
        self.say(
            self.t._(
                "What I store: your language, the child's age, your district and what you need — only to find "
                "offers. No name, no phone number.\n"
                "I pass nothing on unless you agree. If you talk to a person, your answers and messages go to "
                "the Lotsen of your town.\n"
                "Everything is deleted after {days} days, or at once with /delete.\n"
                "Responsible: {controller}.",
                days=self.services.retention_days,
                controller=self.services.controller,
            ),
            self.listen_row(),
        )
        self.ask_next()

    def delete_asked(self) -> None:
        self.state = self.state.with_(step=Step.CONFIRMING_DELETE)
        self.say(
            self.t._("Shall I delete everything I know about you, including any request to a person?"),
            ((Button("🗑️ " + self.t._("Yes, delete"), "delete:yes"), Button(self.t._("No"), "delete:no")),),
        )

    def restarted(self) -> None:
        """Starts a new search; language, consent, town and poster source stay, the rest is forgotten."""
        self.state = State(
            locale=self.state.locale,
            consent_version=self.state.consent_version,
            consent_at=self.state.consent_at,
            network_id=self.state.network_id,
            entry=self.state.entry,
        )
        self.say(self.t._("Let's start again."))
        self.ask_next()

    # ------------------------------------------------------------- buttons

    def button(self, data: str) -> None:
        key, _, value = data.partition(":")
        handler = {
            "lang": self.language_chosen,
            "consent": self.consent_given,
            "age": self.age_chosen,
            "net": self.network_chosen,
            "d": self.district_chosen,
            "need": self.need_chosen,
            "handover": self.handover_answered,
            "when": self.contact_time_chosen,
            "rate": self.rating_given,
            "delete": self.delete_answered,
        }.get(key)
        actions = {
            "more": self.more_asked,
            "other_need": self.other_need_asked,
            "another_child": self.another_child_asked,
            "lotse": lambda: self.lotse_asked("lotse"),
            "urgent": lambda: self.lotse_asked("emergency"),
            "privacy": self.privacy_asked,
            "restart": self.restarted,
            "language": lambda: self.ask_language(self.state.locale),
            "continue": self.ask_next,
        }
        if handler and value:
            handler(value)
        elif data in actions:
            actions[data]()
        else:
            self.stale_button()

    def stale_button(self) -> None:
        self.say(self.t._("That button is no longer active. Here is where we are:"))
        self.ask_next()

    def language_chosen(self, code: str) -> None:
        """Sets the language, then asks for consent (or the next open question)."""
        if code not in SUPPORTED:
            self.stale_button()
            return
        self.state = self.state.with_(locale=code)
        if self.state.consent_version is None:
            self.ask_consent()
        else:
            self.say(self.t._("Okay, we'll continue in this language."))
            self.ask_next()

    def consent_given(self, answer: str) -> None:
        """Records the consent (time and text version) and asks the first open question; 'no' stores nothing."""
        if answer == "yes":
            self.state = self.state.with_(consent_version=CONSENT_VERSION, consent_at=self.services.now().isoformat())
            self.say(self.t._("Thank you! A few short questions, then I'll show you what fits."))
            self.ask_next()
        elif answer == "no":
            self.state = State(locale=self.state.locale, step=Step.DECLINED)
            self.effects.append(DeleteMyData())
            self.say(
                self.t._(
                    "That's okay. Without your okay I can't search for you, and I have stored nothing. "
                    "You can come back any time with /start."
                )
            )
            self._emergency_hint()
        else:
            self.stale_button()

    def age_chosen(self, value: str) -> None:
        if value == "preg":
            self.state = self.state.with_(pregnant=True, age_months=None, age_until_months=None, age_known=True)
        elif value == "skip":
            self.state = self.state.with_(age_known=True)
        else:
            band = next((b for b in AGE_BANDS if b[0] == value), None)
            if band is None:
                self.stale_button()
                return
            self.state = self.state.with_(age_months=band[2], age_until_months=band[3], age_known=True)
        self.state = self.state.with_(shown=0, shown_offer_ids=())
        self.ask_next()

    def network_chosen(self, network_id: str) -> None:
        if network_id == "choose":
            self.state = self.state.with_(network_id=None, district_id=None, district_candidates=())
            self.ask_next()
            return
        if self.services.knowledge.places.network(network_id) is None:
            self.stale_button()
            return
        self.state = self.state.with_(network_id=network_id, district_id=None, district_candidates=())
        self.ask_next()

    def district_chosen(self, district_id: str) -> None:
        district = self.services.knowledge.places.district(district_id)
        if district is None:
            self.stale_button()
            return
        self.state = self.state.with_(
            district_id=district.id, network_id=district.network_id, district_candidates=(), shown=0, shown_offer_ids=()
        )
        self.ask_next()

    def need_chosen(self, need_id: str) -> None:
        if need_id not in NEED_LABELS:
            self.stale_button()
            return
        self.state = self.state.with_(needs=(need_id,), shown=0, shown_offer_ids=())
        self.ask_next()

    def more_asked(self) -> None:
        if self.state.step is not Step.SHOWING_OFFERS:
            self.stale_button()
            return
        self.show_offers()

    def other_need_asked(self) -> None:
        self.state = self.state.with_(needs=(), shown=0, shown_offer_ids=())
        self.ask_next()

    def another_child_asked(self) -> None:
        self.state = self.state.with_(
            age_months=None,
            age_until_months=None,
            pregnant=False,
            age_known=False,
            needs=(),
            shown=0,
            shown_offer_ids=(),
        )
        self.say(self.t._("Of course. Now about your other child:"))
        self.ask_next()

    # ------------------------------------------------------------- handover to a person

    def lotse_asked(self, reason: str) -> None:
        """Explains what would be passed on, to whom, and asks for the family's explicit okay."""
        if self.state.locale is None:
            self.state = self.state.with_(locale=FALLBACK)
        self.state = self.state.with_(step=Step.CONFIRMING_HANDOVER, handover_reason=reason)
        network = self.services.knowledge.places.network(self.state.network_id or "")
        self.say(
            self.t._(
                "A Lotse is a person from {network} who knows the local help. To write to you, the Lotse gets: "
                "your language, the child's age, your district, what you need, and your messages here. "
                "Not your name or phone number. Is that okay?",
                network=self.t.ltr(network.name) if network else self.t._("your town"),
            ),
            (
                (Button("✅ " + self.t._("Yes, pass it on"), "handover:yes"),),
                (Button(self.t._("No, not now"), "handover:no"),),
            ),
        )

    def handover_answered(self, answer: str) -> None:
        """'Yes' asks when a person may write; 'no' goes back to where the family was."""
        if self.state.step is not Step.CONFIRMING_HANDOVER:
            self.stale_button()
            return
        if answer == "yes":
            self.state = self.state.with_(step=Step.ASKING_CONTACT_TIME)
            t = self.t
            self.say(
                t._("When is a good time for a person to write to you?"),
                (
                    (Button(t._("Morning"), "when:morning"), Button(t._("Afternoon"), "when:afternoon")),
                    (Button(t._("Evening"), "when:evening"), Button(t._("Any time"), "when:any")),
                ),
            )
        else:
            self.say(self.t._("Okay. You can ask for a person at any time with /lotse."))
            self.state = self.state.with_(handover_reason=None)
            self.ask_next()

    def contact_time_chosen(self, when: str) -> None:
        """Creates the request for a person (the shell opens the case and tells the Lotsen)."""
        if self.state.step is not Step.ASKING_CONTACT_TIME or when not in ("morning", "afternoon", "evening", "any"):
            self.stale_button()
            return
        urgent = self.state.handover_reason == "emergency" or self.state.emergency
        self.effects.append(
            RequestHandover(
                urgent=urgent, reason=self.state.handover_reason or "lotse", contact_time=when, words=self.state.words
            )
        )
        self.state = self.state.with_(step=Step.HANDED_OVER, words=())
        self.say(
            self.t._(
                "Thank you. A Lotse will write to you here in this chat. You can write down your question already."
            )
        )

    def rating_given(self, value: str) -> None:
        if not value.isdigit() or not 1 <= int(value) <= 5:
            self.stale_button()
            return
        self.effects.append(RateHelp(int(value)))
        self.say(self.t._(notices.RATE_THANKS))

    def delete_answered(self, answer: str) -> None:
        if answer == "yes" and self.state.step is Step.CONFIRMING_DELETE:
            locale = self.state.locale
            self.state = State(locale=None, step=Step.DECLINED)
            self.effects.append(DeleteMyData())
            self.replies.append(
                Reply(texts(locale or FALLBACK)._("Done. I have deleted everything about you. Take care!"))
            )
        else:
            self.say(self.t._("Okay, nothing was deleted."))
            self.ask_next()

    # ------------------------------------------------------------- free text, location, media

    def text_received(self, text: str) -> None:
        """Understands as much as the text says, answers an emergency first, then asks the next open question."""
        understood = self.services.understander.understand(text, lang_hint=self.state.locale)
        if self.state.step is Step.HANDED_OVER:  # a person has (or will have) the case: pass it on
            self.effects.append(RelayToLotse(text[:MAX_WORDS_CHARS]))
            if understood.emergency:
                self.emergency_detected(understood)
            return
        # the family's own words go into a case only if it asks for a person; kept short and few
        self.state = self.state.with_(words=(*self.state.words, text[:MAX_WORDS_CHARS])[-MAX_WORDS:])
        if understood.emergency:
            self.emergency_detected(understood)
            return
        if self.state.step is Step.CONFIRMING_DELETE:
            self.say(self.t._("Please tap one of the buttons."))
            self.delete_asked()
            return
        if self.state.locale is None:
            chosen = self._language_by_name(text) or resolve_locale(understood.language)
            if chosen:
                self.state = self.state.with_(locale=chosen)
        learned = self._merge(understood)
        if self.state.locale is None:
            self.ask_language(None)
            return
        if self.state.consent_version is None:
            if learned:
                self.say(self.t._("Thank you, I have noted that. First, one thing:"))
            self.ask_consent()
            return
        if not learned:
            self.say(
                self.t._("I'm not sure I understood. Tap a button, or write it in other words.")
                if not self._is_greeting(text)
                else self.t._("Hello! I'm glad you're here.")
            )
        self.ask_next()

    def _language_by_name(self, text: str) -> str | None:
        wanted = text.strip().casefold()
        return next((code for code in SUPPORTED if native_name(code).casefold() == wanted), None)

    def _is_greeting(self, text: str) -> bool:
        words = text.casefold().strip(" !.?👋🙂😊")
        return any(words in (lex.get("greetings") or ()) for lex in self.services.knowledge.lexicons.values())

    def _merge(self, understood: Understanding) -> bool:
        """Adds what the text told; returns whether anything new was learned."""
        state, learned = self.state, False
        if understood.pregnant and not state.pregnant:
            state, learned = state.with_(pregnant=True, age_known=True), True
        if understood.age_months is not None and understood.age_months != state.age_months:
            state = state.with_(age_months=understood.age_months, age_until_months=None, age_known=True)
            learned = True
        if understood.district_id and understood.district_id != state.district_id:
            district = self.services.knowledge.places.district(understood.district_id)
            if district:
                state = state.with_(district_id=district.id, network_id=district.network_id, district_candidates=())
                learned = True
        elif understood.district_candidates and not understood.district_id:
            places = self.services.knowledge.places
            in_network = [
                c
                for c in understood.district_candidates
                if (d := places.district(c)) is not None and d.network_id == state.network_id
            ]
            if state.network_id and len(in_network) == 1:
                state = state.with_(district_id=in_network[0], district_candidates=())
            else:
                state = state.with_(district_candidates=understood.district_candidates, district_id=None)
            learned = True
        if understood.needs and understood.needs[:3] != state.needs:
            state = state.with_(needs=understood.needs[:3], shown=0, shown_offer_ids=())
            learned = True
        if learned:
            state = state.with_(shown=0, shown_offer_ids=())
        self.state = state
        return learned

    def emergency_detected(self, understood: Understanding) -> None:
        """Emergency numbers first, in the family's language, and the offer of an urgent person."""
        if self.state.locale is None:
            self.state = self.state.with_(locale=resolve_locale(understood.language) or FALLBACK)
        self.state = self.state.with_(emergency=True, emergency_kinds=understood.emergency_kinds)
        t = self.t
        lines = [t._("If you or a child are in danger right now, please call:")]
        lines += emergency_lines(self.services.knowledge.emergency_contacts, understood.emergency_kinds, t)
        lines.append(t._("These numbers are free. You can also talk to a Lotse here, urgently."))
        self.say(
            "\n".join(lines),
            (
                (Button("🆘 " + t._("Urgent: talk to a person"), "urgent"),),
                (Button(t._("Continue"), "continue"),),
                *self.listen_row(),
            ),
        )

    def _emergency_hint(self) -> None:
        self.say(self.t._("In an emergency: police 110, ambulance 112."))

    def location_shared(self, latitude: float, longitude: float) -> None:
        district = self.services.knowledge.places.nearest(latitude, longitude)
        if district is None:
            self.say(
                self.t._(
                    "This place is outside the areas I know (Ludwigsburg, Landkreis Esslingen, Weimar). "
                    "Please choose your town."
                )
            )
            self.state = self.state.with_(network_id=None, district_id=None)
        else:
            self.state = self.state.with_(district_id=district.id, network_id=district.network_id, shown=0)
            self.say(self.t._("Thank you! You are near {district}.", district=self.t.ltr(district.name)))
        self.ask_next()

    def media_received(self, kind: str) -> None:
        if kind == "voice":
            text = self.t._("I can't listen to voice messages. Please write a few words or tap a button.")
        elif kind == "contact":
            text = self.t._("Thank you, but please don't send contacts here. I don't need them.")
        else:
            text = self.t._("I can only read text. Please write a few words or tap a button.")
        self.say(text, (self.way_out(),))
        if self.state.locale is not None:
            self.ask_next()

    # ------------------------------------------------------------- questions

    def ask_language(self, suggested: str | None) -> None:
        self.state = self.state.with_(step=Step.CHOOSING_LANGUAGE)
        order = [suggested] if suggested else []
        order += [code for code in SUPPORTED if code != suggested]
        buttons = [Button(native_name(code), f"lang:{code}") for code in order]
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        greeting = texts(suggested or FALLBACK)._("Hello! Which language would you like to use?")
        if not suggested or not suggested.startswith("de"):
            greeting += "\nHallo! In welcher Sprache möchten Sie schreiben?"
        self.replies.append(Reply(greeting, rows, rtl=texts(suggested or FALLBACK).rtl))

    def ask_consent(self) -> None:
        self.state = self.state.with_(step=Step.ASKING_CONSENT)
        self.say(
            self.t._(
                "I help you find support for your family nearby. I'll ask 3 short questions. "
                "I only store your answers to search, no name and no phone number, and I pass nothing on "
                "without asking you. Is that okay?"
            ),
            (
                (Button("👍 " + self.t._("Yes, let's start"), "consent:yes"),),
                (Button(self.t._("More about privacy"), "privacy"), Button(self.t._("No"), "consent:no")),
                *self.listen_row(),
            ),
        )

    def ask_next(self) -> None:
        """Asks the first question still open; with everything known, shows the offers."""
        state = self.state
        if state.locale is None:
            self.ask_language(None)
        elif state.consent_version is None:
            self.ask_consent()
        elif state.step in (Step.HANDED_OVER,):
            self.say(self.t._("A Lotse will write to you here."), ((Button(self.t._("Look for offers"), "restart"),),))
        elif not state.age_known:
            self.ask_age()
        elif state.district_candidates and not state.district_id:
            self.ask_which_district(state.district_candidates)
        elif state.network_id is None:
            self.ask_network()
        elif state.district_id is None:
            self.ask_district()
        elif not state.needs:
            self.ask_need()
        else:
            self.show_offers()

    def ask_age(self) -> None:
        self.state = self.state.with_(step=Step.ASKING_AGE)
        t = self.t
        bands = [Button(t._(label), f"age:{value}") for value, label, _, _ in AGE_BANDS]
        self.say(
            t._("How old is your child? Tap or write it, e.g. “4” or “8 months”."),
            (
                (Button("🤰 " + t._("I'm pregnant"), "age:preg"),),
                *(tuple(bands[i : i + 2]) for i in range(0, len(bands), 2)),
                (Button(t._("Skip"), "age:skip"),),
            ),
        )

    def ask_network(self) -> None:
        self.state = self.state.with_(step=Step.CHOOSING_NETWORK)
        buttons = tuple((Button(self.t.ltr(n.name), f"net:{n.id}"),) for n in self.services.knowledge.places.networks)
        self.say(self.t._("Where do you live?"), (*buttons, self.way_out()))

    def ask_district(self) -> None:
        self.state = self.state.with_(step=Step.ASKING_DISTRICT)
        network = self.services.knowledge.places.network(self.state.network_id or "")
        if network is None:
            self.ask_network()
            return
        buttons = [Button(d.name, f"d:{d.id}") for d in network.districts]
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        question = (
            self.t._("Which town do you live in? Tap it, or write the name or postal code.")
            if network.kind == "county"
            else self.t._("Which part of town do you live in? Tap it, or write the name or postal code.")
        )
        self.say(question, (*rows, (Button("↩️ " + self.t._("Other town"), "net:choose"),)), ask_location=True)

    def ask_which_district(self, candidates: tuple[str, ...]) -> None:
        self.state = self.state.with_(step=Step.ASKING_DISTRICT)
        places = self.services.knowledge.places
        buttons = []
        for district_id in candidates:
            district = places.district(district_id)
            network = places.network(district.network_id) if district else None
            if district and network:
                buttons.append((Button(f"{district.name} ({network.name})", f"d:{district.id}"),))
        self.say(self.t._("There is more than one place with that name. Which one do you mean?"), tuple(buttons))

    def ask_need(self) -> None:
        self.state = self.state.with_(step=Step.CHOOSING_NEED)
        t = self.t
        buttons = [Button(f"{n.icon} {t._(NEED_LABELS[n.id])}", f"need:{n.id}") for n in self.services.knowledge.needs]
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        self.say(t._("What can I help you with? Tap a topic or write in your own words."), (*rows, self.way_out()))

    # ------------------------------------------------------------- results

    def show_offers(self) -> None:
        state, t = self.state, self.t
        request = MatchRequest(
            needs=state.needs,
            age_months=state.age_months,
            age_until_months=state.age_until_months,
            pregnant=state.pregnant,
            district_id=state.district_id,
            network_id=state.network_id,
            language=(state.locale or "").split("@")[0],
            today=self.services.now().date(),
        )
        page, total = self.services.offers.page(request, state.shown, PAGE_SIZE)
        self.state = state.with_(
            step=Step.SHOWING_OFFERS,
            shown=state.shown + len(page),
            shown_offer_ids=(*state.shown_offer_ids, *(m.offer.external_id for m in page)),
        )
        if state.shown == 0:
            self.effects.append(
                CountRequest(
                    outcome="found" if total else "nothing_fits",
                    needs=state.needs,
                    district_id=state.district_id,
                    age_months=state.age_months,
                    pregnant=state.pregnant,
                    locale=state.locale,
                    entry=state.entry,
                )
            )
        actions = (
            (Button("🔎 " + t._("Other topic"), "other_need"), Button("👶 " + t._("Another child"), "another_child")),
            (Button("🙋 " + t._("Talk to a person"), "lotse"),),
        )
        if not total:
            self.say(
                t._("I'm sorry, I found no offer that fits exactly. A Lotse knows more and can help you personally."),
                actions,
            )
            return
        if not page:
            self.say(t._("That was everything I found. A Lotse can help you further."), actions)
            return
        now = self.services.now()
        places = self.services.knowledge.places
        header = t.n_("I found {count} offer for you:", "I found {count} offers for you:", total)
        if state.shown:
            header = t._("More offers:")
        cards = [offer_card(state.shown + i + 1, m, places, now, t) for i, m in enumerate(page)]
        more = total > state.shown + len(page)
        rows = ((Button("➕ " + t._("More"), "more"),), *actions) if more else actions
        self.say("\n\n".join([header, *cards]), (*rows, *self.listen_row()))
