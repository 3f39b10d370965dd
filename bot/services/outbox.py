"""The outbox: every message to Telegram — the conversation's replies, handover notes, claim notices, relayed
messages — is written here first, then sent.

A message is stored in the same transaction as the change that caused it, so nothing is lost when the bot
dies before sending; a sender leases due rows (so two processes never send the same row at once), and marks
each row sent with Telegram's message id once Telegram accepted it. After sending, the text is blanked (a
reply to a family is deleted outright): the outbox is not an archive of families' words.

Telegram has no way to ask whether a message arrived, so a send whose answer was lost (a read timeout, the
bot killed in between) is sent again, and a second copy may exist. Every copy that shows up later — a Lotse
presses a button under it or replies to it (`message_surfaced`) — is linked to its case, so claims and
replies work on each; a copy nobody recorded is edited to point to the one the case knows ("Doppelt").

The inbox side lives here too: `first_delivery` records an incoming update's key in the transaction that
carries out its effects, so an update Telegram delivers twice is handled once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bot.conversation.model import Button, Reply, Venue
from bot.db.engine import UnitOfWork
from bot.db.orm import CaseRow, LotsenBoardRow, OutboxRow, ProcessedUpdateRow, RelayLinkRow

# A sender renews the lease of a message while its send is in flight (see OutboxSender), so the lease only
# has to outlast a renewal interval; after a crash the message is sent again once the lease ran out (a sole
# bot process frees the leases of its killed predecessor at start: `release_leases`).
LEASE = timedelta(seconds=15)
# Telegram keeps an unconfirmed update for at most 24 hours; keys are kept twice as long, then forgotten.
REDELIVERY_WINDOW = timedelta(hours=48)
UNREACHABLE = (
    "⚠️ Fall #{case}: Die Familie ist über Telegram nicht erreichbar (Bot blockiert oder Chat gelöscht). "
    "Diese Nachricht wurde nicht zugestellt."
)
REPLY = "reply"  # the conversation's own answer to a family's message (a serialized Reply)
FAMILY_PURPOSES = frozenset({"relay_to_family", "family", "close"})
GIVE_UP_AFTER = 50  # attempts; with backoff capped at 5 minutes that is several hours of retrying
FIRST_BACKOFF, MAX_BACKOFF = 0.5, 300.0  # seconds: 0.5, 1, 2, 4 … (a family waits; Telegram's hiccups are short)
_EMPTY_PAYLOAD = json.dumps({"text": "", "buttons": []})  # a sent or dropped message keeps no words

# Purposes whose sent message stands for a case in a Lotsen chat: a reply to it reaches that case's family.
ERASED = "🗑️ Gelöscht auf Wunsch der Familie."  # what a deleted family's messages in a Lotsen chat become
LINKED_PURPOSES = frozenset({"note", "relay_to_lotse", "reminder", "escalation"})
# How a case's messages in a Lotsen chat begin (handover.py, caselist.py): a note, a relayed message (or
# its first part), an emergency line, a reminder, a reopened case. Nothing else the bot writes begins so.
CASE_HEAD = re.compile(
    r"^(?:\(1/\d+\)\n)?(?:"  # a long message's first part is marked (1/n)
    r"Fall #(?P<note>\d+) · "
    r"|Fall #(?P<relay>\d+) – die Familie schreibt:"
    r"|🆘 DRINGEND – Fall #(?P<urgent>\d+): "
    r"|(?:🆘 DRINGEND: |⏰ )Fall #(?P<reminder>\d+) wartet seit "
    r"|🔄 Fall #(?P<reopened>\d+) ist wieder offen)"
)
FIRST_PART = re.compile(r"^\(1/\d+\)\n")  # the mark of a long message's first part (outbox_sender)
URGENT_HEAD = "🆘 DRINGEND – "  # an urgent note's first line; "Fall #N · " follows on the second
COPY_OF_NOTE = "🔁 Doppelt gesendet – die Notiz zu Fall #{case} steht {where}."
COPY_OF_MESSAGE = "🔁 Doppelt gesendet – diese Nachricht zu Fall #{case} steht schon im Chat."
COPY_ANSWERS = "Eine Antwort hierauf erreicht die Familie trotzdem."


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
    reply: Reply | None = None  # a reply of the conversation: its buttons, venue and all (purpose "reply")
    # A Lotsen-workplace call's parameters (a file id, a topic's name or thread): see workplace_calls.py
    extra: dict[str, Any] = field(default_factory=dict)


def case_named_in(text: str) -> tuple[int, bool] | None:
    """The case a message of the bot's own in a Lotsen chat is about, read from how it begins, and whether
    it is the case's note; None for anything else (digests, lists, notices)."""
    match = CASE_HEAD.match(text)
    first, _, rest = text.partition("\n")
    if match is None and first.startswith(URGENT_HEAD):
        match = CASE_HEAD.match(rest)
        if match is not None and match.group("note") is None:
            match = None
    if match is None:
        return None
    number = next(value for value in match.groupdict().values() if value is not None)
    return int(number), match.group("note") is not None


