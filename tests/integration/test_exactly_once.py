"""Exactly once, in the database (SQLite and PostgreSQL): repeated updates, case ids, freeing cases, deletion."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select

from admin_scripts import cases as cases_cli
from admin_scripts import lotsen as lotsen_cli
from admin_scripts._cli import run
from bot.bootstrap import App, conversation_service, handover_service
from bot.conversation import ButtonPressed, Command, Text
from bot.db.engine import UnitOfWork, alembic_config, make_engine, migrate
from bot.db.orm import CaseRow, OutboxRow, ProcessedUpdateRow
from bot.services.outbox import REDELIVERY_WINDOW, forget_processed_updates
from tests.integration.test_handover import FAMILY, GROUP, deliver_all, hand_over, lotsen_app

__all__ = ["lotsen_app"]  # the fixture, imported for these tests


def sent_texts(app: App) -> list[str]:
    return [item.text for item in deliver_all(app)]


def test_an_update_handled_twice_changes_nothing_the_second_time(lotsen_app: App) -> None:
    service = hand_over(lotsen_app)
    chat = f"telegram:{FAMILY}"
    first = service.handle(chat, Text("Noch eine Frage zur Kita"), "u:1:77")
    again = service.handle(chat, Text("Noch eine Frage zur Kita"), "u:1:77")
    assert first.replies and again.replies == () and again.effects == ()
    relayed = [r for r in sent_texts(lotsen_app) if "Noch eine Frage" in r]
    assert len(relayed) == 1


def test_the_same_update_in_two_processes_at_once_is_handled_by_one(lotsen_app: App) -> None:
    hand_over(lotsen_app)
    chat = f"telegram:{FAMILY}"
    services = [conversation_service(lotsen_app), conversation_service(lotsen_app)]
    results: list[int] = []
    start = threading.Barrier(2)

    def handle(index: int) -> None:
        start.wait()
        results.append(len(services[index].handle(chat, Text("Gleichzeitig"), "u:1:88").replies))

    threads = [threading.Thread(target=handle, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results)[0] == 0 and sorted(results)[1] > 0
    assert sum("Gleichzeitig" in r for r in sent_texts(lotsen_app)) == 1


def test_a_lotse_action_delivered_twice_acts_once(lotsen_app: App) -> None:
    hand_over(lotsen_app)
    deliver_all(lotsen_app)
    handover = handover_service(lotsen_app)
    assert handover.claim(1, 901, GROUP, "q:abc").message == "Fall #1 gehört jetzt dir."
    assert handover.claim(1, 901, GROUP, "q:abc").message == ""  # not "schon übernommen"
    handover.lotse_wrote(901, 1, "Hallo!", "u:1:5")
    handover.lotse_wrote(901, 1, "Hallo!", "u:1:5")
    assert sum("Hallo!" in r for r in sent_texts(lotsen_app)) == 1


def test_update_keys_are_forgotten_after_the_redelivery_window(lotsen_app: App) -> None:
    service = hand_over(lotsen_app)
    service.handle(f"telegram:{FAMILY}", Text("x"), "u:1:99")
    assert forget_processed_updates(lotsen_app.uow, datetime.now(UTC)) == 0
    assert forget_processed_updates(lotsen_app.uow, datetime.now(UTC) + REDELIVERY_WINDOW * 2) >= 1
    with lotsen_app.uow() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedUpdateRow)) == 0


def test_case_ids_are_never_reused_after_a_family_deleted_its_data(lotsen_app: App) -> None:
    service = hand_over(lotsen_app)
    service.handle(f"telegram:{FAMILY}", Command("delete"))
    service.handle(f"telegram:{FAMILY}", ButtonPressed("delete:yes"))
    with lotsen_app.uow() as session:
        session.execute(CaseRow.__table__.delete())  # however it was deleted: the id stays used
    hand_over(lotsen_app, chat="telegram:5555")
    with lotsen_app.uow() as session:
        assert session.scalars(select(CaseRow.id)).all() == [2]
        assert min(session.scalars(select(OutboxRow.id)).all()) > 1  # outbox ids are not reused either


def test_removing_a_lotse_returns_their_cases_to_the_queue_visibly(lotsen_app: App, capsys) -> None:  # type: ignore[no-untyped-def]
    hand_over(lotsen_app)
    deliver_all(lotsen_app)
    handover_service(lotsen_app).claim(1, 901, GROUP)
    deliver_all(lotsen_app)
    url = lotsen_app.settings.database_url
    assert lotsen_cli.main(["--database-url", url, "remove", "--telegram-id", "901"]) == 0
    assert "#1" in capsys.readouterr().out
    with lotsen_app.uow() as session:
        case = session.get(CaseRow, 1)
        assert case is not None and (case.status, case.claimed_by) == ("open", None)
    sent = sent_texts(lotsen_app)
    assert any("nicht mehr im Team – wartet wieder" in text for text in sent)  # the note says so
    assert handover_service(lotsen_app).claim(1, 902, GROUP).ok  # and Jonas can take it


def test_an_admin_releases_and_reassigns_a_claimed_case(lotsen_app: App) -> None:
    hand_over(lotsen_app)
    deliver_all(lotsen_app)
    handover_service(lotsen_app).claim(1, 901, GROUP)
    deliver_all(lotsen_app)
    url = lotsen_app.settings.database_url
    assert cases_cli.main(["--database-url", url, "reassign", "1", "--to", "902"]) == 0
    with lotsen_app.uow() as session:
        case = session.get(CaseRow, 1)
        assert case is not None and case.status == "claimed"
        jonas = case.claimed_by
    assert cases_cli.main(["--database-url", url, "release", "1"]) == 0
    with lotsen_app.uow() as session:
        case = session.get(CaseRow, 1)
        assert case is not None and (case.status, case.claimed_by) == ("open", None) and jonas is not None
    assert run(cases_cli.main, ["--database-url", url, "release", "1"]) == 1  # open already: one-line refusal


# ------------------------------------------------------------------------------------------- SQLite only


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about SQLite's own file and WAL
def test_after_delete_the_family_words_are_gone_from_the_sqlite_file_and_its_wal(lotsen_app: App) -> None:
    app = lotsen_app
    assert app.engine.dialect.name == "sqlite"
    secret = "Zebrastreifen-Quittenmus-4711"
    service = hand_over(app, words=f"Wir brauchen Hilfe {secret} in Eglosheim")
    service.handle(f"telegram:{FAMILY}", Text(f"Noch etwas: {secret}"))
    deliver_all(app)
    path = Path(app.engine.url.database or "")
    assert secret.encode() in path.read_bytes() + _wal(path)  # it was stored
    service.erase(f"telegram:{FAMILY}")
    assert secret.encode() not in path.read_bytes() + _wal(path)


def _wal(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""


def test_migrating_a_database_keeps_its_cases_outbox_and_links(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    command.upgrade(alembic_config(engine), "0004")
    engine.dispose()
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO cases (id, chat_key, status, urgent, reason, locale, pregnant, needs, offers_shown, "
            "family_words, consent_version, consent_at, created_at) VALUES "
            "(7, 'telegram:1', 'open', 0, 'asked', 'de', 0, '', '', '', '1', 'x', '2026-01-01')"
        )
        db.execute(
            "INSERT INTO outbox (chat_id, method, payload, case_id, purpose, created_at, next_attempt_at, attempts) "
            "VALUES (-1, 'sendMessage', '{}', 7, 'note', '2026-01-01', '2026-01-01', 0)"
        )
        db.execute("INSERT INTO relay_links (chat_id, message_id, case_id) VALUES (-1, 5, 7)")
    shutil.copyfile(path, tmp_path / "backup.db")
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    uow = UnitOfWork(engine)
    with uow() as session:
        assert session.scalars(select(CaseRow.id)).all() == [7]
        assert session.scalar(select(func.count()).select_from(OutboxRow)) == 1  # no cascade on the rebuild
        session.execute(CaseRow.__table__.delete().where(CaseRow.id == 7))
    with engine.connect() as connection:  # foreign keys are on again after the migration
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM outbox").scalar() == 0  # cascaded
    engine.dispose()
