"""Retention: conversations and closed cases are deleted after a configurable time (statistics stay).

The bot runs this periodically; `python -m admin_scripts.privacy purge` runs it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from bot.db.engine import UnitOfWork
from bot.db.orm import CaseRow, ConversationRow, OutboxRow, RelayLinkRow


@dataclass(frozen=True)
class Purged:
    conversations: int
    cases: int
    messages: int


def purge(uow: UnitOfWork, days: int, now: datetime | None = None, dry_run: bool = False) -> Purged:
    """Delete conversations untouched for `days`, cases closed `days` ago, sent outbox rows older than that."""
    limit = (now or datetime.now(UTC)) - timedelta(days=days)
    with uow() as session:
        conversations = select(ConversationRow.chat_key).where(ConversationRow.updated_at < limit)
        # a case still open keeps its conversation: the family is waiting for a person
        waiting = select(CaseRow.chat_key).where(CaseRow.status != "closed")
        conversations = conversations.where(ConversationRow.chat_key.not_in(waiting))
        cases = select(CaseRow.id).where(CaseRow.status == "closed", CaseRow.closed_at < limit)
        messages = select(OutboxRow.id).where(OutboxRow.sent_at.is_not(None), OutboxRow.sent_at < limit)
        counts = Purged(
            len(session.scalars(conversations).all()),
            len(session.scalars(cases).all()),
            len(session.scalars(messages).all()),
        )
        if dry_run:
            session.rollback()
            return counts
        case_ids = session.scalars(cases).all()
        session.execute(delete(RelayLinkRow).where(RelayLinkRow.case_id.in_(case_ids)))
        session.execute(delete(OutboxRow).where(OutboxRow.case_id.in_(case_ids)))
        session.execute(delete(OutboxRow).where(OutboxRow.id.in_(messages)))
        session.execute(delete(CaseRow).where(CaseRow.id.in_(case_ids)))
        session.execute(delete(ConversationRow).where(ConversationRow.chat_key.in_(conversations)))
    return counts