def reply_payload(reply: Reply) -> dict[str, Any]:
    """A Reply as JSON for the outbox: text, button rows, right-to-left, the venue to pin."""
    return {
        "text": reply.text,
        "buttons": [[[button.label, button.data] for button in row] for row in reply.buttons],
        "ask_location": reply.ask_location,
        "rtl": reply.rtl,
        "venue": asdict(reply.venue) if reply.venue else None,
    }


def reply_of(payload: dict[str, Any]) -> Reply:
    venue = payload.get("venue")
    return Reply(
        payload.get("text") or "",
        tuple(tuple(Button(label, data) for label, data in row) for row in payload.get("buttons") or ()),
        bool(payload.get("ask_location")),
        bool(payload.get("rtl")),
        Venue(**venue) if venue else None,
    )


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
    reply: Reply | None = None,
    method: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Queues one message (an edit of `edit_message_id`, else a send); `reply` carries a whole Reply."""
    now = now.astimezone(UTC)  # the database keeps UTC everywhere (SQLite drops the zone)
    payload: dict[str, Any] = {
        "text": text,
        "buttons": [list(map(list, row)) for row in buttons],
        "reply_to": reply_to,
        "message_id": edit_message_id,
        "translate": asdict(translate) if translate else None,
    }
    if reply is not None:
        payload["reply"] = reply_payload(reply)
    # `method`, `extra`: a call other than sendMessage / editMessageText, carried out by the Lotsen workplace
    # (bot.adapters.telegram.workplace_calls: a photo or document by file id, a forum topic to close, a
    # message to erase) with its parameters; `extra` also names the topic a note opens in a forum group.
    if extra:
        payload["extra"] = extra
    session.add(
        OutboxRow(
            chat_id=chat_id,
            method=method or ("editMessageText" if edit_message_id else "sendMessage"),
            payload=json.dumps(payload, ensure_ascii=False),
            case_id=case_id,
            purpose=purpose,
            created_at=now,
            next_attempt_at=now,
            attempts=0,
        )
    )


def enqueue_replies(session: Session, chat_id: int, replies: Sequence[Reply], now: datetime) -> None:
    """The conversation's replies to one update, queued in its transaction: sent in order, and after a crash
    still sent (each one once, unless Telegram's answer to a send was lost). One Core INSERT for all: this
    runs for every update, and rows queued by the effects afterwards get higher ids (they follow)."""
    if not replies:
        return
    now = now.astimezone(UTC)
    rows = [
        {
            "chat_id": chat_id,
            "method": "sendMessage",
            "payload": json.dumps({"text": reply.text, "reply": reply_payload(reply)}, ensure_ascii=False),
            "case_id": None,
            "purpose": REPLY,
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
        }
        for reply in replies
    ]
    session.execute(insert(OUTBOX), rows)


def forget_chat(session: Session, chat_id: int) -> None:
    """/delete: every outbox row of the family's own chat goes, sent or not (the words, and who wrote)."""
    session.execute(delete(OutboxRow).where(OutboxRow.chat_id == chat_id))


OUTBOX = OutboxRow.__table__
LEASED_COLUMNS = tuple(
    OUTBOX.c[name] for name in ("id", "chat_id", "method", "payload", "purpose", "case_id", "attempts")
)


def _item(row: Any) -> OutboxItem:
    """The message of an outbox row (an OutboxRow, or a row of LEASED_COLUMNS)."""
    payload = json.loads(row.payload)
    translate = payload.get("translate")
    reply = payload.get("reply")
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
        reply=reply_of(reply) if reply else None,
        extra=payload.get("extra") or {},
    )


