"""/faelle, /meine and /fall <Nummer> in a Lotsen group: one message per list, edited when asked again.

The answer is sent directly, not through the outbox: it is a view of the database at the moment of asking,
nothing is lost when it fails (the Lotse asks again), and its message id is needed at once to remember it.
In a forum group the list stands in the topic it was asked in (asked in another topic, it moves there);
/fall without a number in a case's topic shows that case. Only in Lotsen groups; in any other group the bot
stays silent, in a private chat the family handlers answer.

`case_of_thread` says which case's thread a message is in — the case's topic, or the case of the message
it answers — for every Lotsen handler.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

from telegram import Bot, Message, ReplyParameters, Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, CommandHandler, filters

from bot.adapters.telegram.context import FamilyContext
from bot.adapters.telegram.handlers import mark_stored
from bot.services import topics
from bot.services.caselist import Answer, CaseList
from bot.services.handover import HandoverService

COMMANDS = ("faelle", "meine", "fall")
LINK_PATIENCE_STEPS = 10  # half-seconds


def thread_of(message: Message) -> int | None:
    """The forum topic a message was written in (None: a plain group, or a forum's General topic)."""
    return message.message_thread_id if message.is_topic_message else None


async def case_of_thread(message: Message, handover: HandoverService, bot_id: int) -> int | None:
    """The case whose thread the message is in: the topic's case in a forum group, else the case of the
    bot's message it answers (None: not about a case)."""
    thread = thread_of(message)
    if thread is not None:
        found = await asyncio.to_thread(topics.case_of_topic, handover.uow, message.chat_id, thread)
        if found is not None:
            return found
    replied = message.reply_to_message
    if replied is None or replied.forum_topic_created is not None:
        return None  # in a topic that is no case's, Telegram shows every message as a reply to its opening
    case_id = await asyncio.to_thread(handover.case_of_message, message.chat_id, replied.message_id)
    bots_own = replied.from_user is not None and replied.from_user.id == bot_id
    if case_id is not None or not bots_own or message.chat.type == "private":
        return case_id
    if await asyncio.to_thread(handover.was_erased, message.chat_id, replied.message_id):
        return None
    # a case's message whose send was never recorded (answered late, or the answer was lost): known by how
    # it begins, recorded, or linked as a second copy (outbox.message_surfaced)
    case_id = await asyncio.to_thread(handover.case_of_message, message.chat_id, replied.message_id, replied.text or "")
    if case_id is not None:
        return case_id
    for _ in range(LINK_PATIENCE_STEPS):
        # a Lotse may answer a relayed message before the outbox has recorded Telegram's answer to its send:
        # wait briefly for the link rather than let the reply vanish
        await asyncio.sleep(0.5)
        case_id = await asyncio.to_thread(handover.case_of_message, message.chat_id, replied.message_id)
        if case_id is not None:
            break
    return case_id


async def case_list_asked(update: Update, context: FamilyContext) -> None:
    """/faelle (open cases), /meine (mine), /fall 12 (one case): shows or updates that list's message."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    handover = context.bot_data.handover
    if message is None or user is None or chat is None or handover is None or not message.text:
        return
    if not await asyncio.to_thread(handover.is_lotsen_chat, chat.id):
        raise ApplicationHandlerStop  # a group the bot was added to by someone else: not a word there
    command = message.text.split(maxsplit=1)[0].removeprefix("/").split("@", 1)[0].lower()
    args = list(context.args or [])
    if command == "fall" and not args and (case_id := await case_of_thread(message, handover, context.bot.id)):
        args = [str(case_id)]  # /fall in a case's thread: this case
    lists = CaseList(handover)
    answer = await asyncio.to_thread(lists.answer, chat.id, user.id, command, args)
    thread = thread_of(message)
    if not answer.kind:
        await message.reply_text(answer.text)
    else:
        shown = await show(context.bot, chat.id, answer, thread)
        await asyncio.to_thread(lists.remember, chat.id, answer.kind, answer.owner, shown, answer.case_id, thread)
    mark_stored(update, context)
    raise ApplicationHandlerStop


async def show(bot: Bot, chat_id: int, answer: Answer, thread: int | None = None) -> int:
    """Edits the remembered message to the new text, or sends a new one; returns the message's id.

    A new message when there is none yet, when it is gone (deleted, too old to edit), when it stands in
    another topic than the one asked in, or — for /fall in a plain group, which links to the note by
    replying to it — when it answers another case's note (that old one is deleted, so the chat still has
    one)."""
    elsewhere = (answer.reply_to is not None and answer.shown_case != answer.case_id) or answer.shown_thread != thread
    if answer.message_id is not None and not elsewhere:
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
    sent = await bot.send_message(chat_id, answer.text, reply_parameters=reply, message_thread_id=thread)
    return sent.message_id


def case_list_handler() -> CommandHandler[FamilyContext, None]:
    return CommandHandler(list(COMMANDS), case_list_asked, filters=filters.ChatType.GROUPS)
