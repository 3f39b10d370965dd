"""/faelle, /meine and /fall <Nummer> in a Lotsen group: one message per list, edited when asked again.

The answer is sent directly, not through the outbox: it is a view of the database at the moment of asking,
nothing is lost when it fails (the Lotse asks again), and its message id is needed at once to remember it.
Only in Lotsen groups; in any other group the bot stays silent, in a private chat the family handlers answer.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

from telegram import Bot, ReplyParameters, Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, CommandHandler, filters

from bot.adapters.telegram.context import FamilyContext
from bot.adapters.telegram.handlers import mark_stored
from bot.services.caselist import Answer, CaseList

COMMANDS = ("faelle", "meine", "fall")


async def case_list_asked(update: Update, context: FamilyContext) -> None:
    """/faelle (open cases), /meine (mine), /fall 12 (one case): shows or updates that list's message."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    handover = context.bot_data.handover
    if message is None or user is None or chat is None or handover is None or not message.text:
        return
    if not await asyncio.to_thread(handover.is_lotsen_chat, chat.id):
        raise ApplicationHandlerStop  # a group the bot was added to by someone else: not a word there
    command = message.text.split(maxsplit=1)[0].removeprefix("/").split("@", 1)[0].lower()
    lists = CaseList(handover)
    answer = await asyncio.to_thread(lists.answer, chat.id, user.id, command, context.args or [])
    if not answer.kind:
        await message.reply_text(answer.text)
    else:
        shown = await show(context.bot, chat.id, answer)
        await asyncio.to_thread(lists.remember, chat.id, answer.kind, answer.owner, shown, answer.case_id)
    mark_stored(update, context)
    raise ApplicationHandlerStop


async def show(bot: Bot, chat_id: int, answer: Answer) -> int:
    """Edits the remembered message to the new text, or sends a new one; returns the message's id.

    A new message when there is none yet, when it is gone (deleted, too old to edit), or — for /fall in a
    plain group, which links to the note by replying to it — when it answers another case's note (that old
    one is deleted, so the chat still has one)."""
    replying_elsewhere = answer.reply_to is not None and answer.shown_case != answer.case_id
    if answer.message_id is not None and not replying_elsewhere:
        try:
            await bot.edit_message_text(answer.text, chat_id=chat_id, message_id=answer.message_id)
            return answer.message_id
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return answer.message_id  # asked again within the same minute: it shows this already
    elif answer.message_id is not None:
        with suppress(BadRequest):  # older than Telegram lets a bot delete: it stays, harmless
            await bot.delete_message(chat_id, answer.message_id)
    reply = ReplyParameters(answer.reply_to, allow_sending_without_reply=True) if answer.reply_to else None
    sent = await bot.send_message(chat_id, answer.text, reply_parameters=reply)
    return sent.message_id


def case_list_handler() -> CommandHandler[FamilyContext, None]:
    return CommandHandler(list(COMMANDS), case_list_asked, filters=filters.ChatType.GROUPS)
