"""The Bot API calls of the Lotsen's workplace that the outbox carries besides plain texts.

- a case's forum topic: opened with its note, renamed when the case turns urgent, closed with the case,
  deleted with the family's data;
- photos and documents by Telegram's file id, both ways (nothing of the file is stored on our side);
- erasing a message of a case after /delete, whatever it shows (a text is edited, a photo deleted).

The outbox sender hands these calls over (`carries`) and asks `thread` where a case's text goes: in a forum
group the case's topic, elsewhere no topic (a plain group threads by replying to the note). Whether a group
is a forum, getChat says; the answer is kept for a while per process. Errors are Telegram's own, so the
sender retries or drops them as it does for texts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import MessageLimit
from telegram.error import BadRequest

from bot.db.engine import UnitOfWork
from bot.services import topics
from bot.services.outbox import OutboxItem

MEDIA_METHODS = frozenset({"sendPhoto", "sendDocument"})
TOPIC_METHODS = frozenset({"editForumTopic", "closeForumTopic", "deleteForumTopic"})
ERASE = "erase"  # not a Bot API method: edit the text, or delete a photo (caption it when too old to delete)
WORKPLACE_METHODS = MEDIA_METHODS | TOPIC_METHODS | {ERASE}
FORUM_CHECK_EVERY = 600.0  # seconds: a group that switches topics on (or off) is noticed within this long
TOPIC_NAME_LIMIT = 128  # Telegram's limit for a topic's name


def _markup(item: OutboxItem) -> InlineKeyboardMarkup | None:
    if not item.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in item.buttons]
    )


def _caption(text: str) -> str:
    limit = MessageLimit.CAPTION_LENGTH
    return text if len(text) <= limit else text[: limit - 1] + "…"


class WorkplaceCalls:
    """Forum topics, attachments and erasing, for the outbox sender of one bot process."""

    def __init__(self, bot: Bot, uow: UnitOfWork) -> None:
        self.bot = bot
        self.uow = uow
        self._forums: dict[int, tuple[bool, float]] = {}  # chat -> (is a forum, when getChat said so)

    @staticmethod
    def carries(item: OutboxItem) -> bool:
        return item.method in WORKPLACE_METHODS

    async def is_forum(self, chat_id: int, **calls: Any) -> bool:
        """Whether a group has topics switched on (getChat's is_forum), asked once per FORUM_CHECK_EVERY."""
        if chat_id > 0:
            return False
        known = self._forums.get(chat_id)
        if known is not None and time.monotonic() - known[1] < FORUM_CHECK_EVERY:
            return known[0]
        chat = await self.bot.get_chat(chat_id, **calls)
        self._forums[chat_id] = (bool(chat.is_forum), time.monotonic())
        return bool(chat.is_forum)

    async def thread(self, item: OutboxItem, **calls: Any) -> int | None:
        """The topic a message goes to: the one named in the item, else its case's — which the case's note
        opens where the group is a forum (the note carries the topic's name)."""
        if item.extra.get("thread_id") is not None:
            return int(item.extra["thread_id"])
        if item.chat_id > 0 or item.case_id is None:
            return None
        known = await asyncio.to_thread(topics.case_topic, self.uow, item.case_id, item.chat_id)
        name = item.extra.get("topic")
        if known is not None or not name or not await self.is_forum(item.chat_id, **calls):
            return known
        topic = await self.bot.create_forum_topic(item.chat_id, str(name)[:TOPIC_NAME_LIMIT], **calls)
        return await asyncio.to_thread(
            topics.topic_opened, self.uow, item.case_id, item.chat_id, topic.message_thread_id
        )

    async def topic_gone(self, item: OutboxItem) -> None:
        """Telegram does not know the case's topic any more (deleted by hand): the case goes on without one."""
        if item.case_id is not None:
            await asyncio.to_thread(topics.topic_gone, self.uow, item.case_id)

    async def carry_out(
        self, item: OutboxItem, text_of: Callable[[OutboxItem], Awaitable[str]], **calls: Any
    ) -> tuple[int, ...]:
        """Makes the call; returns the ids of the messages it sent or changed (none for a topic's change)."""
        if item.method in MEDIA_METHODS:
            return (await self._send_file(item, text_of, **calls),)
        if item.method in TOPIC_METHODS:
            await self._change_topic(item, **calls)
            return ()
        assert item.method == ERASE and item.message_id is not None
        await self._erase(item.chat_id, item.message_id, item.text, **calls)
        return (item.message_id,)

    async def _send_file(self, item: OutboxItem, text_of: Callable[[OutboxItem], Awaitable[str]], **calls: Any) -> int:
        caption = _caption(await text_of(item)) or None
        reply = ReplyParameters(item.reply_to, allow_sending_without_reply=True) if item.reply_to else None
        where = {"message_thread_id": await self.thread(item, **calls), "reply_parameters": reply}
        file_id = str(item.extra["file_id"])
        if item.method == "sendPhoto":
            sent = await self.bot.send_photo(
                item.chat_id, file_id, caption=caption, reply_markup=_markup(item), **where, **calls
            )
        else:
            sent = await self.bot.send_document(
                item.chat_id, file_id, caption=caption, reply_markup=_markup(item), **where, **calls
            )
        return sent.message_id

    async def _change_topic(self, item: OutboxItem, **calls: Any) -> None:
        thread = item.extra.get("thread_id")
        if thread is None and item.case_id is not None:
            thread = await asyncio.to_thread(topics.case_topic, self.uow, item.case_id, item.chat_id)
        if thread is None:
            return  # the case has no topic (a plain group, or the topic is gone): nothing to change
        try:
            if item.method == "editForumTopic":
                name = str(item.extra["name"])[:TOPIC_NAME_LIMIT]
                await self.bot.edit_forum_topic(item.chat_id, int(thread), name=name, **calls)
            elif item.method == "closeForumTopic":
                await self.bot.close_forum_topic(item.chat_id, int(thread), **calls)
            else:
                await self.bot.delete_forum_topic(item.chat_id, int(thread), **calls)
        except BadRequest as error:
            if "not_modified" not in str(error).lower():  # TOPIC_NOT_MODIFIED: it is so already
                raise

    async def _erase(self, chat_id: int, message_id: int, text: str, **calls: Any) -> None:
        try:
            await self.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, **calls)
            return
        except BadRequest as error:
            said = str(error).lower()
            if "not modified" in said:
                return
            if "no text" not in said:
                raise
        # a photo or document: it goes; Telegram lets a bot delete its messages for 48 hours only, after
        # that the caption says it was deleted (the file itself stays visible: the README says so)
        try:
            await self.bot.delete_message(chat_id, message_id, **calls)
        except BadRequest:
            await self.bot.edit_message_caption(chat_id=chat_id, message_id=message_id, caption=text, **calls)
