"""What the handlers reach through their context: the conversation service, typed (no string keys)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.services.conversations import ConversationService
from bot.services.handover import HandoverService

if TYPE_CHECKING:
    from bot.adapters.telegram.outbox_sender import OutboxSender


@dataclass
class BotData:
    """The Application's `bot_data`; build_application fills it (PTB creates it without arguments)."""

    service: ConversationService | None = None
    handover: HandoverService | None = None  # the Lotsen side; None when no handover is wired (tests)
    sender: OutboxSender | None = None  # started in post_init, stopped in post_shutdown
    translate_url: str | None = None
    translate_api_key: str | None = None
    retention_days: int | None = None


class FamilyContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]):
    """The CallbackContext of this bot: `context.service` is the conversation service."""

    @property
    def service(self) -> ConversationService:
        service = self.bot_data.service
        if service is None:  # only possible when an Application is built around build_application()
            raise RuntimeError("no conversation service: build the Application with build_application()")
        return service


FamilyApplication = Application[ExtBot[Any], FamilyContext, dict[Any, Any], dict[Any, Any], BotData, Any]
