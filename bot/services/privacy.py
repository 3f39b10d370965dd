"""Retention: conversations and closed cases are deleted after a configurable time (statistics stay).

The bot runs this periodically; `python -m admin_scripts.privacy purge` runs it by hand.

Deleted also means gone from the database's files. SQLite zeroes deleted rows (secure_delete) and its WAL is
checkpointed after a /delete (engine.UnitOfWork.scrub). PostgreSQL keeps a deleted row's bytes in its page
until the page is rewritten — a plain VACUUM frees the space but leaves bytes that nothing moved over —
so after deletions `vacuum_erased` rewrites the tables that hold families' words (VACUUM FULL: a new file
with the live rows only; the old one is removed). What PostgreSQL still keeps is out of the bot's reach and
is the operator's to bound: the WAL segments written before (recycled after the next checkpoints, within
`max_wal_size`), WAL archives, base backups and replicas per their retention, and the freed disk blocks
until the file system reuses them (an encrypted volume makes those unreadable).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError

from bot.db.engine import UnitOfWork
from bot.db.orm import CaseRow, ConversationRow, OutboxRow, RelayLinkRow

log = logging.getLogger(__name__)
# The tables a family's own words are written to (the conversation's last messages, the case's note words,
# queued messages); every other table holds ids, choices and anonymous counts.
WORD_TABLES = ("conversations", "cases", "outbox")
# VACUUM FULL locks its table while it copies it (milliseconds for these tables): rather than make updates
# queue behind a long transaction, it gives up after this and tries again at the next round.
REWRITE_LOCK_TIMEOUT = "2s"


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
    if counts.conversations or counts.cases or counts.messages:
        uow.scrub()
    return counts


def vacuum_erased(uow: UnitOfWork, force: bool = False) -> bool:
    """PostgreSQL, after deletions (a /delete, a purge; `force`: anyway): rewrites the tables that held
    families' words, so no deleted row's bytes stay in their files. True when done (or nothing to do)."""
    if uow.engine.dialect.name != "postgresql" or not (force or uow.erased_since_vacuum):
        return True
    uow.erased_since_vacuum = False
    with uow.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"SET lock_timeout = '{REWRITE_LOCK_TIMEOUT}'")
        try:
            connection.exec_driver_sql(f"VACUUM FULL {', '.join(WORD_TABLES)}")
        except DBAPIError as error:  # a lock not had in time (a long transaction): the next round
            uow.erased_since_vacuum = True
            log.warning("privacy: tables not rewritten yet (%s), next round", type(error.orig).__name__)
            return False
    log.info("privacy: tables with families' words rewritten after deletions")
    return True
