"""Webhook mode: Telegram POSTs updates to /telegram, a load balancer asks /healthz — one small aiohttp app.

Only requests carrying our secret (Telegram sends it as X-Telegram-Bot-Api-Secret-Token, see setWebhook)
reach the bot; the update is queued for the Application, which handles it exactly as in polling mode.

The answer to Telegram waits until the update was handled (at most ACK_WITHIN seconds): Telegram sends a chat's
next update only after that answer, so when a proxy spreads updates over several bot processes, a family's
"Kita" is handled before its "Eglosheim" even if they land on different processes.

The answer is 200 only once the update is stored: while the database is away (longer than the handlers wait
for it), Telegram gets 503 and delivers the update again later; the update_id keeps a repeat from acting
twice. An update the Telegram library cannot read is acknowledged (a retry would not make it readable) and
logged with its id and size only.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging

from aiohttp import web
from sqlalchemy import text
from telegram import Update
from telegram.ext import Application

from bot.adapters.telegram.ordering import PerChatUpdateProcessor
from bot.adapters.telegram.request import unreadable_update_logged
from bot.db.engine import UnitOfWork
from bot.services.conversations import DATABASE_PATIENCE

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram"
HEALTH_PATH = "/healthz"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# The handler saves the conversation first and then sends; past this (replies waiting behind Telegram's rate
# limits) we answer anyway, well before Telegram would give up on the delivery and send the update again.
ACK_WITHIN = 5.0
# An update not yet stored after ACK_WITHIN is waiting for the database: the handler waits DATABASE_PATIENCE
# for it, and we wait for the handler a little longer, so the answer says whether the update was stored.
STORE_WITHIN = DATABASE_PATIENCE + 5.0

APPLICATION = web.AppKey("application", Application)
SECRET = web.AppKey("secret", str)
UOW = web.AppKey("uow", UnitOfWork)


def database_answers(uow: UnitOfWork) -> bool:
    """Whether the database answers a trivial query (blocking; run it in a thread)."""
    try:
        with uow() as session:
            session.execute(text("SELECT 1"))
    except Exception as error:  # any driver error means "not healthy", and the reason goes to the log
        log.warning("health check: database unavailable (%s)", type(error).__name__)
        return False
    return True


async def update_received(request: web.Request) -> web.Response:
    """POST /telegram: checks the secret, queues the update; 401 without the secret, 400 for a malformed body."""
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), request.app[SECRET].encode()):
        log.warning("webhook call without the right secret token refused")
        return web.json_response({"ok": False}, status=401)
    try:
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("an update is a JSON object")
    except (ValueError, UnicodeDecodeError):  # JSONDecodeError is a ValueError
        return web.json_response({"ok": False}, status=400)
    application = request.app[APPLICATION]
    try:
        update = Update.de_json(data, application.bot)
    except Exception:  # any shape PTB cannot read: a resend would be just as unreadable
        if not isinstance(data.get("update_id"), int):
            return web.json_response({"ok": False}, status=400)
        unreadable_update_logged(data)
        return web.json_response({"ok": True})
    processor = application.update_processor
    delivery = processor.track(update) if isinstance(processor, PerChatUpdateProcessor) else None
    await application.update_queue.put(update)
    if delivery is None:
        return web.json_response({"ok": True})
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(delivery.finished), ACK_WITHIN)
    if not delivery.finished.done() and not delivery.stored.is_set():
        # still waiting for the database: answer only once we know whether it took the update
        stored = asyncio.ensure_future(delivery.stored.wait())
        await asyncio.wait({stored, delivery.finished}, timeout=STORE_WITHIN, return_when=asyncio.FIRST_COMPLETED)
        stored.cancel()
    if delivery.failed or not (delivery.stored.is_set() or delivery.finished.done()):
        log.warning("update %s not stored (database unavailable): Telegram will deliver it again", update.update_id)
        return web.json_response({"ok": False}, status=503)
    return web.json_response({"ok": True})


async def health_checked(request: web.Request) -> web.Response:
    """GET /healthz: 200 when the database answers, 503 otherwise."""
    if await asyncio.to_thread(database_answers, request.app[UOW]):
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "database unavailable"}, status=503)


def webhook_app(application: Application, secret: str, uow: UnitOfWork) -> web.Application:
    """The aiohttp app that feeds Telegram's webhook calls into `application`."""
    if not secret:
        raise ValueError("the webhook needs a secret token")
    app = web.Application()
    app[APPLICATION] = application
    app[SECRET] = secret
    app[UOW] = uow
    app.router.add_post(WEBHOOK_PATH, update_received)
    app.router.add_get(HEALTH_PATH, health_checked)
    return app
