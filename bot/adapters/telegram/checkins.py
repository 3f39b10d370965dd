"""The periodic job that asks due check-ins: one asyncio task per bot process, beside the outbox sender.

Each round hands the due check-ins to the conversation service (bot.services.followups.FollowUps.run); the
questions land in the outbox in the same transaction as their claim, so several processes may run this job
at once and a restart in the middle changes nothing: each check-in is asked once. The sender is woken when a
round queued something.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bot.services.conversations import ConversationService

log = logging.getLogger(__name__)

EVERY_SECONDS = 60.0  # a check-in is due to the day, not the second (the clock is the service's)


class CheckInJob:
    def __init__(
        self,
        service: ConversationService,
        wake: Callable[[], None] | None = None,
        every: float = EVERY_SECONDS,
    ) -> None:
        self.service = service
        self.wake = wake
        self.every = every
        self._task: asyncio.Task[None] | None = None

    async def round(self) -> int:
        """One round: the questions queued (first ones and reminders)."""
        done = await asyncio.to_thread(self.service.followups.run, self.service)
        if done.asked and self.wake is not None:
            self.wake()
        return done.asked

    async def run(self) -> None:
        while True:
            try:
                await self.round()
            except Exception:  # the database away for a while: the check-ins wait in the database
                log.exception("check-in round failed")
            await asyncio.sleep(self.every)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run(), name="check-ins")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
