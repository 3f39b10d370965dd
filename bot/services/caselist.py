"""The Lotsen's overview in their group: the case list (/faelle, /meine, /fall 12) and the calm reminders.

Each overview is one message per chat that the bot edits when asked again, instead of a new message every
time; which message that is lives in `lotsen_boards`. The reminders follow the same idea: one "wartet"
digest per Lotsen group lists the unclaimed cases and is edited in place; a case gets a new message (which
Telegram announces to the group) at most once an hour and only within office hours, and the buttons of
its old reminders go once it is claimed. Texts are German: the Lotsen are German social workers. No
family's words appear here — the note has them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.db.orm import CaseRow, LotsenBoardRow, LotseRow, OutboxRow
from bot.services.handover import (
    OPEN_STATUSES,
    OUTCOMES,
    HandoverService,
    _aware,
    _local,
    case_about,
    children_de,
    duration_de,
    language_de,
)
from bot.services.outbox import enqueue
from bot.services.reports import followup_de

ON_CALL_PURPOSES = ("oncall", "oncall_done")  # the on-call chat's one message about a case, before and after
REMINDER_PURPOSES = ("reminder", "oncall")  # messages with Übernehmen that lose it once the case is taken
PING_EVERY = timedelta(hours=1)  # at most one new reminder message per case in this time
DIGEST_REFRESH = timedelta(minutes=5)  # the digest's durations are brought up to date this often (silent edits)
DIGEST_BUTTONS = 8  # "Übernehmen #N" rows under the digest; more cases are listed, their buttons are on the notes
LIST_LIMIT = 30  # cases in one list message (each line is short; the message stays far below 4,096 characters)
Buttons = list[list[tuple[str, str]]]


@dataclass(frozen=True, slots=True)
class Answer:
    """What a list command shows: the text, and where it goes (`kind`, `owner`: its remembered message)."""

    text: str
    kind: str = ""  # faelle | meine | fall; "" for a one-off answer (usage, not allowed) that is not kept
    owner: int = 0  # `meine`: the Lotse's Telegram id, so two Lotsen's lists do not overwrite each other
    case_id: int | None = None
    reply_to: int | None = None  # `fall` in a plain group: the note, since such a group has no message links
    message_id: int | None = None  # the remembered message to edit
    shown_case: int | None = None  # the case that message shows (`fall`)
    shown_thread: int | None = None  # the forum topic that message stands in


def note_link(chat_id: int, message_id: int | None) -> str | None:
    """t.me/c/<chat>/<message> for a supergroup's message; plain groups have no links to messages."""
    raw = str(chat_id)
    if message_id is None or not raw.startswith("-100"):
        return None
    return f"t.me/c/{raw[4:]}/{message_id}"


