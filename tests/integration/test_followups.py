"""Check-ins on SQLite and PostgreSQL: asked once at the right time, across processes and restarts; /stop,
/delete and a blocked chat end them; what the families answered stays, anonymous.

The clock is a value the tests move (never slept); the scheduler is FollowUps.run, the same the bot runs.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, inspect, select, text

from bot.bootstrap import App, bootstrap
from bot.conversation import ButtonPressed, Command, Step, Text
from bot.db.orm import CaseRow, CheckInOutcomeRow, CheckInRow, LotseRow, OutboxRow
from bot.i18n import texts
from bot.services.caselist import CaseList
from bot.services.conversations import ConversationService
from bot.services.handover import HandoverService
from bot.services.outbox import Outbox
from tests.unit.test_conversation import services

BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)  # the family agrees; due Tuesday a week later, 10:00
GROUP, LOTSE = -100777, 901


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def family_service(app: App, clock: Clock) -> ConversationService:
    """One bot process: the conversation core on this database, with the test's clock."""
    handover = HandoverService(app.uow, app.knowledge, default_group=GROUP, now=clock)
    return ConversationService(app.uow, replace(services(), now=clock), handover)


def at(service: ConversationService, when: datetime):  # type: ignore[no-untyped-def]
    """One scheduler round with the process's clock set to `when`."""
    service.services.now.now = when  # type: ignore[attr-defined]  # the test's Clock
    return service.followups.run(service)


def agree(service: ConversationService, chat: str, locale: str = "tr", yes: str = "evet") -> None:
    """Offers for a Kita in Eglosheim, then the consent to one check-in, typed."""
    for event in (
        Command("start", user_language=locale.split("@")[0]),
        ButtonPressed(f"lang:{locale}"),
        ButtonPressed("consent:yes"),
        ButtonPressed("age:3"),
        ButtonPressed("net:ludwigsburg"),
        ButtonPressed("d:lb-eglosheim"),
        ButtonPressed("need:childcare"),
        Text(yes),
    ):
        service.handle(chat, event)


def checkin_messages(app: App, chat_id: int | None = None) -> list[dict]:
    with app.uow() as session:
        query = select(OutboxRow).where(OutboxRow.purpose == "checkin").order_by(OutboxRow.id)
        if chat_id is not None:
            query = query.where(OutboxRow.chat_id == chat_id)
        return [json.loads(row.payload) | {"chat_id": row.chat_id} for row in session.scalars(query)]


def links(app: App) -> list[CheckInRow]:
    with app.uow() as session:
        return list(session.scalars(select(CheckInRow).order_by(CheckInRow.id)))


def outcomes(app: App) -> list[CheckInOutcomeRow]:
    with app.uow() as session:
        return list(session.scalars(select(CheckInOutcomeRow).order_by(CheckInOutcomeRow.id)))


def deliver(app: App, now: datetime, blocked: frozenset[int] = frozenset()) -> None:
    """Plays the outbox sender: Telegram accepts everything, except for chats that blocked the bot."""
    outbox = Outbox(app.uow)
    for item in outbox.lease_due(now, 100):
        if item.chat_id in blocked:
            outbox.failed(item, now, permanent=True, unreachable=True)  # what a 403 Forbidden does
        else:
            outbox.delivered(item, 1000 + item.id, now)


def test_a_family_that_agreed_gets_one_check_in_at_the_right_time_in_its_language(app: App):
    clock = Clock(TUESDAY)
    service = family_service(app, clock)
    agree(service, "telegram:501")
    [link] = links(app)
    assert (link.status, link.offer_id, link.need, link.locale) == ("scheduled", "lb-kita-anmeldung", "childcare", "tr")
    clock.now = TUESDAY + timedelta(days=7) - timedelta(minutes=1)
    assert at(service, clock.now).asked == 0 and checkin_messages(app) == []
    clock.now = TUESDAY + timedelta(days=7)
    assert at(service, clock.now).asked == 1
    assert at(service, clock.now + timedelta(minutes=1)).asked == 0  # asked once
    [question] = checkin_messages(app)
    tr = texts("tr")
    assert question["chat_id"] == 501 and tr._("Hello again! You allowed me to ask you this:") in question["text"]
    assert [data for row in question["buttons"] for _, data in row] == ["ci:reached", "ci:not_yet", "ci:could_not"]
    assert service.state_of("telegram:501").step is Step.ASKING_REACHED


def test_a_check_in_due_at_night_or_at_the_weekend_waits_for_the_next_morning(app: App):
    clock = Clock(datetime(2026, 11, 27, 20, 30, tzinfo=BERLIN))  # a Friday evening: due Friday 20:30 next week
    service = family_service(app, clock)
    agree(service, "telegram:502")
    for now in (
        datetime(2026, 12, 4, 20, 30, tzinfo=BERLIN),  # Friday night
        datetime(2026, 12, 5, 12, 0, tzinfo=BERLIN),  # Saturday noon
        datetime(2026, 12, 7, 8, 59, tzinfo=BERLIN),  # Monday, before nine
    ):
        assert at(service, now).asked == 0, now
    assert at(service, datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)).asked == 1


