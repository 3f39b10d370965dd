"""Every case has one place: its topic in a forum group, the replies to its note in a plain group.

The real PTB Application on FakeBotApi: the note opens the case's topic, relays and replies live in it,
closing closes it, /delete deletes it; internal notes (// and /notiz) stay among the Lotsen; templates
(/vorlage) reach the family; a case is passed on by first name or by a button; photos and PDFs go both
ways by Telegram's file id; a Lotse hears when a message cannot be delivered; an edit is a correction; the
Lotsen's command menu is set in their group; a morning with ten cases leaves the group readable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.conversation import Text
from bot.db.orm import CaseRow, LotseRow, OutboxRow
from bot.i18n import texts
from tests.e2e.conftest import Family, outbox_idle, polling
from tests.e2e.test_lotsen_workplace import (
    AYLIN,
    GROUP,
    JONAS,
    PLAIN,
    answer_to_press,
    families_ask_for_a_person,
    lotsen_app,
    lotsen_bot,
)
from tests.fakes import FakeBotApi, buttons_of

__all__ = ["lotsen_app"]  # the fixture, imported for these tests
FAMILY = 7000  # families_ask_for_a_person's first family (German, Eglosheim, Kita)
STEP = 10.0  # seconds; only a failing test waits this long


async def until(done: Callable[[], Any], what: str, timeout: float = STEP) -> Any:
    """Waits for a condition of the fake's state that no single call marks (a topic closed, a deletion)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := done()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
    return result


async def family_gets(api: FakeBotApi, chat: int, count: int) -> list[dict[str, Any]]:
    """The newest message of the family's chat once it holds `count` of the bot's messages (as a list)."""
    return (await api.wait_for_messages(chat, count, STEP))[-1:]


async def claimed(api: FakeBotApi, chat: int, note: dict[str, Any], user: int) -> None:
    answer = await answer_to_press(api, chat, "claim:1", note["message_id"], user)
    assert answer["text"] == "Fall #1 gehört jetzt dir."
    await api.wait_for_messages(FAMILY, 1, STEP)  # "Aylin from the Lotsen team has your request …"


async def deleted(api: FakeBotApi) -> None:
    """The family (FAMILY) asks to delete everything and confirms."""
    family = Family(api, FAMILY)
    family.seen = len(family.messages)
    await family.says("/delete")
    await family.taps("delete:yes")


# ---------------------------------------------------------------------------------------------- one place


async def test_in_a_forum_each_case_has_its_topic_where_its_messages_live_and_closing_closes_it(
    lotsen_app: App, bot_api: FakeBotApi
):
    bot_api.make_forum(GROUP)
    families_ask_for_a_person(lotsen_app, 2)
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        await bot_api.wait_for_messages(GROUP, 2)
        topic = bot_api.topic_named(GROUP, "#1 · Deutsch · Eglosheim · Kita")
        assert bot_api.topic_named(GROUP, "#2 · Deutsch · Eglosheim · Kita") != topic
        [note] = bot_api.in_topic(GROUP, topic)
        assert note["text"].startswith("Fall #1 · Deutsch") and bot_api.in_topic(GROUP, None) == []
        await claimed(bot_api, GROUP, note, AYLIN)

        bot_api.user_sends_text(GROUP, "Guten Tag! Ich kümmere mich.", user_id=AYLIN, thread_id=topic)  # no reply
        [answer] = await family_gets(bot_api, FAMILY, 2)
        assert answer["text"] == "Nachricht von Aylin:\nGuten Tag! Ich kümmere mich."
        bot_api.user_sends_text(FAMILY, "Danke, wann geht es los?")
        await bot_api.wait_for_messages(GROUP, 3)
        relayed = bot_api.in_topic(GROUP, topic)[-1]
        assert relayed["text"] == "Fall #1 – die Familie schreibt:\nDanke, wann geht es los?"
        bot_api.user_replies(GROUP, "Morgen früh.", relayed["message_id"], AYLIN)  # a reply in the topic too
        [answer] = await family_gets(bot_api, FAMILY, 4)  # (the family also heard its words went on)
        assert answer["text"].endswith("Morgen früh.")

        await answer_to_press(bot_api, GROUP, "close:1", note["message_id"], AYLIN)
        await answer_to_press(bot_api, GROUP, "out:1:arranged", note["message_id"], AYLIN)
        await until(lambda: bot_api.topics[GROUP][topic]["closed"], "the case's topic to be closed")
        assert not bot_api.topics[GROUP][bot_api.topic_named(GROUP, "#2 ")]["closed"]
        assert all(m.get("message_thread_id") == topic for m in bot_api.sent_to(GROUP)[:1])

        bot_api.user_sends_text(GROUP, "Noch eine Frage an die Familie", user_id=AYLIN, thread_id=topic)
        refused = await until(
            lambda: [m for m in bot_api.in_topic(GROUP, topic) if "abgeschlossen" in m.get("text", "")][-1:],
            "the Lotse to hear the case is closed",
        )
        assert refused[0]["text"] == (
            "Fall #1 ist abgeschlossen. Schreibt die Familie wieder, kommt ein neuer Fall. "
            "Nichts wurde an die Familie gesendet."
        )


