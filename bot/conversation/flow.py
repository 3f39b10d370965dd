"""The family conversation as one pure function: handle(state, event, services) -> Outcome.

Steps (see flow.mmd): language -> consent -> age -> place -> need -> offers -> a person. `STEPS` is the one
table of them: for each step how it asks, which buttons it shows and how it reads a typed answer. What is the
same at every step lives once, in the shared repair patterns of `bot.conversation.repair` (after Rasa CALM):
crisis first, a person when asked, corrections and later facts, questions about offers, chit-chat, an answer
that fits nothing, and continuing where the family was after an interruption.

Buttons are shortcuts, never the only way: a step's button labels typed in any of the 14 languages, and
typed yes/no, work like the tap (`bot.conversation.typed`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.conversation import checkin, notices, repair
from bot.conversation.model import (
    Button,
    ButtonPressed,
    CaseClosed,
    CheckInDue,
    Command,
    ContactTimeGiven,
    CountRequest,
    DeleteMyData,
    Effect,
    EscalateCase,
    Event,
    Media,
    Outcome,
    RateHelp,
    Reply,
    RequestHandover,
    SharedLocation,
    State,
    Step,
    Text,
)
from bot.conversation.render import emergency_lines, offer_card
from bot.domain.matching import MatchRequest, OfferIndex, serves_request
from bot.i18n import FALLBACK, N_, SUPPORTED, Texts, native_name, resolve_locale, texts
from bot.knowledge import Knowledge
from bot.understanding import Understander, Understanding

log = logging.getLogger(__name__)

CONSENT_VERSION = "2026-11"
PAGE_SIZE = 3

Rows = tuple[tuple[Button, ...], ...]

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

CONTACT_TIMES = ("morning", "afternoon", "evening", "any")

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
    conversation = Turn(state, services)
    try:
        conversation.dispatch(event)
    except Exception:  # a family must always get an answer; the cause goes to the log, never the text
        log.exception("conversation step failed at %s", state.step)
        conversation = Turn(state, services)
        conversation.say(conversation.t._("Sorry, something went wrong on my side. Let's try again."))
        conversation.ask_next()
    return Outcome(conversation.state, tuple(conversation.replies), tuple(conversation.effects))


@dataclass(frozen=True)
class StepSpec:
    """One step of the table: how it asks, its buttons (in any locale), and how it reads a typed answer."""

    ask: Callable[[Turn], None]
    buttons: Callable[[Turn, Texts], Rows] | None = None  # what ask shows; typed labels are compared with these
    read: Callable[[Turn, str, Understanding], bool] | None = None  # True: the typed answer was fully handled
    yes: str | None = None  # the button a typed "yes" stands for at this step
    no: str | None = None
    dont_know: str | None = None  # the button "I don't know" stands for
    way_on: Callable[[Turn, Texts], Rows] | None = None  # offered at the second miss instead of the same question
    search: bool = False  # a question of the search (a fact may be answered here without a check)


class Turn:
    """One turn of the conversation: accumulates state changes, replies and effects."""

    def __init__(self, state: State, services: Services) -> None:
        self.state = state
        self.services = services
        self.replies: list[Reply] = []
        self.effects: list[Effect] = []
        self.progress = False  # a step's own reading moved the conversation on (not a miss)
        self.age_answered = False  # the age question's own reading took the ages of this message

    # ------------------------------------------------------------- helpers

    @property
    def t(self) -> Texts:
        return texts(self.state.locale or FALLBACK)

    @property
    def spec(self) -> StepSpec:
        return STEPS[self.state.step]

    def say(self, text: str, buttons: Rows = (), ask_location: bool = False) -> None:
        self.replies.append(Reply(text, buttons, ask_location, self.t.rtl))

    def way_out(self, t: Texts | None = None) -> tuple[Button, ...]:
        t = t or self.t
        return (Button("🙋 " + t._("Talk to a person"), "lotse"),)

    def listen_row(self) -> Rows:
        """A 'listen' button under longer texts, for families who read poorly (where the channel can speak)."""
        if (self.state.locale or FALLBACK) not in self.services.listen:
            return ()
        return ((Button("🔊 " + self.t._(notices.LISTEN), "listen"),),)

    def interrupt(self, step: Step) -> None:
        """Enters an interrupting step, remembering the step to continue with (only the first one counts)."""
        if self.state.step not in INTERRUPTIONS:
            self.state = self.state.with_(resume=self.state.step)
        self.state = self.state.with_(step=step)

    # ------------------------------------------------------------- dispatch

    def dispatch(self, event: Event) -> None:
        match event:
            case Command():
                self.command(event)
            case ButtonPressed():
                self.button(event.data)
            case Text():
                repair.text_received(self, event.text)
            case SharedLocation():
                self.location_shared(event.latitude, event.longitude)
            case Media():
                self.media_received(event.kind)
            case CaseClosed():
                self.case_closed()
            case CheckInDue():
                checkin.due(self, event)

    # ------------------------------------------------------------- commands

    def command(self, event: Command) -> None:
        name = event.name.lower()
        if name == "start":
            self.started(event.payload, event.user_language)
        elif name == "help":
            self.help_asked()
        elif name in ("language", "sprache"):
            self.interrupt(Step.CHOOSING_LANGUAGE)
            self.ask_language(self.state.locale)
        elif name == "lotse":
            self.lotse_asked("lotse")
        elif name in ("privacy", "datenschutz"):
            self.privacy_asked()
        elif name in ("delete", "loeschen"):
            self.delete_asked()
        elif name == "restart":
            self.restarted()
        elif name == "stop":
            checkin.stopped(self)
        else:
            self.say(self.t._("I don't know that command. /help shows what I can do."))
            self.ask_next()

    def started(self, payload: str, user_language: str | None) -> None:
        """/start, maybe from a poster's deep link: presets district, language, need and counts the source."""
        if self.state.case_open:  # a family waiting for its Lotse keeps the open case; /delete is the only way out
            self.restarted()
            return
        preset = self._read_payload(payload)
        state = State(
            locale=preset.get("locale") or self.state.locale,
            consent_version=self.state.consent_version,
            consent_at=self.state.consent_at,
            entry=preset.get("entry") or self.state.entry,
            checkin_asked=self.state.checkin_asked,
            checkins_stopped=self.state.checkins_stopped,
        )
        if "district" in preset:
            district = self.services.knowledge.places.district(preset["district"])
            if district:
                state = state.with_(district_id=district.id, network_id=district.network_id)
        elif "candidates" in preset:
            state = state.with_(district_candidates=tuple(preset["candidates"].split(",")))
        elif "network" in preset:
            state = state.with_(network_id=preset["network"])
        if "need" in preset:
            state = state.with_(needs=(preset["need"],))
        self.state = state = state.with_(suggested_locale=resolve_locale(user_language))
        if state.locale is None:
            self.ask_language(state.suggested_locale)
        elif state.consent_version is None:
            self.ask_consent()
        else:
            self.say(self.t._("Welcome back! Let's look for what fits your family."))
            self.ask_next()

    def _read_payload(self, payload: str) -> dict[str, str]:
        """Parse 'd-eglosheim_l-tr_n-childcare_s-kita12' or 'o-<offer id>_l-ar_s-web'; unknown parts are ignored."""
        found: dict[str, str] = {}
        if not payload or not _PAYLOAD.match(payload):
            return found
        places = self.services.knowledge.places
        for part in payload.split("_"):
            key, _, raw = part.partition("-")
            value = raw.lower()
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
            elif key == "o" and (offer := self.services.offers.get(raw)) and places.network(offer.network):
                # "ask a Lotse" on an offer's web page: that offer's network and topic, the age and place still asked
                found["network"] = offer.network
                if offer.needs:
                    found.setdefault("need", offer.needs[0])
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
        self.ask_again()

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
        self.ask_again()

    def delete_asked(self) -> None:
        """Asks before erasing; 'No' continues exactly where the family was (also a relay to its Lotse)."""
        self.interrupt(Step.CONFIRMING_DELETE)
        self.say(
            self.t._("Shall I delete everything I know about you, including any request to a person?"),
            self.delete_buttons(self.t),
        )

    def delete_buttons(self, t: Texts) -> Rows:
        return ((Button("🗑️ " + t._("Yes, delete"), "delete:yes"), Button(t._("No"), "delete:no")),)

    def restarted(self) -> None:
        """Starts a new search; language, consent, town, poster source and an open case stay."""
        self.state = State(
            locale=self.state.locale,
            consent_version=self.state.consent_version,
            consent_at=self.state.consent_at,
            network_id=self.state.network_id,
            entry=self.state.entry,
            case_open=self.state.case_open,
            browsing=self.state.case_open,
            acked_at=self.state.acked_at,
            checkin_asked=self.state.checkin_asked,
            checkins_stopped=self.state.checkins_stopped,
            step=Step.ASKING_AGE,
        )
        self.say(self.t._("Let's start again."))
        self.ask_next()

    def case_closed(self) -> None:
        """The Lotsen closed the case (the shell tells the family): the next message may start a new request."""
        self.state = self.state.with_(
            case_open=False, browsing=False, emergency=False, emergency_kinds=(), handover_reason=None
        )
        checkin.after_the_case(self)  # "may I ask in a week whether it worked?", through the outbox

    # ------------------------------------------------------------- buttons

    def button(self, data: str) -> None:
        self.state = self.state.with_(misses=0)
        key, _, value = data.partition(":")
        handler = {
            "lang": self.language_chosen,
            "consent": self.consent_given,
            "age": self.age_chosen,
            "net": self.network_chosen,
            "d": self.district_chosen,
            "place": self.place_chosen,
            "need": self.need_chosen,
            "handover": self.handover_answered,
            "when": self.contact_time_chosen,
            "rate": self.rating_given,
            "delete": self.delete_answered,
            "danger": self.danger_answered,
            "fact": self.fact_answered,
            "change": self.change_chosen,
            "fu": lambda value: checkin.consent_answered(self, value),
            "ci": lambda value: checkin.answered(self, value),
        }.get(key)
        actions = {
            "more": self.more_asked,
            "other_need": self.other_need_asked,
            "another_child": self.another_child_asked,
            "lotse": lambda: self.lotse_asked("lotse"),
            "urgent": lambda: self.lotse_asked("emergency"),
            "privacy": self.privacy_asked,
            "restart": self.restarted,
            "language": lambda: (self.interrupt(Step.CHOOSING_LANGUAGE), self.ask_language(self.state.locale)),
            "continue": self.continue_interrupted,
            "change": self.change_asked,
        }
        if handler and value:
            handler(value)
        elif data in actions:
            actions[data]()
        else:
            self.stale_button()

    def stale_button(self) -> None:
        self.say(self.t._("That button is no longer active. Here is where we are:"))
        self.ask_again()

    def language_chosen(self, code: str) -> None:
        """Sets the language, then asks for consent (or continues where the family was)."""
        if code not in SUPPORTED:
            self.stale_button()
            return
        self.state = self.state.with_(locale=code)
        if self.state.consent_version is None:
            self.ask_consent()
        else:
            self.say(self.t._("Okay, we'll continue in this language."))
            self.continue_interrupted()

    def consent_given(self, answer: str) -> None:
        """Records the consent (time and text version) and asks the first open question; 'no' stores nothing."""
        if answer == "yes":
            if self.state.consent_version is None:
                self.state = self.state.with_(
                    consent_version=CONSENT_VERSION, consent_at=self.services.now().isoformat()
                )
                self.say(self.t._("Thank you! A few short questions, then I'll show you what fits."))
            self.continue_interrupted()
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
        """An age band, 'pregnant' or 'skip': the age question is answered; asks the next open question."""
        if value == "preg":
            self.state = self.state.with_(
                pregnant=True, age_months=None, age_until_months=None, children_months=(), age_known=True
            )
        elif value == "skip":
            self.state = self.state.with_(age_known=True)
        else:
            band = next((b for b in AGE_BANDS if b[0] == value), None)
            if band is None:
                self.stale_button()
                return
            self.state = self.state.with_(
                age_months=band[2], age_until_months=band[3], children_months=(), age_known=True
            )
        self.state = self.state.with_(shown=0, shown_offer_ids=())
        self.ask_next()

    def set_ages(self, ages: tuple[int, ...]) -> None:
        """One or several children's ages: the offers fit from the youngest to the oldest."""
        ordered = tuple(sorted(set(ages)))
        self.state = self.state.with_(
            children_months=tuple(ages),
            age_months=ordered[0],
            age_until_months=ordered[-1] if len(ordered) > 1 else None,
            age_known=True,
            shown=0,
            shown_offer_ids=(),
        )

    def network_chosen(self, network_id: str) -> None:
        """A town or county (or 'choose' another): asks its districts, with 'whole town' as a way on."""
        if network_id == "choose":
            self.state = self.state.with_(network_id=None, district_id=None, district_candidates=(), whole_town=False)
            self.ask_next()
            return
        if self.services.knowledge.places.network(network_id) is None:
            self.stale_button()
            return
        self.state = self.state.with_(
            network_id=network_id, district_id=None, district_candidates=(), whole_town=False, shown=0
        )
        self.ask_next()

    def district_chosen(self, district_id: str) -> None:
        district = self.services.knowledge.places.district(district_id)
        if district is None:
            self.stale_button()
            return
        self.state = self.state.with_(
            district_id=district.id,
            network_id=district.network_id,
            district_candidates=(),
            whole_town=False,
            shown=0,
            shown_offer_ids=(),
        )
        self.ask_next()

    def place_chosen(self, value: str) -> None:
        """'Whole town' (or "I don't know the district"): offers of the whole town are a valid answer."""
        if value != "town" or self.state.network_id is None:
            self.stale_button()
            return
        self.state = self.state.with_(
            district_id=None, district_candidates=(), whole_town=True, shown=0, shown_offer_ids=()
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
            children_months=(),
            pregnant=False,
            age_known=False,
            needs=(),
            shown=0,
            shown_offer_ids=(),
        )
        self.say(self.t._("Of course. Now about your other child:"))
        self.ask_next()

    def change_asked(self) -> None:
        """[Change] under the results: which of the understood facts to change."""
        self.interrupt(Step.CHOOSING_CHANGE)
        self.say(self.t._("What would you like to change?"), self.change_buttons(self.t))

    def change_buttons(self, t: Texts) -> Rows:
        return (
            (Button("👶 " + t._("Age"), "change:age"), Button("📍 " + t._("Place"), "change:place")),
            (Button("🔎 " + t._("Topic"), "change:need"), Button("↩️ " + t._("Back"), "continue")),
        )

    def change_chosen(self, what: str) -> None:
        self.state = self.state.with_(resume=None, shown=0, shown_offer_ids=())
        if what == "age":
            self.state = self.state.with_(
                age_months=None, age_until_months=None, children_months=(), pregnant=False, age_known=False
            )
        elif what == "place":
            self.state = self.state.with_(network_id=None, district_id=None, district_candidates=(), whole_town=False)
        elif what == "need":
            self.state = self.state.with_(needs=())
        else:
            self.stale_button()
            return
        self.ask_next()

    # ------------------------------------------------------------- checks and crisis answers

    def danger_answered(self, answer: str) -> None:
        """'In danger right now?': yes is an emergency (urgent person offered), no continues where we were."""
        if self.state.step is not Step.ASKING_DANGER:
            self.stale_button()
            return
        if answer == "yes":
            self.state = self.state.with_(emergency=True, needs=repair.with_protection(self.state.needs, ("violence",)))
            if self.state.case_open:
                self.effects.append(EscalateCase(self.state.emergency_kinds))
                self.say(self.t._("I have told your Lotse that it is urgent."))
                self.continue_interrupted()
                return
            self.state = self.state.with_(step=Step.CHOOSING_AFTER_CRISIS)
            self.say(
                self.t._("Please call the numbers above if you can. Shall a person from here write to you urgently?"),
                self.crisis_buttons(self.t),
            )
        else:
            self.state = self.state.with_(danger_denied=True)
            self.say(self.t._("Thank you for telling me."))
            self.continue_interrupted()

    def fact_answered(self, answer: str) -> None:
        """'Is your child 10 now, not 6?': yes takes the new fact and searches again; no keeps the old one."""
        pending = self.state.pending_fact
        if self.state.step is not Step.CONFIRMING_FACT or not pending:
            self.stale_button()
            return
        self.state = self.state.with_(pending_fact=None)
        if answer != "yes":
            self.say(self.t._("Okay, I'll keep it as it was."))
            self.continue_interrupted()
            return
        repair.apply_fact(self, pending)
        self.state = self.state.with_(resume=None)
        self.ask_next()

    # ------------------------------------------------------------- handover to a person

    def lotse_asked(self, reason: str) -> None:
        """Explains what would be passed on, to whom, and asks for the family's explicit okay."""
        if self.state.locale is None:
            self.state = self.state.with_(locale=FALLBACK)
        if self.state.case_open:  # never a second case: the open one gets the messages (and the urgency)
            if reason == "emergency" and self.state.handover_reason != "emergency":
                self.effects.append(EscalateCase(self.state.emergency_kinds))
                self.state = self.state.with_(handover_reason="emergency")
            self.state = self.state.with_(step=Step.HANDED_OVER, browsing=False, resume=None)
            self.say(self.t._("Your request is already with the Lotsen. Just write here, I'll pass it on."))
            return
        self.interrupt(Step.CONFIRMING_HANDOVER)
        self.state = self.state.with_(handover_reason=reason)
        network = self.services.knowledge.places.network(self.state.network_id or "")
        self.say(
            self.t._(
                "A Lotse is a person from {network} who knows the local help. To write to you, the Lotse gets: "
                "your language, the child's age, your district, what you need, and your messages here. "
                "Not your name or phone number. Is that okay?",
                network=self.t.ltr(network.name) if network else self.t._("your town"),
            ),
            self.handover_buttons(self.t),
        )

    def handover_buttons(self, t: Texts) -> Rows:
        return (
            (Button("✅ " + t._("Yes, pass it on"), "handover:yes"),),
            (Button(t._("No, not now"), "handover:no"),),
        )

    def handover_answered(self, answer: str) -> None:
        """'Yes' opens the case at once (nothing typed later can lose it), then asks when a person may write."""
        if self.state.step is not Step.CONFIRMING_HANDOVER:
            self.stale_button()
            return
        if answer != "yes":
            self.say(self.t._("Okay. You can ask for a person at any time with /lotse."))
            self.state = self.state.with_(handover_reason=None)
            self.continue_interrupted()
            return
        state = self.state
        urgent = state.handover_reason == "emergency" or state.emergency
        if state.consent_version is None:  # a crisis before the first question: this okay is the consent
            state = state.with_(consent_version=CONSENT_VERSION, consent_at=self.services.now().isoformat())
        reason = state.handover_reason or "lotse"
        self.effects.append(RequestHandover(urgent=urgent, reason=reason, contact_time="any", words=state.words))
        self.state = state.with_(
            words=(), case_open=True, browsing=False, resume=None, acked_at=None, relayed_since_ack=0
        )
        if urgent:
            self.state = self.state.with_(step=Step.HANDED_OVER)
            self.say(
                self.t._(
                    "Thank you. Your request is with the Lotsen now, marked urgent. A person will write to you "
                    "here as soon as possible. If you are in danger, please call 110."
                )
            )
            return
        self.ask_contact_time()

    def ask_contact_time(self) -> None:
        self.state = self.state.with_(step=Step.ASKING_CONTACT_TIME)
        self.say(
            self.t._(
                "Thank you, your request is with the Lotsen now. When is a good time for a person to write to "
                "you? Tap or write it, or just write your question."
            ),
            self.contact_time_buttons(self.t),
        )

    def contact_time_buttons(self, t: Texts) -> Rows:
        return (
            (Button(t._("Morning"), "when:morning"), Button(t._("Afternoon"), "when:afternoon")),
            (Button(t._("Evening"), "when:evening"), Button(t._("Any time"), "when:any")),
        )

    def contact_time_chosen(self, when: str) -> None:
        """A tapped time goes to the open case's note."""
        if self.state.step is not Step.ASKING_CONTACT_TIME or when not in CONTACT_TIMES:
            self.stale_button()
            return
        self.contact_time_given(when, typed=False)

    def contact_time_given(self, value: str, typed: bool) -> None:
        self.effects.append(ContactTimeGiven(value, typed=typed))
        self.state = self.state.with_(step=Step.HANDED_OVER)
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
            self.continue_interrupted()

    # ------------------------------------------------------------- emergency texts

    def crisis_buttons(self, t: Texts) -> Rows:
        return ((Button("🆘 " + t._("Urgent: talk to a person"), "urgent"),), (Button(t._("Continue"), "continue"),))

    def emergency_numbers(self, kinds: tuple[str, ...], closing: str) -> list[str]:
        t = self.t
        lines = [t._("If you or a child are in danger right now, please call:")]
        lines += emergency_lines(self.services.knowledge.emergency_contacts, kinds, t)
        lines.append(closing)
        return lines

    def _emergency_hint(self) -> None:
        self.say(self.t._("In an emergency: police 110, ambulance 112."))

    def danger_buttons(self, t: Texts) -> Rows:
        return ((Button(t._("Yes"), "danger:yes"), Button(t._("No"), "danger:no")),)

    def fact_buttons(self, t: Texts) -> Rows:
        return ((Button(t._("Yes"), "fact:yes"), Button(t._("No"), "fact:no")),)

    # ------------------------------------------------------------- location, media

    def location_shared(self, latitude: float, longitude: float) -> None:
        district = self.services.knowledge.places.nearest(latitude, longitude)
        if district is None:
            self.say(
                self.t._(
                    "This place is outside the areas I know (Ludwigsburg, Landkreis Esslingen, Weimar). "
                    "Please choose your town."
                )
            )
            self.state = self.state.with_(network_id=None, district_id=None, whole_town=False)
        else:
            self.state = self.state.with_(
                district_id=district.id, network_id=district.network_id, whole_town=False, shown=0
            )
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
            self.ask_again()

    # ------------------------------------------------------------- asking

    def ask_again(self) -> None:
        """After help, privacy or a stale button: the current question again (or the next open one)."""
        if self.state.step in INTERRUPTIONS and self.state.step is not Step.CHOOSING_LANGUAGE:
            self.spec.ask(self)
        else:
            self.ask_next()

    def continue_interrupted(self) -> None:
        """Back to where the family was before an interruption (continue-interrupted pattern)."""
        resume = self.state.resume
        self.state = self.state.with_(resume=None)
        if resume is Step.SHOWING_OFFERS and self.place_known() and self.state.needs:
            self.show_offers(again=True)
        elif resume is Step.ASKING_CONTACT_TIME and self.state.case_open:
            self.ask_contact_time()
        else:
            self.ask_next()

    def place_known(self) -> bool:
        return self.state.district_id is not None or (self.state.whole_town and self.state.network_id is not None)

    def ask_next(self) -> None:
        """Asks the first question still open (a slot already known is not asked again); then the offers."""
        state = self.state
        if state.step in INTERRUPTIONS and state.step is not Step.CHOOSING_LANGUAGE:
            state = self.state = state.with_(step=state.resume or Step.ASKING_AGE, resume=None, pending_fact=None)
        if state.locale is None:
            self.ask_language(None)
        elif state.consent_version is None:
            self.ask_consent()
        elif state.case_open and not state.browsing:
            self.ask_handed_over()
        elif not state.age_known:
            self.ask_age()
        elif state.district_candidates and not state.district_id:
            self.ask_which_district()
        elif state.network_id is None:
            self.ask_network()
        elif not self.place_known():
            self.ask_district()
        elif not state.needs:
            self.ask_need()
        else:
            self.show_offers()

    def ask_handed_over(self) -> None:
        self.state = self.state.with_(step=Step.HANDED_OVER)
        self.say(self.t._("A Lotse will write to you here."), self.handed_over_buttons(self.t))

    def handed_over_buttons(self, t: Texts) -> Rows:
        return ((Button(t._("Look for offers"), "restart"),),)

    def ask_language(self, suggested: str | None) -> None:
        self.state = self.state.with_(step=Step.CHOOSING_LANGUAGE)
        greeting = texts(suggested or FALLBACK)._("Hello! Which language would you like to use?")
        if not suggested or not suggested.startswith("de"):
            greeting += "\nHallo! In welcher Sprache möchten Sie schreiben?"
        self.replies.append(Reply(greeting, self.language_buttons(suggested), rtl=texts(suggested or FALLBACK).rtl))

    def language_buttons(self, suggested: str | None) -> Rows:
        order = [suggested] if suggested else []
        order += [code for code in SUPPORTED if code != suggested]
        buttons = [Button(native_name(code), f"lang:{code}") for code in order]
        return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))

    def ask_consent(self) -> None:
        self.state = self.state.with_(step=Step.ASKING_CONSENT)
        self.say(
            self.t._(
                "I help you find support for your family nearby. I'll ask 3 short questions. "
                "I only store your answers to search, no name and no phone number, and I pass nothing on "
                "without asking you. Is that okay?"
            ),
            (*self.consent_buttons(self.t), *self.listen_row()),
        )

    def consent_buttons(self, t: Texts) -> Rows:
        return (
            (Button("👍 " + t._("Yes, let's start"), "consent:yes"),),
            (Button(t._("More about privacy"), "privacy"), Button(t._("No"), "consent:no")),
        )

    def ask_age(self) -> None:
        self.state = self.state.with_(step=Step.ASKING_AGE)
        self.say(self.t._("How old is your child? Tap or write it, e.g. “4” or “8 months”."), self.age_buttons(self.t))

    def age_buttons(self, t: Texts) -> Rows:
        bands = [Button(t._(label), f"age:{value}") for value, label, _, _ in AGE_BANDS]
        return (
            (Button("🤰 " + t._("I'm pregnant"), "age:preg"),),
            *(tuple(bands[i : i + 2]) for i in range(0, len(bands), 2)),
            (Button(t._("Skip"), "age:skip"),),
        )

    def ask_network(self) -> None:
        self.state = self.state.with_(step=Step.CHOOSING_NETWORK)
        self.say(self.t._("Where do you live?"), self.network_buttons(self.t))

    def network_buttons(self, t: Texts) -> Rows:
        networks = tuple((Button(t.ltr(n.name), f"net:{n.id}"),) for n in self.services.knowledge.places.networks)
        return (*networks, self.way_out(t))

    def ask_district(self) -> None:
        self.state = self.state.with_(step=Step.ASKING_DISTRICT)
        network = self.services.knowledge.places.network(self.state.network_id or "")
        if network is None:
            self.ask_network()
            return
        question = (
            self.t._("Which town do you live in? Tap it, or write the name or postal code.")
            if network.kind == "county"
            else self.t._("Which part of town do you live in? Tap it, or write the name or postal code.")
        )
        self.say(question, self.district_buttons(self.t), ask_location=True)

    def district_buttons(self, t: Texts) -> Rows:
        if self.state.district_candidates and not self.state.district_id:
            return self.which_district_buttons(t)
        network = self.services.knowledge.places.network(self.state.network_id or "")
        if network is None:
            return ()
        buttons = [Button(d.name, f"d:{d.id}") for d in network.districts]
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        whole = t._("Whole county") if network.kind == "county" else t._("Whole town")
        return (*rows, (Button("🏙️ " + whole, "place:town"), Button("↩️ " + t._("Other town"), "net:choose")))

    def ask_which_district(self) -> None:
        self.state = self.state.with_(step=Step.ASKING_DISTRICT)
        self.say(
            self.t._("There is more than one place with that name. Which one do you mean?"),
            self.which_district_buttons(self.t),
        )

    def which_district_buttons(self, t: Texts) -> Rows:
        places = self.services.knowledge.places
        buttons = []
        for district_id in self.state.district_candidates:
            district = places.district(district_id)
            network = places.network(district.network_id) if district else None
            if district and network:
                buttons.append((Button(f"{district.name} ({network.name})", f"d:{district.id}"),))
        return (*buttons, (Button("↩️ " + t._("None of these"), "net:choose"),), self.way_out(t))

    def ask_need(self) -> None:
        self.state = self.state.with_(step=Step.CHOOSING_NEED)
        self.say(
            self.t._("What can I help you with? Tap a topic or write in your own words."), self.need_buttons(self.t)
        )

    def need_buttons(self, t: Texts) -> Rows:
        buttons = [Button(f"{n.icon} {t._(NEED_LABELS[n.id])}", f"need:{n.id}") for n in self.services.knowledge.needs]
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        return (*rows, self.way_out(t))

    def ask_crisis_choice(self) -> None:
        self.state = self.state.with_(step=Step.CHOOSING_AFTER_CRISIS)
        self.say(self.t._("Shall a person from here write to you urgently?"), self.crisis_buttons(self.t))

    def ask_danger(self) -> None:
        self.state = self.state.with_(step=Step.ASKING_DANGER)
        self.say(self.t._("Are you or your children in danger right now?"), self.danger_buttons(self.t))

    def ask_fact(self) -> None:
        self.state = self.state.with_(step=Step.CONFIRMING_FACT)
        self.say(repair.fact_question(self), self.fact_buttons(self.t))

    def ask_delete(self) -> None:
        self.say(self.t._("Please tap one of the buttons."))
        self.say(
            self.t._("Shall I delete everything I know about you, including any request to a person?"),
            self.delete_buttons(self.t),
        )

    # ------------------------------------------------------------- results

    def results_buttons(self, t: Texts) -> Rows:
        return (
            (Button("🔎 " + t._("Other topic"), "other_need"), Button("👶 " + t._("Another child"), "another_child")),
            (Button("✏️ " + t._("Change"), "change"), Button("🙋 " + t._("Talk to a person"), "lotse")),
        )

    def show_offers(self, again: bool = False) -> None:
        """The results, after one line of what was understood ("Kita · 2½ years · Oßweil") with [Change]."""
        if again:  # back from an interruption: the same results from the top, not counted twice
            self.state = self.state.with_(shown=0, shown_offer_ids=())
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
            words=" ".join(state.words),  # "Schwimmkurs" ranks the swimming course first within its need
        )
        page, total = self.services.offers.page(request, state.shown, PAGE_SIZE)
        self.state = state.with_(
            step=Step.SHOWING_OFFERS,
            shown=state.shown + len(page),
            shown_offer_ids=(*state.shown_offer_ids, *(m.offer.external_id for m in page)),
            misses=0,
        )
        if state.shown == 0 and not again:
            # honest "found": a shown offer is about the need, fits the age and serves the place
            served = any(serves_request(m.offer, request) for m in page)
            self.effects.append(
                CountRequest(
                    outcome="found" if served else "found_unfitting" if total else "nothing_fits",
                    needs=state.needs,
                    district_id=state.district_id,
                    age_months=state.age_months,
                    pregnant=state.pregnant,
                    locale=state.locale,
                    entry=state.entry,
                )
            )
        actions = self.results_buttons(t)
        understood = repair.summary_line(self) if state.shown == 0 else ""
        if not total:
            self.say(
                "\n".join(
                    x
                    for x in (
                        understood,
                        t._(
                            "I'm sorry, I found no offer that fits exactly. "
                            "A Lotse knows more and can help you personally."
                        ),
                    )
                    if x
                ),
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
        elif understood:  # under the header, so the list still opens with "I found ..."
            header = f"{header}\n{understood}"
        cards = [offer_card(state.shown + i + 1, m, places, now, t) for i, m in enumerate(page)]
        more = total > state.shown + len(page)
        rows = ((Button("➕ " + t._("More"), "more"),), *actions) if more else actions
        if state.shown == 0 and not again:  # a new list: an older consent question no longer stands
            self.state = self.state.with_(checkin_offer=None)
            question, consent = checkin.under_the_offers(self, page, request)
            if question:  # once: "may I ask in a week whether it worked?", in the same message
                cards.append(question)
                rows = (*rows, *consent)
        self.say("\n\n".join([header, *cards]), (*rows, *self.listen_row()))

    def offers_buttons(self, t: Texts) -> Rows:
        rows = ((Button("➕ " + t._("More"), "more"),), *self.results_buttons(t))
        return (*rows, *checkin.consent_rows(self, t)) if self.state.checkin_offer else rows


# ----------------------------------------------------------------- the step table

# Steps that interrupt another one and then continue it (State.resume).
INTERRUPTIONS = frozenset(
    {
        Step.CHOOSING_LANGUAGE,
        Step.CONFIRMING_DELETE,
        Step.CONFIRMING_HANDOVER,
        Step.CHOOSING_AFTER_CRISIS,
        Step.ASKING_DANGER,
        Step.CONFIRMING_FACT,
        Step.CHOOSING_CHANGE,
        *checkin.STEPS,
    }
)

STEPS: dict[Step, StepSpec] = {
    Step.CHOOSING_LANGUAGE: StepSpec(
        ask=lambda turn: turn.ask_language(turn.state.locale),
        buttons=lambda turn, t: turn.language_buttons(None),
        read=repair.read_language,
    ),
    Step.ASKING_CONSENT: StepSpec(
        ask=Turn.ask_consent,
        buttons=Turn.consent_buttons,
        yes="consent:yes",
        no="consent:no",
        read=repair.read_consent,
        way_on=Turn.consent_buttons,
    ),
    Step.ASKING_AGE: StepSpec(
        ask=Turn.ask_age,
        buttons=Turn.age_buttons,
        read=repair.read_age,
        dont_know="age:skip",
        way_on=lambda turn, t: ((Button(t._("Skip"), "age:skip"),), turn.way_out(t)),
        search=True,
    ),
    Step.CHOOSING_NETWORK: StepSpec(
        ask=Turn.ask_network,
        buttons=Turn.network_buttons,
        way_on=Turn.network_buttons,
        search=True,
    ),
    Step.ASKING_DISTRICT: StepSpec(
        ask=lambda turn: turn.ask_which_district() if turn.state.district_candidates else turn.ask_district(),
        buttons=Turn.district_buttons,
        dont_know="place:town",
        way_on=lambda turn, t: (*turn.district_buttons(t)[-1:], turn.way_out(t)),
        search=True,
    ),
    Step.CHOOSING_NEED: StepSpec(
        ask=Turn.ask_need,
        buttons=Turn.need_buttons,
        read=repair.read_need,
        dont_know="lotse",
        way_on=Turn.need_buttons,
        search=True,
    ),
    Step.SHOWING_OFFERS: StepSpec(
        ask=lambda turn: turn.show_offers(again=True),
        buttons=Turn.offers_buttons,
        read=checkin.read_offers_consent,
        way_on=Turn.results_buttons,
    ),
    Step.CHOOSING_CHANGE: StepSpec(ask=Turn.change_asked, buttons=Turn.change_buttons, no="continue"),
    Step.CONFIRMING_HANDOVER: StepSpec(
        ask=lambda turn: turn.lotse_asked(turn.state.handover_reason or "lotse"),
        buttons=Turn.handover_buttons,
        yes="handover:yes",
        no="handover:no",
        read=repair.read_handover_answer,
        way_on=Turn.handover_buttons,
    ),
    Step.ASKING_CONTACT_TIME: StepSpec(
        ask=Turn.ask_contact_time, buttons=Turn.contact_time_buttons, read=repair.read_contact_time
    ),
    Step.HANDED_OVER: StepSpec(ask=Turn.ask_handed_over),  # every text is relayed (repair.relay)
    Step.CONFIRMING_DELETE: StepSpec(
        ask=Turn.ask_delete, buttons=Turn.delete_buttons, yes="delete:yes", no="delete:no", read=repair.read_delete
    ),
    Step.DECLINED: StepSpec(ask=Turn.ask_consent),
    Step.CHOOSING_AFTER_CRISIS: StepSpec(
        ask=Turn.ask_crisis_choice,
        buttons=Turn.crisis_buttons,
        read=repair.read_crisis_choice,
        yes="urgent",
        no="continue",
        way_on=Turn.crisis_buttons,
    ),
    Step.ASKING_DANGER: StepSpec(
        ask=Turn.ask_danger, buttons=Turn.danger_buttons, yes="danger:yes", no="danger:no", way_on=Turn.danger_buttons
    ),
    Step.CONFIRMING_FACT: StepSpec(
        ask=Turn.ask_fact, buttons=Turn.fact_buttons, yes="fact:yes", no="fact:no", way_on=Turn.fact_buttons
    ),
    # the check-in (bot.conversation.checkin)
    Step.OFFERING_CHECKIN: StepSpec(
        ask=checkin.ask_consent_again,
        buttons=checkin.consent_rows,
        yes="fu:yes",
        no="fu:no",
        way_on=checkin.consent_rows,
    ),
    Step.ASKING_REACHED: StepSpec(
        ask=checkin.ask_reached,
        buttons=checkin.reached_rows,
        read=checkin.read_reached,
        yes="ci:reached",
        way_on=checkin.reached_rows,
    ),
    Step.ASKING_WHY_NOT: StepSpec(ask=checkin.ask_why_not, buttons=checkin.why_rows, read=checkin.read_why_not),
    Step.ASKING_HELPED: StepSpec(
        ask=checkin.ask_helped,
        buttons=checkin.helped_rows,
        yes="ci:help:yes",
        no="ci:help:no",
        way_on=checkin.helped_rows,
    ),
    Step.CHOOSING_AFTER_CHECKIN: StepSpec(
        ask=checkin.ask_after, buttons=checkin.after_rows, yes="ci:person", no="ci:done", way_on=checkin.after_rows
    ),
}


# re-exported for the adapters and older imports
__all__ = [
    "AGE_BANDS",
    "CONSENT_VERSION",
    "NEED_LABELS",
    "STEPS",
    "Services",
    "StepSpec",
    "Turn",
    "handle",
]
