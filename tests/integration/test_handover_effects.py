"""The shell side of the conversation's effects on an open case: contact time, escalation, a second request,
closing, and /delete reaching into the Lotsen group — on SQLite (and PostgreSQL where configured)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import App, conversation_service, handover_service, load_bundled_offers
from bot.conversation import ButtonPressed, Command, State, Text
from bot.conversation.model import ContactTimeGiven, EscalateCase, RequestHandover
from bot.db.orm import CaseRow, ConversationRow, LotseRow, OutboxRow, RelayLinkRow
from bot.services import topics
from bot.services.conversations import ConversationService
from bot.services.handover import MAX_FAMILY_WORDS
from bot.services.outbox import ERASED, Outbox
from tests.integration.test_handover import deliver_all, outbox_rows

GROUP, FAMILY = -100777, 5151
CHAT = f"telegram:{FAMILY}"
STATE = State(
    locale="tr",
    consent_version="2026-11",
    consent_at="2026-11-24T10:00:00+01:00",
    age_months=48,
    network_id="ludwigsburg",
    district_id="lb-eglosheim",
    needs=("childcare",),
    shown_offer_ids=("lb-kita-anmeldung",),
)


@pytest.fixture
def lotsen_app(app: App) -> App:
    load_bundled_offers(app)
    with app.uow() as session:
        session.add(LotseRow(telegram_user_id=901, name="Aylin (Lotsin)", languages="de,tr"))
    app.settings = replace(app.settings, lotsen_chat_id=GROUP)
    return app


def open_case(app: App, service: ConversationService, words: tuple[str, ...] = ("kreş lazım",)) -> int:
    with app.uow() as session:
        case = service.handover.open_case(session, CHAT, STATE, RequestHandover(False, "lotse", words=words))
        return case.id


def payloads(app: App, **where: object) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(row.payload) for row in outbox_rows(app, **where)]


def test_a_typed_contact_time_goes_verbatim_into_the_sent_note(lotsen_app: App):
    service = conversation_service(lotsen_app)
    case_id = open_case(lotsen_app, service)
    deliver_all(lotsen_app)
    with lotsen_app.uow() as session:
        service.handover.contact_time_given(session, CHAT, ContactTimeGiven("yarın sabah, 9'dan sonra", typed=True))
    [edit] = payloads(lotsen_app, purpose="note_edit")
    assert edit["message_id"] is not None
    assert "die Familie schreibt dazu: „yarın sabah, 9'dan sonra“" in edit["text"]
    assert "Worte der Familie: „kreş lazım“" in edit["text"]  # the words stay apart from the time
    assert [label for label, _ in edit["buttons"][0]] == ["Übernehmen"]  # still waiting for a Lotse
    with lotsen_app.uow() as session:
        assert session.get(CaseRow, case_id).contact_time == "typed"


def test_a_tapped_contact_time_before_the_note_left_rewrites_the_waiting_note(lotsen_app: App):
    service = conversation_service(lotsen_app)
    open_case(lotsen_app, service)
    with lotsen_app.uow() as session:
        service.handover.contact_time_given(session, CHAT, ContactTimeGiven("evening"))
    [note] = deliver_all(lotsen_app)
    assert "am besten abends" in note.text
    assert payloads(lotsen_app, purpose="note_edit") == []


def test_the_note_shows_all_the_familys_words_up_to_2000_characters(lotsen_app: App):
    service = conversation_service(lotsen_app)
    words = tuple(f"Satz {i}: " + "wir brauchen dringend einen Kitaplatz, " * 4 for i in range(14))
    open_case(lotsen_app, service, words)
    [note] = deliver_all(lotsen_app)
    shown = note.text.split("Worte der Familie: „", 1)[1].split("“", 1)[0]
    assert len(shown) == MAX_FAMILY_WORDS and shown.endswith(words[-1].strip())  # the newest kept, none cut mid-way
    assert len(note.text) < 4096 and "Satz 13" in note.text


def test_an_emergency_on_an_open_case_marks_it_urgent_without_a_second_case(lotsen_app: App):
    service = conversation_service(lotsen_app)
    case_id = open_case(lotsen_app, service)
    deliver_all(lotsen_app)
    with lotsen_app.uow() as session:
        assert service.handover.escalate(session, CHAT, EscalateCase(("violence",)))
    [line] = payloads(lotsen_app, purpose="escalation")
    assert line["text"].startswith(f"🆘 DRINGEND – Fall #{case_id}: Gewalt")
    assert line["reply_to"] is not None and line["buttons"][0][0][1] == f"claim:{case_id}"
    [edit] = payloads(lotsen_app, purpose="note_edit")
    assert edit["text"].startswith("🆘 DRINGEND – Gewalt")
    with lotsen_app.uow() as session:
        cases = session.scalars(select(CaseRow)).all()
        assert len(cases) == 1 and cases[0].urgent and cases[0].reason == "emergency"


def test_a_second_request_reuses_the_open_case_and_updates_its_note(lotsen_app: App):
    service = conversation_service(lotsen_app)
    case_id = open_case(lotsen_app, service)
    deliver_all(lotsen_app)
    later = replace(STATE, needs=("money",), shown_offer_ids=("lb-familienkasse",))
    with lotsen_app.uow() as session:
        again = service.handover.open_case(
            session, CHAT, later, RequestHandover(True, "emergency", words=("para yok",))
        )
        assert again.id == case_id
    with lotsen_app.uow() as session:
        [case] = session.scalars(select(CaseRow)).all()
        assert case.urgent and case.needs == "money,childcare"
        assert case.family_words == "kreş lazım\npara yok"
        assert case.offers_shown == "lb-kita-anmeldung,lb-familienkasse"
    [edit] = payloads(lotsen_app, purpose="note_edit")
    assert "para yok" in edit["text"] and "Familienkasse" in edit["text"]  # shown offers by title, not id
    assert "lb-familienkasse" not in edit["text"]
    assert len(outbox_rows(lotsen_app, purpose="note")) == 1


GERMAN_FAMILY_ASKS_FOR_A_PERSON = (
    Command("start", user_language="de"),
    ButtonPressed("lang:de"),
    ButtonPressed("consent:yes"),
    Text("Mein Sohn ist 4, wir wohnen in Eglosheim und suchen eine Kita"),
    Command("lotse"),
    ButtonPressed("handover:yes"),
)


def test_the_whole_conversation_opens_one_case_even_when_the_family_asks_twice(lotsen_app: App):
    service = conversation_service(lotsen_app)
    for event in (
        *GERMAN_FAMILY_ASKS_FOR_A_PERSON,
        Text("am liebsten nachmittags nach 15 Uhr"),
        Command("lotse"),
        ButtonPressed("handover:yes"),
    ):
        service.handle(CHAT, event)
    with lotsen_app.uow() as session:
        assert len(session.scalars(select(CaseRow)).all()) == 1


def test_closing_tells_the_core_so_the_next_message_is_a_new_request(lotsen_app: App):
    service = conversation_service(lotsen_app)
    for event in GERMAN_FAMILY_ASKS_FOR_A_PERSON:
        service.handle(CHAT, event)
    assert service.state_of(CHAT).case_open
    [note] = [m for m in deliver_all(lotsen_app) if m.purpose == "note"]
    assert service.handover.claim(note.case_id, 901, GROUP).ok
    assert service.handover.close(note.case_id, 901, "arranged").ok
    assert not service.state_of(CHAT).case_open  # the hook: the core heard CaseClosed at once


def test_a_case_closed_elsewhere_is_noticed_at_the_familys_next_message(lotsen_app: App):
    service = conversation_service(lotsen_app)
    for event in GERMAN_FAMILY_ASKS_FOR_A_PERSON:
        service.handle(CHAT, event)
    [note] = [m for m in deliver_all(lotsen_app) if m.purpose == "note"]
    other = handover_service(lotsen_app)  # another process: its close reaches no hook here
    assert other.claim(note.case_id, 901, GROUP).ok and other.close(note.case_id, 901, "arranged").ok
    assert service.state_of(CHAT).case_open
    service.handle(CHAT, Text("Hallo, ich habe noch eine Frage"))
    assert not service.state_of(CHAT).case_open
    with lotsen_app.uow() as session:
        assert len(session.scalars(select(CaseRow)).all()) == 1  # the words were not relayed into a closed case


def test_delete_blanks_the_note_and_the_relayed_words_in_the_lotsen_group(lotsen_app: App):
    service = conversation_service(lotsen_app)
    open_case(lotsen_app, service)
    deliver_all(lotsen_app)
    with lotsen_app.uow() as session:
        service.handover.family_wrote(session, CHAT, "ev sahibi bizi çıkarıyor")
    relayed = deliver_all(lotsen_app)
    assert [m.purpose for m in relayed] == ["relay_to_lotse"]
    with lotsen_app.uow() as session:
        in_group = {link.message_id for link in session.scalars(select(RelayLinkRow))}  # the note and the relay
    service.erase(CHAT)
    edits = deliver_all(lotsen_app)
    assert {m.message_id for m in edits} == in_group
    assert len(edits) == 2 and all(m.text == ERASED and m.method == "erase" for m in edits)
    assert all(m.chat_id == GROUP and m.buttons == () for m in edits)
    with lotsen_app.uow() as session:
        assert session.scalars(select(CaseRow)).all() == []
        assert session.scalars(select(ConversationRow)).all() == []
        left = session.scalars(select(OutboxRow)).all()
        assert all(json.loads(row.payload)["text"] in ("", ERASED) for row in left)  # no family words stay


def test_a_note_still_on_its_way_when_the_family_deletes_is_erased_with_its_topic(lotsen_app: App):
    service = conversation_service(lotsen_app)
    case_id = open_case(lotsen_app, service)
    outbox = Outbox(lotsen_app.uow)
    [note] = outbox.lease_due(datetime.now(UTC) + timedelta(seconds=1))  # the sender has it: on its way
    service.erase(CHAT)  # /delete finds no note id and no topic recorded yet
    # then Telegram's answers arrive: the topic made for the note, the note itself
    assert topics.topic_opened(lotsen_app.uow, case_id, GROUP, 4711) == 4711
    outbox.delivered(note, 8080, datetime.now(UTC))
    left = deliver_all(lotsen_app)
    assert [(m.method, m.extra.get("thread_id")) for m in left if m.method == "deleteForumTopic"] == [
        ("deleteForumTopic", 4711)
    ]
    assert [(m.method, m.message_id, m.text) for m in left if m.method == "erase"] == [("erase", 8080, ERASED)]
    with lotsen_app.uow() as session:
        assert session.scalars(select(CaseRow)).all() == [] and session.scalars(select(RelayLinkRow)).all() == []
