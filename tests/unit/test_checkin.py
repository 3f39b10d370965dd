"""The check-in in the conversation core, as dialogue tables in every locale (typed and tapped), its window
(never at night, the clock given, never slept), its texts, and the honest "found" of the statistics."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.conversation import ButtonPressed, Command, State, Step, Text, handle
from bot.conversation import checkin as core
from bot.conversation.model import (
    CaseClosed,
    CheckInAnswered,
    CheckInDue,
    CheckInQuestion,
    CheckInsStopped,
    CountRequest,
    Event,
    Outcome,
    RequestHandover,
    ScheduleCheckIn,
)
from bot.domain.matching import MatchRequest, OfferIndex, serves_request
from bot.i18n import SUPPORTED, texts
from bot.services.followups import in_window, next_window
from tests.unit.test_conversation import services
from tests.unit.test_dialogues import WORDS, E, Expect, handed_over, label, run_dialogue, to_offers

BERLIN = ZoneInfo("Europe/Berlin")
DUE = CheckInDue(7, "Kita Sonnenschein")
LAST = CheckInDue(7, "Kita Sonnenschein", last=True)
Turns = list[tuple[Event, Expect]]


def asked(outcome: Outcome) -> CheckInQuestion:
    [question] = [e for e in outcome.effects if isinstance(e, CheckInQuestion)]
    return question


def answered(**expected: object):  # type: ignore[no-untyped-def]
    """The turn recorded exactly this answer."""

    def check(_state: State, outcome: Outcome) -> bool:
        [answer] = [e for e in outcome.effects if isinstance(e, CheckInAnswered)]
        return all(getattr(answer, k) == v for k, v in expected.items())

    return check


def sent_through_the_outbox(_state: State, outcome: Outcome) -> bool:
    """The scheduler's question goes out as a CheckInQuestion (nobody is waiting for a reply)."""
    question = asked(outcome)
    return not outcome.replies and question.checkin_id == 7 and "Kita Sonnenschein" in question.reply.text


# ----------------------------------------------------------------- dialogues for every language


def tapped_all_the_way(loc: str) -> Turns:
    """The consent under the offers, the check-in a week later, reached and helped: one tap each."""
    return [
        *to_offers(loc)[:-1],
        (
            ButtonPressed("need:childcare"),
            E(Step.SHOWING_OFFERS, buttons=("fu:yes", "fu:no"), checkin_offer="lb-kita-anmeldung"),
        ),
        (ButtonPressed("fu:yes"), E(Step.SHOWING_OFFERS, checkin_offer=None, has=(ScheduleCheckIn,))),
        (DUE, E(Step.ASKING_REACHED, checkin_id=7, check=sent_through_the_outbox)),
        (ButtonPressed("ci:reached"), E(Step.ASKING_HELPED, check=answered(reached="reached", final=False))),
        (
            ButtonPressed("ci:help:yes"),
            E(Step.SHOWING_OFFERS, checkin_id=None, check=answered(reached="reached", helped="yes", final=True)),
        ),
    ]


def typed_all_the_way_to_a_person(loc: str) -> Turns:
    """Every answer typed: yes, 'No, it didn't work', 'Too far away', yes (a person), yes (pass it on)."""
    return [
        *to_offers(loc),
        (Text(WORDS[loc].yes), E(Step.SHOWING_OFFERS, has=(ScheduleCheckIn,))),
        (DUE, E(Step.ASKING_REACHED, has=(CheckInQuestion,))),
        (label(loc, "No, it didn't work"), E(Step.ASKING_WHY_NOT, check=answered(reached="could_not"))),
        (
            label(loc, "Too far away"),
            E(Step.CHOOSING_AFTER_CHECKIN, checkin_note="checkin:too_far", check=answered(reason="too_far")),
        ),
        (Text(WORDS[loc].yes), E(Step.CONFIRMING_HANDOVER, handover_reason="checkin:too_far")),
        (
            Text(WORDS[loc].yes),
            E(
                case_open=True,
                check=lambda s, o: (
                    [e.reason for e in o.effects if isinstance(e, RequestHandover)] == ["checkin:too_far"]
                ),
            ),
        ),
    ]


def typed_no_stores_nothing(loc: str) -> Turns:
    return [
        *to_offers(loc),
        (label(loc, "No, thanks"), E(Step.SHOWING_OFFERS, lacks=(ScheduleCheckIn,), says=("Okay, I won't ask.",))),
        (Text(WORDS[loc].yes), E(lacks=(ScheduleCheckIn,))),  # the question was answered: a yes is no consent now
    ]


