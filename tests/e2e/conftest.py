"""The real PTB Application against FakeBotApi on loopback, on a fresh database with the example offers.

End-to-end tests run on SQLite only: the database layer is tested on PostgreSQL by tests/integration, and
copying one migrated database with the example offers keeps each test's start well under a second.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.adapters.telegram import build_application
from bot.adapters.telegram.application import ALLOWED_UPDATES
from bot.bootstrap import App, bootstrap, conversation_service
from bot.db.engine import UnitOfWork, make_engine
from bot.knowledge import bundled_knowledge
from bot.services.conversations import ConversationService
from bot.services.outbox import Outbox
from bot.settings import Settings
from tests.fakes import FakeBotApi, buttons_of

STEP_TIMEOUT = 5  # seconds a single answer may take before a test fails instead of hanging


@pytest.fixture(scope="session")
def example_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database with the bundled example offers, built once per test run."""
    path = tmp_path_factory.mktemp("e2e") / "example.db"
    template = bootstrap(Settings(database_url=f"sqlite:///{path}"), load_examples=True)
    template.engine.dispose()  # closes the last connection, which folds SQLite's WAL back into the file
    return path


@pytest.fixture
def example_app(example_database: Path, tmp_path: Path) -> Iterator[App]:
    """The app on a fresh copy of the example database (SQLite only, offers loaded)."""
    path = tmp_path / "bot.db"
    shutil.copyfile(example_database, path)
    engine = make_engine(f"sqlite:///{path}")
    yield App(Settings(database_url=f"sqlite:///{path}"), engine, UnitOfWork(engine), bundled_knowledge())
    engine.dispose()


@pytest.fixture
def service(example_app: App) -> ConversationService:
    return conversation_service(example_app)


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api


def bot_settings(app: App, api: FakeBotApi, **changes: Any) -> Settings:
    """The app's settings pointed at the fake Bot API."""
    return dataclasses.replace(
        app.settings, telegram_bot_token=api.token, telegram_api_base_url=api.base_url, **changes
    )


@asynccontextmanager
async def polling(application: Application) -> AsyncIterator[Application]:
    """What run_polling does, minus the signal handling: init, post_init, poll, and a clean stop."""
    async with application:
        assert application.post_init is not None
        await application.post_init(application)
        await application.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES)
        await application.start()
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()


@pytest.fixture
async def bot(example_app: App, service: ConversationService, bot_api: FakeBotApi) -> AsyncIterator[Application]:
    """The polling bot, running."""
    async with polling(build_application(bot_settings(example_app, bot_api), service)) as application:
        yield application


class Family:
    """One family's private chat with the bot, seen from their phone."""

    def __init__(self, api: FakeBotApi, chat_id: int, language_code: str | None = "de") -> None:
        self.api = api
        self.chat_id = chat_id
        self.language_code = language_code
        self.seen = 0  # messages of this chat a test has looked at; wait_for_new returns the ones after

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.api.sent_to(self.chat_id)

    async def says(self, text: str, replies: int = 1) -> list[dict[str, Any]]:
        """Sends a text and returns the bot's `replies` new messages."""
        before = len(self.messages)
        self.api.user_sends_text(self.chat_id, text, self.language_code)
        self.seen = before + replies
        return (await self.api.wait_for_messages(self.chat_id, before + replies, STEP_TIMEOUT))[before:]

    async def taps(self, data: str, replies: int = 1) -> list[dict[str, Any]]:
        """Taps the button with this data on the newest message that shows it, returns the new messages."""
        message = next(
            (m for m in reversed(self.messages) if any(b["callback_data"] == data for b in buttons_of(m))), None
        )
        assert message is not None, f"no button {data!r} on screen; buttons: {self.buttons()}"
        before = len(self.messages)
        self.api.user_presses(self.chat_id, data, message["message_id"], self.language_code)
        self.seen = before + replies
        return (await self.api.wait_for_messages(self.chat_id, before + replies, STEP_TIMEOUT))[before:]

    async def wait_for_new(self, count: int, timeout: float = STEP_TIMEOUT) -> list[dict[str, Any]]:
        """The next `count` messages the bot sends to this chat on its own (a Lotse's answer, a notice)."""
        before = self.seen
        messages = await self.api.wait_for_messages(self.chat_id, before + count, timeout)
        self.seen = before + count
        return messages[before : before + count]

    def buttons(self) -> list[str]:
        """The data of every button still visible in the chat."""
        return [b["callback_data"] for m in self.messages for b in buttons_of(m)]


async def outbox_idle(app: App, timeout: float = 30) -> None:
    """Waits until every queued message went out and Telegram's answer is recorded: a message the fake
    already shows may still be on its way into the database (a note's id, its case's group)."""
    outbox, deadline = Outbox(app.uow), asyncio.get_running_loop().time() + timeout
    while await asyncio.to_thread(outbox.pending):
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting for the outbox to be sent"
        await asyncio.sleep(0.05)
