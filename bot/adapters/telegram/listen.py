"""The 'listen' button: the message it sits under, read aloud as a Telegram voice message (espeak-ng, offline)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler

from bot.adapters.telegram.context import FamilyContext
from bot.i18n import FALLBACK
from bot.speech import Speaker

log = logging.getLogger(__name__)


def listen_handler(speaker: Speaker) -> CallbackQueryHandler:
    async def listen_pressed(update: Update, context: FamilyContext) -> None:
        """Speaks the text of the pressed message in the family's language; the buttons stay."""
        query, chat = update.callback_query, update.effective_chat
        if query is None or chat is None or chat.type != chat.PRIVATE:
            return
        with suppress(BadRequest):
            await query.answer()
        if not isinstance(query.message, Message) or not query.message.text:
            return
        state = await asyncio.to_thread(context.service.state_of, f"telegram:{chat.id}")
        voice = await asyncio.to_thread(speaker.ogg, query.message.text, state.locale or FALLBACK)
        if voice is not None:
            await context.bot.send_voice(chat.id, voice)
        raise ApplicationHandlerStop  # the family handlers must not take 'listen' for an old button

    return CallbackQueryHandler(listen_pressed, pattern=r"^listen$")