async def test_delete_in_a_forum_deletes_the_case_topic_with_everything_in_it(lotsen_app: App, bot_api: FakeBotApi):
    bot_api.make_forum(GROUP)
    families_ask_for_a_person(lotsen_app, 1)
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        [note] = await bot_api.wait_for_messages(GROUP, 1)
        topic = note["message_thread_id"]
        await deleted(bot_api)
        await until(lambda: topic not in bot_api.topics[GROUP], "the topic to be deleted")
        assert bot_api.sent_to(GROUP) == []


async def test_an_urgent_case_gets_its_sos_first_in_the_topic_name(lotsen_app: App, bot_api: FakeBotApi):
    bot_api.make_forum(GROUP)
    families_ask_for_a_person(lotsen_app, 1)
    async with polling(lotsen_bot(lotsen_app, bot_api)) as application:
        await bot_api.wait_for_messages(GROUP, 1)
        topic = bot_api.topic_named(GROUP, "#1 ")
        service = application.bot_data.service
        assert service is not None
        await asyncio.to_thread(service.handle, f"telegram:{FAMILY}", Text("Mein Mann schlägt mich und die Kinder"))
        application.bot_data.sender.wake()  # type: ignore[union-attr]
        await until(lambda: bot_api.topics[GROUP][topic]["name"].startswith("🆘 #1 · Deutsch"), "the 🆘 name")
        assert any(m["text"].startswith("🆘 DRINGEND – Fall #1") for m in bot_api.in_topic(GROUP, topic))


async def test_in_a_forum_a_list_stands_in_the_topic_it_was_asked_in_and_fall_there_shows_that_case(
    lotsen_app: App, bot_api: FakeBotApi
):
    bot_api.make_forum(GROUP)
    families_ask_for_a_person(lotsen_app, 2)
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        await bot_api.wait_for_messages(GROUP, 2)
        await outbox_idle(lotsen_app)  # the notes' ids recorded: the list links to both
        topic = bot_api.topic_named(GROUP, "#2 ")
        bot_api.user_sends_text(GROUP, "/faelle", user_id=AYLIN, chat_type="supergroup")
        [listed] = await until(lambda: bot_api.in_topic(GROUP, None), "the list in the General topic")
        bot_api.user_sends_text(GROUP, "/faelle", user_id=JONAS, thread_id=topic)  # asked again, in a topic
        await until(lambda: bot_api.in_topic(GROUP, None) == [], "the list to leave the General topic")
        [note, moved] = bot_api.in_topic(GROUP, topic)
        assert moved["text"] == listed["text"] and note["text"].startswith("Fall #2")
        bot_api.user_sends_text(GROUP, "/fall", user_id=JONAS, thread_id=topic)
        one = await until(
            lambda: [m for m in bot_api.in_topic(GROUP, topic) if m["text"].startswith("Fall #2 · offen")], ""
        )
        assert f"t.me/c/1234/{note['message_id']}" in one[0]["text"]