class Outbox:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def lease_due(self, now: datetime, limit: int = 20, busy: Sequence[int] = ()) -> list[OutboxItem]:
        """Lease the oldest unsent message of up to `limit` chats (not those in `busy`), each for one send.

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
            query = select(OutboxRow.id).where(
                OutboxRow.id.in_(oldest),
                OutboxRow.next_attempt_at <= now,
                or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
            )
            if busy:
                query = query.where(OutboxRow.chat_id.not_in(list(busy)))
            for row_id in session.scalars(query.order_by(OutboxRow.id).limit(limit)).all():
                item = self._lease(session, row_id, now)
                if item is not None:
                    taken.append(item)
        return taken

    def lease_next(self, chat_id: int, now: datetime) -> OutboxItem | None:
        """Lease the chat's oldest unsent message if it is due and nobody holds it (one indexed statement:
        what a sender does for a chat whose message was just queued, or right after its previous one)."""
        with self.uow.engine.begin() as connection:  # no ORM session: this runs for every message
            return self._lease_oldest_of(connection, chat_id, now.astimezone(UTC))

    @staticmethod
    def _lease(connection: Session | Connection, row_id: Any, now: datetime) -> OutboxItem | None:
        """One conditional UPDATE … RETURNING: the lease and the message in one statement (`row_id` may be a
        subquery). Core statements on the table: the ORM's bulk path costs more than the query itself."""
        leased = connection.execute(
            update(OUTBOX)
            .where(
                OUTBOX.c.id == row_id,
                OUTBOX.c.sent_at.is_(None),
                OUTBOX.c.next_attempt_at <= now,
                or_(OUTBOX.c.lease_until.is_(None), OUTBOX.c.lease_until < now),
            )
            .values(lease_until=now + LEASE)
            .returning(*LEASED_COLUMNS)
        ).first()
        return _item(leased) if leased is not None else None

    def _lease_oldest_of(self, connection: Session | Connection, chat_id: int, now: datetime) -> OutboxItem | None:
        oldest = (
            select(func.min(OUTBOX.c.id)).where(OUTBOX.c.chat_id == chat_id, OUTBOX.c.sent_at.is_(None))
        ).scalar_subquery()
        return self._lease(connection, oldest, now)

    def release_leases(self) -> int:
        """Frees every lease: for a bot process that is the only sender, at start — the leases it finds were
        its killed predecessor's, and their messages go out now instead of after LEASE."""
        with self.uow() as session:
            return int(
                session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.sent_at.is_(None), OutboxRow.lease_until.is_not(None))
                    .values(lease_until=None)
                ).rowcount
            )

    def unsent(self, outbox_id: int) -> OutboxItem | None:
        """The message, if it is still waiting to be sent (None: sent, dropped, or deleted)."""
        with self.uow() as session:
            row = session.get(OutboxRow, outbox_id)
            return _item(row) if row is not None and row.sent_at is None else None

    def release(self, item: OutboxItem) -> None:
        """Gives a leased message back unsent, for the next sender to take at once."""
        with self.uow() as session:
            session.execute(
                update(OutboxRow).where(OutboxRow.id == item.id, OutboxRow.sent_at.is_(None)).values(lease_until=None)
            )

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
        self,
        item: OutboxItem,
        telegram_message_id: int | None,
        now: datetime,
        more_ids: Sequence[int] = (),
        *,
        then_lease_next: bool = False,
    ) -> OutboxItem | None:
        """Telegram accepted the message: remember its id, link it (and every further part) to the case,
        forget the text. With `then_lease_next`, the chat's next message is leased in the same transaction
        and returned (one transaction per message for a chat with several waiting)."""
        now = now.astimezone(UTC)
        if item.purpose == REPLY:  # nothing refers to a reply once it is out: it goes, with the chat id
            with self.uow.engine.begin() as connection:
                connection.execute(delete(OUTBOX).where(OUTBOX.c.id == item.id))
                return self._lease_oldest_of(connection, item.chat_id, datetime.now(UTC)) if then_lease_next else None
        try:
            with self.uow() as session:
                row = session.get(OutboxRow, item.id)
                if row is not None and not _record_delivery(session, row, item, telegram_message_id, now, more_ids):
                    row = session.get(OutboxRow, item.id)  # recorded meanwhile, or deleted (/delete)
                    # Already recorded: a Lotse's press or reply proved an earlier copy arrived (message_surfaced).
                    if row is not None and telegram_message_id not in (None, row.telegram_message_id):
                        _copy_found(session, item.chat_id, telegram_message_id, item.case_id, item.purpose, now)
                if row is None:
                    _erase_if_its_family_is_gone(session, item, telegram_message_id, more_ids, now)
                if then_lease_next:
                    return self._lease_oldest_of(session, item.chat_id, datetime.now(UTC))
        except StaleDataError:  # deleted while it was out (/delete): nothing is left to record
            with self.uow() as session:
                _erase_if_its_family_is_gone(session, item, telegram_message_id, more_ids, now)
                if then_lease_next:
                    return self._lease_oldest_of(session, item.chat_id, datetime.now(UTC))
        return None

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
        try:
            self._failed(item, now, retry_after, permanent, unreachable)
        except StaleDataError:  # deleted while it was out (/delete): nothing is left to try again
            return

    def _failed(
        self, item: OutboxItem, now: datetime, retry_after: float | None, permanent: bool, unreachable: bool
    ) -> None:
        with self.uow() as session:
            row = session.get(OutboxRow, item.id)
            if row is None or row.sent_at is not None:  # deleted meanwhile, or proven delivered by a Lotse
                return
            row.attempts += 1
            row.lease_until = None
            if permanent or row.attempts >= GIVE_UP_AFTER:
                if unreachable and item.case_id is not None and item.purpose in FAMILY_PURPOSES:
                    self._tell_lotsen_unreachable(session, item, now)
                if item.purpose == REPLY:
                    session.delete(row)
                    return
                row.sent_at = now  # dropped: e.g. the family blocked the bot; the payload goes too
                row.payload = _EMPTY_PAYLOAD
                return
            backoff = min(MAX_BACKOFF, FIRST_BACKOFF * 2.0 ** min(row.attempts - 1, 10))
            row.next_attempt_at = now + timedelta(seconds=retry_after if retry_after is not None else backoff)

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


