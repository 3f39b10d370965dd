"""The outbox: every handover note, claim notice and relayed message is written here first, then sent.

A message is stored in the same transaction as the change that caused it, so nothing is lost when the bot
dies before sending; a sender leases due rows (so two processes never send the same row at once), and marks
each row sent with Telegram's message id once Telegram accepted it. After sending, the text is blanked:
the outbox is not an archive of families' words.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.db.engine import UnitOfWork
from bot.db.orm import CaseRow, OutboxRow, RelayLinkRow

LEASE = timedelta(seconds=60)
GIVE_UP_AFTER = 50  # attempts; with backoff capped at 5 minutes that is several hours of retrying

# Purposes whose sent message stands for a case in a Lotsen chat: a reply to it reaches that case's family.
LINKED_PURPOSES = frozenset({"note", "relay_to_lotse", "reminder"})


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

    def delivered(self, item: OutboxItem, telegram_message_id: int | None, now: datetime) -> None:
        """Telegram accepted the message: remember its id, link it to the case, forget the text."""
        now = now.astimezone(UTC)
        with self.uow() as session:
            row = session.get(OutboxRow, item.id)
            if row is None:  # the family deleted its data meanwhile
                return
            row.sent_at, row.lease_until, row.telegram_message_id = now, None, telegram_message_id
            row.payload = json.dumps({"text": "", "buttons": []})
            if item.case_id is not None and telegram_message_id is not None:
                if item.purpose in LINKED_PURPOSES:
                    session.merge(
                        RelayLinkRow(chat_id=item.chat_id, message_id=telegram_message_id, case_id=item.case_id)
                    )
                if item.purpose == "note":
                    case = session.get(CaseRow, item.case_id)
                    if case is not None:
                        case.note_message_id, case.group_chat_id = telegram_message_id, item.chat_id

    def failed(
        self, item: OutboxItem, now: datetime, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        """Telegram refused or did not answer: try again later (its retry_after, else exponential backoff)."""
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
                return
            delay = retry_after if retry_after is not None else min(300.0, 2.0 ** min(row.attempts, 8))
            row.next_attempt_at = now + timedelta(seconds=delay)

    def pending(self) -> int:
        with self.uow() as session:
            return len(session.scalars(select(OutboxRow.id).where(OutboxRow.sent_at.is_(None))).all())
