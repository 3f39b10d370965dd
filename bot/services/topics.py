"""Which forum topic belongs to which case: a Lotsen group with topics gives every case a thread of its own.

The topic is made when the case's note is first sent (bot.adapters.telegram.workplace_calls) and its id is
kept on the case (`cases.topic_id`), so every later message of the case goes there and a Lotse's message in
the topic reaches the case. A plain group has no topics: there the note's replies are the thread.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update

from bot.db.engine import UnitOfWork
from bot.db.orm import CaseRow
from bot.services.outbox import enqueue_topic_deletion


def case_topic(uow: UnitOfWork, case_id: int, chat_id: int) -> int | None:
    """The topic of the case in this chat (None: no topic, or the case lives in another chat)."""
    with uow() as session:
        row = session.execute(select(CaseRow.topic_id, CaseRow.group_chat_id).where(CaseRow.id == case_id)).first()
    if row is None or row.group_chat_id not in (None, chat_id):
        return None
    return row.topic_id


def topic_opened(uow: UnitOfWork, case_id: int, chat_id: int, thread_id: int) -> int:
    """Telegram made the case's topic: kept on the case, unless the case has one already (that one wins and
    is returned). Written at once, before the note goes out, so a retried note does not open a second topic."""
    with uow() as session:
        # the group too, before the note's delivery records it: a /delete in between must find the topic
        session.execute(
            update(CaseRow)
            .where(CaseRow.id == case_id, CaseRow.topic_id.is_(None))
            .values(topic_id=thread_id, group_chat_id=func.coalesce(CaseRow.group_chat_id, chat_id))
        )
        if session.get(CaseRow, case_id) is None:  # the family deleted its data meanwhile: the topic goes too
            enqueue_topic_deletion(session, chat_id, thread_id, datetime.now(UTC))
            return thread_id
        kept = session.scalar(select(CaseRow.topic_id).where(CaseRow.id == case_id))
    return kept if kept is not None else thread_id


def topic_gone(uow: UnitOfWork, case_id: int) -> None:
    """Telegram no longer knows the case's topic (someone deleted it): the case's messages go without one."""
    with uow() as session:
        session.execute(update(CaseRow).where(CaseRow.id == case_id).values(topic_id=None))


def case_of_topic(uow: UnitOfWork, chat_id: int, thread_id: int) -> int | None:
    """The case whose topic this is (in any state: a Lotse writing in a closed case's topic is told so)."""
    with uow() as session:
        return session.scalar(
            select(CaseRow.id).where(CaseRow.group_chat_id == chat_id, CaseRow.topic_id == thread_id).limit(1)
        )