def _erase_if_its_family_is_gone(
    session: Session, item: OutboxItem, telegram_message_id: int | None, more_ids: Sequence[int], now: datetime
) -> None:
    """A case's message that reached a Lotsen chat while its family deleted its data (/delete found no trace
    of it yet): it is edited to say so, like every other message of the case."""
    if item.chat_id > 0 or item.case_id is None or telegram_message_id is None:
        return
    if session.get(CaseRow, item.case_id) is not None:
        return  # the case is there: its row went for another reason (a reminder tidied after the claim)
    for message_id in dict.fromkeys((telegram_message_id, *more_ids)):
        enqueue_erase(session, item.chat_id, message_id, now)


def enqueue_erase(session: Session, chat_id: int, message_id: int, now: datetime) -> None:
    """A deleted family's message in a Lotsen chat: a text is edited to ERASED, a photo or document deleted
    (workplace_calls.ERASE). No case id: it outlives the case it reports."""
    enqueue(session, chat_id=chat_id, text=ERASED, purpose="erase", now=now, edit_message_id=message_id, method="erase")


def enqueue_topic_deletion(session: Session, chat_id: int, thread_id: int, now: datetime) -> None:
    """A deleted family's case topic goes with everything in it."""
    enqueue(
        session,
        chat_id=chat_id,
        text="",
        purpose="erase",
        now=now,
        method="deleteForumTopic",
        extra={"thread_id": thread_id},
    )


