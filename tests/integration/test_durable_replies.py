"""One durable path for every message (SQLite and PostgreSQL): the conversation's replies go into the outbox
with the conversation, copies whose send was never recorded find their case, deleted words leave the files."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import inspect, select, text

from bot.adapters.telegram.delivery_journal import DeliveryJournal
from bot.adapters.telegram.outbox_sender import OutboxSender
from bot.bootstrap import App, conversation_service, handover_service
from bot.conversation import ButtonPressed, Command, Reply, Text
from bot.conversation.model import Venue
from bot.db.orm import CaseRow, LotsenBoardRow, OutboxRow, RelayLinkRow
from bot.services.outbox import REPLY, Outbox, OutboxItem, case_named_in, enqueue, reply_of, reply_payload
from bot.services.privacy import WORD_TABLES, vacuum_erased
from tests.conftest import ON_POSTGRES
from tests.integration.test_handover import (
    FAMILY,
    GROUP,
    agree_to_a_person,
    deliver_all,
    hand_over,
    lotsen_app,
    outbox_rows,
)

__all__ = ["lotsen_app"]  # the fixture, imported for these tests
CHAT = f"telegram:{FAMILY}"


def later() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)


def test_replies_are_queued_with_the_conversation_and_a_repeat_queues_nothing(app: App) -> None:
    service = conversation_service(app)
    outcome = service.handle("telegram:31", Command("start", user_language="tr"), "u:1:1", reply_to_chat=31)
    again = service.handle("telegram:31", Command("start", user_language="tr"), "u:1:1", reply_to_chat=31)
    queued = outbox_rows(app, chat_id=31)
    assert again.replies == () and len(queued) == len(outcome.replies) >= 1
    assert [json.loads(row.payload)["reply"]["text"] for row in queued] == [r.text for r in outcome.replies]
    assert all(row.purpose == REPLY and row.sent_at is None for row in queued)


def test_a_reply_keeps_its_buttons_venue_and_direction_and_goes_once_telegram_has_it(app: App) -> None:
    reply = Reply(
        "مرحبا", buttons=(), rtl=True, venue=Venue(48.9, 9.19, "Tafel (Beispiel)", "Beispielweg 1, Ludwigsburg")
    )
    assert reply_of(json.loads(json.dumps(reply_payload(reply)))) == reply
    service = conversation_service(app)
    service.handle("telegram:32", Command("start"), reply_to_chat=32)
    [item] = Outbox(app.uow).lease_due(later())
    assert item.reply is not None and item.reply.buttons and item.reply.buttons[0][0].data.startswith("lang:")
    Outbox(app.uow).delivered(item, 5000, later())
    assert outbox_rows(app, chat_id=32) == []  # nothing of a reply is kept once it is out


def test_the_answer_comes_before_the_notices_it_causes_and_a_chat_sends_in_order(lotsen_app: App) -> None:
    service = conversation_service(lotsen_app)
    for event in (Command("start", user_language="ar"), ButtonPressed("lang:ar"), ButtonPressed("consent:yes")):
        service.handle(CHAT, event, reply_to_chat=FAMILY)
    outbox = Outbox(lotsen_app.uow)
    first = outbox.lease_next(FAMILY, later())
    assert first is not None and outbox.lease_next(FAMILY, later()) is None  # one at a time per chat
    following = outbox.delivered(first, 1, later(), then_lease_next=True)
    assert following is not None and following.id > first.id  # the next one, leased in the same transaction


def test_delete_leaves_only_the_confirmation_of_the_familys_own_chat_in_the_outbox(lotsen_app: App) -> None:
    service = hand_over(lotsen_app)
    service.handle(CHAT, Text("Hallo, noch da?"), reply_to_chat=FAMILY)
    service.handle(CHAT, Command("delete"), reply_to_chat=FAMILY)
    outcome = service.handle(CHAT, ButtonPressed("delete:yes"), reply_to_chat=FAMILY)
    left = outbox_rows(lotsen_app, chat_id=FAMILY)
    assert [json.loads(row.payload)["reply"]["text"] for row in left] == [r.text for r in outcome.replies]


# ------------------------------------------------------------------ a send whose answer was lost


def leased_note(app: App) -> tuple[Outbox, OutboxItem]:
    """A family handed over; the note's send went out, and its answer has not come back yet (lease held)."""
    hand_over(app)
    outbox = Outbox(app.uow)
    [note] = [item for item in outbox.lease_due(later(), limit=100) if item.purpose == "note"]
    return outbox, note


