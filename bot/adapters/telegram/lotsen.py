"""The Lotsen's side of the bot: claim a case, answer the family, hand back, pass on, close.

Lotsen work in their Telegram group (or in a private chat with the bot). Every case has one place, its
thread: in a forum group the case's own topic (workplace_calls.py opens it with the note), in a plain group
the replies to the note or to any message of the case. What a Lotse writes there goes to the family —
texts, photos, PDFs, templates (/vorlage), an edit as a correction — unless it starts with "//" (or is a
/notiz): an internal note stays among the Lotsen. /weitergeben passes a case on by first name; /faelle,
/meine and /fall list the cases (case_list.py). A family's photo or document reaches the case's thread.

Only registered Lotsen can act; the service checks who owns a case. These handlers run before the family
handlers (group -1) and stop there when they handled something. Each action stores the update's key in its
own transaction, so an update Telegram delivers twice acts once (the service answers the repeat with "").
"""

from __future__ import annotations

import asyncio
import logging
import re
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from telegram import BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ReactionEmoji
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.adapters.telegram.case_list import case_list_handler, case_of_thread
from bot.adapters.telegram.context import BotData, FamilyContext
from bot.adapters.telegram.handlers import chat_key, mark_stored, update_key
from bot.db.orm import LotsenGroupRow
from bot.knowledge import KnowledgeError
from bot.services.caselist import CaseList
from bot.services.handover import OUTCOMES, ActionResult, Attachment, HandoverService, claimed_buttons
from bot.services.templates import Templates

log = logging.getLogger(__name__)

CASE_BUTTON = re.compile(r"^(claim|back|close|keep|out|pass|give|tpl):(\d{1,12})(?::([a-z0-9_-]{1,16}))?$")
GROUPS = filters.ChatType.GROUPS
PRIVATE = filters.ChatType.PRIVATE
FILES = filters.PHOTO | filters.Document.ALL
NEW = filters.UpdateType.MESSAGE
INTERNAL = "//"  # a message in a case's thread that starts so stays among the Lotsen
INTERNAL_MARK = ReactionEmoji.WRITING_HAND  # the bot's reaction to an internal note: seen, kept internal
INTERNAL_SAID = "🔒 Interne Notiz – bleibt unter den Lotsen, geht nicht an die Familie."
ERASED_CASE = "🗑️ Die Familie hat ihre Daten gelöscht, den Fall gibt es nicht mehr. Nichts wurde gesendet."
NOT_IN_THREAD = "Das gehört in den Fall: im Thema des Falls schreiben oder auf eine Nachricht des Falls antworten"
TEMPLATE_BUTTONS = 10
# The command menu in the Lotsen groups (setMyCommands for those chats only; families keep theirs).
LOTSEN_COMMANDS = {
    "faelle": "Offene Fälle, dringende und am längsten wartende zuerst",
    "meine": "Meine Fälle",
    "fall": "Ein Fall im Überblick: /fall 12",
    "vorlage": "Textbausteine: /vorlage zeigt sie, /vorlage hallo schickt einen",
    "notiz": "Interne Notiz im Fall (geht nicht an die Familie); auch // am Anfang",
    "weitergeben": "Fall an eine Kollegin/einen Kollegen: /weitergeben 12 Aylin",
}