# ---------------------------------------------------------------------------------------------- internal


@pytest.mark.parametrize("forum", [True, False], ids=["forum", "plain"])
async def test_internal_notes_stay_among_the_lotsen_and_are_marked(lotsen_app: App, bot_api: FakeBotApi, forum: bool):
    group = GROUP if forum else PLAIN
    if forum:
        bot_api.make_forum(group)
    lotsen_app.settings = replace(lotsen_app.settings, lotsen_chat_id=group)
    families_ask_for_a_person(lotsen_app, 1)
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        [note] = await bot_api.wait_for_messages(group, 1)
        await claimed(bot_api, group, note, AYLIN)
        if forum:
            topic = note["message_thread_id"]
            remark = bot_api.user_sends_text(group, "// Mutter klang sehr belastet", user_id=JONAS, thread_id=topic)
            bot_api.user_sends_text(group, "/notiz Kita Sonne hat ab März Plätze", user_id=AYLIN, thread_id=topic)
        else:
            remark = bot_api.user_replies(group, "// Mutter klang sehr belastet", note["message_id"], JONAS)
            bot_api.user_replies(group, "/notiz Kita Sonne hat ab März Plätze", note["message_id"], AYLIN)
        await bot_api.wait_for_calls("setMessageReaction", 2)
        assert bot_api.reactions[(group, remark["message"]["message_id"])] == [{"type": "emoji", "emoji": "✍"}]
        await asyncio.sleep(0.5)
        assert len(bot_api.sent_to(FAMILY)) == 1  # only the claim notice: nothing of the notes
        assert not any("Mutter" in m.get("text", "") for m in bot_api.sent_to(FAMILY))


# ---------------------------------------------------------------------------------------------- templates


async def test_vorlage_lists_the_templates_and_sends_one_to_the_family_by_name_or_button(
    lotsen_app: App, bot_api: FakeBotApi
):
    bot_api.make_forum(GROUP)
    families_ask_for_a_person(lotsen_app, 1)
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        [note] = await bot_api.wait_for_messages(GROUP, 1)
        topic = note["message_thread_id"]
        await claimed(bot_api, GROUP, note, AYLIN)
        bot_api.user_sends_text(GROUP, "/vorlage", user_id=AYLIN, thread_id=topic)
        [listed] = (await bot_api.wait_for_messages(GROUP, 2))[1:]
        assert listed["text"].startswith("📝 Vorlagen") and "• hallo – Begrüßung" in listed["text"]
        assert listed["message_thread_id"] == topic and buttons_of(listed)[0]["callback_data"] == "tpl:1:hallo"

        bot_api.user_sends_text(GROUP, "/vorlage hallo", user_id=AYLIN, thread_id=topic)
        [sent] = await family_gets(bot_api, FAMILY, 2)
        assert sent["text"].startswith("Nachricht von Aylin:\nGuten Tag, ich bin Aylin vom Lotsen-Team.")
        await answer_to_press(bot_api, GROUP, "tpl:1:foto", listed["message_id"], AYLIN)
        [sent] = await family_gets(bot_api, FAMILY, 3)
        assert "schicken Sie mir gern hier ein Foto" in sent["text"]
        assert buttons_of(bot_api.message(GROUP, listed["message_id"])) == []  # one tap, one message

        bot_api.user_sends_text(GROUP, "/vorlage gibtsnicht", user_id=AYLIN, thread_id=topic)
        await until(lambda: "gibt es nicht. Vorhanden: hallo" in bot_api.in_topic(GROUP, topic)[-1]["text"], "the line")
        refused = await answer_to_press(bot_api, GROUP, "tpl:1:hallo", listed["message_id"], JONAS)
        assert refused["show_alert"] is True and "nicht deiner" in refused["text"]


# ---------------------------------------------------------------------------------------------- pass on


async def test_a_case_is_passed_on_by_first_name_or_by_a_button_per_colleague(lotsen_app: App, bot_api: FakeBotApi):
    with lotsen_app.uow() as session:
        session.add_all([LotseRow(telegram_user_id=903, name="Eva M."), LotseRow(telegram_user_id=904, name="Eva K.")])
    families_ask_for_a_person(lotsen_app, 1)
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        [note] = await bot_api.wait_for_messages(GROUP, 1)
        await claimed(bot_api, GROUP, note, AYLIN)

        async def said(text: str, user: int = AYLIN) -> str:
            before = len(bot_api.sent_to(GROUP))
            bot_api.user_sends_text(GROUP, text, user_id=user, chat_type="supergroup")
            return (await bot_api.wait_for_messages(GROUP, before + 1))[-1]["text"]

        assert (await said("/weitergeben 1 Eva")).startswith("„Eva“ passt auf mehrere: Eva K. (904), Eva M. (903)")
        assert (await said("/weitergeben 1 Paula")).startswith("Keine Lotsin und keinen Lotsen „Paula“ gefunden.")
        assert await said("/weitergeben 1 jonas") == "Fall #1 ist jetzt bei Jonas."
        await until(
            lambda: "Weitergegeben von Aylin an Jonas" in bot_api.message(GROUP, note["message_id"])["text"], ""
        )
        [told] = await family_gets(bot_api, FAMILY, 2)
        assert told["text"] == texts("de")._(
            "Your request has been passed to {name}, who will write to you here.", name="Jonas"
        )

        await answer_to_press(bot_api, GROUP, "pass:1", note["message_id"], JONAS)
        colleagues = [b["text"] for b in buttons_of(bot_api.message(GROUP, note["message_id"]))]
        assert colleagues == ["➡️ Aylin", "➡️ Eva K.", "➡️ Eva M.", "Abbrechen"]
        answer = await answer_to_press(bot_api, GROUP, "give:1:903", note["message_id"], JONAS)
        assert answer["text"] == "Fall #1 ist jetzt bei Eva M."


# ---------------------------------------------------------------------------------------------- files


async def test_photos_and_pdfs_go_both_ways_by_file_id_and_delete_removes_them(lotsen_app: App, bot_api: FakeBotApi):
    lotsen_app.settings = replace(lotsen_app.settings, lotsen_chat_id=PLAIN)
    families_ask_for_a_person(lotsen_app, 1)
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        [note] = await bot_api.wait_for_messages(PLAIN, 1)
        await claimed(bot_api, PLAIN, note, AYLIN)
        bot_api.user_sends_photo(FAMILY, "AgACjobcenter-brief", caption="Was heißt das?")
        [photo] = (await bot_api.wait_for_messages(PLAIN, 2))[1:]
        assert photo["photo"][0]["file_id"] == "AgACjobcenter-brief"
        assert photo["caption"] == "Fall #1 – die Familie schreibt:\n📷 Foto\nWas heißt das?"
        [ack] = await family_gets(bot_api, FAMILY, 2)
        assert ack["text"] == texts("de")._("I've passed that on to the Lotse. They will answer you here.")
        bot_api.user_sends_document(FAMILY, "BQACseite2", "seite2.pdf")
        await bot_api.wait_for_messages(PLAIN, 3)
        await asyncio.sleep(0.3)
        assert len(bot_api.sent_to(FAMILY)) == 2  # told once for both pages

        bot_api.user_sends_document(
            PLAIN,
            "BQACflyer-kita",
            "flyer.pdf",
            "Hier der Flyer",
            AYLIN,
            chat_type="group",
            reply_to=photo["message_id"],
        )
        [flyer] = await family_gets(bot_api, FAMILY, 3)
        assert flyer["document"]["file_id"] == "BQACflyer-kita"
        assert flyer["caption"] == "Nachricht von Aylin:\nHier der Flyer"

        await deleted(bot_api)
        await until(
            lambda: all("photo" not in m and "document" not in m for m in bot_api.sent_to(PLAIN)), "photos gone"
        )
        assert bot_api.message(PLAIN, note["message_id"])["text"] == "🗑️ Gelöscht auf Wunsch der Familie."
    with lotsen_app.uow() as session:
        stored = " ".join(session.scalars(select(OutboxRow.payload)))
        assert "AgAC" not in stored and "BQAC" not in stored and session.scalar(select(CaseRow.id)) is None


