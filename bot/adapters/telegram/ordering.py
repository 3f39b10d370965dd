"""Updates of one chat strictly one after the other, updates of different chats side by side.

PTB's `concurrent_updates` runs every update as its own task, so "Kita" followed quickly by "Eglosheim" could be
handled in the wrong order and the second answer would be built on a stale conversation. This processor gives
every chat an `asyncio.Lock`; locks are FIFO, and PTB starts the tasks in arrival order, so one family's
messages are handled in the order Telegram sent them while other families are not kept waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

DEFAULT_MAX_CONCURRENT_UPDATES = 64


@dataclass
class Delivery:
    """What the webhook waits for before it answers Telegram about one update."""

    finished: asyncio.Future[None]  # the update was handled (replies sent, or given up)
    stored: asyncio.Event = field(default_factory=asyncio.Event)  # its effects are committed to the database
    failed: bool = False  # the database could not take it: Telegram must deliver it again


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

    __slots__ = ("_finished", "_locks", "_users")

    def __init__(self, max_concurrent_updates: int = DEFAULT_MAX_CONCURRENT_UPDATES) -> None:
        # PTB only runs updates concurrently when this is > 1; below that there is nothing to order.
        super().__init__(max(2, max_concurrent_updates))
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # updates holding or waiting for each chat's lock
        self._deliveries: dict[int, Delivery] = {}  # update_id -> what the webhook waits for

    def track(self, update: Update) -> Delivery:
        """Follow `update` through its handling; ask before queueing the update.

        The webhook answers Telegram once the update was handled: Telegram sends a chat's next update after
        the answer to its previous one, so with several bot processes one chat's updates are still handled one
        after the other. It answers with an error when the database could not store the update."""
        delivery = self._deliveries.get(update.update_id)
        if delivery is None:
            delivery = Delivery(asyncio.get_running_loop().create_future())
            self._deliveries[update.update_id] = delivery
        return delivery

    def finished(self, update: Update) -> asyncio.Future[None]:
        """A future that is done once `update` has been handled (see `track`)."""
        return self.track(update).finished

    def stored(self, update: object) -> None:
        """The handler committed the update's effects (called by the handlers, before they send replies)."""
        delivery = self._deliveries.get(update.update_id) if isinstance(update, Update) else None
        if delivery is not None:
            delivery.stored.set()

    def failed(self, update: object) -> None:
        """The update could not be stored (database away longer than the handlers wait for it)."""
        delivery = self._deliveries.get(update.update_id) if isinstance(update, Update) else None
        if delivery is not None:
            delivery.failed = True

    def _done(self, update: object) -> None:
        delivery = self._deliveries.pop(update.update_id, None) if isinstance(update, Update) else None
        if delivery is not None and not delivery.finished.done():
            delivery.finished.set_result(None)

    @property
    def busy_chats(self) -> int:
        """How many chats have an update in progress or waiting (0 when idle: no lock is kept)."""
        return len(self._locks)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = ordering_key(update)
        if key is None:
            try:
                await coroutine
            finally:
                self._done(update)
            return
        # No await between looking up the lock and queueing on it: the event loop cannot reorder two updates here.
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._done(update)
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up: locks are created on demand."""

    async def shutdown(self) -> None:
        """Nothing to free: PTB waits for running updates before shutting the processor down."""
