"""A case's thread and the on-call chat, on SQLite and PostgreSQL: what the handover queues for forum topics,
attachments and urgent cases at night, and what /delete leaves of them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from admin_scripts._cli import run
from admin_scripts.report import main
from bot.bootstrap import App, handover_service
from bot.conversation import Text
from bot.db.orm import CaseRow, OfficeHoursRow, OutboxRow, ProcessedUpdateRow
from bot.services import topics
from bot.services.handover import Attachment
from tests.integration.test_caselist import GROUP, at, deliver, lotsen_app
from tests.integration.test_handover import FAMILY, deliver_all, hand_over, outbox_rows

__all__ = ["lotsen_app"]  # the fixture, imported for these tests
ON_CALL = -100999
CHAT = f"telegram:{FAMILY}"


def the_case(app: App) -> CaseRow:
    with app.uow() as session:
        case = session.scalar(select(CaseRow))
        assert case is not None
        session.expunge(case)
        return case


def test_the_note_names_the_topic_it_opens_and_the_first_topic_made_stays_the_cases(lotsen_app: App):
    hand_over(lotsen_app)
    [note] = [r for r in outbox_rows(lotsen_app) if r.purpose == "note"]
    assert json.loads(note.payload)["extra"] == {"topic": "#1 · Arabisch · Eglosheim · Kita und Betreuung"}
    case = the_case(lotsen_app)
    assert topics.topic_opened(lotsen_app.uow, case.id, GROUP, 501) == 501
    assert topics.topic_opened(lotsen_app.uow, case.id, GROUP, 502) == 501  # a second one is never used
    deliver_all(lotsen_app)
    assert topics.case_topic(lotsen_app.uow, case.id, GROUP) == 501
    assert topics.case_topic(lotsen_app.uow, case.id, -100777) is None  # another chat: no topic of this case
    assert topics.case_of_topic(lotsen_app.uow, GROUP, 501) == case.id
    assert topics.case_of_topic(lotsen_app.uow, GROUP, 502) is None


def test_an_urgent_case_renames_its_topic_closing_closes_it_and_delete_deletes_it(lotsen_app: App):
    service = hand_over(lotsen_app)
    case = the_case(lotsen_app)
    topics.topic_opened(lotsen_app.uow, case.id, GROUP, 501)
    deliver_all(lotsen_app)
    service.handle(CHAT, Text("زوجي يضربني ويهددني بالسكين"))  # an emergency after the handover
    [rename] = [r for r in outbox_rows(lotsen_app) if r.method == "editForumTopic"]
    assert json.loads(rename.payload)["extra"] == {
        "name": "🆘 #1 · Arabisch · Eglosheim · Kita und Betreuung",
        "thread_id": 501,
    }
    handover = handover_service(lotsen_app)
    assert handover.claim(case.id, 901, GROUP).ok
    assert handover.close(case.id, 901, "referred").ok
    [closing] = [r for r in outbox_rows(lotsen_app) if r.method == "closeForumTopic"]
    assert closing.chat_id == GROUP and json.loads(closing.payload)["extra"] == {"thread_id": 501}
    deliver_all(lotsen_app)

    service.erase(CHAT)
    [deletion] = [r for r in outbox_rows(lotsen_app) if r.method == "deleteForumTopic"]
    assert deletion.case_id is None and json.loads(deletion.payload)["extra"] == {"thread_id": 501}  # outlives the case
    assert {r.method for r in outbox_rows(lotsen_app) if r.purpose == "erase"} == {"erase", "deleteForumTopic"}


def test_a_familys_photo_goes_to_its_open_case_by_file_id_and_without_a_case_to_the_conversation(lotsen_app: App):
    handover = handover_service(lotsen_app)
    photo = Attachment("photo", "AgACbrief")
    assert not handover.family_sent_file(CHAT, photo, "", "u:1:7")  # no case yet
    with lotsen_app.uow() as session:
        assert session.get(ProcessedUpdateRow, "u:1:7") is None  # the conversation still answers that update
    hand_over(lotsen_app)
    deliver_all(lotsen_app)
    assert handover.family_sent_file(CHAT, photo, "رسالة من مركز العمل", "u:1:8")
    assert handover.family_sent_file(CHAT, photo, "", "u:1:8")  # delivered twice: sent once
    [relay] = [r for r in outbox_rows(lotsen_app) if r.method == "sendPhoto"]
    payload = json.loads(relay.payload)
    assert relay.chat_id == GROUP and payload["extra"] == {"file_id": "AgACbrief"} and payload["reply_to"]
    assert payload["translate"]["source"] == "ar" and payload["text"].endswith("📷 Foto\nرسالة من مركز العمل")
    assert [r.purpose for r in outbox_rows(lotsen_app, chat_id=FAMILY) if r.purpose == "file_ack"] == ["file_ack"]
    deliver_all(lotsen_app)
    with lotsen_app.uow() as session:
        assert "AgAC" not in " ".join(session.scalars(select(OutboxRow.payload)))  # sent: the file id is gone


def test_a_lotses_pdf_and_correction_go_to_the_family_translated(lotsen_app: App):
    hand_over(lotsen_app)
    deliver_all(lotsen_app)
    handover = handover_service(lotsen_app)
    case = the_case(lotsen_app)
    assert handover.claim(case.id, 901, GROUP).ok
    assert handover.lotse_wrote(901, case.id, "Der Flyer", attachment=Attachment("document", "BQACflyer")).ok
    assert handover.lotse_wrote(901, case.id, "Termin Mittwoch", correction=True).ok
    document, correction = [json.loads(r.payload) for r in outbox_rows(lotsen_app, purpose="relay_to_family")]
    assert document["extra"] == {"file_id": "BQACflyer"} and document["translate"]["target"] == "ar"
    assert correction["text"].startswith("تصحيح من Aylin:")
    refused = handover.lotse_wrote(902, case.id, "Hallo")
    assert not refused.ok and refused.message.endswith("Nichts wurde an die Familie gesendet.")


def test_an_urgent_case_at_night_is_announced_once_in_the_on_call_chat_and_claimed_from_there(lotsen_app: App):
    lotsen_app.settings = replace(lotsen_app.settings, oncall_chat_id=ON_CALL)
    with lotsen_app.uow() as session:
        session.add(OfficeHoursRow(network="ludwigsburg", weekday=0, opens=time(9), closes=time(12)))
    hand_over(lotsen_app)
    deliver_all(lotsen_app)
    with lotsen_app.uow() as session:
        session.scalar(select(CaseRow)).urgent = True  # type: ignore[union-attr]
    berlin = datetime.now(ZoneInfo("Europe/Berlin"))
    sunday_night = (berlin + timedelta(days=(6 - berlin.weekday()) % 7 + 7)).replace(hour=3, minute=0)
    for minutes in range(0, 240, 10):
        at(lotsen_app, sunday_night + timedelta(minutes=minutes)).raise_waiting()
    deliver(lotsen_app, sunday_night + timedelta(hours=4))  # the sender at that night's clock
    [call] = outbox_rows(lotsen_app, chat_id=ON_CALL)
    assert call.purpose == "oncall"
    assert [r.purpose for r in outbox_rows(lotsen_app, chat_id=GROUP) if r.purpose == "reminder"] == []  # night
    handover = handover_service(lotsen_app)
    assert handover.claim(the_case(lotsen_app).id, 902, ON_CALL).message == "Fall #1 gehört jetzt dir."
    assert not handover.claim(the_case(lotsen_app).id, 901, -100777).ok  # any other chat still cannot
    at(lotsen_app, sunday_night + timedelta(hours=5)).raise_waiting()
    tidied = [json.loads(r.payload)["text"] for r in outbox_rows(lotsen_app, chat_id=ON_CALL)[1:]]
    assert tidied == ["🆘 Fall #1 hat gewartet – jetzt übernommen von Jonas."]


def test_report_lotsen_gives_the_team_per_week_and_per_lotse_only_when_asked(
    lotsen_app: App, capsys: pytest.CaptureFixture[str]
):
    hand_over(lotsen_app)
    deliver_all(lotsen_app)
    handover = handover_service(lotsen_app)
    case = the_case(lotsen_app)
    assert handover.claim(case.id, 901, GROUP).ok
    assert handover.lotse_wrote(901, case.id, "Guten Tag").ok
    assert handover.close(case.id, 901, "arranged").ok
    with lotsen_app.uow() as session:
        handover.rate(session, CHAT, 5)
    url = lotsen_app.settings.database_url
    assert run(main, ["--database-url", url, "lotsen"]) == 0
    header, team = capsys.readouterr().out.splitlines()
    values = dict(zip(header.split(";"), team.split(";"), strict=True))
    assert values["wer"] == "Team" and values["faelle"] == "1" and values["uebernommen"] == "1"
    assert values["ergebnis_arranged"] == "1" and values["bewertung_mittel"] == "5,0"
    assert values["min_bis_uebernahme_median"] and values["min_bis_erste_antwort_p90"]
    assert run(main, ["--database-url", url, "lotsen", "--per-lotse"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split(";")[1] == "Aylin"
    assert run(main, ["--database-url", url, "lotsen", "--out", "/nonexistent/dir/team.csv"]) == 1
    assert capsys.readouterr().err.startswith("Fehler: /nonexistent/dir/team.csv: nicht schreibbar")
