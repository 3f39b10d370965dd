"""The channel-free family conversation: `handle(state, event, services) -> Outcome` over plain data.

Telegram, the terminal and tests are adapters that turn their input into events and render the replies.
"""

from bot.conversation.flow import Services, handle
from bot.conversation.model import (
    Button,
    ButtonPressed,
    CaseClosed,
    Command,
    ContactTimeGiven,
    EscalateCase,
    Event,
    Media,
    Outcome,
    Reply,
    SharedLocation,
    State,
    Step,
    Text,
)

__all__ = [
    "Button",
    "ButtonPressed",
    "CaseClosed",
    "Command",
    "ContactTimeGiven",
    "EscalateCase",
    "Event",
    "Media",
    "Outcome",
    "Reply",
    "Services",
    "SharedLocation",
    "State",
    "Step",
    "Text",
    "handle",
]
