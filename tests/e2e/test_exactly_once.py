"""Nothing lost, nothing doubled: the real PTB Application on FakeBotApi when Telegram misbehaves as it does.

Updates delivered twice (polling and webhook), edits, 429/500/slow answers, a blocked family, an unreadable
update, 500s during start-up, a database away longer than the bot's patience, long messages.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from bot.adapters.telegram import build_application, outbox_sender, serve_webhook
from bot.bootstrap import App, conversation_service
from bot.db.engine import UnitOfWork
from bot.db.orm import CaseRow, OutboxRow
from bot.services import conversations
from bot.services.conversations import ConversationService
from tests.e2e.conftest import STEP_TIMEOUT, Family, bot_settings, polling
from tests.e2e.test_handover import AYLIN, GROUP, arabic_family_asks_for_a_person, lotsen_app, lotsen_bot, notes
from tests.e2e.test_webhook import SECRET, free_port
from tests.fakes import FakeBotApi, buttons_of
from tests.fakes.translate_api import FakeTranslateApi

__all__ = ["lotsen_app"]  # the fixture, imported for these tests


async def quiet(seconds: float = 0.6) -> None:
    """Time in which a doubled reply would have arrived."""
    await asyncio.sleep(seconds)


async def handed_over(api: FakeBotApi, app: App) -> tuple[Family, dict[str, Any]]:
    """An Arabic family waiting for its Lotse, Aylin has claimed the case; returns the family and the note."""
    family = Family(api, 5101, "ar")
    await arabic_family_asks_for_a_person(family)
    [note] = await api.wait_for_messages(GROUP, 1, timeout=STEP_TIMEOUT)
    api.user_presses_in_group(GROUP, "claim:1", note["message_id"], AYLIN)
    await family.wait_for_new(1)
    return family, note


# ---------------------------------------------------------------------------------------------- doubles


async def test_a_command_delivered_twice_is_answered_once(bot: Any, bot_api: FakeBotApi) -> None:
    family = Family(bot_api, 3001, "de")
    await family.says("/start")
    first = bot_api.user_sends_text(3001, "/help")
    await bot_api.wait_for_messages(3001, 2)
    await quiet()
    answered = len(family.messages)
    bot_api.redeliver(first)
    await quiet()
    assert len(family.messages) == answered


async def test_delete_delivered_twice_says_done_once_and_nothing_else(bot: Any, bot_api: FakeBotApi) -> None:
    family = Family(bot_api, 3002, "de")
    await family.says("/start")
    await family.taps("lang:de")
    before = len(family.messages)
    delete = bot_api.user_sends_text(3002, "/delete")
    await bot_api.wait_for_messages(3002, before + 1)
    bot_api.redeliver(delete)
    await quiet()
    assert len(family.messages) == before + 1  # no "Okay, nothing was deleted" after "Done, deleted"


async def test_a_button_press_delivered_twice_counts_once(bot: Any, bot_api: FakeBotApi) -> None:
    family = Family(bot_api, 3003, "de")
    [menu] = await family.says("/start")
    press = bot_api.user_presses(3003, "lang:de", menu["message_id"])
    await bot_api.wait_for_messages(3003, 2)
    bot_api.redeliver(press)
    await quiet()
    assert len(family.messages) == 2


async def test_a_lotse_reply_and_a_family_message_delivered_twice_are_relayed_once(
    lotsen_app: App, bot_api: FakeBotApi
) -> None:
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        family, note = await handed_over(bot_api, lotsen_app)
        reply = bot_api.user_replies(GROUP, "Ich rufe morgen an.", note["message_id"], AYLIN)
        await family.wait_for_new(1)
        bot_api.redeliver(reply)
        in_group = len(bot_api.sent_to(GROUP))
        wrote = bot_api.user_sends_text(family.chat_id, "شكرا جزيلا", "ar")
        await bot_api.wait_for_messages(GROUP, in_group + 1)
        bot_api.redeliver(wrote)
        await quiet(1.0)
    assert sum("Ich rufe morgen an." in m["text"] for m in family.messages) == 1
    assert sum("شكرا جزيلا" in m["text"] for m in bot_api.sent_to(GROUP)) == 1


async def test_a_claim_delivered_twice_tells_the_family_once(lotsen_app: App, bot_api: FakeBotApi) -> None:
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        family = Family(bot_api, 5102, "ar")
        await arabic_family_asks_for_a_person(family)
        [note] = await bot_api.wait_for_messages(GROUP, 1, timeout=STEP_TIMEOUT)
        claim = bot_api.user_presses_in_group(GROUP, "claim:1", note["message_id"], AYLIN)
        await family.wait_for_new(1)
        bot_api.redeliver(claim)
        await quiet(1.0)
        answers = [a.params.get("text") for a in bot_api.calls_to("answerCallbackQuery")]
    assert sum("Aylin" in m["text"] for m in family.messages) == 1
    assert "Dieser Fall ist schon übernommen." not in answers  # the repeat is not a second Lotse


async def test_an_edit_after_the_handover_reaches_the_lotse_once_marked_as_correction(
    lotsen_app: App, bot_api: FakeBotApi
) -> None:
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        family, _note = await handed_over(bot_api, lotsen_app)
        in_group = len(bot_api.sent_to(GROUP))
        wrote = bot_api.user_sends_text(family.chat_id, "موعد يوم الاثنين", "ar")
        await bot_api.wait_for_messages(GROUP, in_group + 1)
        edit = bot_api.user_edits_text(family.chat_id, wrote["message"]["message_id"], "موعد يوم الثلاثاء", "ar")
        await bot_api.wait_for_messages(GROUP, in_group + 2)
        bot_api.redeliver(edit)
        await quiet(1.0)
    relayed = [m["text"] for m in bot_api.sent_to(GROUP)[in_group:]]
    assert len(relayed) == 2 and "(korrigiert) موعد يوم الثلاثاء" in relayed[1]


async def test_an_update_delivered_twice_to_the_webhook_is_handled_once(
    example_app: App, service: ConversationService, bot_api: FakeBotApi
) -> None:
    async with webhook_bot(example_app, service, bot_api):
        family = Family(bot_api, 3004, "tr")
        await family.says("/start")
        first = bot_api.user_sends_text(3004, "/help", "tr")
        await bot_api.wait_for_messages(3004, 2)
        await quiet()
        answered = len(family.messages)
        bot_api.redeliver(first)
        await bot_api._wait(lambda: len(bot_api.webhook.deliveries) == 3, STEP_TIMEOUT, "3 deliveries")  # type: ignore[union-attr]
        await quiet()
        assert len(family.messages) == answered
        assert bot_api.webhook is not None and bot_api.webhook.deliveries == [200, 200, 200]  # acknowledged


# ---------------------------------------------------------------------------------------------- losses


@pytest.mark.slow
async def test_replies_wait_out_telegram_500s_and_429s_instead_of_being_lost(bot: Any, bot_api: FakeBotApi) -> None:
    family = Family(bot_api, 3005, "de")
    await family.says("/start")
    bot_api.fail_for("sendMessage", 1.5, status=500)
    bot_api.user_presses(3005, "lang:de", family.messages[0]["message_id"])
    await bot_api.wait_for_messages(3005, 2, timeout=10)
    bot_api.fail_next("sendMessage", status=429, times=2, retry_after=1)
    await family.says("/help")  # Family.says waits STEP_TIMEOUT: two waits of retry_after fit
    assert [c.status for c in bot_api.calls_to("sendMessage")].count(500) >= 2


@pytest.mark.slow
async def test_a_note_telegram_answers_late_is_sent_once(lotsen_app: App, bot_api: FakeBotApi) -> None:
    family = Family(bot_api, 5103, "ar")
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        await family.says("/start")
        await family.taps("lang:ar")
        await family.taps("consent:yes", replies=2)
        await family.says("ابني عمره ٤ سنوات ونحتاج روضة في إيغلوسهايم")
        await family.says("/lotse")
        bot_api.slow_next("sendMessage", 6.0)  # the next send (the family's answer or the note) is late, not lost
        bot_api.user_presses(5103, "handover:yes", family.messages[-1]["message_id"], "ar")
        await bot_api.wait_for_messages(GROUP, 1, timeout=15)
        await bot_api._wait(lambda: outbox_pending(lotsen_app) == 0, 15, "the outbox to empty")
        await quiet(1.0)
    assert len(notes(bot_api)) == 1 and outbox_pending(lotsen_app) == 0
    assert len([m for m in family.messages if "handover" in str(m.get("reply_markup"))]) <= 1


async def test_a_lotse_is_told_when_the_family_blocked_the_bot(lotsen_app: App, bot_api: FakeBotApi) -> None:
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        family, note = await handed_over(bot_api, lotsen_app)
        bot_api.block(family.chat_id)
        in_group = len(bot_api.sent_to(GROUP))
        bot_api.user_replies(GROUP, "Sind Sie noch da?", note["message_id"], AYLIN)
        [told] = (await bot_api.wait_for_messages(GROUP, in_group + 1, timeout=STEP_TIMEOUT))[in_group:]
    assert told["text"].startswith("⚠️ Fall #1: Die Familie ist über Telegram nicht erreichbar")


async def test_a_long_message_of_the_family_reaches_the_lotse_whole_in_numbered_parts(
    lotsen_app: App, bot_api: FakeBotApi
) -> None:
    # 2,999 characters plus their machine translation: twice Telegram's 4,096 would be cut before.
    words = " ".join(f"Satz{n:04d}" for n in range(333))
    async with FakeTranslateApi() as translator:
        lotsen_app.settings = replace(lotsen_app.settings, translate_url=translator.url)
        async with polling(lotsen_bot(lotsen_app, bot_api)):
            family, _note = await handed_over(bot_api, lotsen_app)
            in_group = len(bot_api.sent_to(GROUP))
            bot_api.user_sends_text(family.chat_id, words, "ar")
            parts = (await bot_api.wait_for_messages(GROUP, in_group + 2, timeout=STEP_TIMEOUT))[in_group:]
            bot_api.user_replies(GROUP, "Danke, gelesen.", parts[0]["message_id"], AYLIN)  # to part 1 of 2
            await bot_api._wait(
                lambda: any("Danke, gelesen." in m["text"] for m in family.messages), STEP_TIMEOUT, "the answer"
            )
    assert [p["text"][:6] for p in parts] == ["(1/2)\n", "(2/2)\n"]
    assert all(len(p["text"]) <= 4096 for p in parts)
    said = " ".join(p["text"] for p in parts)
    assert all(said.count(f"Satz{n:04d}") == 2 for n in range(333))  # original and translation, nothing cut


async def test_replies_the_bot_could_not_send_before_it_stopped_reach_the_family_after_the_restart(
    example_app: App, service: ConversationService, bot_api: FakeBotApi
) -> None:
    bot_api.fail_for("sendMessage", 60, status=500)  # Telegram away: the reply stays in the outbox
    async with polling(build_application(bot_settings(example_app, bot_api), service)):
        bot_api.user_sends_text(3011, "/start")
        await bot_api.wait_for_calls("sendMessage")
    assert bot_api.sent_to(3011) == [] and outbox_pending(example_app) == 1  # stored with the conversation
    database = Path(example_app.settings.database_url.removeprefix("sqlite:///"))
    assert database.with_name(database.name + ".outbox-polling.sent").exists()  # the delivery journal
    bot_api.fail_for("sendMessage", 0)  # Telegram is back; so is the bot, as a new process would be
    async with polling(build_application(bot_settings(example_app, bot_api), service)):
        [menu] = await bot_api.wait_for_messages(3011, 1, timeout=STEP_TIMEOUT)
        await quiet()
    assert len(bot_api.sent_to(3011)) == 1 and "lang:de" in [b["callback_data"] for b in buttons_of(menu)]


async def test_a_reply_with_a_place_arrives_as_text_and_map_pin_in_order_and_quickly(
    example_app: App, service: ConversationService, bot_api: FakeBotApi
) -> None:
    async with polling(build_application(bot_settings(example_app, bot_api), service)):
        family = Family(bot_api, 3013, "de")
        await family.says("/start")
        await family.taps("lang:de")
        await family.taps("consent:yes", replies=2)
        await family.says("mein 4-jähriger in Eglosheim braucht Kita")
        sent = time.monotonic()
        replies = await family.says("Wo ist das?", replies=4)
        took = bot_api.sent_times(3013)[-4] - sent
    assert ["text" in m for m in replies] == [True, False, True, False]  # each offer, then its map pin
    assert replies[1]["venue"]["address"].startswith("Wilhelmstraße 11") and replies[1]["location"]["latitude"] > 48
    assert took < 0.5  # from the family's message to the first reply, through the outbox


async def test_an_update_the_database_could_not_take_is_not_confirmed_to_the_poller_and_comes_again(
    example_app: App, service: ConversationService, bot_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conversations, "DATABASE_PATIENCE", 0.5)
    async with polling(build_application(bot_settings(example_app, bot_api), service)):
        family = Family(bot_api, 3012, "de")
        await family.says("/start")
        working = service.uow
        service.uow = UnitOfWork(create_engine(f"sqlite:///{example_app.settings.database_url[10:]}.d/missing.db"))
        bot_api.user_sends_text(3012, "/help")
        await asyncio.sleep(1.5)  # handled, and failed: the database is away
        assert len(family.messages) == 1
        service.uow = working
        await bot_api.wait_for_messages(3012, 3, timeout=10)  # Telegram handed it again: it was not confirmed
        await quiet()
    texts = [m["text"] for m in family.messages]
    assert len(texts) == 3 and len(set(texts[1:])) == 2  # /help's two replies, once each


async def test_twenty_messages_in_five_seconds_after_the_handover_all_reach_the_lotse_in_order(
    lotsen_app: App, bot_api: FakeBotApi
) -> None:
    settings = bot_settings(lotsen_app, bot_api, rate_limiter=False)  # Telegram's 20 a minute is not the point
    async with polling(build_application(settings, conversation_service(lotsen_app))):
        family, _note = await handed_over(bot_api, lotsen_app)
        in_group = len(bot_api.sent_to(GROUP))
        for number in range(20):
            bot_api.user_sends_text(family.chat_id, f"Nachricht {number}", "ar")
            await asyncio.sleep(0.25)
        relayed = (await bot_api.wait_for_messages(GROUP, in_group + 20, timeout=15))[in_group:]
        await quiet()
    numbers = [int(match.group(1)) for m in relayed if (match := re.search(r"Nachricht (\d+)", m["text"]))]
    assert numbers == list(range(20)) and len(bot_api.sent_to(GROUP)) == in_group + 20


@pytest.mark.slow
async def test_a_note_whose_answer_was_lost_is_sent_again_and_both_copies_lead_to_the_case(
    lotsen_app: App, bot_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_sender, "SEND_READ_TIMEOUT", 1.0)  # Telegram's answer to the note comes too late
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        family = Family(bot_api, 5105, "ar")
        await family.says("/start")
        await family.taps("lang:ar")
        await family.taps("consent:yes", replies=2)
        await family.says("ابني عمره ٤ سنوات ونحتاج روضة في إيغلوسهايم")
        await family.says("/lotse")
        bot_api.slow_next("sendMessage", 2.5, times=2)  # the family's answer and the note: sent, answered late
        bot_api.user_presses(5105, "handover:yes", family.messages[-1]["message_id"], "ar")
        pair = [m["message_id"] for m in await bot_api.wait_for_messages(GROUP, 2, timeout=15)]
        bot_api.user_presses_in_group(GROUP, "claim:1", pair[0], AYLIN)  # on the copy Telegram answered late
        await bot_api._wait(lambda: any("Aylin" in m["text"] for m in family.messages), STEP_TIMEOUT, "the claim")

        def marked() -> list[int]:  # the press proved one copy arrived: the other one is marked
            return [i for i in pair if bot_api.message(GROUP, i)["text"].startswith("🔁")]

        await bot_api._wait(lambda: len(marked()) == 1, STEP_TIMEOUT, "the mark")
        [copy], [real] = marked(), [i for i in pair if i not in marked()]
        bot_api.user_replies(GROUP, "Ich melde mich morgen.", copy, AYLIN)
        await bot_api._wait(
            lambda: any("Ich melde mich morgen." in m["text"] for m in family.messages), STEP_TIMEOUT, "the reply"
        )
        await family.taps("when:evening")
        await quiet()
        in_group = len(bot_api.sent_to(GROUP))
        bot_api.slow_next("sendMessage", 2.5, times=2)  # the relayed message (and the "passed on"), too
        bot_api.user_sends_text(family.chat_id, "شكرا، متى بالضبط؟", "ar")
        pair = [m["message_id"] for m in (await bot_api.wait_for_messages(GROUP, in_group + 2, timeout=15))[in_group:]]
        bot_api.user_replies(GROUP, "Um 10 Uhr.", pair[0], AYLIN)  # to the copy Telegram answered late
        await bot_api._wait(lambda: any("Um 10 Uhr." in m["text"] for m in family.messages), STEP_TIMEOUT, "it")
        await bot_api._wait(lambda: len(marked()) == 1, STEP_TIMEOUT, "the relayed message's copy marked")
    assert bot_api.message(GROUP, marked()[0])["text"].startswith("🔁 Doppelt gesendet – diese Nachricht zu Fall #1")
    assert bot_api.message(GROUP, copy)["text"].startswith("🔁 Doppelt gesendet – die Notiz zu Fall #1 steht")
    assert buttons_of(bot_api.message(GROUP, copy)) == []  # no "Übernehmen" under the copy for ever
    note = bot_api.message(GROUP, real)
    assert "Übernommen von Aylin" in note["text"] and "close:1" in [b["callback_data"] for b in buttons_of(note)]
    assert sum(m["text"].startswith("Fall #1 · ") for m in bot_api.sent_to(GROUP)) == 1  # the copy reads as none


# ---------------------------------------------------------------------------------------------- wrong access


async def test_one_family_repeating_lotse_opens_one_case_and_one_note(lotsen_app: App, bot_api: FakeBotApi) -> None:
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        family = Family(bot_api, 5104, "ar")
        await arabic_family_asks_for_a_person(family)
        await bot_api.wait_for_messages(GROUP, 1, timeout=STEP_TIMEOUT)
        for _ in range(6):
            bot_api.user_sends_text(family.chat_id, "/lotse", "ar")
        await quiet(1.5)
        with lotsen_app.uow() as session:
            cases = session.scalar(select(func.count()).select_from(CaseRow))
    assert cases == 1 and len(notes(bot_api)) == 1


async def test_pass_on_in_a_group_that_is_not_a_lotsen_group_is_ignored(lotsen_app: App, bot_api: FakeBotApi) -> None:
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        bot_api.user_sends_text(-100777, "/weitergeben 1 902", user_id=AYLIN, chat_type="supergroup")
        bot_api.user_sends_text(-100777, "/weitergeben", user_id=AYLIN, chat_type="supergroup")
        bot_api.user_sends_text(GROUP, "/weitergeben", user_id=AYLIN, chat_type="supergroup")
        await bot_api.wait_for_messages(GROUP, 1)  # the Lotsen group gets its usage line
        await quiet()
    assert bot_api.sent_to(-100777) == []


# ---------------------------------------------------------------------------------------------- availability


async def test_an_unreadable_update_is_skipped_logged_without_content_and_polling_goes_on(
    bot: Any, bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    poison = {"message": {"message_id": 1, "date": "kaputt", "chat": {"id": 3006, "type": "private"}, "text": "Geheim"}}
    bad = bot_api.deliver(poison)
    family = Family(bot_api, 3007, "de")
    [menu] = await family.says("/start")  # polling went on past it
    assert menu["text"]
    await quiet(0.3)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "Geheim" not in logged and "3006" not in logged
    lines = [r for r in caplog.records if "cannot be read" in r.getMessage()]
    assert len(lines) == 1 and str(bad["update_id"]) in lines[0].getMessage()
    assert bot_api.sent_to(3006) == []


@pytest.mark.parametrize("method", ["getMe", "setMyCommands", "deleteWebhook"])
async def test_telegram_500s_during_start_up_are_waited_out(
    example_app: App, service: ConversationService, bot_api: FakeBotApi, method: str
) -> None:
    bot_api.fail_next(method, status=500, times=2)
    async with polling(build_application(bot_settings(example_app, bot_api), service)):
        [menu] = await Family(bot_api, 3008, "de").says("/start")
    assert menu["text"] and [c.status for c in bot_api.calls_to(method)][:3] == [500, 500, 200]


async def test_telegram_500s_when_the_webhook_is_set_are_waited_out(
    example_app: App, service: ConversationService, bot_api: FakeBotApi
) -> None:
    bot_api.fail_next("setWebhook", status=500, times=2)
    async with webhook_bot(example_app, service, bot_api):
        [menu] = await Family(bot_api, 3009, "de").says("/start")
    assert menu["text"] and [c.status for c in bot_api.calls_to("setWebhook")] == [500, 500, 200]


async def test_the_webhook_answers_503_while_the_database_is_away_and_telegram_delivers_again(
    example_app: App, service: ConversationService, bot_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conversations, "DATABASE_PATIENCE", 0.5)  # the bot's patience, shortened for the test
    bot_api.webhook_retry_after = 0.5
    async with webhook_bot(example_app, service, bot_api):
        family = Family(bot_api, 3010, "de")
        await family.says("/start")
        working = service.uow
        service.uow = UnitOfWork(create_engine(f"sqlite:///{example_app.settings.database_url[10:]}.d/missing.db"))
        bot_api.user_sends_text(3010, "/help")
        await bot_api._wait(lambda: 503 in bot_api.webhook.deliveries, 10, "a 503")  # type: ignore[union-attr]
        service.uow = working  # the database is back
        await bot_api.wait_for_messages(3010, 2, timeout=10)
        await bot_api._wait(lambda: bot_api.webhook.deliveries[-1] == 200, 5, "a 200")  # type: ignore[union-attr]
        assert bot_api.webhook is not None and bot_api.webhook.deliveries[0] == 200


# ---------------------------------------------------------------------------------------------- helpers


def outbox_pending(app: App) -> int:
    with app.uow() as session:
        return int(session.scalar(select(func.count()).where(OutboxRow.sent_at.is_(None))) or 0)


@asynccontextmanager
async def webhook_bot(app: App, service: ConversationService, api: FakeBotApi) -> AsyncIterator[None]:
    port = free_port()
    settings = bot_settings(
        app, api, webhook_url=f"http://127.0.0.1:{port}/telegram", webhook_secret=SECRET, webhook_port=port
    )
    stop = asyncio.Event()
    server = asyncio.create_task(
        serve_webhook(build_application(settings, service), settings, host="127.0.0.1", stop=stop)
    )
    await api._wait(lambda: api.webhook is not None or server.done(), 15, "setWebhook")
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(server, timeout=10)
