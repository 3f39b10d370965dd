"""FakeBotApi: a small Telegram Bot API server on 127.0.0.1 for end-to-end tests — ours, documented, no internet.

It speaks the HTTP protocol python-telegram-bot speaks (`POST /bot<token>/<method>`, form, multipart or JSON
bodies, `{"ok": true, "result": ...}` answers) and keeps what a real chat would show: the bot's messages per chat,
with their keyboards as edited later. Tests play the user with `user_sends_text`, `user_presses`, ...; the
updates reach the bot by `getUpdates` long polling, or, once the bot called `setWebhook`, as POSTs to its webhook
with the secret token, as Telegram does.

    async with FakeBotApi() as api:
        settings = Settings(telegram_bot_token=api.token, telegram_api_base_url=api.base_url, ...)
        ...start the bot...
        api.user_sends_text(42, "/start")
        messages = await api.wait_for_messages(42, 1)

Fault injection: `fail_next("sendMessage", status=429, retry_after=1)` answers the next call the way Telegram
does when flooded; 400/403/500 likewise. `fail_for("sendMessage", 2.0, status=500)` fails every call for a
while; `slow_next("sendMessage", 8.0)` carries a call out but answers only after 8 s (Telegram accepted it,
the bot hears late). `redeliver(update)` sends an update again with the same update_id, as Telegram does after
an unconfirmed delivery; with `webhook_retry_after` set, a webhook delivery answered with anything but 200 is
pushed again after that many seconds, as Telegram does.

For load runs (bench/load.py): `FakeBotApi(webhook_connections=40)` pushes up to 40 updates at once, as Telegram's
setWebhook `max_connections` allows, but never two of one chat at once (Telegram waits for the bot's answer to a
chat's update before it sends that chat's next one); `requests` logs the time, method and chat of every call, and
`received_at` when each update was made, so latency and rate limits can be measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

DEFAULT_TOKEN = "123456:TEST-TOKEN-for-the-fake-bot-api"
BOT_ID = 123456
BOT_USERNAME = "familienlotse_test_bot"

# Parameters that are plain strings on the wire; everything else PTB sends JSON-encoded in form bodies.
STRING_PARAMETERS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "url",
        "secret_token",
        "language_code",
        "parse_mode",
        "action",
        "ip_address",
        "business_connection_id",
        "inline_message_id",
    }
)
ERROR_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
}


class ApiError(Exception):
    """Answered as Telegram answers errors: {"ok": false, "error_code": ..., "description": ...}."""

    def __init__(self, status: int, description: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.retry_after = retry_after
        self.description = description or ERROR_DESCRIPTIONS.get(status, "Error").format(retry_after=retry_after)

    def response(self) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.status)


@dataclass
class ApiCall:
    """One call the bot made: the method, its decoded parameters, and the HTTP status it got (None: running)."""

    method: str
    params: dict[str, Any]
    status: int | None = None
    answered_at: float | None = None  # time.monotonic() when the answer went back (after any slow_next delay)


@dataclass
class _Fault:
    status: int
    times: int
    retry_after: int | None


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    deliveries: list[int] = field(default_factory=list)  # HTTP status of every delivery, in order


class FakeBotApi:
    """A fake Telegram Bot API on a random loopback port. Use as `async with FakeBotApi() as api:`."""

    def __init__(
        self, token: str = DEFAULT_TOKEN, *, username: str = BOT_USERNAME, webhook_connections: int = 1
    ) -> None:
        self.token = token
        self.username = username
        self.webhook_connections = max(1, webhook_connections)  # updates in flight to the webhook at once
        self.requests: list[tuple[float, str, int | None]] = []  # (time.monotonic(), method, chat_id) of every call
        self.received_at: dict[int, float] = {}  # update_id -> time.monotonic() when the user's update was made
        self.calls: list[ApiCall] = []
        self.commands: dict[str | None, list[dict[str, str]]] = {}  # language_code (None = default) -> commands
        self.answered_callbacks: list[dict[str, Any]] = []
        self.webhook: _Webhook | None = None
        self._messages: dict[int, list[dict[str, Any]]] = defaultdict(list)  # chat id -> the bot's messages
        self._pending: deque[dict[str, Any]] = deque()  # updates not yet confirmed by a getUpdates offset
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._failing_until: dict[str, tuple[float, int, int | None]] = {}  # method -> (until, status, retry)
        self._slow: dict[str, deque[float]] = defaultdict(deque)  # method -> delays of its next answers
        self.webhook_retry_after: float | None = None
        self._again: deque[dict[str, Any]] = deque()  # redelivered updates for the next getUpdates answer
        self._blocked: set[int] = set()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Event()  # set whenever an update arrives or the bot sends something
        self._sent_times: dict[int, list[float]] = defaultdict(list)  # chat id -> when each message arrived
        self._count_waiters: dict[int, list[tuple[int, asyncio.Future[None]]]] = defaultdict(list)
        self._closing = asyncio.Event()
        # The Lotsen's workplace: forum supergroups and their topics, reactions, command menus per scope.
        self.forums: set[int] = set()  # chats getChat reports as forums (make_forum)
        self.topics: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)  # chat -> thread id -> topic
        self.reactions: dict[tuple[int, int], list[dict[str, Any]]] = {}  # (chat, message) -> the bot's reaction
        self.scoped_commands: dict[tuple[str, int | None, str | None], list[dict[str, str]]] = {}
        self._deliveries: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._delivery_task: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # the random port
        self._delivery_task = asyncio.create_task(self._deliver_to_webhook())

    async def stop(self) -> None:
        self._closing.set()  # ends waiting long polls at once
        if self._delivery_task:
            self._delivery_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery_task
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What PTB's `base_url` (TELEGRAM_API_BASE_URL) must be to talk to this fake."""
        return f"http://127.0.0.1:{self.port}/bot"

    # ------------------------------------------------------------------ the user's side

    def user_sends_text(
        self,
        chat_id: int,
        text: str,
        language_code: str | None = "de",
        user_id: int | None = None,
        *,
        chat_type: str = "private",
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """A message typed by the user; a leading /command gets its bot_command entity as Telegram adds it.
        `thread_id`: written in that topic of a forum group (see user_writes_in_topic)."""
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/") and text[1:2].isascii() and (text[1:2].isalnum() or text[1:2] == "_"):  # not "//"
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ", 1)[0])}]
        if thread_id is not None:
            fields.update(self._topic_fields(chat_id, thread_id))
        return self._user_message(chat_id, fields, language_code, user_id, chat_type)

    def user_replies(
        self, chat_id: int, text: str, to_message_id: int, user_id: int, *, chat_type: str = "supergroup"
    ) -> dict[str, Any]:
        """A user answers one of the bot's messages with Telegram's reply (a Lotse in the group, say)."""
        original = next(m for m in self._messages[chat_id] if m["message_id"] == to_message_id)
        fields: dict[str, Any] = {"text": text, "reply_to_message": copy.deepcopy(original)}
        if text.startswith("/") and text[1:2].isascii() and text[1:2].isalnum():  # a command, as a reply
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ", 1)[0])}]
        if "message_thread_id" in original:  # a reply to a message in a topic is written in that topic
            fields.update(message_thread_id=original["message_thread_id"], is_topic_message=True)
        return self._user_message(chat_id, fields, "de", user_id, chat_type)

    def user_presses_in_group(self, chat_id: int, callback_data: str, message_id: int, user_id: int) -> dict[str, Any]:
        """A group member taps a button under the bot's message in that group."""
        sent = next(m for m in self._messages[chat_id] if m["message_id"] == message_id)
        query = {
            "id": str(next(self._callback_ids)),
            "from": self._user(user_id, "de"),
            "chat_instance": f"instance-{chat_id}",
            "message": copy.deepcopy(sent),
            "data": callback_data,
        }
        return self.deliver({"callback_query": query})

    def user_edits_text(
        self, chat_id: int, message_id: int, text: str, language_code: str | None = "de", user_id: int | None = None
    ) -> dict[str, Any]:
        """The user corrects an earlier message of theirs (an `edited_message` update)."""
        message = self._message(chat_id, {"text": text}, language_code, user_id, "private")
        message["message_id"] = message_id
        message["edit_date"] = int(time.time())
        return self.deliver({"edited_message": message})

    def user_presses(
        self,
        chat_id: int,
        callback_data: str,
        message_id: int,
        language_code: str | None = "de",
        user_id: int | None = None,
    ) -> dict[str, Any]:
        """The user taps a button of the bot's message `message_id` (the data is sent as given, even if forged)."""
        sent = next((m for m in self._messages[chat_id] if m["message_id"] == message_id), None)
        message = copy.deepcopy(sent) if sent else self._bot_message(chat_id, {"text": "…"}, message_id)
        query = {
            "id": str(next(self._callback_ids)),
            "from": self._user(user_id or chat_id, language_code),
            "chat_instance": f"instance-{chat_id}",
            "message": message,
            "data": callback_data,
        }
        return self.deliver({"callback_query": query})

    def user_sends_location(
        self,
        chat_id: int,
        latitude: float,
        longitude: float,
        language_code: str | None = "de",
        user_id: int | None = None,
    ) -> dict[str, Any]:
        fields = {"location": {"latitude": latitude, "longitude": longitude}}
        return self._user_message(chat_id, fields, language_code, user_id, "private")

    def user_sends_sticker(
        self, chat_id: int, language_code: str | None = "de", user_id: int | None = None
    ) -> dict[str, Any]:
        sticker = {
            "file_id": "sticker-file",
            "file_unique_id": "sticker-unique",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self._user_message(chat_id, {"sticker": sticker}, language_code, user_id, "private")

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: every send to this chat gets Telegram's 403."""
        self._blocked.add(chat_id)

    def deliver(self, body: dict[str, Any]) -> dict[str, Any]:
        """Any update body (without update_id): numbered, then polled or pushed to the webhook."""
        update = {"update_id": next(self._update_ids), **body}
        self.received_at[update["update_id"]] = time.monotonic()
        return self._enqueue(update)

    def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """The same update once more, same update_id: Telegram did not see it confirmed and sends it again
        (to the webhook; or in the next getUpdates answer, as after a poller died before confirming)."""
        if self.webhook:
            return self._enqueue(copy.deepcopy(update))
        self._again.append(copy.deepcopy(update))
        self._changed.set()
        return update

    def _enqueue(self, update: dict[str, Any]) -> dict[str, Any]:
        if self.webhook:
            self._deliveries.put_nowait(update)
        else:
            self._pending.append(update)
        self._changed.set()
        return update

    # ------------------------------------------------------------------ what the bot did

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in this chat, oldest first, as they look now (edits applied; copies)."""
        return copy.deepcopy(self._messages[chat_id])

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """One of the bot's messages in this chat as it looks now (edits applied; a copy)."""
        return copy.deepcopy(next(m for m in self._messages[chat_id] if m["message_id"] == message_id))

    def last_message(self, chat_id: int) -> dict[str, Any]:
        return copy.deepcopy(self._messages[chat_id][-1])

    async def wait_for_messages(self, chat_id: int, count: int, timeout: float = 5) -> list[dict[str, Any]]:
        """Waits until the bot has sent at least `count` messages to the chat; fails with what it did send."""
        await self._wait(lambda: len(self._messages[chat_id]) >= count, timeout, f"{count} messages to {chat_id}")
        return self.sent_to(chat_id)

    async def wait_for_text(self, chat_id: int, message_id: int, part: str, timeout: float = 5) -> dict[str, Any]:
        """Waits until one of the bot's messages, as edited so far, contains `part`; returns it as it is then."""
        await self._wait(
            lambda: part in self.message(chat_id, message_id).get("text", ""), timeout, f"{part!r} in {message_id}"
        )
        return self.message(chat_id, message_id)

    async def wait_for_count(self, chat_id: int, count: int, timeout: float = 5) -> None:
        """Like wait_for_messages without the copies and without polling: cheap enough for thousands of chats."""
        if len(self._messages[chat_id]) >= count:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._count_waiters[chat_id].append((count, future))
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise AssertionError(
                f"timed out waiting for {count} messages to {chat_id}; got {len(self._messages[chat_id])}"
            ) from None

    def sent_count(self, chat_id: int) -> int:
        return len(self._messages[chat_id])

    def sent_times(self, chat_id: int) -> list[float]:
        """time.monotonic() when each of the bot's messages to this chat arrived, oldest first."""
        return list(self._sent_times[chat_id])

    async def wait_for_calls(
        self, method: str, count: int = 1, timeout: float = 5, *, answered: bool = True
    ) -> list[ApiCall]:
        """Waits for `count` calls of `method` — answered ones, or (answered=False) also ones still running."""

        def calls() -> list[ApiCall]:
            return [call for call in self.calls_to(method) if call.status is not None or not answered]

        await self._wait(lambda: len(calls()) >= count, timeout, f"{count} {method} calls")
        return calls()

    async def _wait(self, done: Any, timeout: float, what: str) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not done():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                sent = [(c.method, c.params.get("chat_id"), str(c.params.get("text", ""))[:60]) for c in self.calls]
                raise AssertionError(f"timed out waiting for {what}; calls so far: {sent}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))

    # ------------------------------------------------------------------ fault injection

    def fail_next(self, method: str, status: int = 429, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` fail with `status` (429 carries Telegram's retry_after)."""
        self._faults[method].append(_Fault(status, times, retry_after if status == 429 else None))

    def fail_for(self, method: str, seconds: float, status: int = 500, retry_after: int = 1) -> None:
        """Every call of `method` fails with `status` for the next `seconds` (an outage, a flood wait)."""
        self._failing_until[method] = (time.monotonic() + seconds, status, retry_after if status == 429 else None)

    def slow_next(self, method: str, seconds: float, times: int = 1) -> None:
        """The next `times` calls of `method` are carried out at once but answered only after `seconds`."""
        self._slow[method].extend([seconds] * times)

    def _injected_fault(self, method: str) -> ApiError | None:
        failing = self._failing_until.get(method)
        if failing is not None:
            until, status, retry_after = failing
            if time.monotonic() < until:
                return ApiError(status, retry_after=retry_after)
            del self._failing_until[method]
        faults = self._faults.get(method)
        if not faults:
            return None
        fault = faults[0]
        fault.times -= 1
        if fault.times <= 0:
            faults.popleft()
        return ApiError(fault.status, retry_after=fault.retry_after)

    # ------------------------------------------------------------------ the HTTP side

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        call = ApiCall(request.match_info["method"], await _parameters(request))
        chat_id = call.params.get("chat_id")
        self.requests.append((time.monotonic(), call.method, int(chat_id) if isinstance(chat_id, int | str) else None))
        self.calls.append(call)  # recorded on arrival, so a test can see a long poll that is still waiting
        method = call.method
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401)
            if fault := self._injected_fault(method):
                raise fault
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(call.params)
            if self._slow.get(method):
                await asyncio.sleep(self._slow[method].popleft())  # done already; only the answer is late
        except ApiError as error:
            call.status = error.status
            self._changed.set()
            return error.response()
        call.status = 200
        call.answered_at = time.monotonic()
        self._changed.set()
        return web.json_response({"ok": True, "result": result})

    async def _api_getMe(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {**self._bot_user(), "can_join_groups": True, "can_read_all_group_messages": False}

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long poll: confirms updates below `offset`, then waits up to `timeout` seconds for new ones."""
        if self.webhook:
            raise ApiError(409)
        offset = int(params.get("offset") or 0)
        while self._pending and self._pending[0]["update_id"] < offset:
            self._pending.popleft()
        deadline = asyncio.get_running_loop().time() + float(params.get("timeout") or 0)
        while not self._pending and not self._again and not self._closing.is_set():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))
        limit = int(params.get("limit") or 100)
        again = [self._again.popleft() for _ in range(len(self._again))]
        return again + [copy.deepcopy(update) for update in list(self._pending)[: max(0, limit - len(again))]]

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._record_sent(params, {"text": params["text"]})

    async def _api_sendVenue(self, params: dict[str, Any]) -> dict[str, Any]:
        """A map pin with a title and an address, as Telegram shows an offer's place."""
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        venue = {"location": location, "title": str(params["title"]), "address": str(params["address"])}
        return self._record_sent(params, {"venue": venue, "location": location})

    async def _api_sendVoice(self, params: dict[str, Any]) -> dict[str, Any]:
        voice = {
            "file_id": "voice-file",
            "file_unique_id": "voice-unique",
            "duration": int(params.get("duration") or 1),
        }
        return self._record_sent(
            params, {"voice": voice, **({"caption": params["caption"]} if "caption" in params else {})}
        )

    async def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        if "text" not in message:  # a photo, a document: Telegram edits their caption only
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if message.get("text") == params["text"] and message.get("reply_markup") == params.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        message["text"] = params["text"]
        _set_markup(message, params.get("reply_markup"))
        return copy.deepcopy(message)

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        if message.get("reply_markup") == _real_markup(params.get("reply_markup")):
            raise ApiError(400, "Bad Request: message is not modified")
        _set_markup(message, params.get("reply_markup"))
        return copy.deepcopy(message)

    async def _api_deleteMessage(self, params: dict[str, Any]) -> bool:
        """Removes one of the bot's messages from the chat, as a group member would then see it."""
        message = self._find(params)
        self._messages[int(params["chat_id"])].remove(message)
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        self.answered_callbacks.append(params)
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        if params.get("scope"):  # a menu for some chats only (scoped_commands); `commands` keeps the default scope
            self.scoped_commands[_scope_key(params)] = list(params["commands"])
            return True
        self.commands[params.get("language_code") or None] = list(params["commands"])
        return True

    async def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        if params.get("scope"):
            return self.scoped_commands.get(_scope_key(params), [])
        return self.commands.get(params.get("language_code") or None, [])

    async def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = _Webhook(params["url"], params.get("secret_token"))
        return True

    async def _api_deleteWebhook(self, _params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _api_getWebhookInfo(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    async def _api_sendChatAction(self, _params: dict[str, Any]) -> bool:
        return True

    async def _api_close(self, _params: dict[str, Any]) -> bool:
        return True

    async def _api_logOut(self, _params: dict[str, Any]) -> bool:
        return True

    # ------------------------------------------------------------------ the Lotsen's workplace
    # Forum supergroups with topics (a thread per case), photos and documents by file id, reactions.

    def make_forum(self, chat_id: int) -> None:
        """The group is a forum supergroup (topics switched on): getChat says is_forum, topics can be made."""
        self.forums.add(chat_id)

    def topic_named(self, chat_id: int, prefix: str) -> int:
        """The thread id of the topic whose name starts with `prefix` (exactly one)."""
        [thread] = [t for t, topic in self.topics[chat_id].items() if topic["name"].startswith(prefix)]
        return thread

    def in_topic(self, chat_id: int, thread_id: int | None) -> list[dict[str, Any]]:
        """The bot's messages in one topic (None: the General topic, where messages without a thread go)."""
        return [m for m in self.sent_to(chat_id) if m.get("message_thread_id") == thread_id]

    def user_sends_photo(
        self, chat_id: int, file_id: str, caption: str | None = None, user_id: int | None = None, **where: Any
    ) -> dict[str, Any]:
        """A photo (Telegram sends its sizes; the largest last). `where`: chat_type, thread_id, reply_to."""
        sizes = [
            {"file_id": f"{file_id}-small", "file_unique_id": f"{file_id}-s", "width": 90, "height": 120},
            {"file_id": file_id, "file_unique_id": f"{file_id}-u", "width": 960, "height": 1280},
        ]
        return self._user_media(chat_id, {"photo": sizes}, caption, user_id, **where)

    def user_sends_document(
        self,
        chat_id: int,
        file_id: str,
        file_name: str = "brief.pdf",
        caption: str | None = None,
        user_id: int | None = None,
        **where: Any,
    ) -> dict[str, Any]:
        document = {"file_id": file_id, "file_unique_id": f"{file_id}-u", "file_name": file_name}
        document["mime_type"] = "application/pdf" if file_name.endswith(".pdf") else "application/octet-stream"
        return self._user_media(chat_id, {"document": document}, caption, user_id, **where)

    def user_edits_message(self, update: dict[str, Any], text: str) -> dict[str, Any]:
        """The sender of `update`'s message corrects it (text or caption): an `edited_message` update, in the
        same chat, thread and reply as the original."""
        message = copy.deepcopy(update["message"])
        message["text" if "text" in message else "caption"] = text
        message.pop("entities", None)
        message["edit_date"] = int(time.time())
        return self.deliver({"edited_message": message})

    def _user_media(
        self,
        chat_id: int,
        fields: dict[str, Any],
        caption: str | None,
        user_id: int | None,
        *,
        chat_type: str = "private",
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        if caption:
            fields["caption"] = caption
        if reply_to is not None:
            original = next(m for m in self._messages[chat_id] if m["message_id"] == reply_to)
            fields["reply_to_message"] = copy.deepcopy(original)
            thread_id = original.get("message_thread_id", thread_id)
        if thread_id is not None:
            fields = {**self._topic_fields(chat_id, thread_id), **fields}
        return self._user_message(chat_id, fields, "de", user_id, chat_type)

    def _topic_fields(self, chat_id: int, thread_id: int) -> dict[str, Any]:
        """What Telegram puts on a message written in a topic: the thread, and — unless it answers another
        message — a reply to the service message that opened the topic."""
        topic = self.topics[chat_id][thread_id]
        opened = {
            "message_id": thread_id,
            "date": topic["date"],
            "chat": {"id": chat_id, "type": "supergroup", "title": "Testgruppe", "is_forum": True},
            "from": self._bot_user(),
            "message_thread_id": thread_id,
            "forum_topic_created": {"name": topic["name"], "icon_color": topic["icon_color"]},
        }
        return {"message_thread_id": thread_id, "is_topic_message": True, "reply_to_message": opened}

    def _place_in_topic(self, chat_id: int, message: dict[str, Any], thread_id: Any) -> None:
        """A message sent with message_thread_id lands in that topic, as Telegram checks it: a forum's open
        (or closed: the bot is an admin) topic; elsewhere Telegram refuses."""
        if thread_id is None:
            return
        if chat_id not in self.forums or int(thread_id) not in self.topics[chat_id]:
            raise ApiError(400, "Bad Request: message thread not found")
        message.update(message_thread_id=int(thread_id), is_topic_message=True)

    def _topic(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        topic = self.topics[chat_id].get(int(params.get("message_thread_id") or 0))
        if topic is None:
            raise ApiError(400, "Bad Request: TOPIC_ID_INVALID")
        return topic

    async def _api_getChat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        kind = "private" if chat_id > 0 else "supergroup" if str(chat_id).startswith("-100") else "group"
        chat: dict[str, Any] = {"id": chat_id, "type": kind, "accent_color_id": 0, "max_reaction_count": 11}
        chat["accepted_gift_types"] = {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        }
        if kind == "private":
            chat["first_name"] = "Testfamilie"
        else:
            chat["title"] = "Testgruppe"
        if chat_id in self.forums:
            chat.update(type="supergroup", is_forum=True)
        return chat

    async def _api_createForumTopic(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        if chat_id not in self.forums:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        name = str(params["name"])
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: TOPIC_TITLE_EMPTY" if not name else "Bad Request: TOPIC_TITLE_TOO_LONG")
        thread_id = next(self._message_ids)  # a topic is the thread of its opening service message
        icon_color = int(params.get("icon_color") or 7322096)
        self.topics[chat_id][thread_id] = {"name": name, "icon_color": icon_color, "closed": False}
        self.topics[chat_id][thread_id]["date"] = int(time.time())
        return {"message_thread_id": thread_id, "name": name, "icon_color": icon_color}

    async def _api_editForumTopic(self, params: dict[str, Any]) -> bool:
        topic = self._topic(params)
        if params.get("name") in (None, topic["name"]):
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic["name"] = str(params["name"])
        return True

    async def _api_closeForumTopic(self, params: dict[str, Any]) -> bool:
        topic = self._topic(params)
        if topic["closed"]:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic["closed"] = True
        return True

    async def _api_reopenForumTopic(self, params: dict[str, Any]) -> bool:
        topic = self._topic(params)
        if not topic["closed"]:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic["closed"] = False
        return True

    async def _api_deleteForumTopic(self, params: dict[str, Any]) -> bool:
        """The topic goes with every message in it."""
        self._topic(params)
        chat_id, thread_id = int(params["chat_id"]), int(params["message_thread_id"])
        del self.topics[chat_id][thread_id]
        self._messages[chat_id] = [m for m in self._messages[chat_id] if m.get("message_thread_id") != thread_id]
        return True

    async def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = _file_id(params["photo"], "photo")
        photo = [{"file_id": file_id, "file_unique_id": f"{file_id}-u", "width": 960, "height": 1280}]
        return self._record_sent(params, {"photo": photo, **_caption(params)})

    async def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = _file_id(params["document"], "document")
        document = {"file_id": file_id, "file_unique_id": f"{file_id}-u", "file_name": "datei.pdf"}
        return self._record_sent(params, {"document": document, **_caption(params)})

    async def _api_editMessageCaption(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        if "text" in message:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        message["caption"] = params.get("caption", "")
        _set_markup(message, params.get("reply_markup"))
        return copy.deepcopy(message)

    async def _api_setMessageReaction(self, params: dict[str, Any]) -> bool:
        self.reactions[(int(params["chat_id"]), int(params["message_id"]))] = list(params.get("reaction") or [])
        return True

    # ------------------------------------------------------------------ helpers

    def _record_sent(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        if chat_id in self._blocked:
            raise ApiError(403)
        message = self._bot_message(chat_id, content, next(self._message_ids))
        _set_markup(message, params.get("reply_markup"))
        self._place_in_topic(chat_id, message, params.get("message_thread_id"))
        self._messages[chat_id].append(message)
        self._sent_times[chat_id].append(time.monotonic())
        if waiters := self._count_waiters.get(chat_id):
            count = len(self._messages[chat_id])
            for wanted, future in [w for w in waiters if w[0] <= count]:
                waiters.remove((wanted, future))
                if not future.done():
                    future.set_result(None)
        return copy.deepcopy(message)

    def _find(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, message_id = int(params.get("chat_id", 0)), int(params.get("message_id", 0))
        for message in self._messages[chat_id]:
            if message["message_id"] == message_id:
                return message
        raise ApiError(400, "Bad Request: message to edit not found")

    def _bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Familienlotse", "username": self.username}

    @staticmethod
    def _user(user_id: int, language_code: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Testfamilie"}
        if language_code:
            user["language_code"] = language_code
        return user

    @staticmethod
    def _chat(chat_id: int, chat_type: str) -> dict[str, Any]:
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": "Testfamilie"}
        return {"id": chat_id, "type": chat_type, "title": "Testgruppe"}

    def _bot_message(self, chat_id: int, content: dict[str, Any], message_id: int) -> dict[str, Any]:
        chat = self._chat(chat_id, "private" if chat_id > 0 else "group")
        if chat_id in self.forums:
            chat.update(type="supergroup", is_forum=True)
        return {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": self._bot_user(), **content}

    def _message(
        self, chat_id: int, fields: dict[str, Any], language_code: str | None, user_id: int | None, chat_type: str
    ) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type),
            "from": self._user(user_id or chat_id, language_code),
            **fields,
        }
        if chat_id in self.forums:
            message["chat"].update(type="supergroup", is_forum=True)
        return message

    def _user_message(
        self, chat_id: int, fields: dict[str, Any], language_code: str | None, user_id: int | None, chat_type: str
    ) -> dict[str, Any]:
        return self.deliver({"message": self._message(chat_id, fields, language_code, user_id, chat_type)})

    async def _deliver_to_webhook(self) -> None:
        """Pushes updates to the webhook with the secret token, as Telegram does: in order, at most
        `webhook_connections` at once, and one chat's next update only after the bot answered its previous one."""
        slots = asyncio.Semaphore(self.webhook_connections)
        waiting: dict[int | None, deque[dict[str, Any]]] = {}  # chat -> its updates behind the one in flight
        in_flight: set[asyncio.Task[None]] = set()
        async with ClientSession(timeout=ClientTimeout(total=60)) as session:

            async def push(update: dict[str, Any]) -> None:
                key = _update_chat(update)
                while True:
                    async with slots:
                        await self._post_update(session, update)
                    queue = waiting.get(key)
                    if not queue:
                        waiting.pop(key, None)
                        return
                    update = queue.popleft()

            try:
                while True:
                    update = await self._deliveries.get()
                    if self.webhook is None:  # deleted meanwhile: back to polling
                        self._pending.append(update)
                        continue
                    key = _update_chat(update)
                    if key in waiting and key is not None:
                        waiting[key].append(update)  # this chat has an update in flight: it goes next
                        continue
                    waiting[key] = deque()
                    if self.webhook_connections == 1:
                        await push(update)  # strictly one after the other (the original behaviour)
                        continue
                    await slots.acquire()  # keep arrival order across chats: wait for a free connection here
                    slots.release()
                    task = asyncio.create_task(push(update))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
            finally:
                for task in list(in_flight):
                    task.cancel()

    async def _post_update(self, session: ClientSession, update: dict[str, Any]) -> None:
        webhook = self.webhook
        if webhook is None:
            self._pending.append(update)
            return
        headers = {"X-Telegram-Bot-Api-Secret-Token": webhook.secret_token} if webhook.secret_token else {}
        while True:
            try:
                async with session.post(webhook.url, json=update, headers=headers) as response:
                    status = response.status
            except (OSError, TimeoutError, ClientError):  # refused, reset, or the bot died mid-answer
                status = 0
            webhook.deliveries.append(status)
            self._changed.set()
            if status == 200 or self.webhook_retry_after is None or self._closing.is_set():
                return
            await asyncio.sleep(self.webhook_retry_after)  # Telegram tries the same update again later


def _update_chat(update: dict[str, Any]) -> int | None:
    """The chat an update belongs to (its sender's for chat-less ones), which Telegram delivers in order."""
    for kind in ("message", "edited_message", "callback_query"):
        body = update.get(kind)
        if isinstance(body, dict):
            message = body.get("message") if kind == "callback_query" else body
            if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                return int(message["chat"]["id"])
            sender = body.get("from")
            if isinstance(sender, dict):
                return int(sender["id"])
    return None


async def _parameters(request: web.Request) -> dict[str, Any]:
    """The call's parameters, decoded the same whether PTB sent JSON, a form, or multipart with files."""
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return dict(request.query)
    form = await request.post()
    params: dict[str, Any] = {}
    for name, value in form.items():
        if not isinstance(value, str):  # an uploaded file: keep its name, size and first bytes (the format)
            data = value.file.read()
            params[name] = {"filename": value.filename, "size": len(data), "head": data[:4]}
        elif name in STRING_PARAMETERS:
            params[name] = value
        else:
            try:
                params[name] = json.loads(value)
            except ValueError:
                params[name] = value
    return params


def _real_markup(markup: Any) -> Any:
    """An empty or missing inline keyboard means "no keyboard" to Telegram."""
    if not markup or markup == {"inline_keyboard": []}:
        return None
    return markup


def _set_markup(message: dict[str, Any], markup: Any) -> None:
    markup = _real_markup(markup)
    if markup is None:
        message.pop("reply_markup", None)
    else:
        message["reply_markup"] = markup


def buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    """All inline buttons of a bot message, row by row."""
    return [button for row in message.get("reply_markup", {}).get("inline_keyboard", []) for button in row]


def _scope_key(params: dict[str, Any]) -> tuple[str, int | None, str | None]:
    """A command menu's scope as a key: ("chat", -100123, None) for one chat's menu in the default language."""
    scope = params["scope"]
    chat_id = scope.get("chat_id")
    return str(scope["type"]), int(chat_id) if chat_id is not None else None, params.get("language_code") or None


def _file_id(sent: Any, kind: str) -> str:
    """A file sent by its Telegram file id (a string), or uploaded (kept as name and size by _parameters)."""
    if isinstance(sent, dict):
        return f"uploaded-{kind}-{sent.get('filename')}"
    return str(sent)


def _caption(params: dict[str, Any]) -> dict[str, Any]:
    return {"caption": str(params["caption"])} if params.get("caption") else {}
