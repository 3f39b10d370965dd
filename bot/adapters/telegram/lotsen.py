"""The Lotsen's side of the bot: claim a case, answer the family, hand back, pass on, close.

Lotsen work in their Telegram group (or in a private chat with the bot): they press the buttons under a
case note, and they answer a family by replying to the note or to one of the family's relayed messages.
/faelle, /meine and /fall list the cases (case_list.py).
Only registered Lotsen can act; the service checks who owns a case. These handlers run before the family
handlers (group -1) and stop there when they handled something. Each action stores the update's key in its
own transaction, so an update Telegram delivers twice acts once (the service answers the repeat with "").
"""

from __future__ import annotations

import asyncio
import logging
import re
from contextlib import suppress

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.adapters.telegram.case_list import case_list_handler
from bot.adapters.telegram.context import FamilyContext
from bot.adapters.telegram.handlers import mark_stored, update_key
from bot.services.caselist import CaseList
from bot.services.handover import OUTCOMES, ActionResult, claimed_buttons

log = logging.getLogger(__name__)

CASE_BUTTON = re.compile(r"^(claim|back|close|keep|out):(\d{1,12})(?::([a-z_]{1,16}))?$")
GROUPS = filters.ChatType.GROUPS


def _markup(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def _wake(context: FamilyContext) -> None:
    if context.bot_data.sender is not None:
        context.bot_data.sender.wake()


async def case_button_pressed(update: Update, context: FamilyContext) -> None:
    """Übernehmen / Zurückgeben / Abschließen (then the outcome, or Abbrechen): acts for the Lotse who pressed.

    Only the Lotse who has the case sees the outcome choice; anybody else's press changes no button and
    gets a short alert."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    handover = context.bot_data.handover
    if query is None or user is None or chat is None or handover is None:
        return
    match = CASE_BUTTON.match(query.data or "")
    if match is None:
        with suppress(BadRequest):
            await query.answer("Diesen Knopf kenne ich nicht.")
        raise ApplicationHandlerStop
    action, case_id, outcome = match.group(1), int(match.group(2)), match.group(3)
    key = update_key(update, context.bot)
    if action == "claim":
        pressed = query.message.message_id if query.message else None
        result = await asyncio.to_thread(handover.claim, case_id, user.id, chat.id, key, pressed)
    elif action == "back":
        result = await asyncio.to_thread(handover.hand_back, case_id, user.id, key)
    elif action in ("close", "keep"):
        refused = await asyncio.to_thread(CaseList(handover).owner_check, case_id, user.id)
        result = ActionResult(
            refused is None, refused or ("Wie ist der Fall ausgegangen?" if action == "close" else "")
        )
        rows = (
            [[(label, f"out:{case_id}:{name}")] for name, label in OUTCOMES.items()]
            + [[("Abbrechen", f"keep:{case_id}")]]
            if action == "close"
            else claimed_buttons(case_id)
        )
        if refused is None:  # the buttons change for the owner only; the note's text stays as it is
            with suppress(BadRequest):
                await query.edit_message_reply_markup(_markup(rows))
    else:
        result = await asyncio.to_thread(handover.close, case_id, user.id, outcome or "", key)
    mark_stored(update, context)
    with suppress(BadRequest):
        await query.answer(result.message[:200] or None, show_alert=not result.ok)
    if result.ok and result.message and action in ("claim", "back", "out"):
        # the digest and the case's old reminders show the new state now, not at the next reminder round
        await asyncio.to_thread(CaseList(handover).calm, chat.id)
    _wake(context)
    raise ApplicationHandlerStop


LINK_PATIENCE_STEPS = 10  # half-seconds


async def lotse_replied(update: Update, context: FamilyContext) -> None:
    """A reply to a case message in a Lotsen chat goes to that case's family — if this Lotse has the case."""
    message, user = update.effective_message, update.effective_user
    handover = context.bot_data.handover
    if message is None or user is None or handover is None or message.reply_to_message is None:
        return
    replied_to = message.reply_to_message
    case_id = await asyncio.to_thread(handover.case_of_message, message.chat_id, replied_to.message_id)
    bots_own = replied_to.from_user is not None and replied_to.from_user.id == context.bot.id
    for _ in range(LINK_PATIENCE_STEPS if case_id is None and bots_own and message.chat.type != "private" else 0):
        # a Lotse may answer a relayed message before the outbox has recorded Telegram's answer to its send:
        # wait briefly for the link rather than let the reply vanish
        await asyncio.sleep(0.5)
        case_id = await asyncio.to_thread(handover.case_of_message, message.chat_id, replied_to.message_id)
        if case_id is not None:
            break
    if case_id is None:
        return  # not about a case: in a private chat the family handlers take it from here
    result = await asyncio.to_thread(
        handover.lotse_wrote, user.id, case_id, message.text or "", update_key(update, context.bot)
    )
    mark_stored(update, context)
    if not result.ok:
        await message.reply_text(result.message)
    _wake(context)
    raise ApplicationHandlerStop


async def pass_on_asked(update: Update, context: FamilyContext) -> None:
    """/weitergeben <Fall> <Telegram-ID>: the case goes to another registered Lotse."""
    message, user = update.effective_message, update.effective_user
    handover = context.bot_data.handover
    chat = update.effective_chat
    if message is None or user is None or handover is None or chat is None:
        return
    if chat.type != chat.PRIVATE and not await asyncio.to_thread(handover.is_lotsen_chat, chat.id):
        raise ApplicationHandlerStop  # a group the bot was added to by someone else: not a word there
    parts = context.args or []
    if len(parts) != 2 or not all(p.lstrip("#").isdigit() for p in parts):
        await message.reply_text("So geht's: /weitergeben <Fallnummer> <Telegram-ID des Lotsen>")
        return
    result = await asyncio.to_thread(
        handover.pass_on, int(parts[0].lstrip("#")), user.id, int(parts[1]), update_key(update, context.bot)
    )
    mark_stored(update, context)
    if result.message:  # empty: a second delivery of a command already answered
        await message.reply_text(result.message)
    _wake(context)


async def group_message_ignored(update: Update, context: FamilyContext) -> None:
    """Everything else in a group: the bot does not talk there (no answer, no processing)."""
    raise ApplicationHandlerStop


def lotsen_handlers() -> list[BaseHandler[Update, FamilyContext, None]]:
    return [
        CallbackQueryHandler(case_button_pressed, pattern=CASE_BUTTON),
        CommandHandler("weitergeben", pass_on_asked),
        case_list_handler(),
        MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, lotse_replied),
        MessageHandler(GROUPS, group_message_ignored),
    ]