def not_yet_then_once_more(loc: str) -> Turns:
    return [
        *to_offers(loc),
        (ButtonPressed("fu:yes"), E(has=(ScheduleCheckIn,))),
        (DUE, E(Step.ASKING_REACHED)),
        (label(loc, "Not yet"), E(Step.SHOWING_OFFERS, check=answered(reached="not_yet", final=False))),
        (LAST, E(Step.ASKING_REACHED, checkin_last=True)),
        (label(loc, "Not yet"), E(Step.SHOWING_OFFERS, check=answered(reached="not_yet", final=True))),
    ]


def stop_in_the_middle(loc: str) -> Turns:
    return [
        *to_offers(loc),
        (ButtonPressed("fu:yes"), E(has=(ScheduleCheckIn,))),
        (DUE, E(Step.ASKING_REACHED)),
        (Command("stop"), E(Step.SHOWING_OFFERS, checkins_stopped=True, checkin_id=None, has=(CheckInsStopped,))),
        (ButtonPressed("ci:reached"), E(lacks=(CheckInAnswered,))),  # an old button: no longer active
        (DUE, E(Step.SHOWING_OFFERS, has=(CheckInsStopped,), lacks=(CheckInQuestion,))),
    ]


def after_a_closed_case(loc: str) -> Turns:
    """The Lotse closed the case: the consent question through the outbox; a typed yes agrees."""
    return [
        *handed_over(loc),
        (
            CaseClosed(),
            E(Step.OFFERING_CHECKIN, check=lambda s, o: asked(o).checkin_id is None and not o.replies),
        ),
        (
            Text(WORDS[loc].yes),
            E(Step.SHOWING_OFFERS, check=lambda s, o: ScheduleCheckIn("case", "") in o.effects),
        ),
        (CheckInDue(8, ""), E(Step.ASKING_REACHED, checkin_title="")),
        (label(loc, "Yes"), E(Step.ASKING_HELPED)),
        (label(loc, "Partly"), E(Step.CHOOSING_AFTER_CHECKIN, check=answered(helped="partly", final=True))),
        (label(loc, "No, thanks"), E(Step.SHOWING_OFFERS, checkin_note=None)),
    ]


PER_LOCALE = (
    tapped_all_the_way,
    typed_all_the_way_to_a_person,
    typed_no_stores_nothing,
    not_yet_then_once_more,
    stop_in_the_middle,
    after_a_closed_case,
)
ROWS = [(f"{make.__name__} [{loc}]", loc, make(loc)) for make in PER_LOCALE for loc in SUPPORTED]


@pytest.mark.parametrize(("name", "locale", "turns"), ROWS, ids=[r[0] for r in ROWS])
def test_check_in_dialogue(name: str, locale: str, turns: Turns):
    run_dialogue(turns, services())


def test_the_question_is_in_the_familys_language_and_names_the_offer_as_it_read_it():
    state = State(locale="tr", consent_version="2026-11", step=Step.SHOWING_OFFERS)
    outcome = handle(state, CheckInDue(3, "Kreş kaydı"), services())
    text = asked(outcome).reply.text
    assert text.startswith(texts("tr")._("Hello again! You allowed me to ask you this:"))
    assert "Kreş kaydı" in text and outcome.state.resume is Step.SHOWING_OFFERS  # where it goes on afterwards


def test_no_check_in_is_asked_while_a_lotse_has_the_case():
    state = State(locale="de", consent_version="2026-11", case_open=True, step=Step.HANDED_OVER)
    outcome = handle(state, DUE, services())
    assert CheckInsStopped(7) in outcome.effects and outcome.state.step is Step.HANDED_OVER


def test_the_consent_question_comes_once_per_conversation():
    svc = services()
    state = State()
    for event in [e for e, _ in to_offers("de")]:
        state = handle(state, event, svc).state
    again = handle(state.with_(needs=()), ButtonPressed("need:childcare"), svc)
    assert again.state.checkin_asked and again.state.checkin_offer is None
    assert "fu:yes" not in {b.data for r in again.replies for row in r.buttons for b in row}


def test_a_free_text_reason_is_other_and_the_words_are_kept_for_the_lotse():
    svc = services()
    state = State(locale="de", consent_version="2026-11", needs=("childcare",), network_id="ludwigsburg")
    state = handle(state, DUE, svc).state
    state = handle(state, ButtonPressed("ci:could_not"), svc).state
    outcome = handle(state, Text("die Öffnungszeiten passen nicht zu meiner Schicht"), svc)
    assert CheckInAnswered(7, "could_not", reason="other", final=True) in outcome.effects
    assert outcome.state.step is Step.CHOOSING_AFTER_CHECKIN
    assert "die Öffnungszeiten passen nicht zu meiner Schicht" in outcome.state.words