def _record_delivery(
    session: Session,
    row: OutboxRow,
    item: OutboxItem,
    telegram_message_id: int | None,
    now: datetime,
    more_ids: Sequence[int] = (),
) -> bool:
    """Record that `row` was delivered as `telegram_message_id`; False when it was recorded (or deleted)
    meanwhile. The sender and a Lotse's press on a copy whose answer got lost can record the same row at
    once: the conditional UPDATE lets exactly one of them win, and the other one marks its copy."""
    if item.purpose == REPLY:  # nothing refers to a reply once it is out: it goes, with the family's chat id
        session.delete(row)
        return True
    rewritten = _rewritten_in_flight(session, row, item) if item.purpose == "note" else None
    won = session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == row.id, OutboxRow.sent_at.is_(None))
        .values(sent_at=now, lease_until=None, telegram_message_id=telegram_message_id, payload=_EMPTY_PAYLOAD)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.expire(row)  # what the database holds now counts, whoever recorded it
    if not won:
        return False
    if item.case_id is None or telegram_message_id is None:
        return True
    if item.purpose in LINKED_PURPOSES:
        for message_id in dict.fromkeys((telegram_message_id, *more_ids)):
            session.merge(RelayLinkRow(chat_id=item.chat_id, message_id=message_id, case_id=item.case_id))
    if item.purpose == "note":
        case = session.get(CaseRow, item.case_id)
        if case is not None:
            case.note_message_id, case.group_chat_id = telegram_message_id, item.chat_id
        if case is not None and rewritten is not None:  # what changed while it was out follows as an edit
            translate = rewritten.get("translate")
            enqueue(
                session,
                chat_id=item.chat_id,
                text=rewritten["text"],
                purpose="note_edit",
                now=now,
                case_id=item.case_id,
                buttons=rewritten.get("buttons") or (),
                edit_message_id=telegram_message_id,
                translate=Translate(**translate) if translate else None,
            )
    return True


def _rewritten_in_flight(session: Session, row: OutboxRow, item: OutboxItem) -> dict[str, Any] | None:
    """A note's payload as it stands now, if it was rewritten while its send was out (HandoverService.refresh_note
    rewrites a note still waiting, e.g. for the family's contact time), else None.

    The case's row is locked first, as refresh_note does: a rewrite either committed before (and is read
    here) or waits and finds the note's message id; and the two lock in one order, so they cannot deadlock."""
    if item.case_id is None:
        return None
    session.execute(
        update(CaseRow)
        .where(CaseRow.id == item.case_id)
        .values(status=CaseRow.status)
        .execution_options(synchronize_session=False)
    )
    current = session.scalar(select(OutboxRow.payload).where(OutboxRow.id == row.id, OutboxRow.sent_at.is_(None)))
    if current is None:
        return None
    payload: dict[str, Any] = json.loads(current)
    return payload if payload.get("text") != item.text else None


