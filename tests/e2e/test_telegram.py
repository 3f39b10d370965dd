"""The family conversation on Telegram, end to end: the real PTB Application polling FakeBotApi on loopback."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import Application

from bot.adapters.telegram import PerChatUpdateProcessor, build_application
from bot.bootstrap import App, conversation_service
from bot.conversation import notices
from bot.conversation.notices import COMMANDS
from bot.i18n import SUPPORTED, native_name, texts
from bot.services.conversations import ConversationService
from bot.speech import Speaker
from tests.e2e.conftest import Family, bot_settings, polling
from tests.fakes import FakeBotApi, buttons_of


def data_of(message: dict) -> list[str]:
    return [button["callback_data"] for button in buttons_of(message)]


def offer_header(text: str, code: str) -> bool:
    """Whether a message starts like the core's offer list ("I found 4 offers for you:") in that language."""
    count = re.search(r"\d+", text.split("\n", 1)[0])
    if not count:
        return False
    n = int(count.group())
    return text.startswith(texts(code).n_("I found {count} offer for you:", "I found {count} offers for you:", n))


async def test_a_german_family_finds_kita_offers_by_buttons(bot: Application, bot_api: FakeBotApi) -> None:
    t = texts("de")
    family = Family(bot_api, 1001, "de")

    [menu] = await family.says("/start")
    assert menu["text"].startswith(t._("Hello! Which language would you like to use?"))
    assert buttons_of(menu)[0] == {"text": "Deutsch", "callback_data": "lang:de"}  # Telegram's language first
    [consent] = await family.taps("lang:de")
    assert "consent:yes" in data_of(consent)
    thanks, age = await family.taps("consent:yes", replies=2)
    assert thanks["text"] == t._("Thank you! A few short questions, then I'll show you what fits.")
    assert "age:3" in data_of(age)
    [network] = await family.taps("age:3")
    assert "net:ludwigsburg" in data_of(network)
    [district] = await family.taps("net:ludwigsburg")
    assert "d:lb-eglosheim" in data_of(district)
    [need] = await family.taps("d:lb-eglosheim")
    assert "need:childcare" in data_of(need)
    [offers] = await family.taps("need:childcare")

    assert offer_header(offers["text"], "de"), offers["text"]
    assert {"other_need", "another_child", "lotse"} <= set(data_of(offers))
    assert all(call.params.get("parse_mode") is None for call in bot_api.calls_to("sendMessage"))  # plain text


async def test_an_arabic_family_reaches_offers_by_free_text(bot: Application, bot_api: FakeBotApi) -> None:
    t = texts("ar")
    family = Family(bot_api, 1002, "ar")

    [menu] = await family.says("/start")
    assert buttons_of(menu)[0] == {"text": native_name("ar"), "callback_data": "lang:ar"}
    noted, consent = await family.says("ابني عمره ٤ سنوات ونحن في إيغلوسهايم ونحتاج روضة", replies=2)
    assert noted["text"] == t._("Thank you, I have noted that. First, one thing:")
    assert "consent:yes" in data_of(consent)
    thanks, offers = await family.taps("consent:yes", replies=2)

    # Age, district and need came from the one Arabic sentence: no further question, straight to the offers.
    assert thanks["text"] == t._("Thank you! A few short questions, then I'll show you what fits.")
    assert offer_header(offers["text"], "ar"), offers["text"]
    assert "\u2066" in offers["text"]  # German names and numbers are isolated so they read right inside Arabic


async def test_a_turkish_deep_link_presets_language_and_district(
    bot: Application, bot_api: FakeBotApi, service: ConversationService
) -> None:
    t = texts("tr")
    family = Family(bot_api, 1003, "de")  # the phone is set to German; the poster's link says Turkish

    [consent] = await family.says("/start d-eglosheim_l-tr")
    assert "consent:yes" in data_of(consent)
    assert buttons_of(consent)[0]["text"] == "👍 " + t._("Yes, let's start")
    state = service.state_of("telegram:1003")
    assert (state.locale, state.district_id) == ("tr", "lb-eglosheim")
    await family.taps("consent:yes", replies=2)
    [need] = await family.taps("age:1")  # the district is known: straight to the need
    assert "need:childcare" in data_of(need)


async def test_a_restart_in_the_middle_resumes_the_conversation(
    example_app: App, service: ConversationService, bot_api: FakeBotApi
) -> None:
    family = Family(bot_api, 1004, "de")
    async with polling(build_application(bot_settings(example_app, bot_api), service)):
        await family.says("/start")
        await family.taps("lang:de")
        await family.taps("consent:yes", replies=2)
        await family.taps("age:3")

    # A new process: new Application, same database. The family simply goes on where it was.
    async with polling(build_application(bot_settings(example_app, bot_api), service)):
        [district] = await family.taps("net:ludwigsburg")
        assert "d:lb-eglosheim" in data_of(district)
        [need] = await family.says("Eglosheim")
        assert "need:childcare" in data_of(need)
    assert service.state_of("telegram:1004").age_months == 36


