"""A stand-in for a self-hosted LibreTranslate: POST /translate {q, source, target} -> {translatedText}.

It "translates" by tagging the text with the language pair, so a test can see exactly what was asked;
`failing = True` makes it answer 500 like a translator that is down.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web


class FakeTranslateApi:
    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        self.failing = False
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def _translate(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if self.failing:
            return web.json_response({"error": "down"}, status=500)
        if self.api_key and body.get("api_key") != self.api_key:
            return web.json_response({"error": "Invalid API key"}, status=403)
        return web.json_response({"translatedText": f"[{body['source']}→{body['target']}] {body['q']}"})

    async def __aenter__(self) -> FakeTranslateApi:
        app = web.Application()
        app.router.add_post("/translate", self._translate)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