def message_surfaced(
    session: Session, chat_id: int, message_id: int, text: str, now: datetime, pressed_case: int | None = None
) -> int | None:
    """A message of the bot's own in a Lotsen chat that a Lotse pressed a button under or replied to: the
    case it belongs to (None: no case's message). `pressed_case`: the case of the button pressed under it
    ("Übernehmen" sits under the note and the reminders).

    A message no send was recorded for is a case's message Telegram accepted while its answer got lost. If
    its send is still the chat's oldest unsent one, the press proves it arrived: it is recorded now and not
    sent again. Otherwise it is a second copy of a message sent again since: it is linked to the case all
    the same (claims and replies work on it) and edited to point to the copy the case knows."""
    link = session.get(RelayLinkRow, (chat_id, message_id))
    if link is not None:
        return link.case_id
    named = case_named_in(text) if text else None
    if named is None and pressed_case is not None:
        named = (pressed_case, True)
    case = session.get(CaseRow, named[0]) if named is not None else None
    if case is None or named is None or pressed_case not in (None, case.id):
        return None
    recorded = session.scalar(
        select(OutboxRow.id).where(OutboxRow.chat_id == chat_id, OutboxRow.telegram_message_id == message_id)
    )
    board = session.scalar(
        select(LotsenBoardRow.kind).where(LotsenBoardRow.chat_id == chat_id, LotsenBoardRow.message_id == message_id)
    )
    if recorded is not None or board is not None:
        return None  # a message the bot knows as something else (a digest, a /fall answer): no copy
    oldest = session.scalar(
        select(OutboxRow).where(OutboxRow.chat_id == chat_id, OutboxRow.sent_at.is_(None)).order_by(OutboxRow.id)
    )
    if oldest is not None and oldest.case_id == case.id and _same_message(_item(oldest), text, named[1]):
        if FIRST_PART.match(text) or json.loads(oldest.payload).get("sent_parts"):
            # one part of a long message still going out: it is the case's, and the rest still has to go
            session.merge(RelayLinkRow(chat_id=chat_id, message_id=message_id, case_id=case.id))
            return case.id
        if _record_delivery(session, oldest, _item(oldest), message_id, now.astimezone(UTC)):
            return case.id
        if session.get(RelayLinkRow, (chat_id, message_id)) is not None:
            return case.id  # the sender recorded this very message just now (its link): no copy
        session.refresh(case)  # the sender recorded another copy just now: this one is the second
    if case.group_chat_id != chat_id:
        return None
    _copy_found(session, chat_id, message_id, case.id, "note" if named[1] else "", now)
    return case.id


def _same_message(item: OutboxItem, text: str, is_note: bool) -> bool:
    """Whether `text` (a message in the chat) is what `item` sends: a note is rewritten while it waits, so
    any note of the case will do; anything else begins with the queued text (a translation may follow)."""
    if item.purpose not in LINKED_PURPOSES or item.method != "sendMessage":
        return False
    if not text:  # a press under it: it carries this case's "Übernehmen"
        return any(data == f"claim:{item.case_id}" for row in item.buttons for _label, data in row)
    if is_note:
        return item.purpose == "note"
    # a first part holds at least 4,000 characters of the text: its first 200 are enough to compare
    return item.purpose != "note" and FIRST_PART.sub("", text, count=1).startswith(item.text[:200])


def _copy_found(
    session: Session, chat_id: int, message_id: int, case_id: int | None, purpose: str, now: datetime
) -> None:
    """A second copy of a case's message is in the chat: it belongs to the case, and says where the first is."""
    case = session.get(CaseRow, case_id) if case_id is not None else None
    if case is None or purpose not in LINKED_PURPOSES | {""}:
        return
    session.merge(RelayLinkRow(chat_id=chat_id, message_id=message_id, case_id=case.id))
    if purpose == "note":
        from bot.services.caselist import note_link  # caselist builds on the outbox

        real = case.note_message_id
        where = note_link(chat_id, real) or ("weiter unten" if real and real > message_id else "weiter oben")
        text = COPY_OF_NOTE.format(case=case.id, where=where)
    else:
        text = COPY_OF_MESSAGE.format(case=case.id)
    enqueue(
        session,
        chat_id=chat_id,
        text=f"{text} {COPY_ANSWERS}",
        purpose="copy",
        now=now,
        case_id=case.id,
        edit_message_id=message_id,
    )
