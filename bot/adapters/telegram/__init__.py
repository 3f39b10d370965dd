"""The Telegram channel (python-telegram-bot 22): the families' private chats, by polling or webhook."""

from bot.adapters.telegram.application import build_application
from bot.adapters.telegram.ordering import PerChatUpdateProcessor
from bot.adapters.telegram.running import run_polling_bot, run_webhook_bot, serve_webhook

__all__ = ["PerChatUpdateProcessor", "build_application", "run_polling_bot", "run_webhook_bot", "serve_webhook"]
