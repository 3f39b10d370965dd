"""Replies of the conversation core as Telegram messages: plain text and inline keyboards, nothing else.

Texts go out without parse_mode, so an offer title or a family's words can never break Markdown/HTML.
`Reply.venue` (where an offer is) follows the text as a venue message: a map pin with the address. The
replies travel through the outbox; its sender (outbox_sender.py) sends them with these pieces.
`Reply.ask_location` adds nothing here: a message carries either an inline keyboard or a reply keyboard,
and the district question needs its inline buttons. Families can still share a location from the
attachment menu, which the adapter understands (see handlers.location_shared).
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.conversation import Button, Reply

log = logging.getLogger(__name__)
VENUE_TITLE_LIMIT = 256  # Telegram shows a venue's title and address on one or two lines; longer is cut


def fits_telegram(button: Button) -> bool:
    """Telegram refuses the whole message if one button's data is over 64 bytes; such a button is left out."""
    if len(button.data.encode()) <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA:
        return True
    log.error("button data over %d bytes left out: %r", InlineKeyboardButtonLimit.MAX_CALLBACK_DATA, button.data[:20])
    return False


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's button rows as an inline keyboard (None without buttons)."""
    rows = [
        [InlineKeyboardButton(button.label, callback_data=button.data) for button in row if fits_telegram(button)]
        for row in reply.buttons
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Long texts in parts Telegram accepts, cut between paragraphs (or lines, or hard) — never mid-character."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n\n", 0, limit)  # between paragraphs (offer cards) if possible,
        if cut <= 0:
            cut = text.rfind("\n", 0, limit)  # else between lines,
        if cut <= 0:
            cut = limit  # else where the limit is
        parts.append(text[:cut].rstrip("\n"))
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts
