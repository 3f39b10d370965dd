"""Handover end to end: the real PTB Application, the Lotsen group and a family, all on FakeBotApi.

An Arabic family asks for a person, a Lotse claims in the group, they write both ways, the Lotse closes;
two Lotsen press at once; the bot dies between case and note; Telegram answers 429 and 500 for a while.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from telegram.ext import Application

from bot.adapters.telegram import build_application
from bot.bootstrap import App, conversation_service
from bot.conversation import ButtonPressed, Command, Text
from bot.db.orm import LotseRow
from bot.i18n import texts
from tests.e2e.conftest import Family, bot_settings, polling
from tests.fakes import FakeBotApi, buttons_of

GROUP = -1001234
AYLIN, JONAS = 901, 902


@pytest.fixture
def lotsen_app(example_app: App) -> App:
    with example_app.uow() as session:
        session.add_all(
            [LotseRow(telegram_user_id=AYLIN, name="Aylin"), LotseRow(telegram_user_id=JONAS, name="Jonas")]
        )
    example_app.settings = replace(example_app.settings, lotsen_chat_id=GROUP)
    return example_app


def lotsen_bot(app: App, api: FakeBotApi) -> Application:
    return build_application(bot_settings(app, api), conversation_service(app))


async def arabic_family_asks_for_a_person(family: Family) -> float:
    """The whole dialogue up to the handover; returns when (loop time) the family gave its last answer."""
    await family.says("/start")
    await family.taps("lang:ar")
    await family.taps("consent:yes", replies=2)
    await family.says("ابني عمره ٤ سنوات ونحتاج روضة في إيغلوسهايم")
    await family.says("/lotse")
    await family.taps("handover:yes")
    asked = asyncio.get_running_loop().time()
    await family.taps("when:evening")
    return asked


def notes(api: FakeBotApi) -> list[dict]:
    return [m for m in api.sent_to(GROUP) if m["text"].lstrip("🆘 ").startswith(("Fall #", "DRINGEND"))]


async def test_arabic_family_lotse_claims_they_write_both_ways_and_the_lotse_closes(
    lotsen_app: App, bot_api: FakeBotApi
):
    family = Family(bot_api, 5001, "ar")
    t = texts("ar")
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        asked = await arabic_family_asks_for_a_person(family)
        [note] = await bot_api.wait_for_messages(GROUP, 1, timeout=5)
        assert asyncio.get_running_loop().time() - asked < 2  # the note is in the group within 2 s of the last tap
        assert "Fall #1" in note["text"] and "Kind: 4 Jahre" in note["text"] and "5001" not in note["text"]
        assert buttons_of(note) == [{"text": "Übernehmen", "callback_data": "claim:1"}]

        bot_api.user_presses_in_group(GROUP, "claim:1", note["message_id"], AYLIN)
        [claimed] = await family.wait_for_new(1)
        assert claimed["text"] == t._(
            "{name} from the Lotsen team has your request and will write to you here soon.", name="Aylin"
        )
        # the note now says who has the case (an edit with the contact time may come first: it was given while
        # the note was on its way)
        claimed_note = await bot_api.wait_for_text(GROUP, note["message_id"], "Übernommen von Aylin")
        assert "abends" in claimed_note["text"]

        bot_api.user_replies(GROUP, "Guten Abend! Ich rufe morgen die Kita an.", note["message_id"], AYLIN)
        [relayed] = await family.wait_for_new(1)
        assert relayed["text"].startswith(t._("Message from {name}:", name="Aylin"))
        assert "Ich rufe morgen die Kita an." in relayed["text"]

        before = len(bot_api.sent_to(GROUP))
        family.api.user_sends_text(family.chat_id, "شكرا جزيلا", "ar")
        [from_family] = (await bot_api.wait_for_messages(GROUP, before + 1, timeout=5))[before:]
        assert "شكرا جزيلا" in from_family["text"] and from_family["text"].startswith("Fall #1")
        [acknowledged] = await family.wait_for_new(1)  # the family hears that its words went on
        assert acknowledged["text"] == t._("I've passed that on to the Lotse. They will answer you here.")

        bot_api.user_presses_in_group(GROUP, "close:1", note["message_id"], AYLIN)
        await bot_api.wait_for_calls("editMessageReplyMarkup", 1)
        bot_api.user_presses_in_group(GROUP, "out:1:arranged", note["message_id"], AYLIN)
        [closing] = await family.wait_for_new(1)
        assert [b["callback_data"] for b in buttons_of(closing)] == [f"rate:{n}" for n in range(1, 6)]


async def test_two_lotsen_pressing_at_once_one_wins_and_the_other_is_told(lotsen_app: App, bot_api: FakeBotApi):
    family = Family(bot_api, 5002, "ar")
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        await arabic_family_asks_for_a_person(family)
        [note] = await bot_api.wait_for_messages(GROUP, 1, timeout=5)
        answered = len(bot_api.calls_to("answerCallbackQuery"))
        bot_api.user_presses_in_group(GROUP, "claim:1", note["message_id"], AYLIN)
        bot_api.user_presses_in_group(GROUP, "claim:1", note["message_id"], JONAS)
        answers = await bot_api.wait_for_calls("answerCallbackQuery", answered + 2)
        texts_of = sorted(a.params.get("text", "") for a in answers[-2:])
        assert texts_of == ["Dieser Fall ist schon übernommen.", "Fall #1 gehört jetzt dir."]
        await family.wait_for_new(1)
        await asyncio.sleep(0.3)
        claimed = [m for m in family.messages if "Aylin" in m["text"] or "Jonas" in m["text"]]
        assert len(claimed) == 1  # the family hears it once


async def test_a_stranger_cannot_claim(lotsen_app: App, bot_api: FakeBotApi):
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        await arabic_family_asks_for_a_person(Family(bot_api, 5003, "ar"))
        [note] = await bot_api.wait_for_messages(GROUP, 1, timeout=5)
        answered = len(bot_api.calls_to("answerCallbackQuery"))
        bot_api.user_presses_in_group(GROUP, "claim:1", note["message_id"], 31337)
        answer = (await bot_api.wait_for_calls("answerCallbackQuery", answered + 1))[-1]
        assert answer.params["text"] == "Nur registrierte Lotsen können Fälle übernehmen."


async def test_a_note_queued_before_the_bot_died_is_delivered_once_after_restart(lotsen_app: App, bot_api: FakeBotApi):
    # The family's handover is stored (case and outbox row in one transaction), then the process dies
    # before any sender ran: here, no Application was running at all.
    service = conversation_service(lotsen_app)
    chat = "telegram:5004"
    for event in (
        Command("start", user_language="de"),
        ButtonPressed("lang:de"),
        ButtonPressed("consent:yes"),
        Text("Wir wohnen in Eglosheim und brauchen Hilfe"),
        Command("lotse"),
        ButtonPressed("handover:yes"),
        ButtonPressed("when:any"),
    ):
        service.handle(chat, event)
    assert notes(bot_api) == []
    async with polling(lotsen_bot(lotsen_app, bot_api)):  # the restarted bot
        await bot_api.wait_for_messages(GROUP, 1, timeout=5)
    async with polling(lotsen_bot(lotsen_app, bot_api)):  # and once more: nothing is sent twice
        await asyncio.sleep(1.0)
    assert len(notes(bot_api)) == 1


async def test_telegram_answering_429_and_500_for_a_while_loses_and_doubles_nothing(
    lotsen_app: App, bot_api: FakeBotApi
):
    family = Family(bot_api, 5005, "ar")
    async with polling(lotsen_bot(lotsen_app, bot_api)):
        await arabic_family_asks_for_a_person(family)
        await bot_api.wait_for_messages(GROUP, 1, timeout=5)
        [note] = notes(bot_api)
        bot_api.user_presses_in_group(GROUP, "claim:1", note["message_id"], AYLIN)
        await family.wait_for_new(1)
        bot_api.fail_next("sendMessage", status=429, times=3, retry_after=1)
        bot_api.fail_next("sendMessage", status=500, times=2)
        for number in range(3):
            bot_api.user_replies(GROUP, f"Nachricht {number}", note["message_id"], AYLIN)
        await family.wait_for_new(3, timeout=30)
        await asyncio.sleep(0.5)
    relayed = [m["text"].rsplit("\n", 1)[-1] for m in family.messages if "Nachricht" in m["text"]]
    assert sorted(relayed) == ["Nachricht 0", "Nachricht 1", "Nachricht 2"]
