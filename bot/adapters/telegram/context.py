"""What the handlers reach through their context: the conversation service, typed (no string keys)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.services.conversations import ConversationService
from bot.services.handover import HandoverService

if TYPE_CHECKING:
    from bot.adapters.telegram.checkins import CheckInJob
    from bot.adapters.telegram.outbox_sender import OutboxSender


@dataclass
class BotData:
    """The Application's `bot_data`; build_application fills it (PTB creates it without arguments)."""

    service: ConversationService | None = None
    handover: HandoverService | None = None  # the Lotsen side; None when no handover is wired (tests)
    sender: OutboxSender | None = None  # started in post_init, stopped in post_stop
    checkins: CheckInJob | None = None  # asks due check-ins; started and stopped with the sender
    translate_url: str | None = None
    translate_api_key: str | None = None
    retention_days: int | None = None
    bot_processes: int = 1  # one: this process is the only sender, and frees a killed predecessor's leases
    journal_path: Path | None = None  # the outbox sender's delivery journal (delivery_journal.py)


class FamilyContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]):
    """The CallbackContext of this bot: `context.service` is the conversation service."""

    @property
    def service(self) -> ConversationService:
        service = self.bot_data.service
        if service is None:  # only possible when an Application is built around build_application()
            raise RuntimeError("no conversation service: build the Application with build_application()")
        return service


FamilyApplication = Application[ExtBot[Any], FamilyContext, dict[Any, Any], dict[Any, Any], BotData, Any]
