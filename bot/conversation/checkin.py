"""The check-in a family agreed to: "did you reach the offer, and did it help?" — asked once, days later.

Steps (see flow.mmd):
  consent      once under the first offers that fit, and after a Lotse closed the case (OFFERING_CHECKIN):
               "May I ask you in 7 days whether it worked out?" -> ScheduleCheckIn, or nothing at all
  due          the shell's scheduler sends CheckInDue (office-friendly hours only): "Did you reach {offer}?"
               as a CheckInQuestion through the outbox -> reached / not yet / could not (ASKING_REACHED)
  could not    why: busy, no place, language, too far, not eligible, other (ASKING_WHY_NOT)
  reached      did it help? yes / partly / no (ASKING_HELPED)
  way on       could not, partly or no help: a person (a normal handover, the reason in its note), other
               offers, or no thanks (CHOOSING_AFTER_CHECKIN)
Every answer is one tap; the same answer typed works too (the step's labels in any language, yes, no).
The check-in itself — when, which offer, the anonymous outcome — lives in the database
(bot.services.followups); the state only says which question is waiting. /stop ends all of it.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from bot.conversation.model import (
    Button,
    CheckInAnswered,
    CheckInDue,
    CheckInQuestion,
    CheckInsStopped,
    Reply,
    ScheduleCheckIn,
    State,
    Step,
)
from bot.conversation.typed import fold_label, yes_or_no
from bot.domain.matching import Match, MatchRequest, serves_request
from bot.domain.offers import Offer
from bot.i18n import N_, SUPPORTED, Texts, texts
from bot.understanding import Understanding

if TYPE_CHECKING:
    from bot.conversation.flow import Rows, Turn

DEFAULT_DAYS = 7  # a network may set its own `followup_days` (knowledge/districts.yaml)
CASE = "case"  # a check-in about a Lotse's closed case rather than about one offer
REASONS = ("busy", "no_place", "language", "too_far", "not_eligible", "other")
HELPED = ("yes", "partly", "no")
STEPS = frozenset(
    {
        Step.OFFERING_CHECKIN,
        Step.ASKING_REACHED,
        Step.ASKING_WHY_NOT,
        Step.ASKING_HELPED,
        Step.CHOOSING_AFTER_CHECKIN,
    }
)
# The reason goes into the handover (and so into the Lotse's note): "checkin:no_place" fits cases.reason (20).
NOTE_PREFIX = "checkin:"


def days_until(turn: Turn) -> int:
    """The network's follow-up days (default 7)."""
    network = turn.services.knowledge.places.network(turn.state.network_id or "")
    return network.followup_days if network else DEFAULT_DAYS


def may_write(state: State) -> bool:
    """Whether the bot may write to this family on its own at all (it agreed to the search, did not /stop)."""
    return not state.checkins_stopped and state.locale is not None and state.consent_version is not None


def title_in(offer: Offer, t: Texts) -> str:
    """The offer's title as the family read it in the results."""
    own = offer.text_in(t.code.split("@")[0])
    return own.title if own and own.title else offer.title


# ----------------------------------------------------------------- consent


def consent_question(turn: Turn) -> str:
    return turn.t.n_(
        "May I ask you in {count} day whether it worked out?",
        "May I ask you in {count} days whether it worked out?",
        days_until(turn),
    )


def consent_rows(turn: Turn, t: Texts) -> Rows:
    return ((Button("👍 " + t._("Yes, ask me"), "fu:yes"), Button(t._("No, thanks"), "fu:no")),)


def under_the_offers(turn: Turn, page: list[Match], request: MatchRequest) -> tuple[str, Rows]:
    """Once, under the first results with an offer that fits: the consent question about the best of them."""
    state = turn.state
    if state.checkin_asked or state.case_open or not may_write(state):
        return "", ()
    offer = next((m.offer for m in page if serves_request(m.offer, request)), None)
    if offer is None:
        return "", ()
    turn.state = state.with_(checkin_asked=True, checkin_offer=offer.external_id)
    return consent_question(turn), consent_rows(turn, turn.t)


def after_the_case(turn: Turn) -> None:
    """A Lotse closed the case: the consent question goes out through the outbox (nobody wrote just now)."""
    state = turn.state
    if not may_write(state):
        return
    from bot.conversation.flow import INTERRUPTIONS

    resume = state.resume if state.step in INTERRUPTIONS else state.step
    if resume in (None, Step.HANDED_OVER) or resume in STEPS:
        resume = Step.SHOWING_OFFERS if state.needs else Step.CHOOSING_NEED
    turn.state = state.with_(step=Step.OFFERING_CHECKIN, resume=resume, checkin_offer=CASE, misses=0)
    t = turn.t
    turn.effects.append(CheckInQuestion(Reply(consent_question(turn), consent_rows(turn, t), rtl=t.rtl)))


