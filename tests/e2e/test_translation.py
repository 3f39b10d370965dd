"""Relayed messages carry a machine translation beside the original — and go through without one if it fails."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.adapters.telegram import build_application
from bot.bootstrap import App, conversation_service
from bot.db.orm import LotseRow
from bot.services.translation import LibreTranslate
from tests.e2e.conftest import Family, bot_settings, polling
from tests.fakes import FakeBotApi
from tests.fakes.translate_api import FakeTranslateApi

GROUP, LOTSE = -1009, 77


@pytest.fixture
async def translator():  # type: ignore[no-untyped-def]
    async with FakeTranslateApi(api_key="k") as api:
        yield api


async def ask_for_a_person(family: Family) -> None:
    await family.says("/start")
    await family.taps("lang:uk")
    await family.taps("consent:yes", replies=2)
    await family.says("Нам потрібен садочок, дитині 3 роки, Ейглосгайм")
    await family.says("/lotse")
    await family.taps("handover:yes")
    await family.taps("when:any")


async def test_notes_and_relayed_messages_are_translated_both_ways(example_app: App, bot_api: FakeBotApi, translator):
    with example_app.uow() as session:
        session.add(LotseRow(telegram_user_id=LOTSE, name="Olena"))
    example_app.settings = replace(
        example_app.settings, lotsen_chat_id=GROUP, translate_url=translator.url, translate_api_key="k"
    )
    family = Family(bot_api, 6001, "uk")
    async with polling(build_application(bot_settings(example_app, bot_api), conversation_service(example_app))):
        await ask_for_a_person(family)
        [note] = await bot_api.wait_for_messages(GROUP, 1, timeout=5)
        assert "Worte der Familie: „Нам потрібен садочок" in note["text"]
        assert "Übersetzung (automatisch):\n[uk→de] Нам потрібен садочок" in note["text"]
        bot_api.user_presses_in_group(GROUP, "claim:1", note["message_id"], LOTSE)
        await family.wait_for_new(1)
        bot_api.user_replies(GROUP, "Ich helfe Ihnen gern.", note["message_id"], LOTSE)
        [answer] = await family.wait_for_new(1)
        assert "Ich helfe Ihnen gern." in answer["text"] and "[de→uk] Ich helfe Ihnen gern." in answer["text"]

        translator.failing = True  # the translator goes down: the original still goes through
        before = len(bot_api.sent_to(GROUP))
        bot_api.user_sends_text(family.chat_id, "Дякую!", "uk")
        [relayed] = (await bot_api.wait_for_messages(GROUP, before + 1, timeout=5))[before:]
        assert relayed["text"].endswith("Дякую!\n\n(nicht übersetzt)") and "Übersetzung" not in relayed["text"]
        bot_api.user_replies(GROUP, "Bitte sehr.", note["message_id"], LOTSE)
        [_passed_on, answer] = await family.wait_for_new(2)  # "passed on to your Lotse", then the answer
        assert answer["text"].endswith("Bitte sehr.")  # the family is not told about our translator
    assert all(r["api_key"] == "k" for r in translator.requests)


async def test_a_slow_or_missing_translator_yields_none(translator):
    assert await LibreTranslate("http://127.0.0.1:9", timeout=0.5).translate("x", "de", "ar") is None
    assert await LibreTranslate(translator.url, "wrong").translate("x", "de", "ar") is None
    assert await LibreTranslate(translator.url, "k").translate("Hallo", "de", "ar") == "[de→ar] Hallo"
