"""Starting the bot: long polling (the default) or webhook mode behind the aiohttp app."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import suppress

from aiohttp import web
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.adapters.telegram.application import ALLOWED_UPDATES
from bot.adapters.telegram.context import BotData
from bot.adapters.telegram.retries import START_PATIENCE
from bot.adapters.telegram.webhook import webhook_app
from bot.settings import Settings

log = logging.getLogger(__name__)
Routes = Callable[[web.Application], None]  # adds more pages to the bot's web app


def quiet_http_logs() -> None:
    """httpx logs every request URL at INFO, and a Bot API URL contains the bot token: keep it out of the logs."""
    logging.getLogger("httpx").setLevel(logging.WARNING)


def gave_up_starting(error: TelegramError) -> SystemExit:
    """One clear line for the operator (no token, no content), and exit code 1 for the supervisor."""
    log.critical(
        "Telegram beim Start %.0f s lang nicht erreichbar (%s): Ende mit Code 1, bitte neu starten lassen",
        START_PATIENCE,
        type(error).__name__,
    )
    return SystemExit(1)


def run_polling_bot(application: Application) -> None:
    """Polls until Ctrl-C or SIGTERM; PTB deletes a webhook first (Telegram allows only one of the two).

    Start-up calls Telegram does not take (5xx, 429, no connection) are retried with backoff by the bot's rate
    limiter for up to START_PATIENCE; only then does the process end."""
    quiet_http_logs()
    log.info("Telegram-Bot läuft (Polling)")
    try:
        application.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
    except (NetworkError, RetryAfter) as error:
        raise gave_up_starting(error) from error


def run_webhook_bot(
    application: Application, settings: Settings, host: str = "0.0.0.0", routes: Routes | None = None
) -> None:
    """Serves the webhook on WEBHOOK_PORT until Ctrl-C or SIGTERM (plus `routes`, e.g. the /angebote overview)."""
    quiet_http_logs()
    try:
        asyncio.run(serve_webhook(application, settings, host=host, routes=routes))
    except (NetworkError, RetryAfter) as error:
        raise gave_up_starting(error) from error


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):  # not available on Windows; Ctrl-C still ends the process
            loop.add_signal_handler(signum, stop.set)
    return stop


async def serve_webhook(
    application: Application,
    settings: Settings,
    *,
    host: str,
    stop: asyncio.Event | None = None,
    routes: Routes | None = None,
) -> None:
    """Serves the webhook, registers it with Telegram (with our secret), and tears everything down on `stop`."""
    if not settings.webhook_url or not settings.webhook_secret:
        raise ValueError("webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET")
    stop = stop or _stop_on_signals()
    bot_data: BotData = application.bot_data
    if bot_data.service is None:
        raise ValueError("build the Application with build_application()")
    async with application:
        if application.post_init:
            await application.post_init(application)
        await application.start()
        web_app = webhook_app(application, settings.webhook_secret, bot_data.service.uow)
        if routes is not None:
            routes(web_app)
        runner = web.AppRunner(web_app, access_log=None)  # a log line per update costs CPU and says nothing
        await runner.setup()
        try:
            await web.TCPSite(runner, host, settings.webhook_port).start()
            # Telegram delivers as soon as the webhook is set, so it is set once we are listening.
            await application.bot.set_webhook(
                settings.webhook_url, secret_token=settings.webhook_secret, allowed_updates=ALLOWED_UPDATES
            )
            log.info("Telegram-Bot läuft (Webhook auf Port %d)", settings.webhook_port)
            await stop.wait()
        finally:
            await runner.cleanup()  # no new updates first, then the Application finishes the queued ones
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)  # the outbox sender lets its sends in flight finish
