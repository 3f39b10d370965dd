"""The Telegram Application, built in one place: token, Bot API address, rate limits, ordering, handlers."""

from __future__ import annotations

import logging

from telegram import BotCommand
from telegram.constants import FloodLimit
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot.adapters.telegram.checkins import CheckInJob
from bot.adapters.telegram.context import BotData, FamilyApplication, FamilyContext
from bot.adapters.telegram.delivery_journal import DeliveryJournal, journal_path
from bot.adapters.telegram.flood import flood_handler
from bot.adapters.telegram.handlers import error_logged, family_handlers
from bot.adapters.telegram.listen import listen_handler
from bot.adapters.telegram.lotsen import lotsen_handlers, register_lotsen_commands
from bot.adapters.telegram.ordering import PerChatUpdateProcessor
from bot.adapters.telegram.outbox_sender import OutboxSender
from bot.adapters.telegram.request import AiohttpRequest, PollingRequest
from bot.adapters.telegram.retries import RetryingRateLimiter
from bot.conversation.notices import COMMANDS
from bot.i18n import SUPPORTED, texts
from bot.services.conversations import ConversationService
from bot.services.outbox import Outbox
from bot.services.translation import LibreTranslate
from bot.settings import Settings
from bot.speech import Speaker

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "de"  # the command menu for every app language we don't translate to
RATE_LIMIT_RETRIES = 2  # a 429 from Telegram is waited out (retry_after) this often before giving up
# Telegram remembers the last list it was given, so we always send ours (polling and webhook alike).
HTTP_CONNECTIONS = 32  # to the Bot API, per process
# Telegram sometimes answers a send after several seconds; a send that timed out may still have arrived and is
# not repeated (retries.py), so we wait long enough for slow answers instead.
READ_TIMEOUT = 20.0
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


def command_menu(code: str) -> list[BotCommand]:
    """The bot's commands with their descriptions in one language."""
    t = texts(code)
    return [BotCommand(name, t._(description)) for name, description in COMMANDS.items()]


def telegram_language_code(code: str) -> str | None:
    """Telegram's two-letter code for a locale; None for variants Telegram can't name (de@simple)."""
    return None if "@" in code else code


async def register_commands(application: Application) -> None:
    """Sets the command menu: German by default, and one per other language the bot speaks."""
    await application.bot.set_my_commands(command_menu(DEFAULT_LANGUAGE))
    for code in SUPPORTED:
        language_code = telegram_language_code(code)
        if language_code is None or code == DEFAULT_LANGUAGE:
            continue
        try:
            await application.bot.set_my_commands(command_menu(code), language_code=language_code)
        except TelegramError as error:  # one language Telegram refuses must not stop the bot
            log.warning("command menu for %s not set: %s", code, type(error).__name__)


async def start_outbox(application: Application) -> None:
    """Registers the command menus and starts delivering the outbox (notes, claims, relayed messages)."""
    await register_commands(application)
    await register_lotsen_commands(application)  # the Lotsen's own menu, in their groups only
    data: BotData = application.bot_data  # type: ignore[assignment]
    if data.service is not None:
        translator = LibreTranslate(data.translate_url, data.translate_api_key) if data.translate_url else None
        data.sender = OutboxSender(
            application.bot,
            Outbox(data.service.uow),
            translator,
            data.handover,
            retention_days=data.retention_days,
            sole_sender=data.bot_processes == 1,
            journal=DeliveryJournal(data.journal_path) if data.journal_path else None,
        )
        data.sender.start()
        data.checkins = CheckInJob(data.service, wake=data.sender.wake)  # due check-ins, into the outbox
        data.checkins.start()


async def stop_outbox(application: Application) -> None:
    data: BotData = application.bot_data  # type: ignore[assignment]
    if data.checkins is not None:
        await data.checkins.stop()
    if data.sender is not None:
        await data.sender.stop()


def rate_limiter_for(processes: int) -> AIORateLimiter:
    """Telegram's limits count per bot token: each of `processes` bot processes keeps to its equal share."""
    # Bot-wide, one request per interval instead of aiolimiter's bucket of 30 (which lets up to 60 through in
    # one second); with a bucket of one, n requests span n - 1 intervals, so each process gives up one request
    # a second ("- processes"). A group keeps PTB's bucket of 20 a minute: a Lotse's few clicks in a row
    # (claim, note edit, close) must not wait 3 s each.
    return AIORateLimiter(
        overall_max_rate=1,
        overall_time_period=processes / (FloodLimit.MESSAGES_PER_SECOND - processes),
        group_max_rate=FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP / processes,
        group_time_period=60,
        max_retries=RATE_LIMIT_RETRIES,
    )


def build_application(
    settings: Settings, service: ConversationService, *, rate_limiter: bool = True, speaker: Speaker | None = None
) -> Application:
    """The whole Telegram bot for the families, ready for run_polling_bot or run_webhook_bot.

    The rate limiter is on unless the caller or the settings (RATE_LIMITER=off) turn it off."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is needed to build the Telegram application")
    processor = PerChatUpdateProcessor()
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .context_types(ContextTypes(context=FamilyContext, bot_data=BotData))
        .concurrent_updates(processor)
        # aiohttp instead of httpx: httpcore's pool inspection was the biggest cost of an update (profiled)
        .request(AiohttpRequest(connections=HTTP_CONNECTIONS, read_timeout=READ_TIMEOUT))
        # an update PTB cannot read must not stop polling; none is confirmed before it is stored (PollingRequest)
        .get_updates_request(PollingRequest(processor, connections=1, read_timeout=None))
        .post_init(start_outbox)
        .post_stop(stop_outbox)  # before the Bot's connections close: the sends in flight may finish
        # Always retrying (429, 5xx, connection failures), keeping Telegram's rates unless switched off.
        .rate_limiter(
            RetryingRateLimiter(
                rate_limiter_for(settings.bot_processes) if rate_limiter and settings.rate_limiter else None
            )
        )
    )
    application: FamilyApplication = builder.build()  # type: ignore[assignment]
    application.bot_data.service = service
    application.bot_data.handover = service.handover
    application.bot_data.translate_url = settings.translate_url
    application.bot_data.translate_api_key = settings.translate_api_key
    application.bot_data.retention_days = settings.retention_days
    application.bot_data.bot_processes = settings.bot_processes
    port = settings.webhook_port if settings.webhook_url else None
    application.bot_data.journal_path = journal_path(settings.database_url, port)
    application.add_handler(flood_handler(), group=-2)  # first: a flooding chat is slowed before anything runs
    application.add_handlers(lotsen_handlers(), group=-1)
    if speaker is not None:  # the 'listen' button, where espeak-ng is installed
        application.add_handler(listen_handler(speaker), group=-1)  # before the family's: Lotsen replies and buttons
    application.add_handlers(family_handlers())
    application.add_error_handler(error_logged)
    return application
