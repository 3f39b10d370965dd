"""Handover to Lotsen on SQLite and PostgreSQL: the note, claiming once, relaying, closing, nothing lost."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import App, conversation_service, handover_service, load_bundled_offers
from bot.conversation import ButtonPressed, Command, Text, notices
from bot.db.orm import CaseRow, LotsenGroupRow, LotseRow, OfficeHoursRow, OutboxRow
from bot.i18n import texts
from bot.services.outbox import Outbox, enqueue

GROUP, FAMILY = -100555, 4242


@pytest.fixture
def lotsen_app(app: App) -> App:
    load_bundled_offers(app)
    with app.uow() as session:
        session.add_all(
            [
                LotseRow(telegram_user_id=901, name="Aylin (Lotsin)", languages="de,tr,ar"),
                LotseRow(telegram_user_id=902, name="Jonas (Lotse)", languages="de"),
            ]
        )
    app.settings = replace(app.settings, lotsen_chat_id=GROUP)
    return app


WORDS = "ابني عمره ٤ سنوات ونحتاج روضة في إيغلوسهايم"


def agree_to_a_person(app: App, chat: str = f"telegram:{FAMILY}", words: str = WORDS):
    """An Arabic family up to its yes to a Lotse: the case and its note exist, the contact time is not given."""
    service = conversation_service(app)
    for event in (
        Command("start", user_language="ar"),
        ButtonPressed("lang:ar"),
        ButtonPressed("consent:yes"),
        Text(words),
        Command("lotse"),
        ButtonPressed("handover:yes"),
    ):
        service.handle(chat, event)
    return service


def hand_over(app: App, chat: str = f"telegram:{FAMILY}", words: str = WORDS):
    service = agree_to_a_person(app, chat, words)
    service.handle(chat, ButtonPressed("when:evening"))
    return service


def outbox_rows(app: App, **where) -> list[OutboxRow]:
    with app.uow() as session:
        query = select(OutboxRow).order_by(OutboxRow.id)
        for key, value in where.items():
            query = query.where(getattr(OutboxRow, key) == value)
        return list(session.scalars(query))


def deliver_all(app: App) -> list:
    """Play the sender: every due message 'accepted by Telegram' with increasing message ids."""
    outbox, sent = Outbox(app.uow), []
    now = datetime.now(UTC) + timedelta(seconds=1)
    number = len(outbox_rows(app)) * 10
    while items := outbox.lease_due(now, limit=100):  # one message per chat and round, oldest first
        for item in items:
            outbox.delivered(item, 1000 + number, now)
            sent.append(item)
            number += 1
    return sent


def test_the_note_reaches_the_lotsen_group_complete_in_german_without_the_familys_identity(lotsen_app: App):
    hand_over(lotsen_app)
    [note] = deliver_all(lotsen_app)
    assert note.chat_id == GROUP and note.buttons == ((("Übernehmen", note.buttons[0][0][1]),),)
    for expected in (
        "Fall #",
        "Arabisch – Lotse mit Arabisch hilfreich",
        "Kind: 4 Jahre",
        "Ort: Eglosheim (Stadt Ludwigsburg)",
        "Bedarf: Kita und Betreuung",
        "Worte der Familie: „ابني",
        "Schon gezeigt:",
        "Notfall: nein",
        "am besten abends",
        "Wartet seit:",
        "Einwilligung zur Weitergabe: Fassung 2026-11",
        "Schreibt auch Deutsch: nein",
    ):
        assert expected in note.text, expected
    assert str(FAMILY) not in note.text
    assert note.translate is not None and (note.translate.source, note.translate.target) == ("ar", "de")


def test_only_registered_lotsen_claim_and_exactly_one_wins_when_two_press_at_once(lotsen_app: App):
    hand_over(lotsen_app)
    [note] = deliver_all(lotsen_app)
    handover = handover_service(lotsen_app)
    assert not handover.claim(note.case_id, 12345, GROUP).ok  # not registered
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda user: handover.claim(note.case_id, user, GROUP), [901, 902]))
    assert sorted(r.ok for r in results) == [False, True]
    with lotsen_app.uow() as session:
        case = session.get(CaseRow, note.case_id)
        assert case.status == "claimed"
    family = outbox_rows(lotsen_app, chat_id=FAMILY, purpose="family")
    assert len(family) == 1 and json.loads(family[0].payload)["text"].startswith(("Aylin", "Jonas", "")) is not None


def test_messages_flow_both_ways_and_close_asks_for_a_rating(lotsen_app: App):
    service = hand_over(lotsen_app)
    [note] = deliver_all(lotsen_app)
    handover = handover_service(lotsen_app)
    assert handover.claim(note.case_id, 901, GROUP).ok
    assert not handover.lotse_wrote(902, note.case_id, "Hallo").ok  # not his case
    assert handover.lotse_wrote(901, note.case_id, "Guten Tag, ich rufe Sie heute an.").ok
    service.handle(f"telegram:{FAMILY}", Text("شكرا، أنا في البيت"))
    sent = deliver_all(lotsen_app)
    to_family = [m for m in sent if m.chat_id == FAMILY and m.purpose == "relay_to_family"]
    to_lotse = [m for m in sent if m.chat_id == GROUP and m.purpose == "relay_to_lotse"]
    assert "Aylin (Lotsin)" in to_family[0].text and to_family[0].translate.target == "ar"
    note_id = 1000 + 10  # the note was the first message delivered by deliver_all
    assert "شكرا" in to_lotse[0].text and to_lotse[0].reply_to == note_id  # threaded under the note
    assert handover.case_of_message(GROUP, note_id) == note.case_id
    assert handover.close(note.case_id, 901, "arranged").ok
    [closing] = [m for m in deliver_all(lotsen_app) if m.chat_id == FAMILY]
    assert [d for _, d in closing.buttons[0]] == ["rate:1", "rate:2", "rate:3", "rate:4", "rate:5"]
    service.handle(f"telegram:{FAMILY}", ButtonPressed("rate:5"))
    with lotsen_app.uow() as session:
        assert session.get(CaseRow, note.case_id).rating == 5


def test_hand_back_and_pass_on(lotsen_app: App):
    hand_over(lotsen_app)
    [note] = deliver_all(lotsen_app)
    handover = handover_service(lotsen_app)
    handover.claim(note.case_id, 901, GROUP)
    assert handover.pass_on(note.case_id, 901, 902).ok
    assert not handover.lotse_wrote(901, note.case_id, "x").ok and handover.lotse_wrote(902, note.case_id, "x").ok
    assert handover.hand_back(note.case_id, 902).ok
    assert handover.claim(note.case_id, 901, GROUP).ok


def test_unclaimed_cases_are_raised_again_urgent_ones_sooner(lotsen_app: App):
    hand_over(lotsen_app)
    hand_over(lotsen_app, "telegram:5151", "mein Mann schlägt mich")
    deliver_all(lotsen_app)
    later = datetime.now(UTC) + timedelta(minutes=12)
    handover = replace_clock(handover_service(lotsen_app), later)
    assert handover.raise_waiting() == 1  # only the urgent one after 10 of 30 minutes
    reminders = outbox_rows(lotsen_app, purpose="reminder")
    assert "DRINGEND" in json.loads(reminders[0].payload)["text"]
    assert replace_clock(handover_service(lotsen_app), later + timedelta(minutes=30)).raise_waiting() == 2


def replace_clock(handover, at: datetime):  # type: ignore[no-untyped-def]
    handover.now = lambda: at
    return handover


def test_outside_office_hours_the_family_is_told_when_a_person_answers(lotsen_app: App):
    with lotsen_app.uow() as session:
        session.add(OfficeHoursRow(network="ludwigsburg", weekday=0, opens=time(9), closes=time(12)))
    hand_over(lotsen_app)
    family = [m for m in deliver_all(lotsen_app) if m.chat_id == FAMILY]
    handover = handover_service(lotsen_app)
    with lotsen_app.uow() as session:
        opens = handover.next_office_time(session, "ludwigsburg", datetime.now(UTC))
    if opens is None:  # Monday 9-12 right now: a person works, nothing to announce
        assert family == []
    else:
        assert len(family) == 1 and family[0].text.startswith(texts("ar")._(notices.OUTSIDE_HOURS).split("{")[0])
        assert opens.weekday() == 0 and opens.hour == 9


def test_routing_prefers_a_district_group_then_language_then_the_default(lotsen_app: App):
    with lotsen_app.uow() as session:
        session.add_all(
            [LotsenGroupRow(chat_id=-7, language="ar"), LotsenGroupRow(chat_id=-8, district="lb-eglosheim")]
        )
    hand_over(lotsen_app)
    [note] = deliver_all(lotsen_app)
    assert note.chat_id == -8


def test_one_chats_messages_leave_in_order_one_at_a_time_while_other_chats_go_on(lotsen_app: App):
    now = datetime.now(UTC)
    with lotsen_app.uow() as session:
        for text in ("eins", "zwei"):
            enqueue(session, chat_id=1, text=text, purpose="family", now=now)
        enqueue(session, chat_id=2, text="andere Familie", purpose="family", now=now)
    outbox = Outbox(lotsen_app.uow)
    first = outbox.lease_due(now)
    assert [i.text for i in first] == ["eins", "andere Familie"]
    assert outbox.lease_due(now) == []  # "zwei" waits until "eins" is through
    outbox.failed(first[0], now, retry_after=5)
    assert outbox.lease_due(now + timedelta(seconds=1)) == []  # and a retry holds back what comes after it
    [again] = outbox.lease_due(now + timedelta(seconds=6))
    outbox.delivered(again, 1, now)
    assert [i.text for i in outbox.lease_due(now + timedelta(seconds=6))] == ["zwei"]


def test_a_failed_send_is_retried_later_and_delivered_once(lotsen_app: App):
    hand_over(lotsen_app)
    outbox = Outbox(lotsen_app.uow)
    now = datetime.now(UTC)
    [item] = outbox.lease_due(now)
    assert outbox.lease_due(now) == []  # leased: a second sender does not get it
    outbox.failed(item, now, retry_after=3)
    assert outbox.lease_due(now + timedelta(seconds=1)) == []
    [again] = outbox.lease_due(now + timedelta(seconds=4))
    outbox.delivered(again, 77, now)
    assert outbox.lease_due(now + timedelta(hours=1)) == [] and outbox.pending() == 0
    assert json.loads(outbox_rows(lotsen_app)[0].payload)["text"] == ""  # the text is not kept once sent


def test_delete_removes_the_case_and_its_messages(lotsen_app: App):
    service = hand_over(lotsen_app)
    deliver_all(lotsen_app)
    service.handle(f"telegram:{FAMILY}", Command("delete"))
    service.handle(f"telegram:{FAMILY}", ButtonPressed("delete:yes"))
    with lotsen_app.uow() as session:
        assert session.scalars(select(CaseRow)).all() == []
        left = session.scalars(select(OutboxRow)).all()
    # what stays are the edits that blank the note and relays in the Lotsen group, and nothing of the family's
    assert left and {row.purpose for row in left} == {"erase"}
    assert all("Gelöscht auf Wunsch der Familie" in row.payload and "روضة" not in row.payload for row in left)


def test_the_note_says_when_the_family_also_wrote_german(lotsen_app: App):
    hand_over(lotsen_app, words="ابني عمره ٤ سنوات\nWir brauchen einen Kitaplatz in Eglosheim")
    [note] = deliver_all(lotsen_app)
    assert "Schreibt auch Deutsch: ja" in note.text
