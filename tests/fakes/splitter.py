"""A tiny reverse proxy standing in for nginx in front of several bot processes in webhook mode.

Telegram POSTs every update to one URL; the splitter passes each POST on to one of the bot processes and
answers Telegram with that process's answer. By default a chat's updates alternate between the processes
(its 1st to one, its 2nd to the next, ...), the hardest case for keeping one family's conversation
consistent; `per_chat=False` is plain round robin over all updates. GET /healthz asks every process.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

FORWARDED_HEADERS = ("X-Telegram-Bot-Api-Secret-Token", "Content-Type")


def _chat_of(update: Any) -> int | None:
    if not isinstance(update, dict):
        return None
    for kind in ("message", "edited_message", "callback_query"):
        body = update.get(kind)
        if isinstance(body, dict):
            message = body.get("message") if kind == "callback_query" else body
            if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                return int(message["chat"]["id"])
    return None


class WebhookSplitter:
    """`async with WebhookSplitter(["http://127.0.0.1:8081/telegram", ...]) as splitter:` -> splitter.url."""

    def __init__(self, backends: list[str], *, per_chat: bool = True) -> None:
        self.backends = backends
        self.per_chat = per_chat
        self.forwarded: list[int] = [0] * len(backends)  # updates passed to each backend
        self._next = itertools.count()
        self._chat_turns: defaultdict[int, int] = defaultdict(int)
        self._session: ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    def _backend_for(self, body: bytes) -> int:
        chat = _chat_of(json.loads(body)) if self.per_chat else None
        if chat is None:
            return next(self._next) % len(self.backends)
        turn = self._chat_turns[chat]
        self._chat_turns[chat] += 1
        return (chat + turn) % len(self.backends)  # consecutive updates of one chat: different processes

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        try:
            index = self._backend_for(body)
        except ValueError:
            index = 0
        self.forwarded[index] += 1
        headers = {name: request.headers[name] for name in FORWARDED_HEADERS if name in request.headers}
        try:
            async with self._session.post(self.backends[index], data=body, headers=headers) as response:
                return web.Response(status=response.status, body=await response.read(), content_type="application/json")
        except OSError:
            return web.Response(status=502)

    async def _health(self, _request: web.Request) -> web.Response:
        assert self._session is not None
        statuses = []
        for backend in self.backends:
            try:
                async with self._session.get(backend.replace("/telegram", "/healthz")) as response:
                    statuses.append(response.status)
            except OSError:
                statuses.append(0)
        return web.json_response({"backends": statuses}, status=200 if all(s == 200 for s in statuses) else 503)

    async def __aenter__(self) -> WebhookSplitter:
        self._session = ClientSession(timeout=ClientTimeout(total=60))
        app = web.Application()
        app.router.add_post("/telegram", self._forward)
        app.router.add_get("/healthz", self._health)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._runner:
            await self._runner.cleanup()
        if self._session:
            await self._session.close()
