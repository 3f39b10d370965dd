"""The conversation's data: steps, state, events in, replies and effects out — plain, frozen, channel-free."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from typing import Any


class Step(StrEnum):
    """What the bot is waiting for; stored as readable text so saved conversations explain themselves."""

    CHOOSING_LANGUAGE = "choosing_language"
    ASKING_CONSENT = "asking_consent"
    ASKING_AGE = "asking_age"
    CHOOSING_NETWORK = "choosing_network"
    ASKING_DISTRICT = "asking_district"
    CHOOSING_NEED = "choosing_need"
    SHOWING_OFFERS = "showing_offers"
    CONFIRMING_HANDOVER = "confirming_handover"
    ASKING_CONTACT_TIME = "asking_contact_time"
    HANDED_OVER = "handed_over"
    CONFIRMING_DELETE = "confirming_delete"
    DECLINED = "declined"
    # repair steps: an interruption that asks one thing, then continues where the family was (State.resume)
    CHOOSING_AFTER_CRISIS = "choosing_after_crisis"  # the numbers were shown: a person now, or continue
    ASKING_DANGER = "asking_danger"  # maybe a crisis: "are you in danger right now?"
    CONFIRMING_FACT = "confirming_fact"  # a later message named a different age or place: "10 now, not 6?"
    CHOOSING_CHANGE = "choosing_change"  # [change] under the results: age, place or topic
    # the check-in a family agreed to (bot.conversation.checkin): interruptions too, they resume where it was
    OFFERING_CHECKIN = "offering_checkin"  # after a closed case: "may I ask in a week whether it worked?"
    ASKING_REACHED = "asking_reached"  # "did you reach {offer}?"
    ASKING_WHY_NOT = "asking_why_not"  # could not: busy, no place, language, too far, not eligible, other
    ASKING_HELPED = "asking_helped"  # reached: "did it help?"
    CHOOSING_AFTER_CHECKIN = "choosing_after_checkin"  # it did not work: a person, other offers, or no thanks


@dataclass(frozen=True, slots=True)
class State:
    step: Step = Step.CHOOSING_LANGUAGE
    locale: str | None = None
    suggested_locale: str | None = None  # Telegram's language for the family, until it chooses one (a hint only)
    consent_version: str | None = None  # the privacy text version the family agreed to
    consent_at: str | None = None  # ISO timestamp (UTC)
    age_months: int | None = None
    age_until_months: int | None = None  # set when an age band was chosen
    pregnant: bool = False
    age_known: bool = False  # the age question is answered (also "pregnant" or "rather not say")
    children_months: tuple[int, ...] = ()  # every child's age the family named (age_months is the first)
    network_id: str | None = None
    district_id: str | None = None
    whole_town: bool = False  # the family chose the whole town (network set, no district): the place is known
    district_candidates: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    shown: int = 0  # offers already shown for the current needs
    shown_offer_ids: tuple[str, ...] = ()
    emergency: bool = False
    emergency_kinds: tuple[str, ...] = ()
    handover_reason: str | None = None  # lotse | no_offer | emergency
    words: tuple[str, ...] = ()  # the family's free texts (2,000 chars, oldest dropped), until a case gets them
    entry: str | None = None  # where the family came from (poster/QR code source), for anonymous statistics
    case_open: bool = False  # a case exists for this family (RequestHandover emitted, no CaseClosed yet)
    browsing: bool = False  # with a case open, the family looks for offers again (texts are not relayed then)
    resume: Step | None = None  # the step an interruption (crisis, /delete, /language, a check) returns to
    misses: int = 0  # typed answers in a row that fit nothing at this step: the second offers a way on
    danger_denied: bool = False  # "not in danger right now" was answered: the gentle question is not asked again
    pending_fact: str | None = None  # "age:120" or "district:lb-ossweil", waiting for the family's yes
    acked_at: str | None = None  # ISO time of the last "passed on" acknowledgement after the handover
    relayed_since_ack: int = 0  # messages relayed since that acknowledgement
    # check-ins (bot.conversation.checkin); the check-in itself lives in the database, these only steer the talk
    checkin_asked: bool = False  # the question after the offers was asked (it comes once)
    checkin_offer: str | None = None  # a consent question waiting for its answer: an offer id, or "case"
    checkins_stopped: bool = False  # /stop: the bot writes nothing more on its own
    checkin_id: int | None = None  # the check-in being answered now
    checkin_title: str = ""  # the offer it asks about, as the family read it ("" for a Lotse's case)
    checkin_last: bool = False  # that question was the reminder: "not yet" ends it
    checkin_note: str | None = None  # why it did not work ("checkin:no_place"), for a Lotse's note

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["step"] = self.step.value
        data["resume"] = self.resume.value if self.resume else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for name in ("district_candidates", "needs", "shown_offer_ids", "emergency_kinds", "words", "children_months"):
            values[name] = tuple(values.get(name) or ())
        try:
            values["step"] = Step(values.get("step", Step.CHOOSING_LANGUAGE))
        except ValueError:
            values["step"] = Step.CHOOSING_LANGUAGE
        if "case_open" not in data and values["step"] is Step.HANDED_OVER:
            values["case_open"] = True  # saved before the flag existed: the family was waiting for its Lotse
        try:
            values["resume"] = Step(values["resume"]) if values.get("resume") else None
        except ValueError:
            values["resume"] = None
        return cls(**values)

    def with_(self, **changes: Any) -> State:
        return replace(self, **changes)


# ------------------------------------------------------------------ events (what came in)


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class ButtonPressed:
    data: str


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # without the slash, lower case: "start", "help", ...
    payload: str = ""
    user_language: str | None = None  # Telegram's language_code, a suggestion only


@dataclass(frozen=True, slots=True)
class SharedLocation:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Media:
    kind: str  # sticker | photo | voice | video | document | contact | other


@dataclass(frozen=True, slots=True)
class CaseClosed:
    """The Lotsen side closed this family's case; a later message offers a new request (facts kept)."""


