"""Delivers the outbox to Telegram: due messages are leased, sent (with a translation where asked), marked.

Runs as one asyncio task per bot process; several processes share the outbox safely through leases.
Telegram's 429 (retry_after), 5xx and timeouts put a message back for later; a blocked chat drops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.services.handover import HandoverService
from bot.services.outbox import Outbox, OutboxItem
from bot.services.privacy import purge
from bot.services.translation import Translator

log = logging.getLogger(__name__)


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        outbox: Outbox,
        translator: Translator | None = None,
        handover: HandoverService | None = None,
        interval: float = 0.5,
        raise_every: float = 60.0,
        retention_days: int | None = None,
        purge_every: float = 3600.0,
    ) -> None:
        self.bot = bot
        self.outbox = outbox
        self.translator = translator
        self.handover = handover
        self.interval = interval
        self.raise_every = raise_every
        self.retention_days = retention_days
        self.purge_every = purge_every
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Something was queued: send now instead of at the next tick (a note reaches the group at once)."""
        self._wake.set()

    async def _text(self, item: OutboxItem) -> str:
        if item.translate is None or self.translator is None:
            return item.text
        translated = await self.translator.translate(item.translate.text, item.translate.source, item.translate.target)
        return f"{item.text}\n\n{item.translate.label}\n{translated}" if translated else item.text

    async def send(self, item: OutboxItem) -> None:
        markup = (
            InlineKeyboardMarkup(
                [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in item.buttons]
            )
            if item.buttons
            else None
        )
        now = datetime.now(UTC)
        try:
            text = (await self._text(item))[:4096]
            if item.method == "editMessageText" and item.message_id is not None:
                try:
                    await self.bot.edit_message_text(
                        text, chat_id=item.chat_id, message_id=item.message_id, reply_markup=markup
                    )
                except BadRequest as error:
                    if "not modified" not in str(error).lower():
                        raise
                await asyncio.to_thread(self.outbox.delivered, item, item.message_id, now)
                return
            reply = ReplyParameters(item.reply_to, allow_sending_without_reply=True) if item.reply_to else None
            message = await self.bot.send_message(item.chat_id, text, reply_markup=markup, reply_parameters=reply)
            await asyncio.to_thread(self.outbox.delivered, item, message.message_id, now)
        except RetryAfter as error:
            await asyncio.to_thread(self.outbox.failed, item, now, _seconds(error.retry_after))
        except Forbidden:
            log.info("outbox %s: chat cannot be reached, dropped", item.id)
            await asyncio.to_thread(self.outbox.failed, item, now, None, True)
        except BadRequest as error:  # our message is wrong; retrying the same will not help
            log.error("outbox %s refused by Telegram: %s", item.id, type(error).__name__)
            await asyncio.to_thread(self.outbox.failed, item, now, None, True)
        except (NetworkError, TelegramError) as error:  # timeouts and 5xx: later
            log.warning("outbox %s not sent yet (%s)", item.id, type(error).__name__)
            await asyncio.to_thread(self.outbox.failed, item, now)

    async def send_due(self, rounds: int = 20) -> int:
        """Sends what is due: each round the oldest message of every waiting chat, the chats side by side.

        Leases are taken per message just before sending (a lease only has to outlast one send), so a lease
        never runs out while the rate limiter holds a message back and another process sends it again."""
        sent = 0
        for _round in range(rounds):
            items = await asyncio.to_thread(self.outbox.lease_due, datetime.now(UTC), 30)
            if not items:
                break
            await asyncio.gather(*(self.send(item) for item in items))
            sent += len(items)
        return sent

    async def run(self) -> None:
        last_raise = last_purge = float("-inf")
        loop = asyncio.get_running_loop()
        while True:
            try:
                await self.send_due()
                if self.handover is not None and loop.time() - last_raise >= self.raise_every:
                    last_raise = loop.time()
                    await asyncio.to_thread(self.handover.raise_waiting)
                if self.retention_days and loop.time() - last_purge >= self.purge_every:
                    last_purge = loop.time()
                    done = await asyncio.to_thread(purge, self.outbox.uow, self.retention_days)
                    log.info("retention: %d conversations, %d cases deleted", done.conversations, done.cases)
            except Exception:  # the sender must survive a database hiccup; the rows stay queued
                log.exception("outbox round failed")
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run(), name="outbox-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