def unrecorded_note(app: App) -> tuple[Outbox, int]:
    outbox, note = leased_note(app)
    return outbox, note.id


def test_a_press_on_a_note_nobody_recorded_records_it_and_it_is_not_sent_again(lotsen_app: App) -> None:
    _outbox, note_id = unrecorded_note(lotsen_app)
    with lotsen_app.uow() as session:
        note_text = json.loads(session.get(OutboxRow, note_id).payload)["text"]  # type: ignore[union-attr]
    assert handover_service(lotsen_app).claim(1, 901, GROUP, None, 3001, note_text).ok
    with lotsen_app.uow() as session:
        row, case = session.get(OutboxRow, note_id), session.get(CaseRow, 1)
        assert row is not None and row.sent_at is not None and row.telegram_message_id == 3001
        assert case is not None and (case.note_message_id, case.group_chat_id, case.status) == (3001, GROUP, "claimed")
    edits = [i for i in deliver_all(lotsen_app) if i.chat_id == GROUP]
    assert [i.message_id for i in edits if i.method == "editMessageText"] == [3001]  # "Übernommen", on that one
    assert not [i for i in edits if i.purpose == "note"]  # not sent a second time


def test_a_second_copy_of_a_note_belongs_to_the_case_and_points_to_the_first(lotsen_app: App) -> None:
    outbox, note_id = unrecorded_note(lotsen_app)
    with lotsen_app.uow() as session:
        first = session.get(OutboxRow, note_id)
        assert first is not None
        first.lease_until = None  # the lease ran out: the note is sent again and this time recorded
        note_text = json.loads(first.payload)["text"]
    [again] = [i for i in outbox.lease_due(later(), limit=100) if i.id == note_id]
    outbox.delivered(again, 3002, later())
    handover = handover_service(lotsen_app)
    assert handover.claim(1, 901, GROUP, None, 3001, note_text).ok  # pressed on the copy nobody recorded
    assert handover.case_of_message(GROUP, 3001) == 1  # and a reply to it reaches the family
    copy = [i for i in deliver_all(lotsen_app) if i.purpose == "copy"]
    assert [(i.method, i.message_id, i.buttons) for i in copy] == [("editMessageText", 3001, ())]
    assert copy[0].text.startswith("🔁 Doppelt gesendet – die Notiz zu Fall #1 steht t.me/c/555/3002")


def test_a_press_while_the_sender_records_the_same_note_is_no_copy(lotsen_app: App) -> None:
    """The sender records the note (its answer came) between the press's reads and the press's own record:
    the same message, seen from both sides. Before the fix the press took it for a second copy and edited
    the note to "Doppelt gesendet" after the claim had marked it (tests/e2e/test_multiprocess.py, 1 in 4)."""
    outbox, in_flight = leased_note(lotsen_app)
    fired = []

    def sender_records_first(conn, cursor, statement: str, *args: object) -> None:
        if not fired and statement.lstrip().upper().startswith("UPDATE"):  # the press's first write
            fired.append(True)
            outbox.delivered(in_flight, 3001, later())  # its own connection and transaction, committed

    sqlalchemy_event.listen(lotsen_app.engine, "before_cursor_execute", sender_records_first)
    try:
        handover = handover_service(lotsen_app)
        assert handover.claim(1, 901, GROUP, None, 3001, in_flight.text).ok
    finally:
        sqlalchemy_event.remove(lotsen_app.engine, "before_cursor_execute", sender_records_first)
    assert fired
    assert not handover.claim(1, 902, GROUP, None, 3001, in_flight.text).ok  # the second Lotse, a moment later
    sent = [i for i in deliver_all(lotsen_app) if i.chat_id == GROUP]
    assert [i.purpose for i in sent if i.purpose == "copy"] == []
    edits = [i for i in sent if i.method == "editMessageText"]
    assert [i.message_id for i in edits] == [3001] and "Übernommen von" in edits[-1].text


