"""PTB's network layer on aiohttp (a `BaseRequest`, PTB's own extension point), instead of httpx.

Profiled under load, httpx/httpcore's connection pool was the largest cost of an update: it inspects every
pooled connection (a getpeername() system call each) for every request. aiohttp keeps its pool cheaply, and
the bot already depends on it for the webhook server.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


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
