"""The Lotsen's workplace end to end: the real PTB Application in a Lotsen group on FakeBotApi.

The case list (/faelle, /meine, /fall) is one message each, edited when asked again; a closed note has no
button, the outcome choice has "Abbrechen", a colleague's press changes nothing; a hand-back is a visible line;
a morning of ten waiting cases leaves the group readable.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from telegram.ext import Application

from bot.adapters.telegram import build_application
from bot.bootstrap import App, conversation_service
from bot.conversation import ButtonPressed, Command, Text
from bot.db.orm import LotseRow, OutboxRow
from tests.e2e.conftest import bot_settings, outbox_idle, polling
from tests.fakes import FakeBotApi, buttons_of

GROUP = -1001234  # a supergroup: t.me/c/1234/<id> links
PLAIN = -4242  # a plain group: no message links, /fall replies to the note
AYLIN, JONAS, STRANGER = 901, 902, 31337
CLAIMED = [
    {"text": "Zurückgeben", "callback_data": "back:1"},
    {"text": "Weitergeben", "callback_data": "pass:1"},
    {"text": "Abschließen", "callback_data": "close:1"},
]


@pytest.fixture
def lotsen_app(example_app: App) -> App:
    with example_app.uow() as session:
        session.add_all(
            [LotseRow(telegram_user_id=AYLIN, name="Aylin"), LotseRow(telegram_user_id=JONAS, name="Jonas")]
        )
    example_app.settings = replace(example_app.settings, lotsen_chat_id=GROUP)
    return example_app


def lotsen_bot(app: App, api: FakeBotApi) -> Application:
    return build_application(bot_settings(app, api, rate_limiter=False), conversation_service(app))


def families_ask_for_a_person(app: App, count: int, clock: Callable[[], datetime] | None = None) -> None:
    """`count` families go through the dialogue up to the handover (straight through the service)."""
    service = conversation_service(app)
    if clock is not None:
        service.handover.now = clock
    for number in range(count):
        for event in (
            Command("start", user_language="de"),
            ButtonPressed("lang:de"),
            ButtonPressed("consent:yes"),
            Text("Wir wohnen in Eglosheim und brauchen einen Kita-Platz"),
            Command("lotse"),
            ButtonPressed("handover:yes"),
            ButtonPressed("when:any"),
        ):
            service.handle(f"telegram:{7000 + number}", event)


async def answer_to_press(api: FakeBotApi, chat: int, data: str, message_id: int, user: int) -> dict:
    before = len(api.calls_to("answerCallbackQuery"))
    api.user_presses_in_group(chat, data, message_id, user)
    return (await api.wait_for_calls("answerCallbackQuery", before + 1))[-1].params


async def command(api: FakeBotApi, chat: int, text: str, user: int) -> None:
    api.user_sends_text(chat, text, user_id=user, chat_type="supergroup" if chat == GROUP else "group")


async def test_faelle_meine_and_fall_are_one_message_each_edited_when_asked_again(lotsen_app: App, bot_api: FakeBotApi):
    families_ask_for_a_person(lotsen_app, 2)
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        first_note, second_note = await bot_api.wait_for_messages(GROUP, 2)
        await answer_to_press(bot_api, GROUP, "claim:1", first_note["message_id"], AYLIN)
        await bot_api.wait_for_calls("editMessageText", 1)  # the note says who has it

        await command(bot_api, GROUP, "/faelle", AYLIN)
        listed = (await bot_api.wait_for_messages(GROUP, 3))[2]
        lines = listed["text"].splitlines()
        assert lines[0].startswith("📋 Offene Fälle (2) – Stand ")
        assert lines[1].startswith("#1 · übernommen von Aylin") and lines[1].endswith(
            f"t.me/c/1234/{first_note['message_id']}"
        )
        assert lines[2].startswith("#2 · offen, wartet seit ") and "Deutsch · Eglosheim · Kita" in lines[2]

        edits = len(bot_api.calls_to("editMessageText"))
        await command(bot_api, GROUP, "/faelle@familienlotse_test_bot", JONAS)  # asked again, by a colleague
        [edit] = (await bot_api.wait_for_calls("editMessageText", edits + 1))[edits:]
        assert edit.params["message_id"] == listed["message_id"]

        await command(bot_api, GROUP, "/meine", AYLIN)
        mine = (await bot_api.wait_for_messages(GROUP, 4))[3]
        assert mine["text"].startswith("📋 Deine Fälle, Aylin (1)") and "#2" not in mine["text"]

        await command(bot_api, GROUP, "/fall 2", JONAS)
        one = (await bot_api.wait_for_messages(GROUP, 5))[4]
        assert one["text"].startswith("Fall #2 · offen, wartet seit ")
        assert "Bedarf: Kita und Betreuung" in one["text"] and "Sprache: Deutsch" in one["text"]
        assert f"Notiz: t.me/c/1234/{second_note['message_id']}" in one["text"]
        edits = len(bot_api.calls_to("editMessageText"))
        await command(bot_api, GROUP, "/fall 1", AYLIN)
        await bot_api.wait_for_calls("editMessageText", edits + 1)
        assert bot_api.message(GROUP, one["message_id"])["text"].startswith("Fall #1 · übernommen von Aylin")

        await command(bot_api, GROUP, "/faelle", STRANGER)
        refused = (await bot_api.wait_for_messages(GROUP, 6))[5]
        assert refused["text"] == "Nur registrierte Lotsen können die Fallliste sehen."

        bot_api.user_sends_text(-100777, "/faelle", user_id=AYLIN, chat_type="supergroup")  # not a Lotsen group
        await asyncio.sleep(0.5)
        assert bot_api.sent_to(-100777) == [] and len(bot_api.sent_to(GROUP)) == 6


async def test_in_a_plain_group_fall_answers_as_a_reply_to_the_note(lotsen_app: App, bot_api: FakeBotApi):
    lotsen_app.settings = replace(lotsen_app.settings, lotsen_chat_id=PLAIN)
    families_ask_for_a_person(lotsen_app, 2)
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        first_note, second_note = await bot_api.wait_for_messages(PLAIN, 2)
        await outbox_idle(lotsen_app)  # both notes recorded: /fall knows where each case lives
        await command(bot_api, PLAIN, "/fall 1", AYLIN)
        await bot_api.wait_for_messages(PLAIN, 3)
        [call] = [c for c in bot_api.calls_to("sendMessage") if c.params.get("text", "").startswith("Fall #1 · offen")]
        assert call.params["reply_parameters"]["message_id"] == first_note["message_id"]
        await command(bot_api, PLAIN, "/fall 2", AYLIN)  # another note: a new reply, the old answer goes
        await bot_api.wait_for_calls("deleteMessage", 1)
        await bot_api.wait_for_messages(PLAIN, 3)
        texts = [m["text"].split("\n")[0] for m in bot_api.sent_to(PLAIN)]
        assert texts[2].startswith("Fall #2 · offen") and not any(t.startswith("Fall #1 · offen") for t in texts)
        await command(bot_api, PLAIN, "/faelle", AYLIN)
        listed = (await bot_api.wait_for_messages(PLAIN, 4))[3]
        assert "/fall 1" in listed["text"] and "t.me" not in listed["text"]
        assert second_note["message_id"]


async def test_only_the_owner_closes_abbrechen_goes_back_and_a_closed_note_has_no_button(
    lotsen_app: App, bot_api: FakeBotApi
):
    families_ask_for_a_person(lotsen_app, 1)
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        [note] = await bot_api.wait_for_messages(GROUP, 1)
        note_id = note["message_id"]
        await answer_to_press(bot_api, GROUP, "claim:1", note_id, AYLIN)
        await bot_api.wait_for_calls("editMessageText", 1)
        assert buttons_of(bot_api.message(GROUP, note_id)) == CLAIMED

        refused = await answer_to_press(bot_api, GROUP, "close:1", note_id, JONAS)
        assert refused["show_alert"] is True and "nicht deiner" in refused["text"]
        assert buttons_of(bot_api.message(GROUP, note_id)) == CLAIMED  # the owner's buttons stay

        await answer_to_press(bot_api, GROUP, "close:1", note_id, AYLIN)
        choice = [b["callback_data"] for b in buttons_of(bot_api.message(GROUP, note_id))]
        assert choice == ["out:1:arranged", "out:1:referred", "out:1:no_contact", "out:1:other", "keep:1"]
        assert buttons_of(bot_api.message(GROUP, note_id))[-1]["text"] == "Abbrechen"
        await answer_to_press(bot_api, GROUP, "keep:1", note_id, AYLIN)
        assert buttons_of(bot_api.message(GROUP, note_id)) == CLAIMED

        await answer_to_press(bot_api, GROUP, "close:1", note_id, AYLIN)
        refused = await answer_to_press(bot_api, GROUP, "out:1:arranged", note_id, JONAS)
        assert refused["show_alert"] is True
        edits = len(bot_api.calls_to("editMessageText"))
        await answer_to_press(bot_api, GROUP, "out:1:arranged", note_id, AYLIN)
        await bot_api.wait_for_calls("editMessageText", edits + 1)
        closed = bot_api.message(GROUP, note_id)
        assert buttons_of(closed) == [] and closed["text"].endswith("✅ Abgeschlossen: Angebot vermittelt (Aylin)")
        again = await answer_to_press(bot_api, GROUP, "claim:1", note_id, JONAS)  # an old keyboard elsewhere
        assert again["show_alert"] is True


async def test_a_hand_back_is_a_visible_line_whose_button_goes_after_the_next_claim(
    lotsen_app: App, bot_api: FakeBotApi
):
    families_ask_for_a_person(lotsen_app, 1)
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        [note] = await bot_api.wait_for_messages(GROUP, 1)
        await answer_to_press(bot_api, GROUP, "claim:1", note["message_id"], AYLIN)
        await answer_to_press(bot_api, GROUP, "back:1", note["message_id"], AYLIN)
        line = (await bot_api.wait_for_messages(GROUP, 2))[1]
        assert line["text"] == "🔄 Fall #1 ist wieder offen (zurückgegeben von Aylin)."
        assert buttons_of(line) == [{"text": "Übernehmen", "callback_data": "claim:1"}]
        for _ in range(50):  # a person presses after the bot has noted that the line went out (milliseconds)
            with lotsen_app.uow() as session:
                if session.scalar(select(OutboxRow.id).where(OutboxRow.telegram_message_id == line["message_id"])):
                    break
            await asyncio.sleep(0.1)
        claimed = await answer_to_press(bot_api, GROUP, "claim:1", line["message_id"], JONAS)
        assert claimed["text"] == "Fall #1 gehört jetzt dir."
        for _ in range(50):
            if buttons_of(bot_api.message(GROUP, line["message_id"])) == []:
                break
            await asyncio.sleep(0.1)
        tidied = bot_api.message(GROUP, line["message_id"])
        assert buttons_of(tidied) == [] and tidied["text"] == "⏰ Fall #1 hat gewartet – jetzt übernommen von Jonas."


async def test_a_morning_with_ten_waiting_cases_leaves_the_group_readable(lotsen_app: App, bot_api: FakeBotApi):
    # Ten families asked three hours ago; the reminder rounds of those three hours (one a minute, as the
    # sender runs them) are played on a clock that walks up to now, so what they queue is due at once.
    start = datetime.now(UTC) - timedelta(hours=3)
    families_ask_for_a_person(lotsen_app, 10, clock=lambda: start)
    bot = lotsen_bot(lotsen_app, bot_api)
    handover = bot.bot_data.handover
    assert handover is not None
    handover.now = lambda: start  # the sender's first reminder round runs at its start: on the same clock
    async with polling(bot) as application:
        await bot_api.wait_for_messages(GROUP, 10, timeout=10)
        for minute in range(1, 181):
            handover.now = lambda minute=minute: start + timedelta(minutes=minute)  # type: ignore[misc]
            await asyncio.to_thread(handover.raise_waiting)
        application.bot_data.sender.wake()  # type: ignore[union-attr]
        await outbox_idle(lotsen_app)
        # a digest the sender held while the clock walked on is brought up to date by the next round
        await asyncio.to_thread(handover.raise_waiting)
        application.bot_data.sender.wake()  # type: ignore[union-attr]
        await outbox_idle(lotsen_app)
        messages = bot_api.sent_to(GROUP)
    kinds = [m["text"].split(" ", 1)[0] for m in messages]
    # 10 notes, one digest, and each case raised at 30, 90 and 150 minutes: 41 messages, where every case
    # re-raised every 30 minutes made 70 — and 6 cases with RAISE_AFTER_MINUTES=1 made 23 in 4 minutes.
    assert len(messages) == 10 + 1 + 30, kinds
    [digest] = [m for m in messages if m["text"].startswith("⏳ Warten auf einen Lotsen: 10")]
    # its durations are silent edits, refreshed every DIGEST_REFRESH: a round while the sender held the digest
    # may leave them a minute behind the walking clock
    assert len(buttons_of(digest)) == 8 and re.search(r"wartet seit (3 Std\.|2 Std\. 5\d Min\.)", digest["text"])
    per_case = {n: sum(m["text"].startswith(f"⏰ Fall #{n} ") for m in messages) for n in range(1, 11)}
    assert set(per_case.values()) == {3}