def test_the_contact_time_given_while_the_note_is_on_its_way_follows_as_an_edit(lotsen_app: App) -> None:
    service = agree_to_a_person(lotsen_app)
    outbox = Outbox(lotsen_app.uow)
    [note] = [item for item in outbox.lease_due(later(), limit=100) if item.purpose == "note"]
    assert "abends" not in note.text
    service.handle(CHAT, ButtonPressed("when:evening"))  # while Telegram has the note and has not answered
    outbox.delivered(note, 3001, later())
    edits = [i for i in deliver_all(lotsen_app) if i.chat_id == GROUP and i.method == "editMessageText"]
    assert [i.message_id for i in edits] == [3001]
    assert "abends" in edits[0].text and edits[0].buttons == note.buttons  # still "Übernehmen"


def test_a_reply_to_a_relayed_message_nobody_recorded_reaches_the_family(lotsen_app: App) -> None:
    service = hand_over(lotsen_app)
    deliver_all(lotsen_app)
    handover = handover_service(lotsen_app)
    assert handover.claim(1, 901, GROUP).ok
    deliver_all(lotsen_app)
    service.handle(CHAT, Text("Wann kommen Sie?"))
    outbox = Outbox(lotsen_app.uow)
    [relay] = [i for i in outbox.lease_due(later(), limit=100) if i.purpose == "relay_to_lotse"]
    shown = f"{relay.text}\n\nÜbersetzung (automatisch):\n…"
    assert handover.case_of_message(GROUP, 4001) is None  # no link: the send was never recorded
    assert handover.case_of_message(GROUP, 4001, shown) == 1  # the bot's own message: known by its head
    assert handover.lotse_wrote(901, 1, "Morgen um 10.").ok
    with lotsen_app.uow() as session:
        row = session.get(OutboxRow, relay.id)
        assert row is not None and row.telegram_message_id == 4001  # recorded, so not sent a second time


def test_digests_lists_and_other_messages_are_never_taken_for_a_copy(lotsen_app: App) -> None:
    hand_over(lotsen_app)
    deliver_all(lotsen_app)
    handover = handover_service(lotsen_app)
    with lotsen_app.uow() as session:
        session.add(LotsenBoardRow(chat_id=GROUP, kind="fall", owner=0, message_id=5001, updated_at=later()))
        enqueue(session, chat_id=GROUP, text="⏳ Warten auf einen Lotsen: 1", purpose="digest", now=later())
    [digest] = [i for i in deliver_all(lotsen_app) if i.purpose == "digest"]
    assert handover.case_of_message(GROUP, 5001, "Fall #1 · Übernommen von Aylin") is None  # /fall's answer
    assert handover.case_of_message(GROUP, 5002, "Fall #1 ist jetzt bei Jonas.") is None  # a reply line
    assert handover.case_of_message(GROUP, 5003, "⏳ Warten auf einen Lotsen: 1\n#1 · Fall #1") is None
    assert handover.case_of_message(GROUP, 1000 + digest.id, digest.text) is None
    with lotsen_app.uow() as session:
        assert session.scalars(select(RelayLinkRow.message_id).where(RelayLinkRow.message_id > 5000)).all() == []
    assert case_named_in("🆘 DRINGEND – Gewalt. Die Familie hat die Notrufnummern bekommen.\nFall #7 · Deutsch") == (
        7,
        True,
    )