def ask_consent_again(turn: Turn) -> None:
    turn.say(consent_question(turn), consent_rows(turn, turn.t))


def consent_answered(turn: Turn, answer: str) -> None:
    """'Yes, ask me': one check-in in N days (the shell stores it); 'no': nothing is stored, nothing asked."""
    about, t = turn.state.checkin_offer, turn.t
    if about is None or answer not in ("yes", "no"):
        turn.stale_button()
        return
    after_case = turn.state.step is Step.OFFERING_CHECKIN
    turn.state = turn.state.with_(checkin_offer=None)
    rows = turn.handed_over_buttons(t) if after_case else ()
    if answer == "yes":
        offer = turn.services.offers.get(about) if about != CASE else None
        turn.effects.append(ScheduleCheckIn(about, title_in(offer, t) if offer else ""))
        days = days_until(turn)
        turn.say(
            t.n_(
                "Thank you! I'll ask you in {count} day. /stop ends such questions.",
                "Thank you! I'll ask you in {count} days. /stop ends such questions.",
                days,
            ),
            rows,
        )
    else:
        turn.say(t._("Okay, I won't ask."), rows)
    if after_case:
        finish(turn)


# ----------------------------------------------------------------- the check-in, when it is due


def due(turn: Turn, event: CheckInDue) -> None:
    """Asks the check-in (through the outbox); with a Lotse at work, or after /stop, it is dropped instead."""
    state = turn.state
    if not may_write(state) or (state.case_open and not state.browsing):
        turn.effects.append(CheckInsStopped(event.checkin_id))
        return
    turn.interrupt(Step.ASKING_REACHED)
    turn.state = turn.state.with_(
        checkin_id=event.checkin_id,
        checkin_title=event.offer_title,
        checkin_last=event.last,
        checkin_note=None,
        checkin_offer=None,
        misses=0,
    )
    t = turn.t
    greeting = (
        t._("One last time, then I won't ask again:")
        if event.last
        else t._("Hello again! You allowed me to ask you this:")
    )
    reply = Reply(f"{greeting}\n{reached_question(turn)}", reached_rows(turn, t), rtl=t.rtl)
    turn.effects.append(CheckInQuestion(reply, event.checkin_id))


def reached_question(turn: Turn) -> str:
    t, title = turn.t, turn.state.checkin_title
    if title:
        return t._("Did you reach “{offer}”?", offer=t.ltr(title))
    return t._("Did you reach the help your Lotse found for you?")


def reached_rows(turn: Turn, t: Texts) -> Rows:
    return (
        (Button("✅ " + t._("Yes"), "ci:reached"), Button("⏳ " + t._("Not yet"), "ci:not_yet")),
        (Button("❌ " + t._("No, it didn't work"), "ci:could_not"),),
    )


def ask_reached(turn: Turn) -> None:
    turn.say(reached_question(turn), reached_rows(turn, turn.t))


def why_rows(turn: Turn, t: Texts) -> Rows:
    return (
        (Button(t._("Always busy, no answer"), "ci:why:busy"),),
        (Button(t._("No place free"), "ci:why:no_place"), Button(t._("Language problems"), "ci:why:language")),
        (Button(t._("Too far away"), "ci:why:too_far"), Button(t._("I was not eligible"), "ci:why:not_eligible")),
        (Button(t._("Something else"), "ci:why:other"),),
    )


def ask_why_not(turn: Turn) -> None:
    turn.say(turn.t._("I'm sorry. What got in the way?"), why_rows(turn, turn.t))


def helped_rows(turn: Turn, t: Texts) -> Rows:
    return (
        (Button(t._("Yes"), "ci:help:yes"), Button(t._("Partly"), "ci:help:partly"), Button(t._("No"), "ci:help:no")),
    )


def ask_helped(turn: Turn) -> None:
    turn.say(turn.t._("Good that it worked! Did it help you?"), helped_rows(turn, turn.t))


def after_rows(turn: Turn, t: Texts) -> Rows:
    return (
        (Button("🙋 " + t._("Talk to a person"), "ci:person"),),
        (Button("🔎 " + t._("Other offers"), "ci:others"), Button(t._("No, thanks"), "ci:done")),
    )


WAY_ON = N_(
    "Thank you for telling me. A person from here can look for another way with you. "
    "Shall I pass it on to a Lotse, or show you other offers?"
)


def ask_after(turn: Turn) -> None:
    turn.say(turn.t._(WAY_ON), after_rows(turn, turn.t))