class CaseList:
    """The list commands, on the handover service's database, knowledge and clock."""

    def __init__(self, handover: HandoverService) -> None:
        self.handover = handover

    def answer(self, chat_id: int, telegram_user_id: int, command: str, args: Sequence[str]) -> Answer:
        """/faelle, /meine or /fall <Nummer> asked by this user in this (Lotsen) chat."""
        now = self.handover.now()
        with self.handover.uow() as session:
            lotse = self.handover.lotse(session, telegram_user_id)
            if lotse is None:
                return Answer("Nur registrierte Lotsen können die Fallliste sehen.")
            if command == "fall":
                number = args[0].lstrip("#") if len(args) == 1 else ""
                if not number.isdigit():
                    return Answer("So geht's: /fall <Fallnummer>, zum Beispiel /fall 12")
                return self._one(session, chat_id, int(number), now)
            owner = telegram_user_id if command == "meine" else 0
            query = select(CaseRow).where(CaseRow.group_chat_id == chat_id, CaseRow.status.in_(OPEN_STATUSES))
            if command == "meine":
                query = query.where(CaseRow.status == "claimed", CaseRow.claimed_by == lotse.id)
            # urgent first, then the longest waiting
            cases = session.scalars(query.order_by(CaseRow.urgent.desc(), CaseRow.created_at, CaseRow.id)).all()
            names = self._names(session, cases)
            if command == "meine":
                title = f"📋 Deine Fälle, {lotse.name}" if cases else f"📋 {lotse.name}, du hast gerade keinen Fall"
            else:
                title = "📋 Offene Fälle" if cases else "📋 Gerade ist kein Fall offen"
            lines = [f"{title}{f' ({len(cases)})' if cases else ''} – Stand {_local(now):%H:%M}"]
            lines += [self._line(c, names, now, chat_id) for c in cases[:LIST_LIMIT]]
            if len(cases) > LIST_LIMIT:
                lines.append(f"… und {len(cases) - LIST_LIMIT} weitere")
            board = session.get(LotsenBoardRow, (chat_id, command, owner))
            return Answer(
                "\n".join(lines),
                command,
                owner,
                message_id=board.message_id if board else None,
                shown_thread=board.thread_id if board else None,
            )

    def _one(self, session: Session, chat_id: int, case_id: int, now: datetime) -> Answer:
        case = session.get(CaseRow, case_id)
        board = session.get(LotsenBoardRow, (chat_id, "fall", 0))
        if case is None or case.group_chat_id != chat_id:
            return Answer(f"Fall #{case_id} gibt es in dieser Gruppe nicht (mehr).")
        names = self._names(session, [case])
        places, knowledge = self.handover.knowledge.places, self.handover.knowledge
        district, network = places.district(case.district or ""), places.network(case.network or "")
        where = f"{district.name} ({network.name})" if district and network else network.name if network else "offen"
        needs = [knowledge.need(n) for n in case.needs.split(",") if n]
        lines = [
            f"{'🆘 ' if case.urgent else ''}Fall #{case.id} · {self._state(case, names, now)}",
            f"Bedarf: {', '.join(n.label_de for n in needs if n) or 'noch offen'}",
            f"Ort: {where}",
            f"Sprache: {language_de(case.locale)}",
            children_de(case),
        ]
        created = _aware(case.created_at, now)
        if case.claimed_at is not None:
            lines.append(f"Übernommen nach {duration_de(_aware(case.claimed_at, now) - created)}")
        if case.status == "closed":
            closed = f" am {_local(case.closed_at):%d.%m. %H:%M}" if case.closed_at else ""
            lines.append(f"Ergebnis: {OUTCOMES.get(case.outcome or '', 'nicht angegeben')}{closed}")
            if case.followup:  # the family's own answer to the check-in it agreed to at the close
                lines.append(f"Nachfrage bei der Familie: {followup_de(case.followup)}")
        link = note_link(chat_id, case.note_message_id)
        lines.append(f"Notiz: {link}" if link else "Notiz: siehe die Nachricht, auf die dies antwortet")
        return Answer(
            "\n".join(lines),
            "fall",
            case_id=case.id,
            reply_to=None if link else case.note_message_id,
            message_id=board.message_id if board else None,
            shown_case=board.case_id if board else None,
            shown_thread=board.thread_id if board else None,
        )

    def remember(
        self,
        chat_id: int,
        kind: str,
        owner: int,
        message_id: int,
        case_id: int | None = None,
        thread_id: int | None = None,
    ) -> None:
        """The message that now shows `kind` in this chat (in that forum topic): the next ask edits it."""
        with self.handover.uow() as session:
            board = session.get(LotsenBoardRow, (chat_id, kind, owner))
            if board is None:
                board = LotsenBoardRow(chat_id=chat_id, kind=kind, owner=owner)
                session.add(board)
            board.message_id, board.case_id, board.updated_at = message_id, case_id, self.handover.now()
            board.thread_id = thread_id

    def owner_check(self, case_id: int, telegram_user_id: int) -> str | None:
        """None when this user has the case (may close it); else the short reason, for an alert."""
        with self.handover.uow() as session:
            lotse = self.handover.lotse(session, telegram_user_id)
            case = session.get(CaseRow, case_id)
            if lotse is None:
                return "Nur registrierte Lotsen können Fälle bearbeiten."
            if case is None:
                return "Diesen Fall gibt es nicht (mehr)."
            if case.status == "closed":
                return f"Fall #{case_id} ist schon abgeschlossen."
            if case.status != "claimed" or case.claimed_by != lotse.id:
                return f"Fall #{case_id} ist nicht deiner – nur wer ihn übernommen hat, kann abschließen."
            return None

    def calm_case(self, case_id: int) -> None:
        """`calm` for the Lotsen group of this case (also when it was claimed in the on-call chat)."""
        with self.handover.uow() as session:
            case = session.get(CaseRow, case_id)
            group = case.group_chat_id if case else None
        if group is not None:
            self.calm(group)

    def calm(self, chat_id: int) -> None:
        """After a claim, hand-back or close: the digest and the old reminders show it at once."""
        with self.handover.uow() as session:
            tidy_reminders(session, self.handover.now())
            cases = _open_cases(session, chat_id)
            _digest(session, self.handover, chat_id, cases, self.handover.now(), may_send=False)

    # ------------------------------------------------------------------ pieces of a line

    @staticmethod
    def _names(session: Session, cases: Sequence[CaseRow]) -> dict[int, str]:
        ids = {c.claimed_by for c in cases if c.claimed_by is not None}
        if not ids:
            return {}
        return dict(session.execute(select(LotseRow.id, LotseRow.name).where(LotseRow.id.in_(ids))).tuples().all())

    @staticmethod
    def _state(case: CaseRow, names: dict[int, str], now: datetime) -> str:
        if case.status == "closed":
            return "abgeschlossen"
        if case.status == "claimed":
            name = names.get(case.claimed_by or 0, "einem Lotsen")
            since = f" (seit {duration_de(now - _aware(case.claimed_at, now))})" if case.claimed_at else ""
            return f"übernommen von {name}{since}"
        return f"offen, wartet seit {duration_de(now - _aware(case.created_at, now))}"

    def _line(self, case: CaseRow, names: dict[int, str], now: datetime, chat_id: int) -> str:
        link = note_link(chat_id, case.note_message_id) or f"/fall {case.id}"
        return (
            f"{'🆘 ' if case.urgent else ''}#{case.id} · {self._state(case, names, now)} · {self._about(case)} · {link}"
        )

    def _about(self, case: CaseRow) -> str:
        return about(self.handover, case)


