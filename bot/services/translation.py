"""Machine translation of relayed messages through a self-hosted LibreTranslate-compatible API.

Optional: without TRANSLATE_URL, or when the service fails or is slow, the original goes through unchanged
and the reader sees which language it is. Never logs the text.
"""

from __future__ import annotations

import logging
from typing import Protocol

import aiohttp

log = logging.getLogger(__name__)


class Translator(Protocol):
    async def translate(self, text: str, source: str, target: str) -> str | None: ...


class LibreTranslate:
    """POST {url}/translate {q, source, target, format: text, api_key} -> {translatedText}."""

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 4.0) -> None:
        self.url = url.rstrip("/") + "/translate"
        self.api_key = api_key
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def translate(self, text: str, source: str, target: str) -> str | None:
        body = {"q": text, "source": source, "target": target, "format": "text"}
        if self.api_key:
            body["api_key"] = self.api_key
        try:
            async with (
                aiohttp.ClientSession(timeout=self.timeout) as session,
                session.post(self.url, json=body) as response,
            ):
                if response.status != 200:
                    log.warning("translation refused (HTTP %s, %s->%s)", response.status, source, target)
                    return None
                data = await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, ValueError) as error:
            log.warning("translation failed (%s, %s->%s)", type(error).__name__, source, target)
            return None
        translated = data.get("translatedText") if isinstance(data, dict) else None
        return translated if isinstance(translated, str) and translated.strip() else None