# ---------------------------------------------------------------------------------------------- feedback


async def test_a_lotse_hears_when_nothing_reached_the_family_and_an_edit_goes_as_a_correction(
    lotsen_app: App, bot_api: FakeBotApi
):
    families_ask_for_a_person(lotsen_app, 1)
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        [note] = await bot_api.wait_for_messages(GROUP, 1)
        await claimed(bot_api, GROUP, note, AYLIN)
        reply = bot_api.user_replies(GROUP, "Termin am Dienstag", note["message_id"], AYLIN)
        await family_gets(bot_api, FAMILY, 2)
        bot_api.user_edits_message(reply, "Termin am Mittwoch")
        [corrected] = await family_gets(bot_api, FAMILY, 3)
        assert corrected["text"] == "Korrektur von Aylin:\nTermin am Mittwoch"

        bot_api.user_replies(GROUP, "Hallo", note["message_id"], JONAS)  # not his case
        refused = (await bot_api.wait_for_messages(GROUP, 2))[-1]
        assert refused["text"].endswith("Nichts wurde an die Familie gesendet.") and "nicht deiner" in refused["text"]

        await deleted(bot_api)
        await until(lambda: bot_api.message(GROUP, note["message_id"])["text"].startswith("🗑️"), "the note erased")
        await outbox_idle(lotsen_app)
        family_saw = len(bot_api.sent_to(FAMILY))
        bot_api.user_replies(GROUP, "Sind Sie noch da?", note["message_id"], AYLIN)
        told = (await bot_api.wait_for_messages(GROUP, 3))[-1]
        assert (
            told["text"] == "🗑️ Die Familie hat ihre Daten gelöscht, den Fall gibt es nicht mehr. Nichts wurde gesendet."
        )
        assert len(bot_api.sent_to(FAMILY)) == family_saw


async def test_the_lotsen_command_menu_is_set_in_their_group_only(lotsen_app: App, bot_api: FakeBotApi):
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        await bot_api.wait_for_calls("setMyCommands", 2)
        menu = await until(lambda: bot_api.scoped_commands.get(("chat", GROUP, None)), "the Lotsen menu")
    assert [c["command"] for c in menu] == ["faelle", "meine", "fall", "vorlage", "notiz", "weitergeben"]
    assert "faelle" not in [c["command"] for c in bot_api.commands[None]]  # families keep their own menu


# ---------------------------------------------------------------------------------------------- a morning