async def test_messages_of_one_chat_arriving_together_are_answered_in_order(
    bot: Application, bot_api: FakeBotApi
) -> None:
    family = Family(bot_api, 1005, "de")
    await family.says("/start")
    await family.taps("lang:de")
    await family.taps("consent:yes", replies=2)
    before = len(family.messages)

    # Three messages in one getUpdates batch: handled concurrently by PTB, yet in order for this chat.
    for text in ("4 Jahre", "Eglosheim", "Kita"):
        bot_api.user_sends_text(1005, text)
    replies = (await bot_api.wait_for_messages(1005, before + 3))[before:]

    assert "net:ludwigsburg" in data_of(replies[0])  # after the age: where do you live?
    assert "need:childcare" in data_of(replies[1])  # after the district: what do you need?
    assert offer_header(replies[2]["text"], "de"), [r["text"][:40] for r in replies]  # after the need: offers


async def test_the_update_processor_keeps_a_chats_order_and_runs_chats_side_by_side() -> None:
    processor = PerChatUpdateProcessor(8)
    done: list[str] = []

    async def work(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        done.append(name)

    def update(update_id: int, chat_id: int) -> Update:
        message = {"message_id": update_id, "date": 0, "chat": {"id": chat_id, "type": "private"}, "text": "x"}
        return Update.de_json({"update_id": update_id, "message": message}, None)

    async with processor:
        await asyncio.wait_for(
            asyncio.gather(
                processor.process_update(update(1, 7), work("a1 slow", 0.2)),
                processor.process_update(update(2, 7), work("a2 fast", 0)),
                processor.process_update(update(3, 8), work("b1 other chat", 0.05)),
            ),
            timeout=2,
        )
    assert done == ["b1 other chat", "a1 slow", "a2 fast"]
    assert processor.busy_chats == 0  # no lock is kept for an idle chat


async def test_the_command_menu_is_registered_in_every_language(bot: Application, bot_api: FakeBotApi) -> None:
    expected = {None if code == "de" else code for code in SUPPORTED if "@" not in code}
    assert set(bot_api.commands) == expected
    assert bot_api.commands[None] == [
        {"command": name, "description": texts("de")._(description)} for name, description in COMMANDS.items()
    ]
    assert bot_api.commands["ar"][0]["description"] == texts("ar")._(COMMANDS["start"])


async def test_a_pressed_keyboard_is_removed_so_it_cannot_be_pressed_twice(
    bot: Application, bot_api: FakeBotApi
) -> None:
    family = Family(bot_api, 1006, "de")
    [menu] = await family.says("/start")
    await family.taps("lang:de")
    # the press is stored and answered first; the old keyboard goes a moment later
    await bot_api.wait_for_calls("editMessageReplyMarkup")
    assert "reply_markup" not in family.messages[0]  # the language menu lost its buttons
    assert bot_api.calls_to("editMessageReplyMarkup")[0].params["message_id"] == menu["message_id"]
    assert len(bot_api.answered_callbacks) == 1  # the spinner on the button stopped


@pytest.mark.parametrize("forged", ["lang:" + "x" * 80, "evil\ndata", "😈:bad"], ids=["oversized", "newline", "emoji"])
async def test_a_forged_button_gets_a_friendly_answer(bot: Application, bot_api: FakeBotApi, forged: str) -> None:
    family = Family(bot_api, 1007, "de")
    await family.says("/start")
    [consent] = await family.taps("lang:de")
    bot_api.user_presses(1007, forged, consent["message_id"])

    stale, question = (await bot_api.wait_for_messages(1007, 4))[2:]
    assert stale["text"] == texts("de")._("That button is no longer active. Here is where we are:")
    assert "consent:yes" in data_of(question)  # and the open question again
    assert len(bot_api.answered_callbacks) == 2


async def test_group_messages_are_left_to_others(bot: Application, bot_api: FakeBotApi) -> None:
    bot_api.user_sends_text(-500, "/start", chat_type="group")
    bot_api.user_sends_text(-500, "Hallo", chat_type="supergroup")
    family = Family(bot_api, 1008, "de")
    await family.says("/start")  # the private chat after them is answered, so the group ones were seen
    assert bot_api.sent_to(-500) == []


async def test_stickers_edits_and_locations_are_understood(bot: Application, bot_api: FakeBotApi) -> None:
    t = texts("de")
    family = Family(bot_api, 1009, "de")
    await family.says("/start")
    await family.taps("lang:de")
    await family.taps("consent:yes", replies=2)
    before = len(family.messages)

    bot_api.user_sends_sticker(1009)
    sticker_reply = (await bot_api.wait_for_messages(1009, before + 2))[before]
    assert sticker_reply["text"] == t._("I can only read text. Please write a few words or tap a button.")
    await family.taps("age:3")
    bot_api.user_sends_location(1009, 48.9127, 9.1665)  # near Eglosheim
    thanks = (await bot_api.wait_for_messages(1009, before + 5))[before + 3]
    assert "Eglosheim" in thanks["text"]
    edited = bot_api.user_edits_text(1009, 1, "Kita")
    assert edited["edited_message"]
    offers = (await bot_api.wait_for_messages(1009, before + 6))[-1]
    assert offer_header(offers["text"], "de")


async def test_a_family_that_blocked_the_bot_does_not_stop_it(bot: Application, bot_api: FakeBotApi) -> None:
    bot_api.block(1010)
    bot_api.user_sends_text(1010, "/start")
    [refused] = await bot_api.wait_for_calls("sendMessage")
    assert refused.status == 403
    [menu] = await Family(bot_api, 1011, "de").says("/start")
    assert "lang:de" in data_of(menu)


async def test_telegrams_flood_limit_is_waited_out(bot: Application, bot_api: FakeBotApi) -> None:
    bot_api.fail_next("sendMessage", status=429, retry_after=1)
    [menu] = await Family(bot_api, 1012, "de").says("/start")
    assert [call.status for call in bot_api.calls_to("sendMessage")] == [429, 200]
    assert "lang:de" in data_of(menu)


@pytest.mark.slow
async def test_python_m_bot_run_serves_families_until_interrupted(tmp_path: Path, bot_api: FakeBotApi) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_BASE_URL": bot_api.base_url,
    }
    env.pop("WEBHOOK_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        # Start-up migrates, loads the example offers and builds the understanding indexes: a few seconds.
        polling = asyncio.ensure_future(bot_api.wait_for_calls("getUpdates", timeout=60, answered=False))
        exited = asyncio.ensure_future(process.wait())
        await asyncio.wait({polling, exited}, return_when=asyncio.FIRST_COMPLETED)
        assert not exited.done(), "the bot process ended before polling"
        [menu] = await Family(bot_api, 1013, "tr").says("/start")
        assert buttons_of(menu)[0]["callback_data"] == "lang:tr"
        assert bot_api.calls_to("deleteWebhook"), "polling starts by removing any webhook"
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        _out, err = await asyncio.wait_for(process.communicate(), timeout=15)
    assert process.returncode == 0, err.decode()[-2000:]
    assert bot_api.token not in err.decode()  # request URLs (which carry the token) stay out of the log


async def test_a_family_sending_very_fast_gets_one_friendly_note_and_is_slowed(bot: Application, bot_api: FakeBotApi):
    family = Family(bot_api, 1777, "de")
    await family.says("/start")
    await family.taps("lang:de")
    await family.taps("consent:yes", replies=2)
    for number in range(25):
        bot_api.user_sends_text(family.chat_id, f"hallo {number}", "de")
    too_fast = texts("de")._(notices.TOO_FAST)
    # the note is queued after the replies to what came before it, in the chat's order
    await bot_api._wait(lambda: any(m["text"] == too_fast for m in family.messages), 10, "the note")
    await asyncio.sleep(1.0)
    notes = [m for m in family.messages if m["text"] == too_fast]
    assert len(notes) == 1
    assert len(family.messages) < 4 + 25  # the flood was not answered message by message


def test_the_flood_gate_lets_a_user_on_after_the_window():
    from bot.adapters.telegram.flood import FloodGate

    gate = FloodGate(limit=3, window=10)
    assert [gate.admit(1, t) for t in (0, 1, 2, 3, 4)] == [True, True, True, False, None]
    assert gate.admit(2, 4) is True  # others are not affected
    assert gate.admit(1, 12.5) is True


@pytest.mark.skipif(
    not Speaker().available and not os.environ.get("REQUIRE_SPEECH"), reason="espeak-ng/opusenc missing"
)
async def test_listen_sends_the_message_as_a_voice_message_in_the_familys_language(
    example_app: App, bot_api: FakeBotApi
) -> None:
    speaker = Speaker()
    service = conversation_service(example_app, listen=frozenset({"tr"}))
    async with polling(build_application(bot_settings(example_app, bot_api), service, speaker=speaker)):
        family = Family(bot_api, 1888, "tr")
        await family.says("/start")
        [consent] = await family.taps("lang:tr")
        assert "listen" in data_of(consent)
        voices = len(bot_api.calls_to("sendVoice"))
        bot_api.user_presses(family.chat_id, "listen", consent["message_id"], "tr")
        [call] = (await bot_api.wait_for_calls("sendVoice", voices + 1, timeout=15))[voices:]
    assert call.params["voice"]["head"] == b"OggS" and call.params["voice"]["size"] > 2000
    consent_now = next(m for m in bot_api.sent_to(family.chat_id) if m["message_id"] == consent["message_id"])
    assert "consent:yes" in data_of(consent_now)  # the buttons stay: listening is not an answer
