"""The family's side of the Telegram bot: one handler per kind of input, each turning it into a core event.

Every handler does the same three things: build the event, let the ConversationService handle it for
`telegram:<chat id>` (in a worker thread: the service talks to the database synchronously), wake the sender.
Only private chats are served here; groups and channels fall through (the Lotsen group has its own handlers).

Each update is handled once: its key (`update_key`) is stored with the conversation in one transaction, so a
second delivery by Telegram changes nothing and sends nothing. The replies go into the outbox in that same
transaction, and the outbox sender delivers them at once, in the chat's order: a bot killed between the
commit and the send still sends them after its restart, and what Telegram cannot take at the moment (429,
5xx, a timeout) is retried with backoff (see outbox_sender.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
import traceback
from contextlib import suppress

from sqlalchemy.exc import DBAPIError
from telegram import Bot, CallbackQuery, Message, Update
from telegram.constants import InlineKeyboardButtonLimit
from telegram.error import Forbidden, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.adapters.telegram.context import FamilyContext
from bot.adapters.telegram.ordering import PerChatUpdateProcessor
from bot.conversation import ButtonPressed, Command, Event, Media, SharedLocation, Text
from bot.services.conversations import ConcurrentUpdateError, pseudonym

log = logging.getLogger(__name__)

CALLBACK_DATA_MAX_BYTES = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA  # 64
# What our own buttons produce ("lang:de@simple", "d:lb-eglosheim", "more"); anything else was not sent by us.
CALLBACK_DATA = re.compile(r"[A-Za-z0-9_@.:-]+")
# The core answers an unknown button with "That button is no longer active" and the open question.
STALE_BUTTON = "stale"
# Seconds the spinner's answer and the removal of a pressed keyboard are retried (retries.py): after that a
# callback query has expired anyway, and an old keyboard left over only answers "no longer active".
COURTESY_PATIENCE = 10.0

# Checked in this order: an animation also carries a document, a video note is not a video.
MEDIA_KINDS = ("sticker", "photo", "voice", "video_note", "video", "animation", "audio", "document", "contact")
MEDIA = (
    filters.Sticker.ALL
    | filters.PHOTO
    | filters.VOICE
    | filters.VIDEO_NOTE
    | filters.VIDEO
    | filters.ANIMATION
    | filters.AUDIO
    | filters.Document.ALL
    | filters.CONTACT
)
PRIVATE = filters.ChatType.PRIVATE
NEW_MESSAGE = filters.UpdateType.MESSAGE  # not edits: an edited command or live location must not act twice
# An edited message is passed on as a correction, never as a new message of the same words.
CORRECTED = "(korrigiert) "


def chat_key(chat_id: int) -> str:
    return f"telegram:{chat_id}"


def update_key(update: Update, bot: Bot) -> str:
    """What makes an update the same update when Telegram delivers it again: the callback query's id for a
    button press (unique across all of Telegram), else the update_id, which counts per bot."""
    if update.callback_query is not None:
        return f"q:{update.callback_query.id}"
    return f"u:{bot.id}:{update.update_id}"


def mark_stored(update: Update, context: FamilyContext) -> None:
    """Tells the webhook the update's effects are committed (it may now answer Telegram with 200)."""
    processor = context.application.update_processor
    if isinstance(processor, PerChatUpdateProcessor):
        processor.stored(update)


def valid_callback_data(data: object) -> str | None:
    """The button's data if it is one our keyboards can have sent: a short ASCII string of at most 64 bytes."""
    if not isinstance(data, str) or len(data.encode()) > CALLBACK_DATA_MAX_BYTES:
        return None
    return data if CALLBACK_DATA.fullmatch(data) else None


async def respond(update: Update, context: FamilyContext, event: Event) -> None:
    """Lets the conversation handle the event for this chat; its replies are queued in the same transaction
    and the sender is woken to deliver them (and any note or relayed message queued with them) now."""
    chat = update.effective_chat
    if chat is None:
        return
    key = chat_key(chat.id)
    outcome = await asyncio.to_thread(
        context.service.handle, key, event, update_key(update, context.bot), reply_to_chat=chat.id
    )
    mark_stored(update, context)
    sender = context.bot_data.sender
    if sender is None:
        log.warning("no outbox sender running: replies for %s wait in the outbox", pseudonym(key))
        return
    if outcome.replies:
        sender.wake(chat.id)
    if outcome.effects:
        sender.wake()  # a note or relayed message for another chat is queued: send it now