def test_a_due_check_in_is_not_sent_at_night_even_when_the_bot_was_down_all_day(app: App):
    clock = Clock(TUESDAY)
    service = family_service(app, clock)
    agree(service, "telegram:503")
    late = datetime(2026, 12, 1, 23, 15, tzinfo=BERLIN)  # due at 10:00; the first round of the day at 23:15
    assert at(service, late).asked == 0
    assert at(service, datetime(2026, 12, 2, 9, 0, tzinfo=BERLIN)).asked == 1


def test_two_processes_and_a_restart_ask_each_check_in_exactly_once(app: App):
    clock = Clock(TUESDAY)
    first = family_service(app, clock)
    chats = [f"telegram:{600 + n}" for n in range(8)]
    for chat in chats:
        agree(first, chat)
    other = bootstrap(app.settings, load_examples=False)  # a second process on the same database
    second = family_service(other, clock)
    due = TUESDAY + timedelta(days=7, minutes=5)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            rounds = list(pool.map(lambda s: at(s, due), (first, second)))
        assert sum(r.asked for r in rounds) == len(chats)
        restarted = bootstrap(app.settings, load_examples=False)  # and a restart of the first
        assert at(family_service(restarted, clock), due).asked == 0
        restarted.engine.dispose()
    finally:
        other.engine.dispose()
    sent = checkin_messages(app)
    assert sorted(m["chat_id"] for m in sent) == [600 + n for n in range(8)]  # each family once


def test_no_answer_gets_one_reminder_then_ends_as_no_answer(app: App):
    clock = Clock(TUESDAY)
    service = family_service(app, clock)
    agree(service, "telegram:504", "de", "ja")
    day = TUESDAY + timedelta(days=7)
    assert at(service, day).asked == 1
    deliver(app, day)
    assert at(service, day + timedelta(days=1)).asked == 0
    assert at(service, day + timedelta(days=2)).asked == 1  # Thursday: the one reminder
    reminder = checkin_messages(app)[-1]["text"]
    assert texts("de")._("One last time, then I won't ask again:") in reminder
    for later in (3, 9, 20):
        at(service, day + timedelta(days=later))
    assert len(checkin_messages(app)) == 2 and links(app) == []
    [outcome] = outcomes(app)
    assert (outcome.outcome, outcome.need, outcome.district, outcome.source) == (
        "no_answer",
        "childcare",
        "lb-eglosheim",
        "offer",
    )


def test_not_yet_asks_once_more_and_the_answers_are_recorded_as_they_come(app: App):
    clock = Clock(TUESDAY)
    service = family_service(app, clock)
    agree(service, "telegram:505", "uk", "так")
    day = TUESDAY + timedelta(days=7)
    at(service, day)
    clock.now = day + timedelta(hours=1)
    service.handle("telegram:505", Text(texts("uk")._("Not yet")))
    assert [o.outcome for o in outcomes(app)] == ["not_yet"]
    assert at(service, clock.now + timedelta(days=2)).asked == 1  # once more, two days after "not yet"
    service.handle("telegram:505", Text("так"))  # yes: reached
    service.handle("telegram:505", ButtonPressed("ci:help:partly"))
    [outcome] = outcomes(app)
    assert (outcome.outcome, outcome.helped) == ("reached", "partly") and links(app) == []
    assert service.state_of("telegram:505").step is Step.CHOOSING_AFTER_CHECKIN


def test_could_not_reach_leads_to_a_person_with_the_reason_in_the_note_and_outlives_delete(app: App):
    clock = Clock(TUESDAY)
    service = family_service(app, clock)
    agree(service, "telegram:506", "ar", "نعم")
    clock.now = TUESDAY + timedelta(days=7)
    at(service, clock.now)
    for event in (ButtonPressed("ci:could_not"), ButtonPressed("ci:why:no_place"), ButtonPressed("ci:person")):
        service.handle("telegram:506", event)
    assert service.state_of("telegram:506").step is Step.CONFIRMING_HANDOVER
    service.handle("telegram:506", ButtonPressed("handover:yes"))
    with app.uow() as session:
        case = session.scalars(select(CaseRow)).one()
        note = json.loads(session.scalars(select(OutboxRow).where(OutboxRow.purpose == "note")).one().payload)
    assert (
        case.reason == "checkin:no_place"
        and "Anlass: Antwort auf die Nachfrage des Bots – kein Platz frei" in (note["text"])
    )
    service.handle("telegram:506", Command("delete"))
    service.handle("telegram:506", ButtonPressed("delete:yes"))
    [outcome] = outcomes(app)  # anonymous, kept
    assert (outcome.outcome, outcome.reason, outcome.locale, outcome.offer_id) == (
        "could_not",
        "no_place",
        "ar",
        "lb-kita-anmeldung",
    )
    with app.engine.connect() as connection:  # nothing links it to the family
        for table in inspect(app.engine).get_table_names():
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                assert "telegram:506" not in " ".join(str(v) for v in row), table


def test_stop_and_delete_mean_nothing_more_is_sent(app: App):
    clock = Clock(TUESDAY)
    service = family_service(app, clock)
    agree(service, "telegram:507")
    agree(service, "telegram:508")
    service.handle("telegram:507", Command("stop"))
    service.handle("telegram:508", Command("delete"))
    service.handle("telegram:508", ButtonPressed("delete:yes"))
    assert links(app) == []
    for days in (7, 9, 16):
        assert at(service, TUESDAY + timedelta(days=days)).asked == 0
    assert checkin_messages(app) == [] and outcomes(app) == []
    agree(service, "telegram:507")  # after /stop the question under the offers does not come again
    assert links(app) == [] and service.state_of("telegram:507").checkins_stopped


def test_a_family_that_blocked_the_bot_gets_no_reminder(app: App):
    clock = Clock(TUESDAY)
    service = family_service(app, clock)
    agree(service, "telegram:509")
    day = TUESDAY + timedelta(days=7)
    assert at(service, day).asked == 1
    deliver(app, day, blocked=frozenset({509}))  # Telegram: 403 Forbidden, the bot was blocked
    assert at(service, day + timedelta(days=2)).asked == 0
    assert len(checkin_messages(app)) == 1 and links(app) == []
    assert [o.outcome for o in outcomes(app)] == ["no_answer"]


def test_a_closed_case_asks_for_consent_and_the_later_answer_shows_in_fall(app: App):
    clock = Clock(TUESDAY)
    service = family_service(app, clock)
    with app.uow() as session:
        session.add(LotseRow(telegram_user_id=LOTSE, name="Aylin (Lotsin)"))
    chat = "telegram:510"
    for event in (
        Command("start", user_language="de"),
        ButtonPressed("lang:de"),
        ButtonPressed("consent:yes"),
        Text("mein Sohn ist 4, wir wohnen in Oßweil und brauchen einen Kitaplatz"),
        ButtonPressed("fu:no"),  # not after the offers ...
        Command("lotse"),
        ButtonPressed("handover:yes"),
        ButtonPressed("when:any"),
    ):
        service.handle(chat, event)
    assert links(app) == []
    handover = service.handover
    assert handover.claim(1, LOTSE, GROUP).ok
    assert handover.close(1, LOTSE, "arranged").ok  # ... but after the Lotse closed the case
    [consent] = checkin_messages(app, 510)
    assert "Darf ich Sie in 7 Tagen fragen" in consent["text"]
    service.handle(chat, Text("ja"))
    [link] = links(app)
    assert (link.case_id, link.case_outcome, link.offer_id, link.district) == (1, "arranged", None, "lb-ossweil")
    at(service, TUESDAY + timedelta(days=7))
    question = checkin_messages(app, 510)[-1]["text"]
    assert "Haben Sie die Hilfe erreicht, die Ihr Lotse für Sie gefunden hat?" in question
    service.handle(chat, ButtonPressed("ci:reached"))
    service.handle(chat, Text("ja"))  # it helped
    [outcome] = outcomes(app)
    answer = (outcome.source, outcome.case_outcome, outcome.outcome, outcome.helped)
    assert answer == ("case", "arranged", "reached", "yes")
    shown = CaseList(handover).answer(GROUP, LOTSE, "fall", ["1"]).text
    assert "Nachfrage bei der Familie: erreicht, hat geholfen" in shown


@pytest.mark.parametrize("answer", ["ci:reached", "ci:could_not"])
def test_an_answer_after_the_check_in_ended_changes_nothing(app: App, answer: str):
    clock = Clock(TUESDAY)
    service = family_service(app, clock)
    agree(service, "telegram:511")
    day = TUESDAY + timedelta(days=7)
    at(service, day)
    service.handle("telegram:511", Command("stop"))
    outcome = service.handle("telegram:511", ButtonPressed(answer))
    assert outcomes(app) == [] and outcome.replies  # "that button is no longer active", never silence
    with app.uow() as session:
        assert session.scalar(select(func.count()).select_from(CheckInRow)) == 0


def test_the_check_in_round_uses_the_database_clock_in_utc(app: App):
    """A due time stored in UTC compares right on both databases (SQLite keeps no time zone)."""
    clock = Clock(TUESDAY)
    service = family_service(app, clock)
    agree(service, "telegram:512")
    [link] = links(app)
    due = link.due_at if link.due_at.tzinfo else link.due_at.replace(tzinfo=UTC)
    assert due == datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN)


def test_a_partial_answer_gets_no_reminder_and_stays_when_the_rest_never_comes(app: App):
    clock = Clock(TUESDAY)
    service = family_service(app, clock)
    agree(service, "telegram:513")
    day = TUESDAY + timedelta(days=7)
    at(service, day)
    service.handle("telegram:513", ButtonPressed("ci:reached"))  # ... and never says whether it helped
    assert at(service, day + timedelta(days=2)).asked == 0
    at(service, day + timedelta(days=8))
    assert links(app) == [] and [(o.outcome, o.helped) for o in outcomes(app)] == [("reached", None)]
