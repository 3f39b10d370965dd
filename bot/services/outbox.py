"""The outbox: every handover note, claim notice and relayed message is written here first, then sent.

A message is stored in the same transaction as the change that caused it, so nothing is lost when the bot
dies before sending; a sender leases due rows (so two processes never send the same row at once), and marks
each row sent with Telegram's message id once Telegram accepted it. After sending, the text is blanked:
the outbox is not an archive of families' words.

The inbox side lives here too: `first_delivery` records an incoming update's key in the transaction that
carries out its effects, so an update Telegram delivers twice is handled once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.db.engine import UnitOfWork
from bot.db.orm import CaseRow, OutboxRow, ProcessedUpdateRow, RelayLinkRow

# A sender renews the lease of a message while its send is in flight (see OutboxSender), so the lease only
# has to outlast a renewal interval; after a crash the message is sent again once the lease ran out.
LEASE = timedelta(seconds=60)
# Telegram keeps an unconfirmed update for at most 24 hours; keys are kept twice as long, then forgotten.
REDELIVERY_WINDOW = timedelta(hours=48)
UNREACHABLE = (
    "⚠️ Fall #{case}: Die Familie ist über Telegram nicht erreichbar (Bot blockiert oder Chat gelöscht). "
    "Diese Nachricht wurde nicht zugestellt."
)
FAMILY_PURPOSES = frozenset({"relay_to_family", "family", "close"})
GIVE_UP_AFTER = 50  # attempts; with backoff capped at 5 minutes that is several hours of retrying

# Purposes whose sent message stands for a case in a Lotsen chat: a reply to it reaches that case's family.
LINKED_PURPOSES = frozenset({"note", "relay_to_lotse", "reminder", "escalation"})


@dataclass(frozen=True, slots=True)
class Translate:
    """Ask the sender to add a machine translation of `text` (it falls back to the original alone)."""

    text: str
    source: str
    target: str
    label: str


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    chat_id: int
    method: str  # sendMessage | editMessageText
    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...]  # rows of (label, callback data)
    reply_to: int | None
    message_id: int | None  # the message to edit
    translate: Translate | None
    purpose: str
    case_id: int | None
    attempts: int
    sent_parts: tuple[int, ...] = ()  # message ids of the parts of a long message Telegram already accepted
    final_text: str | None = None  # the text as first sent (translation included), kept while parts are missing


def first_delivery(session: Session, key: str | None, now: datetime) -> bool:
    """Records that the update `key` is being handled in this transaction; False if it was handled before.

    An INSERT that ignores a conflict: of two processes handling the same update at once, PostgreSQL makes
    the second wait for the first's commit and then reports no row inserted; SQLite has one writer anyway.
    A key of None (an event that did not come from Telegram) is always new."""
    if key is None:
        return True
    values = {"key": key, "processed_at": now.astimezone(UTC)}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(ProcessedUpdateRow).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(ProcessedUpdateRow).values(**values).on_conflict_do_nothing()
    else:  # another database: a plain check, then an insert (the primary key still refuses a true race)
        if session.get(ProcessedUpdateRow, key) is not None:
            return False
        session.add(ProcessedUpdateRow(**values))
        session.flush()
        return True
    # RETURNING rather than rowcount: the ORM's insert path does not report rowcount on every driver
    return session.execute(statement.returning(ProcessedUpdateRow.key)).first() is not None


def forget_processed_updates(uow: UnitOfWork, now: datetime) -> int:
    """Deletes update keys older than Telegram's redelivery window (they can no longer come back)."""
    with uow() as session:
        limit = now.astimezone(UTC) - REDELIVERY_WINDOW
        return int(session.execute(delete(ProcessedUpdateRow).where(ProcessedUpdateRow.processed_at < limit)).rowcount)


def enqueue(
    session: Session,
    *,
    chat_id: int,
    text: str,
    purpose: str,
    now: datetime,
    case_id: int | None = None,
    buttons: Sequence[Sequence[tuple[str, str]]] = (),
    reply_to: int | None = None,
    edit_message_id: int | None = None,
    translate: Translate | None = None,
) -> None:
    now = now.astimezone(UTC)  # the database keeps UTC everywhere (SQLite drops the zone)
    payload: dict[str, Any] = {
        "text": text,
        "buttons": [list(map(list, row)) for row in buttons],
        "reply_to": reply_to,
        "message_id": edit_message_id,
        "translate": asdict(translate) if translate else None,
    }
    session.add(
        OutboxRow(
            chat_id=chat_id,
            method="editMessageText" if edit_message_id else "sendMessage",
            payload=json.dumps(payload, ensure_ascii=False),
            case_id=case_id,
            purpose=purpose,
            created_at=now,
            next_attempt_at=now,
            attempts=0,
        )
    )


def _item(row: OutboxRow) -> OutboxItem:
    payload = json.loads(row.payload)
    translate = payload.get("translate")
    return OutboxItem(
        id=row.id,
        chat_id=row.chat_id,
        method=row.method,
        text=payload["text"],
        buttons=tuple(tuple((label, data) for label, data in r) for r in payload.get("buttons") or ()),
        reply_to=payload.get("reply_to"),
        message_id=payload.get("message_id"),
        translate=Translate(**translate) if translate else None,
        purpose=row.purpose,
        case_id=row.case_id,
        attempts=row.attempts,
        sent_parts=tuple(payload.get("sent_parts") or ()),
        final_text=payload.get("final_text"),
    )