def _markup(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def _wake(context: FamilyContext, chat_id: int | None = None) -> None:
    sender = context.bot_data.sender
    if sender is not None:
        sender.wake(chat_id) if chat_id is not None else sender.wake()


@cache
def _templates_in(directory: Path) -> Templates:
    return Templates(directory)  # one per knowledge folder: it reads the file again only when it changed


def _templates(handover: HandoverService) -> Templates:
    return _templates_in(handover.knowledge.directory)


async def case_button_pressed(update: Update, context: FamilyContext) -> None:
    """Übernehmen / Zurückgeben / Weitergeben (then the colleague) / Abschließen (then the outcome) / a
    template: acts for the Lotse who pressed. Only the Lotse who has the case sees a choice ("Abbrechen"
    brings the buttons back); anybody else's press changes no button and gets a short alert."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    handover = context.bot_data.handover
    if query is None or user is None or chat is None or handover is None:
        return
    match = CASE_BUTTON.match(query.data or "")
    if match is None:
        with suppress(BadRequest):
            await query.answer("Diesen Knopf kenne ich nicht.")
        raise ApplicationHandlerStop
    action, case_id, detail = match.group(1), int(match.group(2)), match.group(3)
    key = update_key(update, context.bot)
    if action == "claim":
        pressed = query.message.message_id if query.message else None
        text = (query.message.text or "") if isinstance(query.message, Message) else ""  # a copy is known by it
        result = await asyncio.to_thread(handover.claim, case_id, user.id, chat.id, key, pressed, text)
    elif action == "back":
        result = await asyncio.to_thread(handover.hand_back, case_id, user.id, key)
    elif action in ("close", "keep", "pass"):
        result = await _choice_shown(query, handover, action, case_id, user.id)
    elif action == "give" and detail and detail.isdigit():
        result = await asyncio.to_thread(handover.pass_on, case_id, user.id, int(detail), key)
    elif action == "tpl":
        result = await _template_sent(handover, case_id, user.id, detail or "", key)
        if result.ok and isinstance(query.message, Message):  # one tap, one message: the list says so
            with suppress(BadRequest):
                await query.edit_message_text(f"✅ Vorlage „{detail}“ an die Familie gesendet (Fall #{case_id}).")
    else:
        result = await asyncio.to_thread(handover.close, case_id, user.id, detail or "", key)
    mark_stored(update, context)
    with suppress(BadRequest):
        await query.answer(result.message[:200] or None, show_alert=not result.ok)
    if result.ok and result.message and action in ("claim", "back", "out", "give"):
        # the digest and the case's old reminders show the new state now, not at the next reminder round
        await asyncio.to_thread(CaseList(handover).calm_case, case_id)
    _wake(context)
    raise ApplicationHandlerStop


async def _choice_shown(query: Any, handover: HandoverService, action: str, case_id: int, user_id: int) -> ActionResult:
    """Abschließen shows the outcomes, Weitergeben the colleagues, Abbrechen the case's buttons again — for
    the owner only; the note's text stays as it is."""
    refused = await asyncio.to_thread(CaseList(handover).owner_check, case_id, user_id)
    if refused is not None:
        return ActionResult(False, refused)
    if action == "close":
        rows = [[(label, f"out:{case_id}:{name}")] for name, label in OUTCOMES.items()]
        rows.append([("Abbrechen", f"keep:{case_id}")])
        said = "Wie ist der Fall ausgegangen?"
    elif action == "pass":
        rows = await asyncio.to_thread(handover.colleague_buttons, case_id, user_id)
        said = "An wen geht der Fall?" if len(rows) > 1 else "Im Team ist sonst niemand registriert."
    else:
        rows, said = claimed_buttons(case_id), ""
    with suppress(BadRequest):
        await query.edit_message_reply_markup(_markup(rows))
    return ActionResult(True, said)


async def _template_sent(
    handover: HandoverService, case_id: int, user_id: int, name: str, key: str | None
) -> ActionResult:
    try:
        template = _templates(handover).named(name)
    except KnowledgeError as error:
        return ActionResult(False, f"Die Vorlagen-Datei ist fehlerhaft: {error}")
    if template is None:
        return ActionResult(False, f"Vorlage „{name}“ gibt es nicht (mehr). /vorlage zeigt alle.")
    lotse = await asyncio.to_thread(_lotse_name, handover, user_id)
    return await asyncio.to_thread(handover.lotse_wrote, user_id, case_id, template.for_lotse(lotse), key)


def _lotse_name(handover: HandoverService, user_id: int) -> str:
    with handover.uow() as session:
        lotse = handover.lotse(session, user_id)
        return lotse.name if lotse else ""


def _attachment(message: Message) -> Attachment | None:
    if message.photo:
        return Attachment("photo", message.photo[-1].file_id)  # the largest size Telegram made
    if message.document:
        return Attachment("document", message.document.file_id)
    return None


async def _is_lotse(handover: HandoverService, user_id: int) -> bool:
    return bool(await asyncio.to_thread(_lotse_name, handover, user_id))


async def _mark_internal(message: Message) -> None:
    """An internal note gets the bot's ✍ reaction (where reactions are switched off: a short line)."""
    try:
        await message.set_reaction(INTERNAL_MARK)
    except TelegramError:
        await message.reply_text(INTERNAL_SAID)


async def message_in_case_thread(update: Update, context: FamilyContext) -> None:
    """A text, photo or PDF in a case's thread goes to that case's family — if this Lotse has the case; one
    starting with // stays among the Lotsen; an edit goes as a correction. In a private chat, a family's
    photo or document reaches the case's thread while its case is open."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    handover = context.bot_data.handover
    if message is None or user is None or chat is None or handover is None:
        return
    edited = update.edited_message is not None
    case_id = await case_of_thread(message, handover, context.bot.id)
    if case_id is None:
        if chat.type == chat.PRIVATE and not edited and (file := _attachment(message)) is not None:
            await _family_file(update, context, handover, file)
        elif message.reply_to_message is not None and await asyncio.to_thread(
            handover.was_erased, chat.id, message.reply_to_message.message_id
        ):
            if not edited:
                await message.reply_text(ERASED_CASE)
            raise ApplicationHandlerStop
        return  # not about a case: in a private chat the family handlers take it from here
    words = (message.text or message.caption or "").strip()
    if words.startswith(INTERNAL):
        if not edited and await _is_lotse(handover, user.id):
            await _mark_internal(message)
        raise ApplicationHandlerStop
    attachment = None if edited else _attachment(message)
    result = await asyncio.to_thread(
        handover.lotse_wrote,
        user.id,
        case_id,
        words,
        update_key(update, context.bot),
        attachment=attachment,
        correction=edited,
    )
    mark_stored(update, context)
    if not result.ok:
        await message.reply_text(result.message)
    _wake(context)
    raise ApplicationHandlerStop


async def _family_file(update: Update, context: FamilyContext, handover: HandoverService, file: Attachment) -> None:
    message = update.effective_message
    assert message is not None
    caption = (message.caption or "").strip()
    passed = await asyncio.to_thread(
        handover.family_sent_file, chat_key(message.chat_id), file, caption, update_key(update, context.bot)
    )
    if not passed:
        return  # no open case: the conversation answers the photo as it answers any photo
    mark_stored(update, context)
    _wake(context, message.chat_id)
    _wake(context)
    raise ApplicationHandlerStop


async def _in_lotsen_chat(update: Update, handover: HandoverService) -> bool:
    """Commands answer in a Lotsen group or a private chat; in any other group the bot says nothing."""
    chat = update.effective_chat
    if chat is None:
        return False
    if chat.type != chat.PRIVATE and not await asyncio.to_thread(handover.is_lotsen_chat, chat.id):
        raise ApplicationHandlerStop  # a group the bot was added to by someone else: not a word there
    return True


async def pass_on_asked(update: Update, context: FamilyContext) -> None:
    """/weitergeben <Fall> <Vorname> (or the colleague's Telegram id; in the case's thread the number may
    be left out): the case goes to another registered Lotse."""
    message, user = update.effective_message, update.effective_user
    handover = context.bot_data.handover
    if message is None or user is None or handover is None or not await _in_lotsen_chat(update, handover):
        return
    parts = context.args or []
    if len(parts) >= 2 and parts[0].lstrip("#").isdigit():
        case_id: int | None = int(parts[0].lstrip("#"))
        to = " ".join(parts[1:])
    else:
        case_id, to = await case_of_thread(message, handover, context.bot.id), " ".join(parts)
    if case_id is None or not to:
        await message.reply_text(
            "So geht's: /weitergeben <Fallnummer> <Vorname> – im Thema des Falls: /weitergeben <Vorname>"
        )
        return
    result = await asyncio.to_thread(
        handover.pass_on, case_id, user.id, int(to) if to.isdigit() else to, update_key(update, context.bot)
    )
    mark_stored(update, context)
    if result.message:  # empty: a second delivery of a command already answered
        await message.reply_text(result.message)
    _wake(context)


async def internal_note_asked(update: Update, context: FamilyContext) -> None:
    """/notiz <Text> in a case's thread: an internal note, like a message starting with //."""
    message, user = update.effective_message, update.effective_user
    handover = context.bot_data.handover
    if message is None or user is None or handover is None or not await _in_lotsen_chat(update, handover):
        return
    case_id = await case_of_thread(message, handover, context.bot.id)
    if case_id is None or not context.args:
        await message.reply_text(f"So geht's: /notiz <Text> – {NOT_IN_THREAD}. Oder // am Anfang einer Nachricht.")
    elif await _is_lotse(handover, user.id):
        await _mark_internal(message)
    raise ApplicationHandlerStop


async def template_asked(update: Update, context: FamilyContext) -> None:
    """/vorlage lists the templates (in a case's thread with a button each); /vorlage <name> in a case's
    thread (or /vorlage <Fall> <name>) sends one to the family, translated like any answer."""
    message, user = update.effective_message, update.effective_user
    handover = context.bot_data.handover
    if message is None or user is None or handover is None or not await _in_lotsen_chat(update, handover):
        return
    if not await _is_lotse(handover, user.id):
        await message.reply_text("Nur registrierte Lotsen können Vorlagen nutzen.")
        raise ApplicationHandlerStop
    parts = context.args or []
    if len(parts) == 2 and parts[0].lstrip("#").isdigit():
        case_id: int | None = int(parts[0].lstrip("#"))
    else:
        case_id = await case_of_thread(message, handover, context.bot.id)
    try:
        templates = _templates(handover).all()
    except KnowledgeError as error:
        await message.reply_text(f"Die Vorlagen-Datei ist fehlerhaft: {error}")
        raise ApplicationHandlerStop from None
    if not parts:
        lines = ["📝 Vorlagen – /vorlage <name> im Fall schickt sie an die Familie:"]
        lines += [f"• {t.name} – {t.title}" for t in templates] or ["(keine: knowledge/vorlagen.yaml fehlt)"]
        buttons = (
            [[(t.name, f"tpl:{case_id}:{t.name}")] for t in templates[:TEMPLATE_BUTTONS]] if case_id is not None else []
        )
        await message.reply_text("\n".join(lines), reply_markup=_markup(buttons) if buttons else None)
        raise ApplicationHandlerStop
    if case_id is None:
        await message.reply_text(f"{NOT_IN_THREAD} – oder /vorlage <Fallnummer> <name>.")
        raise ApplicationHandlerStop
    name = parts[-1].lower()
    if not any(t.name == name for t in templates):
        known = ", ".join(t.name for t in templates) or "keine"
        await message.reply_text(f"Vorlage „{name}“ gibt es nicht. Vorhanden: {known}.")
        raise ApplicationHandlerStop
    result = await _template_sent(handover, case_id, user.id, name, update_key(update, context.bot))
    mark_stored(update, context)
    if not result.ok:
        await message.reply_text(result.message)
    else:
        await message.reply_text(f"✅ Vorlage „{name}“ an die Familie gesendet (Fall #{case_id}).")
    _wake(context)
    raise ApplicationHandlerStop


async def group_message_ignored(update: Update, context: FamilyContext) -> None:
    """Everything else in a group: the bot does not talk there (no answer, no processing)."""
    raise ApplicationHandlerStop


def lotsen_chats(handover: HandoverService) -> list[int]:
    """Every chat the Lotsen work in: LOTSEN_CHAT_ID and the routed groups."""
    with handover.uow() as session:
        routed = session.scalars(select(LotsenGroupRow.chat_id)).all()
    return list(dict.fromkeys([*([handover.default_group] if handover.default_group else []), *routed]))


async def register_lotsen_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The Lotsen's command menu in their groups only (German); one group Telegram refuses (the bot was
    removed) does not stop the others or the bot."""
    data: BotData = application.bot_data
    if data.handover is None:
        return
    commands = [BotCommand(name, description) for name, description in LOTSEN_COMMANDS.items()]
    for chat_id in await asyncio.to_thread(lotsen_chats, data.handover):
        try:
            await application.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
        except TelegramError as error:
            log.warning("Lotsen command menu not set in a group: %s", type(error).__name__)


def lotsen_handlers() -> list[BaseHandler[Update, FamilyContext, None]]:
    in_thread = (filters.REPLY | filters.IS_TOPIC_MESSAGE) & (filters.TEXT | FILES) & ~filters.COMMAND
    return [
        CallbackQueryHandler(case_button_pressed, pattern=CASE_BUTTON),
        # new messages only: an edited command must not act a second time
        CommandHandler("weitergeben", pass_on_asked, filters=NEW),
        CommandHandler("notiz", internal_note_asked, filters=GROUPS & NEW),
        CommandHandler("vorlage", template_asked, filters=GROUPS & NEW),
        case_list_handler(),
        MessageHandler(in_thread | (PRIVATE & NEW & FILES), message_in_case_thread),
        MessageHandler(GROUPS, group_message_ignored),
    ]
