"""Delivers the outbox to Telegram: due messages are leased, sent (with a translation where asked), marked.

Runs as one asyncio task per bot process; several processes share the outbox safely through leases.
Telegram's 429 (retry_after), 5xx and timeouts put a message back for later; a blocked chat drops it (and a
Lotse whose message could not reach the family is told so).

Sent once: a send waits SEND_READ_TIMEOUT for Telegram's answer (slow answers are common, and a send that
timed out may have arrived), the lease is renewed while the send is in flight so no other process takes the
message meanwhile, and Telegram's answer is written down even across a short database outage. A long message
goes out in numbered parts (1/2, 2/2); each accepted part is recorded, so a retry sends only the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import OperationalError
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.adapters.telegram.rendering import split_text
from bot.adapters.telegram.retries import NO_RETRIES
from bot.services.conversations import DATABASE_PATIENCE
from bot.services.handover import HandoverService
from bot.services.outbox import LEASE, Outbox, OutboxItem, forget_processed_updates
from bot.services.privacy import purge
from bot.services.translation import Translator

log = logging.getLogger(__name__)

SEND_READ_TIMEOUT = 30.0  # seconds; below LEASE, which is renewed every LEASE / 3 while a send is in flight
PART_MARK = "({number}/{count})\n"
PART_ROOM = len(PART_MARK.format(number=99, count=99))


def numbered_parts(text: str) -> list[str]:
    """The text in parts Telegram accepts, each marked (1/2), (2/2) when there is more than one."""
    parts = split_text(text, MessageLimit.MAX_TEXT_LENGTH - PART_ROOM)
    if len(parts) == 1:
        return parts
    return [PART_MARK.format(number=n, count=len(parts)) + part for n, part in enumerate(parts, start=1)]


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

    async def _keep_lease(self, item: OutboxItem) -> None:
        """While a send is in flight, renew its lease so no other process sends the message meanwhile."""
        while True:
            await asyncio.sleep(LEASE.total_seconds() / 3)
            with contextlib.suppress(Exception):  # a failed renewal only shortens the lease
                await asyncio.to_thread(self.outbox.extend_lease, item, datetime.now(UTC))

    async def _record(self, what: str, call: Callable[[], None]) -> None:
        """Writes Telegram's answer down, waiting out a short database outage: a message Telegram accepted
        but we could not mark would be sent again once its lease ran out."""
        deadline = asyncio.get_running_loop().time() + DATABASE_PATIENCE
        while True:
            try:
                await asyncio.to_thread(call)
                return
            except OperationalError:
                if asyncio.get_running_loop().time() >= deadline:
                    raise
                log.warning("outbox: database unavailable while recording %s, retrying", what)
                await asyncio.sleep(0.5)

    async def send(self, item: OutboxItem) -> None:
        keeper = asyncio.get_running_loop().create_task(self._keep_lease(item))
        try:
            await self._send(item)
        finally:
            keeper.cancel()

    async def _send(self, item: OutboxItem) -> None:
        markup = (
            InlineKeyboardMarkup(
                [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in item.buttons]
            )
            if item.buttons
            else None
        )
        now = datetime.now(UTC)
        calls = {"rate_limit_args": NO_RETRIES, "read_timeout": SEND_READ_TIMEOUT}  # our own retries, below
        try:
            if item.method == "editMessageText" and item.message_id is not None:
                text = (await self._text(item))[: MessageLimit.MAX_TEXT_LENGTH]  # a note fits; an edit can't split
                try:
                    await self.bot.edit_message_text(
                        text, chat_id=item.chat_id, message_id=item.message_id, reply_markup=markup, **calls
                    )
                except BadRequest as error:
                    if "not modified" not in str(error).lower():
                        raise
                await self._record("an edit", lambda: self.outbox.delivered(item, item.message_id, now))
                return
            text = item.final_text if item.final_text is not None else await self._text(item)
            parts = numbered_parts(text)
            reply = ReplyParameters(item.reply_to, allow_sending_without_reply=True) if item.reply_to else None
            for number in range(len(item.sent_parts), len(parts)):
                last = number == len(parts) - 1
                message = await self.bot.send_message(
                    item.chat_id, parts[number], reply_markup=markup if last else None, reply_parameters=reply, **calls
                )
                if not last:
                    sent = message.message_id
                    item = await asyncio.to_thread(self.outbox.part_sent, item, sent, text)
            ids = (*item.sent_parts, message.message_id)
            await self._record("a send", lambda: self.outbox.delivered(item, ids[0], now, ids[1:]))
        except RetryAfter as error:
            await asyncio.to_thread(self.outbox.failed, item, now, _seconds(error.retry_after))
        except Forbidden:
            log.info("outbox %s: chat cannot be reached, dropped", item.id)
            await asyncio.to_thread(self.outbox.failed, item, now, None, True, True)
        except TimedOut:
            # Telegram took longer than SEND_READ_TIMEOUT: rare, and the message may have arrived. Sending it
            # again risks a double, not sending risks a loss; a loss is worse for a family waiting for help.
            log.warning(
                "outbox %s: no answer from Telegram within %.0f s, sent again later", item.id, SEND_READ_TIMEOUT
            )
            await asyncio.to_thread(self.outbox.failed, item, now)
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
        last_raise = last_purge = last_forget = float("-inf")  # the first round raises and purges at once
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
                if loop.time() - last_forget >= self.purge_every:
                    last_forget = loop.time()
                    await asyncio.to_thread(forget_processed_updates, self.outbox.uow, datetime.now(UTC))
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
