"""Webhook mode end to end: FakeBotApi pushes updates to our aiohttp webhook, as Telegram does after setWebhook."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import create_engine

from bot.adapters.telegram import build_application, serve_webhook
from bot.adapters.telegram.webhook import SECRET_HEADER, webhook_app
from bot.bootstrap import App
from bot.db.engine import UnitOfWork
from bot.services.conversations import ConversationService
from tests.e2e.conftest import Family, bot_settings
from tests.fakes import FakeBotApi

SECRET = "s3cret-token_for-tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def webhook_url(example_app: App, service: ConversationService, bot_api: FakeBotApi) -> AsyncIterator[str]:
    """The bot in webhook mode on a loopback port; yields the URL the bot registered with the fake."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings = bot_settings(example_app, bot_api, webhook_url=url, webhook_secret=SECRET, webhook_port=port)
    stop = asyncio.Event()
    server = asyncio.create_task(
        serve_webhook(build_application(settings, service), settings, host="127.0.0.1", stop=stop)
    )
    await bot_api.wait_for_calls("setWebhook")  # set once the webhook server listens
    try:
        yield url
    finally:
        stop.set()
        await asyncio.wait_for(server, timeout=5)


async def test_the_webhook_is_registered_with_the_secret_and_answers_a_family(
    webhook_url: str, bot_api: FakeBotApi
) -> None:
    [registered] = bot_api.calls_to("setWebhook")
    assert (registered.params["url"], registered.params["secret_token"]) == (webhook_url, SECRET)

    family = Family(bot_api, 2001, "tr")
    [menu] = await family.says("/start")
    await family.taps("lang:tr")

    assert menu["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "lang:tr"
    for _ in range(200):  # the webhook answers once the update was handled, so just after its replies
        if bot_api.webhook is not None and len(bot_api.webhook.deliveries) >= 2:
            break
        await asyncio.sleep(0.01)
    assert bot_api.webhook is not None and bot_api.webhook.deliveries == [200, 200]
    assert bot_api.calls_to("getUpdates") == []  # nothing polled


@pytest.mark.parametrize(
    "headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}], ids=["none", "wrong", "longer"]
)
async def test_a_call_without_the_right_secret_is_refused_and_does_nothing(
    webhook_url: str, bot_api: FakeBotApi, headers: dict[str, str]
) -> None:
    forged = {
        "update_id": 99,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 2002, "type": "private"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    async with aiohttp.ClientSession() as session, session.post(webhook_url, json=forged, headers=headers) as response:
        assert response.status == 401
    await asyncio.sleep(0.2)  # time in which an accepted update would have been answered
    assert bot_api.sent_to(2002) == []


async def test_a_malformed_body_is_a_bad_request(webhook_url: str) -> None:
    async with aiohttp.ClientSession(headers={SECRET_HEADER: SECRET}) as session:
        for body in (b"{not json", b"[1, 2]", b'"text"'):
            async with session.post(webhook_url, data=body, headers={"Content-Type": "application/json"}) as response:
                assert response.status == 400


async def test_the_health_endpoint_says_ok_while_the_database_answers(webhook_url: str) -> None:
    health = webhook_url.replace("/telegram", "/healthz")
    async with aiohttp.ClientSession() as session, session.get(health) as response:
        assert (response.status, await response.json()) == (200, {"status": "ok"})


async def test_the_health_endpoint_says_unavailable_without_a_database(
    example_app: App, service: ConversationService, bot_api: FakeBotApi, tmp_path: Path
) -> None:
    broken = UnitOfWork(create_engine(f"sqlite:///{tmp_path}"))  # a directory is no database
    application = build_application(bot_settings(example_app, bot_api), service)
    server = TestServer(webhook_app(application, SECRET, broken), host="127.0.0.1")
    async with TestClient(server) as client:
        response = await client.get("/healthz")
        assert (response.status, await response.json()) == (503, {"status": "database unavailable"})


async def test_the_bots_web_app_also_serves_the_offer_overview(example_app: App, service, bot_api: FakeBotApi):
    from bot.web.overview import add_overview_routes

    port = free_port()
    settings = bot_settings(
        example_app, bot_api, webhook_url=f"http://127.0.0.1:{port}/telegram", webhook_secret=SECRET, webhook_port=port
    )
    stop = asyncio.Event()
    server = asyncio.create_task(
        serve_webhook(
            build_application(settings, service),
            settings,
            host="127.0.0.1",
            stop=stop,
            routes=lambda web_app: add_overview_routes(web_app, example_app),
        )
    )
    await bot_api.wait_for_calls("setWebhook")
    try:
        async with aiohttp.ClientSession() as client, client.get(f"http://127.0.0.1:{port}/angebote") as response:
            assert response.status == 200 and "Beispieldaten" in await response.text()
    finally:
        stop.set()
        await asyncio.wait_for(server, timeout=5)
