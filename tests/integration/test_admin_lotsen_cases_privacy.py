"""The admin scripts for Lotsen, cases and retention, used through their command lines."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from admin_scripts import cases, lotsen, privacy
from admin_scripts._cli import run
from bot.bootstrap import App, conversation_service, handover_service
from bot.conversation import ButtonPressed, Command, Text
from bot.db.orm import CaseRow, ConversationRow, DemandEventRow, LotseRow, OfficeHoursRow
from bot.services.privacy import purge


def cli(module, capsys, app: App, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = run(module.main, ["--database-url", app.settings.database_url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_lotsen_are_added_listed_and_removed(app: App, capsys):
    code, out, _ = cli(lotsen, capsys, app, "add", "--telegram-id", "901", "--name", "Aylin (Lotsin)",
                       "--languages", "de", "tr", "--districts", "Eglosheim")
    assert code == 0 and "angelegt" in out
    _, out, _ = cli(lotsen, capsys, app, "list")
    assert "901\tAylin (Lotsin)\tde,tr\tlb-eglosheim" in out
    assert cli(lotsen, capsys, app, "remove", "--telegram-id", "901")[0] == 0
    with app.uow() as session:
        assert session.scalar(select(LotseRow.active)) is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "--telegram-id", "1", "--name", "X", "--languages", "xx"), "Sprache 'xx' gibt es nicht"),
        (("add", "--telegram-id", "1", "--name", "X", "--districts", "Südstadt"), "mehrdeutig"),
        (("remove", "--telegram-id", "5"), "kein Lotse mit Telegram-ID 5"),
        (("hours", "--network", "weimar", "Mo 18-9"), "endet die Zeit vor dem Beginn"),
        (("group", "--chat-id", "-1", "--network", "berlin"), "unbekanntes Netzwerk 'berlin'"),
    ],
)
def test_bad_lotsen_input_is_one_line(app: App, capsys, args, message):
    code, _, err = cli(lotsen, capsys, app, *args)
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1


def test_office_hours_are_set_and_shown(app: App, capsys):
    assert cli(lotsen, capsys, app, "hours", "--network", "weimar", "Mo-Do 9-16; Fr 9-12")[0] == 0
    _, out, _ = cli(lotsen, capsys, app, "hours", "--network", "weimar")
    assert out.strip() == "Mo-Do 09:00-16:00; Fr 09:00-12:00"
    with app.uow() as session:
        assert len(session.scalars(select(OfficeHoursRow)).all()) == 5


def open_case(app: App, chat: str = "telegram:31") -> None:
    app.settings = replace(app.settings, lotsen_chat_id=-100)
    service = conversation_service(app)
    for event in (Command("start", user_language="de"), ButtonPressed("lang:de"), ButtonPressed("consent:yes"),
                  Text("Wir brauchen Hilfe mit dem Jobcenter, Eglosheim"), Command("lotse"),
                  ButtonPressed("handover:yes"), ButtonPressed("when:any")):
        service.handle(chat, event)


def test_cases_are_listed_shown_and_exported_without_words_unless_asked(app: App, capsys, tmp_path: Path):
    open_case(app)
    _, out, _ = cli(cases, capsys, app, "list")
    assert out.startswith("#1\topen\tde\tlb-eglosheim")
    _, out, _ = cli(cases, capsys, app, "show", "1")
    assert "Jobcenter" not in out
    _, out, _ = cli(cases, capsys, app, "show", "1", "--with-words")
    assert "Jobcenter" in out
    export = tmp_path / "faelle.csv"
    assert cli(cases, capsys, app, "export", str(export))[0] == 0
    assert "Jobcenter" not in export.read_text(encoding="utf-8-sig")
    cli(cases, capsys, app, "export", str(export), "--with-words")
    assert "Jobcenter" in export.read_text(encoding="utf-8-sig")
    assert cli(cases, capsys, app, "show", "99")[0] == 1


def test_retention_deletes_old_conversations_and_closed_cases_but_keeps_statistics(app: App, capsys):
    open_case(app)
    conversation_service(app).handle("telegram:32", Command("start", user_language="de"))
    with app.uow() as session:
        session.add(LotseRow(telegram_user_id=7, name="Lotse"))
    handover = handover_service(app)
    with app.uow() as session:
        session.get(CaseRow, 1).group_chat_id = -100
    assert handover.claim(1, 7, -100).ok and handover.close(1, 7, "arranged").ok
    later = datetime.now(UTC) + timedelta(days=91)
    assert purge(app.uow, 90, now=later, dry_run=True).cases == 1
    done = purge(app.uow, 90, now=later)
    assert (done.conversations, done.cases) == (2, 1)
    with app.uow() as session:
        assert session.scalars(select(ConversationRow)).all() == []
        assert session.scalars(select(CaseRow)).all() == []
        assert session.scalars(select(DemandEventRow)).all() != []
    code, out, _ = cli(privacy, capsys, app, "purge", "--days", "1")
    assert code == 0 and "0 Gespräche" in out


def test_an_open_case_keeps_its_conversation_past_retention(app: App):
    open_case(app)
    assert purge(app.uow, 90, now=datetime.now(UTC) + timedelta(days=200)).conversations == 0
