"""Delivers the outbox to Telegram: due messages are leased, sent (with a translation where asked), marked.

Every message of the bot goes this way, the conversation's replies to a family included. Each chat with
something to send gets a worker of its own that sends the chat's messages one after the other, oldest first
(a family's replies, the Lotse's answers and the claim notice in the order they were written), while chats
go side by side: a Lotsen group held back by Telegram's 20 a minute never keeps a family waiting. A handler
that queued replies wakes the chat's worker at once (`wake(chat_id)`), so the family does not wait for the
next round; the round (every `interval`) picks up retries and what other processes queued.

Runs as one asyncio task per bot process; several processes share the outbox safely through leases.
Telegram's 429 (retry_after), 5xx and timeouts put a message back for later; a blocked chat drops it (and a
Lotse whose message could not reach the family is told so).

Sent once: a send waits SEND_READ_TIMEOUT for Telegram's answer (slow answers are common, and a send that
timed out may have arrived), the lease is renewed while the send is in flight so no other process takes the
message meanwhile, and Telegram's answer is written down even across a short database outage — first in the
delivery journal (delivery_journal.py: a plain write the process's death does not undo), then in the
database. A long message goes out in numbered parts (1/2, 2/2); each accepted part is recorded, so a retry
sends only the rest. A reply of the conversation goes out as it is: its text (in parts when long, the
keyboard under the last), then its venue's map pin.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.adapters.telegram.delivery_journal import LAST, TIDY_ABOVE, DeliveryJournal
from bot.adapters.telegram.rendering import VENUE_TITLE_LIMIT, keyboard, split_text
from bot.adapters.telegram.retries import NO_RETRIES
from bot.adapters.telegram.workplace_calls import WorkplaceCalls
from bot.services.conversations import DATABASE_PATIENCE
from bot.services.handover import HandoverService
from bot.services.outbox import LEASE, Outbox, OutboxItem, forget_processed_updates
from bot.services.privacy import purge, vacuum_erased
from bot.services.translation import Translator

log = logging.getLogger(__name__)

SEND_READ_TIMEOUT = 30.0  # seconds; the lease is renewed every LEASE / 3 while a send is in flight
MAX_CHATS_AT_ONCE = 64  # chats whose messages are in flight at the same time, per process
GRACEFUL_STOP = 3.0  # seconds the sends in flight get to finish when the bot stops
NOT_TRANSLATED = "(nicht übersetzt)"  # under a family's words when no translator is set or it failed
Recorded = TypeVar("Recorded")
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
        sole_sender: bool = False,
        journal: DeliveryJournal | None = None,
    ) -> None:
        self.bot = bot
        self.outbox = outbox
        self.workplace = WorkplaceCalls(bot, outbox.uow)  # forum topics, attachments, erasing (Lotsen side)
        self.translator = translator
        self.handover = handover
        self.interval = interval
        self.raise_every = raise_every
        self.retention_days = retention_days
        self.purge_every = purge_every
        self.sole_sender = sole_sender
        self.journal = journal
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._busy: set[int] = set()  # chats with a worker in this process
        self._again: set[int] = set()  # chats woken while their worker was looking for the next message
        self._workers: set[asyncio.Task[None]] = set()
        self._saturated = False  # the last round found more chats than workers: look again when one ends
        self._stopping = False
        # Workers wait until the start-up work is done: the journal replayed (and emptied) before any new line
        # is written to it, a killed predecessor's leases freed.
        self._ready = asyncio.Event()
        if journal is None and not sole_sender:
            self._ready.set()
        # The outbox's own threads: a send's record must not queue behind conversations being handled (the
        # shorter the time between Telegram's answer and the record, the rarer a copy after a crash).
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="outbox")

    async def _db(self, call: Callable[..., Recorded], *args: object) -> Recorded:
        return await asyncio.get_running_loop().run_in_executor(self._executor, call, *args)

    def wake(self, chat_id: int | None = None) -> None:
        """Something was queued: send now instead of at the next round. With `chat_id`, that chat's worker
        starts at once (or, already running, looks again after its current message)."""
        if chat_id is None or self._task is None:
            self._wake.set()
        elif chat_id in self._busy:
            self._again.add(chat_id)
        elif len(self._busy) >= MAX_CHATS_AT_ONCE:
            self._wake.set()
        else:
            self._start_worker(chat_id, None)

    async def _text(self, item: OutboxItem) -> str:
        wanted = item.translate
        if wanted is None:
            return item.text
        translated = None
        if self.translator is not None:
            translated = await self.translator.translate(wanted.text, wanted.source, wanted.target)
        if translated:
            return f"{item.text}\n\n{wanted.label}\n{translated}"
        # Lotsen must see that the family's words stand alone; a family is not told about our translator
        return f"{item.text}\n\n{NOT_TRANSLATED}" if wanted.target == "de" else item.text

    async def _keep_lease(self, item: OutboxItem) -> None:
        """While a send is in flight, renew its lease so no other process sends the message meanwhile."""
        while True:
            await asyncio.sleep(LEASE.total_seconds() / 3)
            with contextlib.suppress(Exception):  # a failed renewal only shortens the lease
                await self._db(self.outbox.extend_lease, item, datetime.now(UTC))

    def _journal(self, item: OutboxItem, message_id: int, part: int) -> None:
        """Written at once, in the event loop: the next line of code could be the last before a SIGKILL."""
        if self.journal is not None:
            try:
                self.journal.accepted(item.id, message_id, part)
            except OSError:  # a full disk must not stop sending; the database record follows anyway
                log.warning("outbox: delivery journal not written")

    def _replay_journal(self) -> int:
        """At start: what the journal says Telegram accepted and the outbox has not recorded, recorded now
        (blocking; run in a thread). Returns how many messages were recorded so."""
        if self.journal is None:
            return 0
        recorded = 0
        now = datetime.now(UTC)
        for outbox_id, accepted in self.journal.entries().items():
            item = self.outbox.unsent(outbox_id)
            if item is None:
                continue
            parts = accepted.parts if len(accepted.parts) > len(item.sent_parts) else item.sent_parts
            if accepted.last is not None:
                ids = (*parts, accepted.last)
                self.outbox.delivered(item, ids[0], now, ids[1:])
                recorded += 1
            elif item.reply is not None:  # a reply's parts are cut from its own text: the rest can follow
                for message_id in accepted.parts[len(item.sent_parts) :]:
                    item = self.outbox.part_sent(item, message_id, item.text)
        self.journal.clear()
        return recorded

    async def _record(self, what: str, call: Callable[[], Recorded]) -> Recorded:
        """Writes Telegram's answer down, waiting out a short database outage: a message Telegram accepted
        but we could not mark would be sent again once its lease ran out."""
        deadline = asyncio.get_running_loop().time() + DATABASE_PATIENCE
        while True:
            try:
                return await self._db(call)
            except OperationalError:
                if asyncio.get_running_loop().time() >= deadline:
                    raise
                log.warning("outbox: database unavailable while recording %s, retrying", what)
                await asyncio.sleep(0.5)

    async def send(self, item: OutboxItem, *, then_lease_next: bool = False) -> OutboxItem | None:
        """Sends one message; with `then_lease_next`, returns the chat's next message, leased, once this one
        went out (None when it did not, or nothing waits)."""
        keeper = asyncio.get_running_loop().create_task(self._keep_lease(item))
        try:
            return await self._send(item, then_lease_next)
        finally:
            keeper.cancel()

    async def _send_reply(self, item: OutboxItem, now: datetime, then_next: bool, **calls: float) -> OutboxItem | None:
        """A reply of the conversation as it would have gone out directly: its text (in parts when long,
        the keyboard under the last), then the venue's map pin. Each accepted message is recorded, so a
        retry sends only what is missing."""
        assert item.reply is not None
        reply = item.reply
        parts = split_text(reply.text or "…")
        steps = len(parts) + (reply.venue is not None)
        message_id: int | None = None
        for number in range(len(item.sent_parts), steps):
            if number < len(parts):
                markup = keyboard(reply) if number == len(parts) - 1 else None
                message = await self.bot.send_message(item.chat_id, parts[number], reply_markup=markup, **calls)
            else:
                assert reply.venue is not None
                place = reply.venue
                message = await self.bot.send_venue(
                    item.chat_id,
                    latitude=place.latitude,
                    longitude=place.longitude,
                    title=place.title[:VENUE_TITLE_LIMIT],
                    address=place.address[:VENUE_TITLE_LIMIT],
                    **calls,
                )
            message_id = message.message_id
            self._journal(item, message_id, number if number < steps - 1 else LAST)
            if number < steps - 1:
                item = await self._db(self.outbox.part_sent, item, message_id, item.text)
        return await self._record(
            "a reply", lambda: self.outbox.delivered(item, message_id, now, then_lease_next=then_next)
        )

    async def _send(self, item: OutboxItem, then_next: bool = False) -> OutboxItem | None:
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
            if item.reply is not None:
                return await self._send_reply(item, now, then_next, **calls)
            if self.workplace.carries(item):
                done = await self.workplace.carry_out(item, self._text, **calls)
                if done:
                    self._journal(item, done[0], LAST)
                return await self._record(
                    "a call",
                    lambda: self.outbox.delivered(item, done[0] if done else None, now, then_lease_next=then_next),
                )
            if item.method == "editMessageText" and item.message_id is not None:
                text = (await self._text(item))[: MessageLimit.MAX_TEXT_LENGTH]  # a note fits; an edit can't split
                try:
                    await self.bot.edit_message_text(
                        text, chat_id=item.chat_id, message_id=item.message_id, reply_markup=markup, **calls
                    )
                except BadRequest as error:
                    if "not modified" not in str(error).lower():
                        raise
                return await self._record(
                    "an edit", lambda: self.outbox.delivered(item, item.message_id, now, then_lease_next=then_next)
                )
            text = item.final_text if item.final_text is not None else await self._text(item)
            parts = numbered_parts(text)
            reply = ReplyParameters(item.reply_to, allow_sending_without_reply=True) if item.reply_to else None
            thread = await self.workplace.thread(item, **calls)  # a case's topic in a forum group
            for number in range(len(item.sent_parts), len(parts)):
                last = number == len(parts) - 1
                message = await self.bot.send_message(
                    item.chat_id,
                    parts[number],
                    reply_markup=markup if last else None,
                    reply_parameters=reply,
                    message_thread_id=thread,
                    **calls,
                )
                self._journal(item, message.message_id, LAST if last else number)
                if not last:
                    sent = message.message_id
                    item = await self._db(self.outbox.part_sent, item, sent, text)
            ids = (*item.sent_parts, message.message_id)
            return await self._record(
                "a send", lambda: self.outbox.delivered(item, ids[0], now, ids[1:], then_lease_next=then_next)
            )
        except RetryAfter as error:
            await self._db(self.outbox.failed, item, now, _seconds(error.retry_after))
        except Forbidden:
            log.info("outbox %s: chat cannot be reached, dropped", item.id)
            await self._db(self.outbox.failed, item, now, None, True, True)
        except TimedOut:
            # Telegram took longer than SEND_READ_TIMEOUT: rare, and the message may have arrived. Sending it
            # again risks a double, not sending risks a loss; a loss is worse for a family waiting for help.
            log.warning(
                "outbox %s: no answer from Telegram within %.0f s, sent again later", item.id, SEND_READ_TIMEOUT
            )
            await self._db(self.outbox.failed, item, now)
        except BadRequest as error:  # our message is wrong; retrying the same will not help
            if "thread not found" in str(error).lower():  # the case's topic was deleted by hand: go on without
                await self.workplace.topic_gone(item)
                await self._db(self.outbox.failed, item, now)
                return None
            log.error("outbox %s refused by Telegram: %s", item.id, type(error).__name__)
            await self._db(self.outbox.failed, item, now, None, True)
        except (NetworkError, TelegramError) as error:  # timeouts and 5xx: later
            log.warning("outbox %s not sent yet (%s)", item.id, type(error).__name__)
            await self._db(self.outbox.failed, item, now)
        return None

    def _start_worker(self, chat_id: int, item: OutboxItem | None) -> None:
        self._busy.add(chat_id)
        worker = asyncio.get_running_loop().create_task(self._chat_worker(chat_id, item), name=f"outbox-{chat_id}")
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    async def _chat_worker(self, chat_id: int, item: OutboxItem | None) -> None:
        """Sends one chat's due messages one after the other, each leased as the previous one is recorded."""
        try:
            await self._ready.wait()
            while True:
                if item is None:
                    self._again.discard(chat_id)
                    item = await self._db(self.outbox.lease_next, chat_id, datetime.now(UTC))
                    if item is None:
                        if chat_id in self._again:  # queued while we looked: look once more
                            continue
                        return
                item = await self.send(item, then_lease_next=True)
                if item is not None and self._stopping:  # what is left waits for the next start
                    await self._db(self.outbox.release, item)
                    return
        except Exception:  # the rows stay queued; the next round takes the chat up again
            log.exception("outbox: sending to a chat failed")
        finally:
            self._busy.discard(chat_id)
            self._again.discard(chat_id)
            if self._saturated:
                self._wake.set()

    async def send_due(self) -> int:
        """Starts a worker for every chat with a due message (up to MAX_CHATS_AT_ONCE), then waits until
        they are done; returns how many chats were served. What the round does, without waiting."""
        started = await self._start_due()
        while self._workers:
            await asyncio.wait(set(self._workers))
        return started

    async def _start_due(self) -> int:
        free = MAX_CHATS_AT_ONCE - len(self._busy)
        if free <= 0:
            self._saturated = True
            return 0
        items = await self._db(self.outbox.lease_due, datetime.now(UTC), free, sorted(self._busy))
        self._saturated = len(items) >= free
        for item in items:
            if item.chat_id in self._busy:  # woken meanwhile: that chat's worker is to send it
                await self._db(self.outbox.release, item)
                self.wake(item.chat_id)
                continue
            self._start_worker(item.chat_id, item)
        return len(items)

    async def run(self) -> None:
        last_raise = last_purge = last_forget = last_scrub = float("-inf")  # the first round does each at once
        loop = asyncio.get_running_loop()
        if self.journal is not None:
            try:
                self.journal.open()
                replayed = await self._db(self._replay_journal)
                if replayed:
                    log.info("outbox: %d messages Telegram had accepted before a crash recorded now", replayed)
            except Exception:  # without it the bot still sends; a crash may then leave a second copy
                log.exception("outbox: delivery journal not usable")
                self.journal = None
        if self.sole_sender:
            with contextlib.suppress(Exception):  # the database may not answer yet; the leases then run out
                freed = await self._db(self.outbox.release_leases)
                if freed:
                    log.info("outbox: %d messages of the previous run sent again now", freed)
        self._ready.set()
        while True:
            try:
                await self._start_due()
                if self.handover is not None and loop.time() - last_raise >= self.raise_every:
                    last_raise = loop.time()
                    await asyncio.to_thread(self.handover.raise_waiting)
                if self.retention_days and loop.time() - last_purge >= self.purge_every:
                    last_purge = loop.time()
                    done = await asyncio.to_thread(purge, self.outbox.uow, self.retention_days)
                    log.info("retention: %d conversations, %d cases deleted", done.conversations, done.cases)
                if loop.time() - last_scrub >= self.raise_every:  # deleted words out of PostgreSQL's files
                    last_scrub = loop.time()
                    await asyncio.to_thread(vacuum_erased, self.outbox.uow)
                if self.journal is not None and not self._workers and self.journal.size() > TIDY_ABOVE:
                    self.journal.clear()  # nothing in flight: every line in it is in the database
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
        """Ends the rounds; the sends in flight get GRACEFUL_STOP to finish (their chats' later messages wait
        for the next start)."""
        self._stopping = True
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._workers:
            _done, pending = await asyncio.wait(set(self._workers), timeout=GRACEFUL_STOP)
            for worker in pending:
                worker.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.journal is not None:
            self.journal.close()