# ------------------------------------------------------------------ PostgreSQL: deleted means gone


@pytest.mark.parametrize("database_url", [ON_POSTGRES], indirect=True)
def test_after_delete_the_family_words_are_gone_from_the_postgresql_tables(lotsen_app: App) -> None:
    secret = "Zebrastreifen-Quittenmus-4711"
    service = hand_over(lotsen_app, words=f"Wir brauchen Hilfe {secret} in Eglosheim")
    service.handle(CHAT, Text(f"Noch etwas: {secret}"), reply_to_chat=FAMILY)
    deliver_all(lotsen_app)

    def files() -> dict[str, int]:
        with lotsen_app.engine.connect() as connection:
            return {t: connection.scalar(text(f"SELECT pg_relation_filenode('{t}')")) for t in WORD_TABLES}

    before = files()
    service.erase(CHAT)
    assert lotsen_app.uow.erased_since_vacuum  # noted for the privacy job
    assert vacuum_erased(lotsen_app.uow) and not lotsen_app.uow.erased_since_vacuum
    after = files()
    assert all(after[table] != before[table] for table in WORD_TABLES)  # rewritten: no dead row's bytes left
    with lotsen_app.engine.connect() as connection:
        for table in inspect(lotsen_app.engine).get_table_names():
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                assert secret not in " ".join(map(str, row)), table


def test_what_telegram_accepted_just_before_a_crash_is_recorded_at_the_restart_not_sent_again(
    lotsen_app: App, tmp_path: Path
) -> None:
    service = hand_over(lotsen_app)
    service.handle(CHAT, Text("Noch eine Frage"), reply_to_chat=FAMILY)
    outbox = Outbox(lotsen_app.uow)
    leased = outbox.lease_due(later(), limit=100)
    note = next(i for i in leased if i.purpose == "note")
    reply = next(i for i in leased if i.purpose == REPLY)
    journal = DeliveryJournal(tmp_path / "outbox.sent")
    journal.open()
    journal.accepted(note.id, 7001)  # Telegram's answers arrived; then SIGKILL, before the database heard of them
    journal.accepted(reply.id, 7002)
    journal.close()
    restarted = OutboxSender(None, outbox, journal=DeliveryJournal(tmp_path / "outbox.sent"))  # type: ignore[arg-type]
    assert restarted._replay_journal() == 2 and journal.entries() == {}
    with lotsen_app.uow() as session:
        case = session.get(CaseRow, note.case_id)
        assert case is not None and case.note_message_id == 7001  # replies to it reach the family
        assert session.get(OutboxRow, reply.id) is None  # the reply is out: nothing left to send
    assert note.id not in [i.id for i in outbox.lease_due(later() + timedelta(minutes=5), limit=100)]


def test_a_claim_while_the_family_answers_is_not_undone_by_the_familys_note_update(
    lotsen_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = agree_to_a_person(lotsen_app)
    deliver_all(lotsen_app)
    rewrite, claims = service.handover.refresh_note, []
    lotse = threading.Thread(target=lambda: claims.append(handover_service(lotsen_app).claim(1, 901, GROUP)))

    def claimed_meanwhile(session, case, *args):  # type: ignore[no-untyped-def]
        lotse.start()  # the Lotse presses "Übernehmen" while the family's "evening" is being stored
        lotse.join(timeout=1.0)  # the case's row is locked: the claim waits for the family's transaction
        return rewrite(session, case, *args)

    monkeypatch.setattr(service.handover, "refresh_note", claimed_meanwhile)
    service.handle(CHAT, ButtonPressed("when:evening"), "u:1:99")  # from Telegram: its key is stored first
    lotse.join()
    edits = [i for i in deliver_all(lotsen_app) if i.purpose == "note_edit"]
    assert claims[0].ok and [data for row in edits[-1].buttons for _, data in row] == ["back:1", "pass:1", "close:1"]
