"""PTB's network layer on aiohttp (a `BaseRequest`, PTB's own extension point), instead of httpx.

Profiled under load, httpx/httpcore's connection pool was the largest cost of an update: it inspects every
pooled connection (a getpeername() system call each) for every request. aiohttp keeps its pool cheaply, and
the bot already depends on it for the webhook server.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

import aiohttp
from telegram import Update
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

log = logging.getLogger(__name__)


class AiohttpRequest(BaseRequest):
    """Talks to the Bot API over one aiohttp session with a bounded connection pool."""

    __slots__ = ("_connections", "_read_timeout", "_session", "_timeouts")

    def __init__(
        self,
        connections: int = 32,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._timeouts = {
            "write": write_timeout,
            "connect": connect_timeout,
            "pool": pool_timeout,
            "media_write": media_write_timeout,
        }
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections), headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None

        def chosen(value: ODVInput[float], default: float | None) -> float | None:
            return default if isinstance(value, DefaultValue) else value  # type: ignore[return-value]

        read = chosen(read_timeout, self._read_timeout)
        connect = chosen(connect_timeout, self._timeouts["connect"])
        pool = chosen(pool_timeout, self._timeouts["pool"])
        write = chosen(write_timeout, self._timeouts["media_write" if files else "write"])
        # aiohttp has no separate write timeout: the whole exchange may take write + read
        total = None if read is None or write is None else read + write + (connect or 0) + (pool or 0)
        timeout = aiohttp.ClientTimeout(total=total, connect=pool, sock_connect=connect, sock_read=read)
        body: Any = None
        if request_data is not None:
            if files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, upload in files.items():
                    filename, content, *mimetype = upload if isinstance(upload, tuple) else (name, upload)
                    form.add_field(
                        name,
                        content,
                        filename=filename,
                        content_type=mimetype[0] if mimetype else "application/octet-stream",
                    )
                body = form
            else:
                body = request_data.json_parameters
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def readable_update(item: object) -> bool:
    """Whether PTB can turn this piece of a getUpdates answer (or a webhook body) into an Update."""
    try:
        Update.de_json(item, None)  # type: ignore[arg-type]
    except Exception:  # whatever PTB raises on a shape it does not know: the update is unreadable
        return False
    return True


def unreadable_update_logged(item: object) -> None:
    """One line per unreadable update, with its id and size only: its content is a family's message."""
    update_id = item.get("update_id") if isinstance(item, dict) else None
    size = len(json.dumps(item, ensure_ascii=False, default=str).encode())
    log.warning("update %s cannot be read by the Telegram library (%d bytes), skipped", update_id, size)


class Deliveries(Protocol):
    """What the poller asks the update processor (ordering.PerChatUpdateProcessor)."""

    def polled(self, update_id: int) -> bool: ...

    async def confirmable_offset(self, offset: int) -> int: ...


class PollingRequest(AiohttpRequest):
    """The getUpdates connection: an update PTB cannot parse is replaced by its bare update_id; an update is
    confirmed to Telegram only once it is stored.

    PTB parses a whole getUpdates batch at once; one update it cannot read fails the batch, the offset is
    never confirmed, and polling fetches (and logs, with its content) the same batch forever. Here each
    update is checked on its own; an unreadable one is logged once without content and kept as
    `{"update_id": n}`, which PTB reads, no handler acts on, and which moves the offset past it.

    PTB also confirms a batch (the next getUpdates' offset) as soon as it is queued; with `deliveries` the
    offset is held at the oldest update not yet stored, and what Telegram hands again while it is still
    being handled is left out of the answer."""

    __slots__ = ("_skipped", "deliveries")

    def __init__(self, deliveries: Deliveries | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._skipped: set[int] = set()
        self.deliveries = deliveries

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self.deliveries is not None and request_data is not None and url.endswith("/getUpdates"):
            values = request_data.parameters
            offset = int(values.get("offset") or 0)  # type: ignore[call-overload]
            held = await self.deliveries.confirmable_offset(offset) if offset else offset
            if held != offset:
                request_data = RequestData(
                    [
                        RequestParameter.from_input(name, held if name == "offset" else value)
                        for name, value in values.items()
                    ]
                )
        return await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )

    def parse_json_payload(self, payload: bytes) -> JSONDict:  # type: ignore[override]
        data = BaseRequest.parse_json_payload(payload)
        result = data.get("result") if isinstance(data, dict) else None
        if isinstance(result, list) and self.deliveries is not None:
            ids = [item.get("update_id") if isinstance(item, dict) else None for item in result]
            result = [
                item for item, i in zip(result, ids, strict=True) if not isinstance(i, int) or self.deliveries.polled(i)
            ]
            data = {**data, "result": result}
        if not isinstance(result, list) or all(readable_update(item) for item in result):
            return data
        kept: list[Any] = []
        for item in result:
            if readable_update(item):
                kept.append(item)
                continue
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if not isinstance(update_id, int):
                unreadable_update_logged(item)
                continue  # nothing to confirm it by; Telegram cannot have sent it without an id
            if update_id not in self._skipped:
                self._skipped.add(update_id)
                unreadable_update_logged(item)
            kept.append({"update_id": update_id})
        return {**data, "result": kept}