def answered(turn: Turn, value: str) -> None:
    """One tap of the check-in: recorded at once (CheckInAnswered), then the next question or a way on."""
    kind, _, detail = value.partition(":")
    if kind in ("person", "others", "done"):
        way_on_chosen(turn, kind)
        return
    checkin_id, t = turn.state.checkin_id, turn.t
    if checkin_id is None:
        turn.stale_button()
        return
    if kind == "reached":
        turn.effects.append(CheckInAnswered(checkin_id, "reached"))
        turn.interrupt(Step.ASKING_HELPED)
        ask_helped(turn)
    elif kind == "not_yet":
        last = turn.state.checkin_last
        turn.effects.append(CheckInAnswered(checkin_id, "not_yet", final=last))
        if last:
            turn.say(t._("Okay. If it doesn't work out, just write /lotse and a person will help."))
        else:
            turn.say(t._("Okay. I'll ask once more in a few days."))
        finish(turn)
    elif kind == "could_not":
        turn.effects.append(CheckInAnswered(checkin_id, "could_not"))
        turn.interrupt(Step.ASKING_WHY_NOT)
        ask_why_not(turn)
    elif kind == "why" and detail in REASONS:
        turn.effects.append(CheckInAnswered(checkin_id, "could_not", reason=detail, final=True))
        way_on(turn, detail)
    elif kind == "help" and detail in HELPED:
        reason = "no_help" if detail == "no" else None
        turn.effects.append(CheckInAnswered(checkin_id, "reached", helped=detail, reason=reason, final=True))
        if detail == "yes":
            turn.say(t._("That's wonderful! Thank you for telling me. All the best to you!"))
            finish(turn)
        elif detail == "partly":
            way_on(
                turn,
                "partly",
                t._("Thank you for telling me. If you need more help, a person from here is glad to help."),
            )
        else:
            way_on(turn, "no_help")
    else:
        turn.stale_button()


def way_on(turn: Turn, note: str, text: str | None = None) -> None:
    """It did not (fully) work: a person, other offers, or no thanks; the reason waits for a Lotse's note."""
    turn.state = turn.state.with_(checkin_id=None, checkin_title="", checkin_note=NOTE_PREFIX + note)
    turn.interrupt(Step.CHOOSING_AFTER_CHECKIN)
    turn.say(text or turn.t._(WAY_ON), after_rows(turn, turn.t))


def way_on_chosen(turn: Turn, choice: str) -> None:
    """A person (a normal handover, its consent first), the offers again, or a friendly goodbye."""
    note = turn.state.checkin_note or "lotse"
    finish(turn)
    if choice == "person":
        turn.lotse_asked(note)
    elif choice == "others":
        if turn.place_known() and turn.state.needs:
            turn.show_offers(again=True)
        else:
            turn.ask_next()
    else:
        turn.say(turn.t._("Okay. I'm here whenever you need me."))


def finish(turn: Turn) -> None:
    """Back to where the family was before the check-in, without asking that question again."""
    state = turn.state
    resume = state.resume
    if resume is None or resume in STEPS or (resume is Step.HANDED_OVER and not state.case_open):
        resume = Step.SHOWING_OFFERS if state.needs else Step.CHOOSING_NEED
        if state.case_open and not state.browsing:
            resume = Step.HANDED_OVER
    turn.state = state.with_(
        step=resume, resume=None, checkin_id=None, checkin_title="", checkin_last=False, checkin_note=None, misses=0
    )


# ----------------------------------------------------------------- /stop


def stopped(turn: Turn) -> None:
    """/stop: no check-in, no question of the bot's own any more (the conversation itself goes on)."""
    turn.effects.append(CheckInsStopped())
    in_checkin = turn.state.step in STEPS
    turn.state = turn.state.with_(checkins_stopped=True, checkin_offer=None)
    if in_checkin:
        finish(turn)
    turn.state = turn.state.with_(checkin_id=None, checkin_title="")
    turn.say(turn.t._("Okay, I won't write to you on my own any more. You can still write to me at any time."))


# ----------------------------------------------------------------- typed answers


def read_offers_consent(turn: Turn, text: str, understood: Understanding) -> bool:
    """Under the offers, a typed yes or no answers the consent question while it waits."""
    if turn.state.checkin_offer is None:
        return False
    answer = yes_or_no(text, understood.intents)
    if answer is None:
        return False
    turn.button(f"fu:{answer}")
    return True


@cache
def _not_yet_words() -> frozenset[str]:
    return frozenset(fold_label(texts(code)._("Not yet")) for code in SUPPORTED)


def read_reached(turn: Turn, text: str, understood: Understanding) -> bool:
    """'nein, noch nicht' is not yet; a plain no is 'it didn't work' (the next question asks why)."""
    folded = f" {fold_label(text)} "
    if any(f" {words} " in folded for words in _not_yet_words() if words):
        turn.button("ci:not_yet")
        return True
    if yes_or_no(text, understood.intents) == "no":
        turn.button("ci:could_not")
        return True
    return False


def read_why_not(turn: Turn, text: str, understood: Understanding) -> bool:
    """Anything typed that is none of the reasons is the family's own reason ("other"; its words are kept
    for a Lotse); asking for a person goes to the person with that reason."""
    turn.button("ci:why:other")
    if "person" in understood.intents:
        turn.button("ci:person")
    return True