def test_every_check_in_button_is_short_in_every_language_and_fits_telegram():
    svc = services()
    turn_state = State(locale="de", consent_version="2026-11", checkin_title="x")
    from bot.conversation.flow import Turn

    turn = Turn(turn_state, svc)
    for code in SUPPORTED:
        t = texts(code)
        rows = [
            *core.consent_rows(turn, t),
            *core.reached_rows(turn, t),
            *core.why_rows(turn, t),
            *core.helped_rows(turn, t),
            *core.after_rows(turn, t),
        ]
        for row in rows:
            for button in row:
                assert len(button.label) <= 34, (code, button.label)  # 32 for the words, plus an emoji
                assert len(button.data.encode()) <= 64
                assert button.label.strip("✅⏳❌👍🙋🔎 ") != "", code
        if code != "en":
            assert t._("Not yet") != "Not yet", code


# ----------------------------------------------------------------- the window


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 12, 1, 10, 0), datetime(2026, 12, 1, 10, 0)),  # Tuesday morning: now
        (datetime(2026, 12, 1, 8, 59), datetime(2026, 12, 1, 9, 0)),  # before nine: at nine
        (datetime(2026, 12, 1, 18, 0), datetime(2026, 12, 2, 9, 0)),  # six in the evening: tomorrow
        (datetime(2026, 12, 4, 23, 30), datetime(2026, 12, 7, 9, 0)),  # Friday night: Monday
        (datetime(2026, 12, 5, 11, 0), datetime(2026, 12, 7, 9, 0)),  # Saturday: Monday
        (datetime(2026, 12, 25, 10, 0), datetime(2026, 12, 28, 9, 0)),  # Christmas (Friday): Monday
        (datetime(2026, 3, 28, 12, 0), datetime(2026, 3, 30, 9, 0)),  # the weekend clocks change: 09:00 local
        (datetime(2027, 3, 25, 12, 0), datetime(2027, 3, 25, 12, 0)),  # Thursday before Easter 2027: now ...
        (datetime(2027, 3, 26, 12, 0), datetime(2027, 3, 30, 9, 0)),  # ... Good Friday to Easter Monday: Tuesday
    ],
)
def test_check_ins_go_out_on_working_days_from_nine_to_six_only(moment: datetime, expected: datetime):
    local = moment.replace(tzinfo=BERLIN)
    assert next_window(local, "BW") == expected.replace(tzinfo=BERLIN)
    assert in_window(local, "BW") == (local == expected.replace(tzinfo=BERLIN))


def test_a_public_holiday_of_one_state_only_closes_that_state():
    reformation_day = datetime(2026, 10, 31, 10, 0, tzinfo=BERLIN)  # a Saturday in 2026; 2025: Friday
    assert not in_window(reformation_day, "TH")
    friday = datetime(2025, 10, 31, 10, 0, tzinfo=BERLIN)
    assert in_window(friday, "BW") and not in_window(friday, "TH")  # Weimar (Thuringia) is closed


# ----------------------------------------------------------------- honest "found"


def test_a_shown_offer_serves_the_request_only_with_the_need_as_its_main_topic():
    index = services().offers
    kita, jobcenter = index.get("lb-kita-anmeldung"), index.get("lb-jobcenter-wiedereinstieg")
    assert kita is not None and jobcenter is not None and "childcare" in jobcenter.needs
    request = MatchRequest(needs=("childcare",), age_months=36, district_id="lb-eglosheim", network_id="ludwigsburg")
    assert serves_request(kita, request) and not serves_request(jobcenter, request)
    assert not serves_request(kita, replace(request, age_months=200, age_until_months=None))
    assert not serves_request(kita, replace(request, network_id="weimar", district_id=None))


def test_a_kita_request_answered_only_by_a_return_to_work_offer_counts_as_not_served():
    svc = services()
    jobcenter = svc.offers.get("lb-jobcenter-wiedereinstieg")
    only = replace(svc, offers=OfferIndex([jobcenter]))
    state = State()
    for event, _ in to_offers("de"):
        outcome = handle(state, event, only)
        state = outcome.state
    [count] = [e for e in outcome.effects if isinstance(e, CountRequest)]
    assert count.outcome == "found_unfitting"
    assert state.checkin_offer is None  # no check-in about an offer that does not fit