@dataclass(frozen=True, slots=True)
class CheckInDue:
    """A check-in the family agreed to is due (sent by the scheduler, not the family): ask it, in a CheckInQuestion."""

    checkin_id: int
    offer_title: str  # the offer asked about, in the family's language; "" for a Lotse's closed case
    last: bool = False  # the one reminder: after it the check-in ends, answered or not


Event = Text | ButtonPressed | Command | SharedLocation | Media | CaseClosed | CheckInDue


# ------------------------------------------------------------------ replies and effects (what goes out)


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str  # at most 64 bytes (Telegram's callback_data limit), checked in tests


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of buttons
    ask_location: bool = False  # the channel may offer its "share location" control
    rtl: bool = False
    venue: Venue | None = None  # a place to show as a map pin (Telegram: send_venue; terminal: a map link)


@dataclass(frozen=True, slots=True)
class DeleteMyData:
    """Erase everything stored about this family (conversation, cases); the shell does it."""


@dataclass(frozen=True, slots=True)
class RequestHandover:
    """The family agreed that its answers go to a Lotse; the shell creates the case and sends the note."""

    urgent: bool
    reason: str
    contact_time: str = "any"  # morning | afternoon | evening | any; a later ContactTimeGiven refines it
    words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ContactTimeGiven:
    """When a person may write, given after the case was opened: the shell adds it to the open case's note.

    `value` is a tapped choice (morning | afternoon | evening | any) or, when `typed`, the family's own words
    exactly as written ("morgen früh", "now please, he is at work until 5").
    """

    value: str
    typed: bool = False


@dataclass(frozen=True, slots=True)
class EscalateCase:
    """An emergency in a message while a case is open: the shell marks the open case urgent and re-notifies
    the Lotsen (never a second case). The message itself arrives as RelayToLotse in the same outcome."""

    kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RelayToLotse:
    """A message of a family whose request is with the Lotsen; the shell passes it on."""

    text: str


@dataclass(frozen=True, slots=True)
class RateHelp:
    """The family's one-tap rating (1-5) of a closed case."""

    stars: int


@dataclass(frozen=True, slots=True)
class CountRequest:
    """An anonymous statistic: what was asked and what came of it (no personal data)."""

    outcome: str  # found (a shown offer fits the need, age and place) | found_unfitting | nothing_fits
    needs: tuple[str, ...] = ()
    district_id: str | None = None
    age_months: int | None = None
    pregnant: bool = False
    locale: str | None = None
    entry: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleCheckIn:
    """The family agreed to one check-in about an offer (its id, and title as the family read it) or, with
    `about` "case", about its Lotse's closed case; the shell stores it and sends it when due."""

    about: str
    offer_title: str = ""


@dataclass(frozen=True, slots=True)
class CheckInQuestion:
    """A question the bot asks on its own, not in answer to a message: the shell queues it in the outbox.

    With `checkin_id`, it is that due check-in, claimed in the same transaction (so it is sent once, whatever
    the number of processes); without, the consent question after a Lotse closed the case."""

    reply: Reply
    checkin_id: int | None = None


@dataclass(frozen=True, slots=True)
class CheckInAnswered:
    """One answer to a check-in: `reached` is reached | not_yet | could_not; `helped` yes | partly | no;
    `reason` why it could not be reached, or no_help. `final`: nothing more will be asked."""

    checkin_id: int
    reached: str
    helped: str | None = None
    reason: str | None = None
    final: bool = False


@dataclass(frozen=True, slots=True)
class CheckInsStopped:
    """/stop, a check-in no longer wanted, or one that cannot be asked now: the shell drops the family's
    check-ins (`checkin_id` None: all of them)."""

    checkin_id: int | None = None


Effect = (
    DeleteMyData
    | RequestHandover
    | ContactTimeGiven
    | EscalateCase
    | RelayToLotse
    | RateHelp
    | CountRequest
    | ScheduleCheckIn
    | CheckInQuestion
    | CheckInAnswered
    | CheckInsStopped
)


@dataclass(frozen=True)
class Outcome:
    state: State
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = field(default=())


# ------------------------------------------------------------------ added for questions about shown offers


@dataclass(frozen=True, slots=True)
class Venue:
    """Where an offer is: the channel shows a map pin (Telegram's venue message) or the address with a map link."""

    latitude: float
    longitude: float
    title: str
    address: str