class Outbox:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def lease_due(self, now: datetime, limit: int = 20) -> list[OutboxItem]:
        """Lease the oldest unsent message of up to `limit` chats, each for one send.

        One message per chat at a time, and only a chat's oldest: its messages leave in order even when
        several processes send, a message waiting for a retry holds back the ones after it, and a busy Lotsen
        group (20 a minute) never holds up the families' chats. The conditional UPDATE is the lease: of two
        senders asking at once, one gets the row.
        """
        now = now.astimezone(UTC)
        taken: list[OutboxItem] = []
        with self.uow() as session:
            oldest = (
                select(func.min(OutboxRow.id)).where(OutboxRow.sent_at.is_(None)).group_by(OutboxRow.chat_id)
            ).scalar_subquery()
            candidates = session.scalars(
                select(OutboxRow.id)
                .where(
                    OutboxRow.id.in_(oldest),
                    OutboxRow.next_attempt_at <= now,
                    or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
                )
                .order_by(OutboxRow.id)
                .limit(limit)
            ).all()
            for row_id in candidates:
                leased = session.execute(
                    update(OutboxRow)
                    .where(
                        OutboxRow.id == row_id,
                        OutboxRow.sent_at.is_(None),
                        or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
                    )
                    .values(lease_until=now + LEASE)
                )
                if leased.rowcount == 1:
                    row = session.get(OutboxRow, row_id)
                    if row is not None:
                        taken.append(_item(row))
        return taken

    def extend_lease(self, item: OutboxItem, now: datetime) -> None:
        """The send of `item` is still in flight (slow answer, rate limiter): keep other senders off it."""
        with self.uow() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == item.id, OutboxRow.sent_at.is_(None))
                .values(lease_until=now.astimezone(UTC) + LEASE)
            )

    def part_sent(self, item: OutboxItem, message_id: int, final_text: str) -> OutboxItem:
        """One part of a long message was accepted: recorded with the exact text it was cut from, so a retry
        sends only the parts after it (a translation that comes out differently later cannot shift them)."""
        parts = (*item.sent_parts, message_id)
        with self.uow() as session:
            row = session.get(OutboxRow, item.id)
            if row is not None:
                payload = json.loads(row.payload)
                payload["sent_parts"], payload["final_text"] = list(parts), final_text
                row.payload = json.dumps(payload, ensure_ascii=False)
        return replace(item, sent_parts=parts, final_text=final_text)

    def delivered(
        self, item: OutboxItem, telegram_message_id: int | None, now: datetime, more_ids: Sequence[int] = ()
    ) -> None:
        """Telegram accepted the message: remember its id, link it (and every further part) to the case,
        forget the text."""
        now = now.astimezone(UTC)
        with self.uow() as session:
            row = session.get(OutboxRow, item.id)
            if row is None:  # the family deleted its data meanwhile
                return
            row.sent_at, row.lease_until, row.telegram_message_id = now, None, telegram_message_id
            row.payload = json.dumps({"text": "", "buttons": []})
            if item.case_id is not None and telegram_message_id is not None:
                if item.purpose in LINKED_PURPOSES:
                    for message_id in dict.fromkeys((telegram_message_id, *more_ids)):
                        session.merge(RelayLinkRow(chat_id=item.chat_id, message_id=message_id, case_id=item.case_id))
                if item.purpose == "note":
                    case = session.get(CaseRow, item.case_id)
                    if case is not None:
                        case.note_message_id, case.group_chat_id = telegram_message_id, item.chat_id

    def failed(
        self,
        item: OutboxItem,
        now: datetime,
        retry_after: float | None = None,
        permanent: bool = False,
        unreachable: bool = False,
    ) -> None:
        """Telegram refused or did not answer: try again later (its retry_after, else exponential backoff).

        `unreachable`: the family blocked the bot (403). The message is dropped, and the case's Lotsen chat is
        told, so a Lotse does not wait for an answer to a message that never arrived."""
        now = now.astimezone(UTC)
        with self.uow() as session:
            row = session.get(OutboxRow, item.id)
            if row is None:
                return
            row.attempts += 1
            row.lease_until = None
            if permanent or row.attempts >= GIVE_UP_AFTER:
                row.sent_at = now  # dropped: e.g. the family blocked the bot; the payload goes too
                row.payload = json.dumps({"text": "", "buttons": []})
                if unreachable and item.case_id is not None and item.purpose in FAMILY_PURPOSES:
                    self._tell_lotsen_unreachable(session, item, now)
                return
            delay = retry_after if retry_after is not None else min(300.0, 2.0 ** min(row.attempts, 8))
            row.next_attempt_at = now + timedelta(seconds=delay)

    @staticmethod
    def _tell_lotsen_unreachable(session: Session, item: OutboxItem, now: datetime) -> None:
        case = session.get(CaseRow, item.case_id)
        if case is None or case.group_chat_id is None:
            return
        told = session.scalar(
            select(OutboxRow.id).where(OutboxRow.case_id == case.id, OutboxRow.purpose == "unreachable")
        )
        if told is not None and item.purpose != "relay_to_family":
            return  # a notice the family missed is said once; every undelivered Lotse message is reported
        enqueue(
            session,
            chat_id=case.group_chat_id,
            text=UNREACHABLE.format(case=case.id),
            purpose="unreachable",
            now=now,
            case_id=case.id,
            reply_to=case.note_message_id,
        )

    def pending(self) -> int:
        with self.uow() as session:
            return len(session.scalars(select(OutboxRow.id).where(OutboxRow.sent_at.is_(None))).all())
