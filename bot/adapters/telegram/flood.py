"""A per-user flood limit for incoming updates: someone sending very fast gets one friendly note, then quiet.

Runs before every other handler. Counted per Telegram user in this process (several processes each count
their share, which only makes the limit gentler). Telegram's own limits on what the bot sends are kept by
PTB's AIORateLimiter; this protects the bot and the database from one chat hammering it.

A family whose request is with a Lotse is never held back: what it writes then is meant for a person, and
every message is passed on, in order (the outbox keeps the Lotsen group within Telegram's 20 a minute).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from datetime import UTC, datetime

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.adapters.telegram.context import FamilyContext
from bot.conversation import Reply, notices
from bot.i18n import FALLBACK, texts
from bot.services.outbox import enqueue_replies

WINDOW_SECONDS = 10.0
MAX_UPDATES = 12  # per user and window; a family typing quickly sends far fewer


class FloodGate:
    def __init__(self, limit: int = MAX_UPDATES, window: float = WINDOW_SECONDS) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[int, deque[float]] = {}
        self._warned: set[int] = set()

    def admit(self, user_id: int, now: float) -> bool | None:
        """True: go on. False: too fast, say so once. None: too fast, already told — drop silently."""
        times = self._seen.setdefault(user_id, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self._warned.discard(user_id)
            if len(self._seen) > 10_000:  # forget idle users now and then
                self._seen = {u: t for u, t in self._seen.items() if t and t[-1] > now - self.window}
            return True
        if user_id in self._warned:
            return None
        self._warned.add(user_id)
        return False


def flood_handler(gate: FloodGate | None = None) -> TypeHandler[Update, FamilyContext]:
    gate = gate or FloodGate()

    async def too_fast(update: Update, context: FamilyContext) -> None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or chat.type != chat.PRIVATE:
            return
        verdict = gate.admit(user.id, time.monotonic())
        if verdict:
            return
        state = await asyncio.to_thread(context.service.state_of, f"telegram:{chat.id}")
        if state.case_open:
            return  # words for the Lotse: passed on, every one
        if verdict is False:
            note = Reply(texts(state.locale or FALLBACK)._(notices.TOO_FAST))
            await asyncio.to_thread(queue_note, context, chat.id, note)
            if context.bot_data.sender is not None:
                context.bot_data.sender.wake(chat.id)
        raise ApplicationHandlerStop

    return TypeHandler(Update, too_fast)


def queue_note(context: FamilyContext, chat_id: int, note: Reply) -> None:
    """The note goes out as every reply does: through the outbox, after what the chat is still waiting for."""
    with context.service.uow() as session:
        enqueue_replies(session, chat_id, [note], datetime.now(UTC))