@pytest.mark.parametrize("forum", [True, False], ids=["forum", "plain"])
async def test_a_morning_with_ten_cases_claimed_answered_passed_on_and_closed_leaves_the_group_readable(
    lotsen_app: App, bot_api: FakeBotApi, forum: bool
):
    # Ten families asked 45 minutes ago; the reminder rounds of those minutes are played on a clock walking
    # up to now (what they queue is due at once). Aylin takes 1–5, Jonas 6–10, each answers, families write
    # back, Aylin passes #3 to Jonas, two cases are closed; more reminder rounds follow.
    group = GROUP
    if forum:
        bot_api.make_forum(group)
    start = datetime.now(UTC) - timedelta(minutes=45)
    families_ask_for_a_person(lotsen_app, 10, clock=lambda: start)
    bot = lotsen_bot(lotsen_app, bot_api)
    handover = bot.bot_data.handover
    assert handover is not None
    handover.now = lambda: start

    async def rounds(minutes: range) -> None:
        for minute in minutes:
            handover.now = lambda minute=minute: start + timedelta(minutes=minute)  # type: ignore[misc]
            await asyncio.to_thread(handover.raise_waiting)
        application.bot_data.sender.wake()  # type: ignore[union-attr]
        await outbox_idle(lotsen_app)

    async with polling(bot) as application:
        await bot_api.wait_for_messages(group, 10, timeout=10)
        notes = {n: bot_api.sent_to(group)[n - 1] for n in range(1, 11)}
        await rounds(range(1, 41))  # each case waited 30 minutes: one reminder each, the digest
        for number, note in notes.items():
            data = f"claim:{number}"
            answer = await answer_to_press(bot_api, group, data, note["message_id"], AYLIN if number <= 5 else JONAS)
            assert answer["text"] == f"Fall #{number} gehört jetzt dir."
        for number, note in notes.items():
            lotse, family = (AYLIN if number <= 5 else JONAS), FAMILY + number - 1
            if forum:
                bot_api.user_sends_text(
                    group, f"Hallo, hier ist Fall {number}", user_id=lotse, thread_id=note["message_thread_id"]
                )
            else:
                bot_api.user_replies(group, f"Hallo, hier ist Fall {number}", note["message_id"], lotse)
            await bot_api.wait_for_messages(family, 2)
            bot_api.user_sends_text(family, f"Danke! (Familie {number})")
        await until(lambda: sum("die Familie schreibt" in m.get("text", "") for m in bot_api.sent_to(group)) == 10, "")
        bot_api.user_sends_text(group, "/weitergeben 3 Jonas", user_id=AYLIN, chat_type="supergroup")
        for number in (1, 6):
            owner = AYLIN if number == 1 else JONAS
            await answer_to_press(bot_api, group, f"close:{number}", notes[number]["message_id"], owner)
            await answer_to_press(bot_api, group, f"out:{number}:arranged", notes[number]["message_id"], owner)
        await rounds(range(41, 181))  # two more hours: nothing waits, nothing is raised again
        # the outbox is idle once Telegram answered; the fake applies an edit before it answers, so this waits
        # only for a sender round that had not yet begun (a loaded machine), never for a lost edit
        await until(
            lambda: bot_api.message(group, _digest(bot_api.sent_to(group)))["text"].startswith("✅"),
            "the digest to say that nobody waits",
            timeout=30,
        )
        messages = bot_api.sent_to(group)
        digest_edits = [c for c in bot_api.calls_to("editMessageText") if c.params["message_id"] == _digest(messages)]

    kinds = [m["text"].split("\n", 1)[0][:40] for m in messages]
    # 10 notes, 10 reminders (one each, their buttons gone after the claim), 1 digest edited in place,
    # 10 family messages relayed and the one answer to /weitergeben: 32 messages for ten cases in a morning
    assert len(messages) == 10 + 10 + 1 + 10 + 1, kinds
    assert sum(m["text"].startswith("⏰ Fall #") for m in messages) == 10
    assert all(buttons_of(m) == [] for m in messages if m["text"].startswith("⏰"))
    assert sum(m["text"].startswith(("⏳", "✅ Gerade wartet")) for m in messages) == 1 and digest_edits
    assert bot_api.message(group, _digest(messages))["text"].startswith("✅ Gerade wartet kein Fall")
    if forum:  # every case's messages in its own topic, only the digest and the /weitergeben answer outside
        general = bot_api.in_topic(group, None)
        assert len(general) == 2, [m["text"][:30] for m in general]
        for note in notes.values():
            assert len(bot_api.in_topic(group, note["message_thread_id"])) == 3  # note, reminder, relay
        closed = {t for t, topic in bot_api.topics[group].items() if topic["closed"]}
        assert closed == {notes[1]["message_thread_id"], notes[6]["message_thread_id"]}
    with lotsen_app.uow() as session:
        assert session.get(CaseRow, 3).claimed_by == session.scalar(select(LotseRow.id).where(LotseRow.name == "Jonas"))


def _digest(messages: list[dict[str, Any]]) -> int:
    [digest] = [m["message_id"] for m in messages if m["text"].startswith(("⏳", "✅ Gerade wartet"))]
    return digest
