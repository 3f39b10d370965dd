"""The Lotsen's workplace on SQLite and PostgreSQL: the case list, states that look like states, calm reminders."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from sqlalchemy import select

from bot.bootstrap import App, handover_service, load_bundled_offers
from bot.db.orm import CaseRow, LotsenBoardRow, LotseRow, OfficeHoursRow, OutboxRow
from bot.services.caselist import CaseList, note_link
from bot.services.handover import HandoverService, duration_de
from bot.services.outbox import Outbox
from tests.integration.test_handover import deliver_all, hand_over, outbox_rows

GROUP = -100555  # a supergroup: its messages have t.me/c/555/<id> links
AYLIN, JONAS = 901, 902
TWO_CHILDREN = "Meine Kinder sind 5 und 7 Jahre alt, wir wohnen in Eglosheim und brauchen einen Kita-Platz"


@pytest.fixture
def lotsen_app(app: App) -> App:
    load_bundled_offers(app)
    with app.uow() as session:
        session.add_all(
            [LotseRow(telegram_user_id=AYLIN, name="Aylin"), LotseRow(telegram_user_id=JONAS, name="Jonas")]
        )
    app.settings = replace(app.settings, lotsen_chat_id=GROUP)
    return app


def at(app: App, when: datetime) -> HandoverService:
    handover = handover_service(app)
    handover.now = lambda: when
    return handover


MESSAGE_IDS = itertools.count(50_000)


def deliver(app: App, now: datetime) -> None:
    """Play the sender at `now` (rows queued by a shifted clock are due only then)."""
    outbox = Outbox(app.uow)
    while items := outbox.lease_due(now + timedelta(seconds=1), limit=100):
        for item in items:
            outbox.delivered(item, item.message_id or next(MESSAGE_IDS), now)


def case_ids(app: App) -> list[int]:
    with app.uow() as session:
        return list(session.scalars(select(CaseRow.id).order_by(CaseRow.id)))


def group_sends(app: App) -> list[OutboxRow]:
    return [r for r in outbox_rows(app, chat_id=GROUP) if r.method == "sendMessage"]


def note_id(app: App, case_id: int) -> int:
    with app.uow() as session:
        case = session.get(CaseRow, case_id)
        assert case is not None and case.note_message_id is not None
        return case.note_message_id


def payload(row: OutboxRow) -> dict:
    return json.loads(row.payload)


# ---------------------------------------------------------------------- the case list


def test_faelle_lists_open_cases_urgent_first_then_longest_waiting_with_state_duration_and_note_link(
    lotsen_app: App,
):
    hand_over(lotsen_app, "telegram:1")
    hand_over(lotsen_app, "telegram:2")
    hand_over(lotsen_app, "telegram:3", "mein Mann schlägt mich")  # urgent
    deliver_all(lotsen_app)
    first, second, urgent = case_ids(lotsen_app)
    later = datetime.now(UTC) + timedelta(minutes=25)
    assert at(lotsen_app, later).claim(second, AYLIN, GROUP).ok

    answer = CaseList(at(lotsen_app, later)).answer(GROUP, JONAS, "faelle", [])
    title, *lines = answer.text.splitlines()
    assert title.startswith("📋 Offene Fälle (3) – Stand ")
    assert [line.split(" · ")[0] for line in lines] == [f"🆘 #{urgent}", f"#{first}", f"#{second}"]
    assert "offen, wartet seit 25 Min." in lines[1]
    assert "übernommen von Aylin" in lines[2]
    assert lines[1].endswith(f"t.me/c/555/{note_id(lotsen_app, first)}")
    assert "Arabisch · Eglosheim · Kita und Betreuung" in lines[1]
    assert "ابني" not in answer.text  # the family's words stay in the note
    assert (answer.kind, answer.owner, answer.message_id) == ("faelle", 0, None)


def test_meine_lists_only_the_callers_claimed_cases_and_strangers_see_nothing(lotsen_app: App):
    hand_over(lotsen_app, "telegram:1")
    hand_over(lotsen_app, "telegram:2")
    deliver_all(lotsen_app)
    first, second = case_ids(lotsen_app)
    handover = handover_service(lotsen_app)
    assert handover.claim(first, AYLIN, GROUP).ok and handover.claim(second, JONAS, GROUP).ok
    mine = CaseList(handover).answer(GROUP, AYLIN, "meine", [])
    assert mine.text.splitlines()[0].startswith("📋 Deine Fälle, Aylin (1)")
    assert f"#{first} · übernommen von Aylin" in mine.text and f"#{second}" not in mine.text
    assert (mine.kind, mine.owner) == ("meine", AYLIN)  # each Lotse's own message, not one for the chat
    stranger = CaseList(handover).answer(GROUP, 31337, "faelle", [])
    assert stranger.kind == "" and stranger.text == "Nur registrierte Lotsen können die Fallliste sehen."
    assert CaseList(handover).answer(GROUP, AYLIN, "faelle", []).text.startswith("📋 Offene Fälle (2)")
    assert CaseList(handover).answer(-100999, AYLIN, "faelle", []).text.startswith("📋 Gerade ist kein Fall offen")


def test_fall_shows_state_need_district_language_both_childrens_ages_waiting_and_outcome(lotsen_app: App):
    hand_over(lotsen_app, "telegram:1", TWO_CHILDREN)
    deliver_all(lotsen_app)
    [case] = case_ids(lotsen_app)
    start = datetime.now(UTC)
    open_answer = CaseList(at(lotsen_app, start + timedelta(minutes=40))).answer(GROUP, AYLIN, "fall", [f"#{case}"])
    for expected in (
        f"Fall #{case} · offen, wartet seit 40 Min.",
        "Bedarf: Kita und Betreuung",
        "Ort: Eglosheim (Stadt Ludwigsburg)",
        "Sprache: Arabisch",
        "Kinder: 5 und 7 Jahre",
        f"Notiz: t.me/c/555/{note_id(lotsen_app, case)}",
    ):
        assert expected in open_answer.text, expected
    assert at(lotsen_app, start + timedelta(minutes=45)).claim(case, AYLIN, GROUP).ok
    assert at(lotsen_app, start + timedelta(hours=2)).close(case, AYLIN, "arranged").ok
    closed = CaseList(at(lotsen_app, start + timedelta(hours=3))).answer(GROUP, JONAS, "fall", [str(case)])
    assert f"Fall #{case} · abgeschlossen" in closed.text
    assert "Übernommen nach 45 Min." in closed.text and "Ergebnis: Angebot vermittelt am " in closed.text
    assert CaseList(handover_service(lotsen_app)).answer(GROUP, AYLIN, "fall", []).text.startswith("So geht's")
    assert (
        "gibt es in dieser Gruppe nicht" in CaseList(handover_service(lotsen_app)).answer(-7, AYLIN, "fall", ["1"]).text
    )


def test_a_list_message_is_remembered_per_chat_and_kind_so_asking_again_edits_it(lotsen_app: App):
    lists = CaseList(handover_service(lotsen_app))
    lists.remember(GROUP, "faelle", 0, 4711)
    lists.remember(GROUP, "meine", AYLIN, 4712)
    lists.remember(GROUP, "fall", 0, 4713, case_id=3)
    assert lists.answer(GROUP, JONAS, "faelle", []).message_id == 4711
    assert lists.answer(GROUP, AYLIN, "meine", []).message_id == 4712
    assert lists.answer(GROUP, JONAS, "meine", []).message_id is None  # Jonas has his own
    lists.remember(GROUP, "faelle", 0, 4720)  # the old one was gone: the new one is remembered instead
    assert lists.answer(GROUP, JONAS, "faelle", []).message_id == 4720
    with lotsen_app.uow() as session:
        assert len(session.scalars(select(LotsenBoardRow)).all()) == 3


def test_note_links_exist_for_supergroups_only():
    assert note_link(-1001234567890, 42) == "t.me/c/1234567890/42"
    assert note_link(-4242, 42) is None and note_link(-1001234, None) is None


# ---------------------------------------------------------------------- states that look like states


def test_a_closed_note_has_no_button_and_says_the_outcome(lotsen_app: App):
    hand_over(lotsen_app)
    deliver_all(lotsen_app)
    [case] = case_ids(lotsen_app)
    handover = handover_service(lotsen_app)
    handover.claim(case, AYLIN, GROUP)
    [claimed] = outbox_rows(lotsen_app, purpose="note_edit")
    assert "Gewartet: unter 1 Min. (eingegangen " in payload(claimed)["text"]  # no longer "wartet seit"
    assert "Wartet seit" not in payload(claimed)["text"]
    assert handover.close(case, AYLIN, "referred").ok
    [edit] = [r for r in outbox_rows(lotsen_app, purpose="note_edit")][-1:]
    assert payload(edit)["buttons"] == []
    assert payload(edit)["text"].endswith("✅ Abgeschlossen: an andere Stelle verwiesen (Aylin)")


def test_only_the_owner_may_close_and_a_hand_back_posts_a_visible_line(lotsen_app: App):
    hand_over(lotsen_app)
    deliver_all(lotsen_app)
    [case] = case_ids(lotsen_app)
    handover = handover_service(lotsen_app)
    lists = CaseList(handover)
    assert lists.owner_check(case, AYLIN) is not None  # open: nobody's yet
    handover.claim(case, AYLIN, GROUP)
    assert lists.owner_check(case, AYLIN) is None
    assert "nicht deiner" in (lists.owner_check(case, JONAS) or "")
    assert "registrierte" in (lists.owner_check(case, 31337) or "")
    assert not handover.close(case, JONAS, "arranged").ok  # an outcome pressed by a colleague changes nothing
    assert handover.hand_back(case, AYLIN).ok
    [line] = outbox_rows(lotsen_app, purpose="reminder")
    assert payload(line)["text"] == f"🔄 Fall #{case} ist wieder offen (zurückgegeben von Aylin)."
    assert payload(line)["reply_to"] == note_id(lotsen_app, case)
    assert payload(line)["buttons"] == [[["Übernehmen", f"claim:{case}"]]]


def test_the_note_names_offers_by_title_waits_as_a_duration_and_shows_both_children(lotsen_app: App):
    hand_over(lotsen_app, words=TWO_CHILDREN)
    [note] = deliver_all(lotsen_app)
    assert "Kinder: 5 und 7 Jahre" in note.text
    shown = next(line for line in note.text.splitlines() if line.startswith("Schon gezeigt:"))
    assert "lb-" not in shown and len(shown) > len("Schon gezeigt: ") + 5  # titles, not ids like lb-kita-anmeldung
    assert "Wartet seit: unter 1 Min. (eingegangen " in note.text
    assert [duration_de(timedelta(minutes=m)) for m in (25, 125, 60 * 24, 60 * 72)] == [
        "25 Min.",
        "2 Std. 5 Min.",
        "1 Tag",
        "3 Tagen",
    ]


# ---------------------------------------------------------------------- calm reminders


def test_waiting_cases_share_one_digest_edited_in_place_and_get_at_most_one_new_message_an_hour(lotsen_app: App):
    for family in range(6):
        hand_over(lotsen_app, f"telegram:{100 + family}")
    deliver_all(lotsen_app)
    start = datetime.now(UTC)
    for minute in range(1, 121):  # two hours of reminder rounds, one a minute, with RAISE_AFTER_MINUTES=1
        handover = at(lotsen_app, start + timedelta(minutes=minute))
        handover.raise_after = timedelta(minutes=1)
        handover.raise_waiting()
        deliver(lotsen_app, handover.now())
    sends = group_sends(lotsen_app)
    by_purpose = {p: len([r for r in sends if r.purpose == p]) for p in ("note", "reminder", "digest")}
    assert by_purpose == {"note": 6, "reminder": 12, "digest": 1}  # the old way: 6 × 120 reminders
    edits = [r for r in outbox_rows(lotsen_app, purpose="digest") if r.method == "editMessageText"]
    assert 20 <= len(edits) <= 25  # every 5 minutes, silently, so the durations stay true
    with lotsen_app.uow() as session:
        board = session.get(LotsenBoardRow, (GROUP, "wartet", 0))
        [digest] = [r for r in sends if r.purpose == "digest"]
        assert board is not None and board.message_id == digest.telegram_message_id is not None


def test_the_digest_lists_unclaimed_cases_with_buttons_and_drops_a_claimed_one_at_once(lotsen_app: App):
    hand_over(lotsen_app, "telegram:1")
    hand_over(lotsen_app, "telegram:2", "mein Mann schlägt mich")
    deliver_all(lotsen_app)
    first, urgent = case_ids(lotsen_app)
    later = datetime.now(UTC) + timedelta(minutes=31)
    assert at(lotsen_app, later).raise_waiting() == 2
    [digest] = [r for r in outbox_rows(lotsen_app, purpose="digest")]
    text = payload(digest)["text"]
    assert text.startswith("⏳ Warten auf einen Lotsen: 2")
    assert text.index(f"🆘 #{urgent}") < text.index(f"#{first} ·") and "wartet seit 31 Min." in text
    assert payload(digest)["buttons"] == [
        [[f"Übernehmen #{urgent}", f"claim:{urgent}"]],
        [[f"Übernehmen #{first}", f"claim:{first}"]],
    ]
    deliver(lotsen_app, later)
    handover = at(lotsen_app, later + timedelta(minutes=1))
    assert handover.claim(urgent, AYLIN, GROUP).ok
    CaseList(handover).calm(GROUP)
    edit = outbox_rows(lotsen_app, purpose="digest")[-1]
    assert edit.method == "editMessageText" and f"#{urgent}" not in payload(edit)["text"]
    assert payload(edit)["buttons"] == [[[f"Übernehmen #{first}", f"claim:{first}"]]]


def test_nothing_after_the_claim_and_old_reminders_lose_their_button(lotsen_app: App):
    hand_over(lotsen_app)
    deliver_all(lotsen_app)
    [case] = case_ids(lotsen_app)
    start = datetime.now(UTC)
    at(lotsen_app, start + timedelta(minutes=31)).raise_waiting()
    deliver(lotsen_app, start + timedelta(minutes=31))
    [reminder] = [r for r in outbox_rows(lotsen_app, purpose="reminder")]
    handover = at(lotsen_app, start + timedelta(minutes=32))
    handover.claim(case, AYLIN, GROUP)
    CaseList(handover).calm(GROUP)
    [tidy] = outbox_rows(lotsen_app, purpose="reminder_edit")
    assert payload(tidy)["message_id"] == reminder.telegram_message_id and payload(tidy)["buttons"] == []
    assert payload(tidy)["text"] == f"⏰ Fall #{case} hat gewartet – jetzt übernommen von Aylin."
    deliver(lotsen_app, start + timedelta(minutes=32))
    before = len(group_sends(lotsen_app))
    for hours in (2, 5, 9):
        assert at(lotsen_app, start + timedelta(hours=hours)).raise_waiting() == 0
    assert len(group_sends(lotsen_app)) == before
    assert outbox_rows(lotsen_app, purpose="reminder") == []


def test_a_reminder_not_yet_sent_when_the_case_is_claimed_is_not_sent(lotsen_app: App):
    hand_over(lotsen_app)
    deliver_all(lotsen_app)
    [case] = case_ids(lotsen_app)
    handover = at(lotsen_app, datetime.now(UTC) + timedelta(minutes=31))
    handover.raise_waiting()
    assert len(outbox_rows(lotsen_app, purpose="reminder")) == 1
    handover.claim(case, AYLIN, GROUP)
    CaseList(handover).calm(GROUP)
    assert outbox_rows(lotsen_app, purpose="reminder") == []


def test_outside_office_hours_no_reminder_is_posted_and_at_opening_time_one_is(lotsen_app: App):
    with lotsen_app.uow() as session:
        session.add(OfficeHoursRow(network="ludwigsburg", weekday=0, opens=time(9), closes=time(12)))
    hand_over(lotsen_app)
    deliver_all(lotsen_app)
    berlin = datetime.now(ZoneInfo("Europe/Berlin"))
    sunday_night = (berlin + timedelta(days=(6 - berlin.weekday()) % 7 + 7)).replace(hour=3, minute=0)
    before = len(group_sends(lotsen_app))
    for minutes in range(0, 240, 30):
        at(lotsen_app, sunday_night + timedelta(minutes=minutes)).raise_waiting()
    assert len(group_sends(lotsen_app)) == before  # nobody is woken at night
    monday = (sunday_night + timedelta(days=1)).replace(hour=9, minute=30)
    if monday.date() in holidays.country_holidays("DE", subdiv="BW"):
        pytest.skip("that Monday is a public holiday")
    at(lotsen_app, monday).raise_waiting()
    assert [r.purpose for r in group_sends(lotsen_app)[before:]] == ["reminder", "digest"]