def about(handover: HandoverService, case: CaseRow) -> str:
    """Language · district · first need: what tells Lotsen at a glance whether a case is one for them."""
    return case_about(handover.knowledge, case)


# ---------------------------------------------------------------------- calm reminders


def _open_cases(session: Session, chat_id: int) -> list[CaseRow]:
    return list(
        session.scalars(
            select(CaseRow)
            .where(CaseRow.group_chat_id == chat_id, CaseRow.status == "open")
            .order_by(CaseRow.urgent.desc(), CaseRow.created_at, CaseRow.id)
        )
    )


def raise_waiting(handover: HandoverService, session: Session, now: datetime) -> int:
    """Raises the unclaimed cases that waited long enough (RAISE_AFTER_MINUTES, urgent ones a third of it).

    Raised means: listed in the group's digest (edited in place, so the group does not fill up) and, within
    the case's office hours and at most once per PING_EVERY, a new message under its note, the one thing
    Telegram announces. Returns how many cases were raised."""
    raised = 0
    by_group: dict[int, list[CaseRow]] = defaultdict(list)
    may_send: set[int] = set()
    cases = session.scalars(
        select(CaseRow)
        .where(CaseRow.status == "open", CaseRow.group_chat_id.is_not(None))
        .order_by(CaseRow.urgent.desc(), CaseRow.created_at, CaseRow.id)
    ).all()
    for case in cases:
        group = case.group_chat_id or 0
        by_group[group].append(case)
        limit = handover.raise_after / 3 if case.urgent else handover.raise_after
        last = _aware(case.last_raised_at or case.created_at, now)
        if now - last < limit:
            continue
        # A conditional UPDATE, as for claims: of two bot processes raising at the same moment, one raises.
        same = (
            CaseRow.last_raised_at.is_(None)
            if case.last_raised_at is None
            else CaseRow.last_raised_at == case.last_raised_at
        )
        if session.execute(update(CaseRow).where(CaseRow.id == case.id, same).values(last_raised_at=now)).rowcount != 1:
            continue
        raised += 1
        if handover.next_office_time(session, case.network, now) is not None:
            if case.urgent:
                _call_on_call(session, handover, case, now)
            continue  # nobody works now: no message that wakes anyone (but on call); the digest still lists it
        may_send.add(group)
        if _pinged_since(session, case.id, now - PING_EVERY):
            continue
        waited = duration_de(now - _aware(case.created_at, now))
        prefix = "🆘 DRINGEND: " if case.urgent else "⏰ "
        enqueue(
            session,
            chat_id=group,
            purpose="reminder",
            now=now,
            case_id=case.id,
            text=f"{prefix}Fall #{case.id} wartet seit {waited} auf einen Lotsen.",
            reply_to=case.note_message_id,
            buttons=[[("Übernehmen", f"claim:{case.id}")]],
        )
    tidy_reminders(session, now)
    boards = session.scalars(select(LotsenBoardRow.chat_id).where(LotsenBoardRow.kind == "wartet")).all()
    for group in {*by_group, *boards}:
        _digest(session, handover, group, by_group.get(group, []), now, may_send=group in may_send)
    return raised