async def command_received(update: Update, context: FamilyContext) -> None:
    """/start (with a deep-link payload), /help, /language, /lotse, /privacy, /delete, /restart, or unknown."""
    message = update.effective_message
    if message is None or not message.text:
        return
    word, *rest = message.text.split(maxsplit=1)  # "/start@our_bot d-eglosheim_l-tr"
    name = word.removeprefix("/").split("@", 1)[0].lower()
    user = update.effective_user
    payload = rest[0].strip() if rest else ""
    await respond(update, context, Command(name, payload, user.language_code if user else None))


async def button_pressed(update: Update, context: FamilyContext) -> None:
    """A tapped inline button: passes the button on, then stops the spinner and removes the pressed keyboard.

    The press is stored (and its replies queued) first: Telegram answering the spinner's call slowly, or
    with 429s, must not hold up the family's answer, nor keep the update from being stored."""
    query = update.callback_query
    if query is None:
        return
    chat = update.effective_chat
    if chat is None or chat.type != chat.PRIVATE:
        await answered(query, context)
        return
    data = valid_callback_data(query.data)
    if data is None:
        log.warning("button with invalid callback data in chat %s", pseudonym(chat_key(chat.id)))
    await respond(update, context, ButtonPressed(data or STALE_BUTTON))
    # A query older than Telegram's answer window, "message is not modified" and the like are harmless: the
    # press counted, and the same keyboard can't be pressed twice.
    await answered(query, context)
    if isinstance(query.message, Message):
        with suppress(TelegramError):
            await context.bot.edit_message_reply_markup(
                chat.id, query.message.message_id, reply_markup=None, rate_limit_args=COURTESY_PATIENCE
            )


async def answered(query: CallbackQuery, context: FamilyContext) -> None:
    """Stops the button's spinner (PTB's CallbackQuery.answer cannot pass the rate limiter's patience)."""
    with suppress(TelegramError):
        await context.bot.answer_callback_query(query.id, rate_limit_args=COURTESY_PATIENCE)


async def text_received(update: Update, context: FamilyContext) -> None:
    """Free text, new or edited: the core understands what it can (age, district, need, emergency).

    An edit is marked as a correction, so a Lotse reading the relayed words sees the newer version of a
    message they already have, not a second message."""
    message = update.effective_message
    if message is not None and message.text:
        text = message.text if update.edited_message is None else CORRECTED + message.text
        await respond(update, context, Text(text))


async def location_shared(update: Update, context: FamilyContext) -> None:
    """A shared location: the core finds the nearest known district."""
    message = update.effective_message
    if message is not None and message.location is not None:
        await respond(update, context, SharedLocation(message.location.latitude, message.location.longitude))


async def media_received(update: Update, context: FamilyContext) -> None:
    """A sticker, photo, voice message, file or contact: the core explains what it can read."""
    message = update.effective_message
    if message is not None:
        kind = next((kind for kind in MEDIA_KINDS if getattr(message, kind, None)), "other")
        await respond(update, context, Media(kind))


async def error_logged(update: object, context: FamilyContext) -> None:
    """Logs what failed and where, never what the family wrote or who they are (no message, no names)."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        log.info("update %s: the chat cannot be reached (%s)", update_id, type(error).__name__)
        return
    if isinstance(error, DBAPIError | ConcurrentUpdateError) and isinstance(update, Update):
        processor = context.application.update_processor
        if isinstance(processor, PerChatUpdateProcessor):
            processor.failed(update)  # the webhook answers 503: Telegram delivers the update again
    # Only the frames (file, line, code), not str(error): an exception's message may quote user content.
    frames = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    log.error("update %s failed: %s\n%s", update_id, type(error).__name__, frames.rstrip())


def family_handlers() -> list[BaseHandler[Update, FamilyContext, None]]:
    """The handlers of the family conversation, for private chats only."""
    return [
        MessageHandler(PRIVATE & NEW_MESSAGE & filters.COMMAND, command_received),
        CallbackQueryHandler(button_pressed),
        MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, text_received),
        MessageHandler(PRIVATE & NEW_MESSAGE & filters.LOCATION, location_shared),
        MessageHandler(PRIVATE & NEW_MESSAGE & MEDIA, media_received),
    ]
