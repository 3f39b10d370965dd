"""Updates of one chat strictly one after the other, updates of different chats side by side.

PTB's `concurrent_updates` runs every update as its own task, so "Kita" followed quickly by "Eglosheim" could be
handled in the wrong order and the second answer would be built on a stale conversation. This processor gives
every chat an `asyncio.Lock`; locks are FIFO, and PTB starts the tasks in arrival order, so one family's
messages are handled in the order Telegram sent them while other families are not kept waiting. An update
waits for its chat's lock before it takes one of the concurrency slots, so one chat sending a hundred
messages holds one slot, not all of them.

It also follows every update until its effects are stored (`Delivery`): the webhook answers Telegram only
then, and in polling mode `confirmable_offset` holds back the getUpdates offset (which confirms every update
below it) until the updates before it are stored — PTB confirms a batch as soon as it is queued, so a bot
killed a moment later would have lost it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

DEFAULT_MAX_CONCURRENT_UPDATES = 64
# getUpdates waits at most this long for the updates before it to be stored, then asks with the offset of
# the oldest one still unstored (Telegram hands that one, and what follows, again; the first is skipped as
# in progress).
CONFIRM_WITHIN = 1.0
# An update polled this long ago and still not done was lost on its way (never reached a handler): the next
# getUpdates answer that carries it hands it out again (its key keeps it from acting twice).
ABANDONED_AFTER = 60.0


@dataclass
class Delivery:
    """What the webhook waits for before it answers Telegram about one update."""

    finished: asyncio.Future[None]  # the update was handled (or given up)
    stored: asyncio.Event = field(default_factory=asyncio.Event)  # its effects are committed to the database
    failed: bool = False  # the database could not take it: Telegram must deliver it again
    since: float = 0.0  # loop time it was handed out


def ordering_key(update: object) -> int | None:
    """The chat an update belongs to (the user for chat-less updates); None means no ordering is needed."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across chats, sequential within a chat; a chat's lock is dropped as soon as it is idle."""

    __slots__ = ("_deliveries", "_locks", "_progress", "_redeliver", "_users")

    def __init__(self, max_concurrent_updates: int = DEFAULT_MAX_CONCURRENT_UPDATES) -> None:
        # PTB only runs updates concurrently when this is > 1; below that there is nothing to order.
        super().__init__(max(2, max_concurrent_updates))
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # updates holding or waiting for each chat's lock
        self._deliveries: dict[int, Delivery] = {}  # update_id -> what the webhook (or the poller) waits for
        self._redeliver: set[int] = set()  # polled updates that could not be stored: never confirm them
        self._progress: asyncio.Event | None = None  # set whenever an update is stored or done

    def track(self, update: Update) -> Delivery:
        """Follow `update` through its handling; ask before queueing the update.

        The webhook answers Telegram once the update was handled: Telegram sends a chat's next update after
        the answer to its previous one, so with several bot processes one chat's updates are still handled one
        after the other. It answers with an error when the database could not store the update."""
        return self._track(update.update_id)

    def _track(self, update_id: int) -> Delivery:
        delivery = self._deliveries.get(update_id)
        if delivery is None:
            loop = asyncio.get_running_loop()
            delivery = Delivery(loop.create_future(), since=loop.time())
            self._deliveries[update_id] = delivery
        return delivery

    def polled(self, update_id: int) -> bool:
        """A getUpdates answer carries this update: True to hand it to PTB, False when it is being handled
        already (Telegram hands it again while its offset is held back)."""
        delivery = self._deliveries.get(update_id)
        if delivery is not None and not delivery.failed:
            if asyncio.get_running_loop().time() - delivery.since < ABANDONED_AFTER:
                return False
            del self._deliveries[update_id]
        self._redeliver.discard(update_id)
        self._track(update_id)
        return True

    async def confirmable_offset(self, offset: int) -> int:
        """The getUpdates offset that confirms nothing unstored: waits up to CONFIRM_WITHIN for the updates
        handed out to be stored, then returns `offset`, or the id of the oldest update still unstored."""
        deadline = asyncio.get_running_loop().time() + CONFIRM_WITHIN
        while True:
            unstored = [i for i, d in self._deliveries.items() if not d.stored.is_set() and i < offset]
            held = min([*unstored, *(i for i in self._redeliver if i < offset)], default=None)
            remaining = deadline - asyncio.get_running_loop().time()
            if held is None or not unstored or remaining <= 0:
                return offset if held is None else held
            progress = self._progress = self._progress or asyncio.Event()
            progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(progress.wait(), remaining)

    def _moved(self) -> None:
        if self._progress is not None:
            self._progress.set()

    def finished(self, update: Update) -> asyncio.Future[None]:
        """A future that is done once `update` has been handled (see `track`)."""
        return self.track(update).finished

    def stored(self, update: object) -> None:
        """The handler committed the update's effects (called by the handlers, before they send replies)."""
        delivery = self._deliveries.get(update.update_id) if isinstance(update, Update) else None
        if delivery is not None:
            delivery.stored.set()
            self._moved()

    def failed(self, update: object) -> None:
        """The update could not be stored (database away longer than the handlers wait for it)."""
        delivery = self._deliveries.get(update.update_id) if isinstance(update, Update) else None
        if delivery is not None:
            delivery.failed = True

    def _done(self, update: object) -> None:
        delivery = self._deliveries.pop(update.update_id, None) if isinstance(update, Update) else None
        if delivery is None:
            return
        if delivery.failed and isinstance(update, Update):
            self._redeliver.add(update.update_id)
        if not delivery.finished.done():
            delivery.finished.set_result(None)
        self._moved()

    @property
    def busy_chats(self) -> int:
        """How many chats have an update in progress or waiting (0 when idle: no lock is kept)."""
        return len(self._locks)

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """The chat's lock first, then a concurrency slot: updates waiting behind their chat's earlier ones
        take no slot from other chats."""
        key = ordering_key(update)
        if key is None:
            try:
                await super().process_update(update, coroutine)
            finally:
                self._done(update)
            return
        # No await between looking up the lock and queueing on it: the event loop cannot reorder two updates here.
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await super().process_update(update, coroutine)
        finally:
            self._done(update)
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                del self._locks[key]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        """Nothing to set up: locks are created on demand."""

    async def shutdown(self) -> None:
        """Nothing to free: PTB waits for running updates before shutting the processor down."""