def _call_on_call(session: Session, handover: HandoverService, case: CaseRow, now: datetime) -> None:
    """An urgent case waiting outside office hours is announced once in the on-call chat (ONCALL_CHAT_ID),
    with Übernehmen; whoever takes it answers the family in the case's thread in the Lotsen group."""
    if handover.oncall_group is None:
        return
    told = session.scalar(
        select(OutboxRow.id).where(OutboxRow.case_id == case.id, OutboxRow.purpose.in_(ON_CALL_PURPOSES))
    )
    if told is not None:
        return
    link = note_link(case.group_chat_id or 0, case.note_message_id)
    waited = duration_de(now - _aware(case.created_at, now))
    enqueue(
        session,
        chat_id=handover.oncall_group,
        purpose="oncall",
        now=now,
        case_id=case.id,
        text=(
            f"🆘 Bereitschaft: Fall #{case.id} ist dringend und wartet seit {waited}, außerhalb der Bürozeiten"
            f" ({about(handover, case)}). Die Familie hat die Notrufnummern bekommen."
            + (f"\nNotiz: {link}" if link else "")
        ),
        buttons=[[("Übernehmen", f"claim:{case.id}")]],
    )


def _pinged_since(session: Session, case_id: int, since: datetime) -> bool:
    latest = session.scalar(
        select(func.max(OutboxRow.created_at)).where(OutboxRow.case_id == case_id, OutboxRow.purpose == "reminder")
    )
    return latest is not None and _aware(latest, since) > since


def tidy_reminders(session: Session, now: datetime) -> None:
    """Reminders of cases that are no longer open lose their button (edited to say so) — or, not sent yet,
    are not sent at all. A reminder being sent right now (leased) is tidied in the next round."""
    now_utc = now.astimezone(UTC)
    rows = session.execute(
        select(OutboxRow, CaseRow)
        .join(CaseRow, CaseRow.id == OutboxRow.case_id)
        .where(OutboxRow.purpose.in_(REMINDER_PURPOSES), CaseRow.status != "open")
    ).all()
    names = dict(session.execute(select(LotseRow.id, LotseRow.name)).tuples().all())
    for row, case in rows:
        if row.sent_at is None:
            session.execute(
                delete(OutboxRow)
                .where(
                    OutboxRow.id == row.id,
                    OutboxRow.sent_at.is_(None),
                    or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now_utc),
                )
                # not evaluated in Python on the loaded rows: SQLite hands back naive datetimes (TypeError)
                .execution_options(synchronize_session=False)
            )
            continue
        on_call = row.purpose == "oncall"
        row.purpose = "oncall_done" if on_call else "reminder_done"  # tidied once, whatever Telegram answers
        if row.telegram_message_id is None:
            continue  # dropped, never shown
        state = (
            f"übernommen von {names.get(case.claimed_by or 0, 'einem Lotsen')}"
            if case.status == "claimed"
            else "abgeschlossen"
        )
        enqueue(
            session,
            chat_id=row.chat_id,
            text=f"{'🆘' if on_call else '⏰'} Fall #{case.id} hat gewartet – jetzt {state}.",
            purpose="reminder_edit",
            now=now,
            case_id=case.id,
            edit_message_id=row.telegram_message_id,
        )


