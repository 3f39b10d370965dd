"""Retrying Bot API calls that Telegram could not take right now, inside PTB's rate-limiter extension point.

Every call of the bot passes through `BaseRateLimiter.process_request`, so this is the one place where a 429
(honouring its `retry_after`), a 5xx or a connection failure is waited out for the calls that do not go
through the outbox: the buttons' answers (with a short patience), the start-up calls (getMe, setMyCommands,
deleteWebhook, setWebhook), and what the Lotsen side still sends directly. Telegram's limits themselves are
still kept by PTB's `AIORateLimiter`, wrapped here when it is switched on.

What is not retried here:
- a *timed-out* send (sendMessage, sendVenue, sendVoice): Telegram may have delivered it and only answered
  late, and sending it again would show the family the same message twice;
- calls that pass `rate_limit_args=NO_RETRIES`: the outbox sender — every message to a family, the replies
  included — which keeps its own durable retries;
- getUpdates, which PTB's polling loop retries itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter, BaseRateLimiter

log = logging.getLogger(__name__)

NO_RETRIES = 0.0  # rate_limit_args: this call's failures go straight back to the caller
REPLY_PATIENCE = 90.0  # seconds a direct reply keeps trying (probes saw 10 s of 500s and 12 s of 429s)
START_PATIENCE = 600.0  # start-up calls: a supervisor restart loop would not do better within 10 minutes
START_ENDPOINTS = frozenset({"getMe", "setMyCommands", "deleteWebhook", "setWebhook", "getWebhookInfo"})
NOT_REPEATABLE_ON_TIMEOUT = frozenset({"sendMessage", "sendVenue", "sendVoice", "sendPhoto", "sendDocument"})
FIRST_BACKOFF, MAX_BACKOFF = 0.5, 10.0

Callback = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


def seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


class RetryingRateLimiter(BaseRateLimiter[float | None]):
    """Retries what Telegram could not take, with backoff, for at most `rate_limit_args` seconds per call
    (REPLY_PATIENCE by default, START_PATIENCE for start-up calls); `limits` keeps Telegram's rates."""

    __slots__ = ("_limits", "_sleep")

    def __init__(self, limits: AIORateLimiter | None = None) -> None:
        self._limits = limits
        self._sleep = asyncio.sleep  # tests may not want to wait

    async def initialize(self) -> None:
        if self._limits is not None:
            await self._limits.initialize()

    async def shutdown(self) -> None:
        if self._limits is not None:
            await self._limits.shutdown()

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: float | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        async def once() -> bool | dict[str, Any] | list[dict[str, Any]]:
            if self._limits is None:
                return await callback(*args, **kwargs)
            return await self._limits.process_request(callback, args, kwargs, endpoint, data, None)

        if endpoint == "getUpdates":
            return await once()
        patience = rate_limit_args
        if patience is None:
            patience = START_PATIENCE if endpoint in START_ENDPOINTS else REPLY_PATIENCE
        deadline = time.monotonic() + patience
        backoff = FIRST_BACKOFF
        attempt = 0
        while True:
            attempt += 1
            try:
                return await once()
            except RetryAfter as error:
                delay, failure, last = seconds(error.retry_after) + 0.1, "429", error
            except BadRequest:  # a subclass of NetworkError, but our request is wrong: the same again won't do
                raise
            except TimedOut as error:
                if endpoint in NOT_REPEATABLE_ON_TIMEOUT:
                    raise
                delay, failure, last = backoff, "timeout", error
                backoff = min(MAX_BACKOFF, backoff * 2)
            except NetworkError as error:  # 5xx and connection failures: Telegram did not take the call
                delay, failure, last = backoff, "network/5xx", error
                backoff = min(MAX_BACKOFF, backoff * 2)
            if time.monotonic() + delay > deadline:
                log.warning("%s failed %d times (%s), giving up after %.0f s", endpoint, attempt, failure, patience)
                raise last
            if attempt == 1 or attempt % 10 == 0:  # one line per outage, not one per attempt
                log.info("%s: Telegram %s, retrying in %.1f s (attempt %d)", endpoint, failure, delay, attempt)
            await self._sleep(delay)