IN_FLIGHT = "?"  # what a digest on its way shows is not known: the next round brings it up to date


def _digest(
    session: Session, handover: HandoverService, chat_id: int, cases: list[CaseRow], now: datetime, *, may_send: bool
) -> None:
    """The group's one "wartet" message, brought up to date: sent once (when a case is due within office
    hours), then edited when the cases it lists change, and every DIGEST_REFRESH for the durations."""
    board = session.get(LotsenBoardRow, (chat_id, "wartet", 0))
    text, buttons = _digest_text(handover, chat_id, cases, now)
    shown = ",".join(f"{c.id}{'!' if c.urgent else ''}" for c in cases)
    if board is None:
        if not cases or not may_send:
            return
        board = LotsenBoardRow(chat_id=chat_id, kind="wartet", owner=0, shown="", updated_at=now)
        session.add(board)
    if board.outbox_id is not None:  # sent through the outbox: Telegram's id is known once it went out
        row = session.get(OutboxRow, board.outbox_id)
        if row is not None and row.sent_at is None:
            payload = json.loads(row.payload)
            payload["text"], payload["buttons"] = text, [list(map(list, r)) for r in buttons]
            # not out yet: it leaves with today's list — unless a sender holds it already, with the old one
            untaken = session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row.id, OutboxRow.sent_at.is_(None), OutboxRow.lease_until.is_(None))
                .values(payload=json.dumps(payload, ensure_ascii=False))
                .execution_options(synchronize_session=False)
            ).rowcount
            if untaken or board.message_id is None:  # a first digest on its way: the next round edits it
                board.shown, board.updated_at = (shown if untaken else IN_FLIGHT), now
                return
            board.shown = IN_FLIGHT  # an edit on its way with the old list: today's follows as an edit of its own
        elif row is not None and row.telegram_message_id is not None:
            board.message_id = row.telegram_message_id
        elif row is not None:
            board.message_id = None  # Telegram refused it (or the edit: the message was deleted): send anew
        board.outbox_id = None
    fresh = now - _aware(board.updated_at, now) < DIGEST_REFRESH
    if board.message_id is not None and board.shown == shown and (fresh or not cases):
        return  # an empty digest has no durations to keep true: left alone until a case waits again
    if board.message_id is None and not (cases and may_send):
        return
    enqueue(
        session,
        chat_id=chat_id,
        text=text,
        purpose="digest",
        now=now,
        buttons=buttons,
        edit_message_id=board.message_id,
    )
    session.flush()
    board.outbox_id = session.scalar(
        select(func.max(OutboxRow.id)).where(OutboxRow.chat_id == chat_id, OutboxRow.purpose == "digest")
    )
    board.shown, board.updated_at = shown, now


def _digest_text(handover: HandoverService, chat_id: int, cases: list[CaseRow], now: datetime) -> tuple[str, Buttons]:
    stand = f"Stand {_local(now):%H:%M}"
    if not cases:
        return f"✅ Gerade wartet kein Fall auf einen Lotsen. ({stand})", []
    lines = [f"⏳ Warten auf einen Lotsen: {len(cases)} – {stand}"]
    for case in cases[:LIST_LIMIT]:
        link = note_link(chat_id, case.note_message_id)
        waited = duration_de(now - _aware(case.created_at, now))
        lines.append(
            f"{'🆘 ' if case.urgent else ''}#{case.id} · {about(handover, case)} – wartet seit {waited}"
            + (f" · {link}" if link else "")
        )
    if len(cases) > LIST_LIMIT:
        lines.append(f"… und {len(cases) - LIST_LIMIT} weitere (/faelle)")
    buttons = [[(f"Übernehmen #{c.id}", f"claim:{c.id}")] for c in cases[:DIGEST_BUTTONS]]
    return "\n".join(lines), buttons
