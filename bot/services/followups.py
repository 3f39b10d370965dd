"""Check-ins a family agreed to: stored, asked once at a friendly hour, answered, and kept only anonymously.

The conversation core decides what is asked and how answers go on (bot.conversation.checkin); this module
carries out its effects in the conversation's transaction and runs the scheduler:

- **When**: N days after the consent (the network's `followup_days`, default 7), only Monday to Friday
  09:00–18:00 Europe/Berlin and never on the state's public holidays; a check-in due at night waits for the
  next morning. At most one reminder, REMINDER_AFTER later (also in the window), if nothing was answered
  (or the family said "not yet"); then it ends.
- **Once**: the scheduler hands a due check-in to the conversation service as CheckInDue; the question comes
  back as a CheckInQuestion effect, and applying it claims the check-in with a conditional UPDATE and queues
  the message in the outbox — in the conversation's one transaction. Of two processes (or a restarted one)
  only one claim succeeds; the other's transaction is rolled back (CheckInTaken), so it sends nothing.
- **Nothing more** for a family that sent /stop, deleted its data (the link goes with the conversation) or
  blocked the bot (a question the outbox dropped as undeliverable ends the check-in).
- **Anonymous**: the answer is a CheckInOutcomeRow (week, network, district, need, age band, language, offer
  id, outcome, reason) that stays after /delete; the CheckInRow with the chat key and the offer's title is
  deleted as soon as the check-in is over.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING

import holidays
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.conversation import State
from bot.conversation.checkin import CASE
from bot.conversation.model import (
    CheckInAnswered,
    CheckInDue,
    CheckInQuestion,
    CheckInsStopped,
    Effect,
    ScheduleCheckIn,
)
from bot.db.orm import CaseRow, CheckInOutcomeRow, CheckInRow, ConversationRow, OfferRow, OutboxRow
from bot.knowledge import Knowledge
from bot.services.handover import LOCAL, family_chat_id
from bot.services.outbox import enqueue
from bot.services.reports import iso_week
from bot.services.statistics import age_band

if TYPE_CHECKING:
    from bot.services.conversations import ConversationService

log = logging.getLogger(__name__)

WINDOW = (time(9, 0), time(18, 0))  # local time, Monday to Friday
REMINDER_AFTER = timedelta(days=2)
ANSWER_WITHIN = timedelta(days=7)  # after the last question, how long a late tap is still recorded
BATCH = 50  # check-ins asked per round; the rest come in the next round (a minute later)
PURPOSE = "checkin"  # the outbox purpose of every check-in message


class CheckInTaken(RuntimeError):
    """The check-in was claimed, answered or deleted meanwhile (another process): this transaction is void."""


@cache
def _closed_days(state_code: str) -> holidays.HolidayBase:
    return holidays.country_holidays("DE", subdiv=state_code or None)


def next_window(moment: datetime, state_code: str = "") -> datetime:
    """`moment` itself when it lies in the window (Mon–Fri 09:00–18:00 Europe/Berlin, no public holiday of the
    state), else the start of the next window."""
    local = moment.astimezone(LOCAL)
    opens, closes = WINDOW
    for offset in range(0, 30):
        day = local.date() + timedelta(days=offset)
        if day.weekday() >= 5 or day in _closed_days(state_code):
            continue
        start = datetime.combine(day, opens, LOCAL)
        if offset == 0 and local >= start:
            if local < datetime.combine(day, closes, LOCAL):
                return local
            continue
        return start
    return local  # no working day within 30 days cannot happen; never block a check-in forever


def in_window(moment: datetime, state_code: str = "") -> bool:
    return next_window(moment, state_code) <= moment


def _utc(moment: datetime) -> datetime:
    """The database keeps UTC; SQLite hands datetimes back without their zone (they are UTC)."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def summary(reached: str, helped: str | None, reason: str | None) -> str:
    """The answer in one token for the case row: 'reached:yes', 'could_not:no_place', 'not_yet'."""
    return ":".join(x for x in (reached, helped or reason) if x)


@dataclass(frozen=True, slots=True)
class Round:
    """What one scheduler round did."""

    asked: int = 0  # questions queued (first ones and reminders)
    ended: int = 0  # check-ins over without (another) answer: expired, unreachable, orphaned


class FollowUps:
    """The check-in effects and the scheduler, on the knowledge's networks (their follow-up days and states)."""

    EFFECTS = (ScheduleCheckIn, CheckInQuestion, CheckInAnswered, CheckInsStopped)

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge

    # ------------------------------------------------------------------ effects (in the conversation's transaction)

    def apply(self, session: Session, chat_key: str, state: State, effect: Effect, now: datetime) -> None:
        if isinstance(effect, ScheduleCheckIn):
            self._schedule(session, chat_key, state, effect, now)
        elif isinstance(effect, CheckInQuestion):
            self._ask(session, chat_key, effect, now)
        elif isinstance(effect, CheckInAnswered):
            self._answered(session, chat_key, effect, now)
        elif isinstance(effect, CheckInsStopped):
            query = delete(CheckInRow).where(CheckInRow.chat_key == chat_key)
            if effect.checkin_id is not None:
                query = query.where(CheckInRow.id == effect.checkin_id)
                if session.execute(query).rowcount != 1:
                    raise CheckInTaken(effect.checkin_id)  # nothing of ours to drop: change nothing at all
                return
            session.execute(query)

    def erase(self, session: Session, chat_key: str) -> None:
        """/delete and retention: the link to the chat goes; anonymous outcomes stay."""
        session.execute(delete(CheckInRow).where(CheckInRow.chat_key == chat_key))

    def _state_code(self, network_id: str | None) -> str:
        network = self.knowledge.places.network(network_id or "")
        return network.state if network else ""

    def _schedule(self, session: Session, chat_key: str, state: State, effect: ScheduleCheckIn, now: datetime) -> None:
        """One check-in per family: a newer consent replaces one still waiting to be asked."""
        if family_chat_id(chat_key) is None:
            return  # only a Telegram chat can be written to later (the terminal is a demo)
        case = None
        if effect.about == CASE:
            case = session.scalar(
                select(CaseRow)
                .where(CaseRow.chat_key == chat_key, CaseRow.status == "closed")
                .order_by(CaseRow.closed_at.desc(), CaseRow.id.desc())
            )
            if case is None:
                return
        session.execute(delete(CheckInRow).where(CheckInRow.chat_key == chat_key, CheckInRow.status == "scheduled"))
        network = self.knowledge.places.network(state.network_id or (case.network if case else "") or "")
        days = network.followup_days if network else 7
        title = effect.offer_title
        if case is None and not title:  # the offer left the index: its German title, if it is still stored
            title = session.scalar(select(OfferRow.title).where(OfferRow.external_id == effect.about)) or ""
        needs = state.needs or (tuple(n for n in case.needs.split(",") if n) if case else ())
        session.add(
            CheckInRow(
                chat_key=chat_key,
                status="scheduled",
                due_at=_utc(next_window(now + timedelta(days=days), network.state if network else "")),
                asks=0,
                offer_id=None if case else effect.about,
                offer_title=title[:300],
                case_id=case.id if case else None,
                case_outcome=case.outcome if case else None,
                network=state.network_id or (case.network if case else None),
                district=state.district_id or (case.district if case else None),
                need=needs[0] if needs else None,
                age_band=age_band(state.age_months, state.pregnant),
                locale=state.locale,
                agreed_on=now.astimezone(LOCAL).date(),
                created_at=_utc(now),
            )
        )

    def _ask(self, session: Session, chat_key: str, effect: CheckInQuestion, now: datetime) -> None:
        """Queues the question; a due check-in is claimed first (exactly one process gets it)."""
        chat_id = family_chat_id(chat_key)
        if chat_id is None:
            return
        row = None
        if effect.checkin_id is not None:
            row = session.get(CheckInRow, effect.checkin_id)
            if row is None or row.chat_key != chat_key or not self._claim(session, row, now):
                raise CheckInTaken(effect.checkin_id)
        reply = effect.reply
        enqueue(
            session,
            chat_id=chat_id,
            text=reply.text,
            purpose=PURPOSE,
            now=now,
            buttons=[[(b.label, b.data) for b in buttons] for buttons in reply.buttons],
        )
        if row is not None:
            session.flush()
            # our own row: another transaction's uncommitted rows are invisible, and this chat's check-in is ours
            row.outbox_id = session.scalar(
                select(func.max(OutboxRow.id)).where(OutboxRow.chat_id == chat_id, OutboxRow.purpose == PURPOSE)
            )

    def _claim(self, session: Session, row: CheckInRow, now: datetime) -> bool:
        """The conditional UPDATE: only from the state this process saw, only when due."""
        asks = row.asks + 1
        later = next_window(now + REMINDER_AFTER, self._state_code(row.network)) if asks < 2 else now + ANSWER_WITHIN
        claimed = session.execute(
            update(CheckInRow)
            .where(
                CheckInRow.id == row.id,
                CheckInRow.status == row.status,
                CheckInRow.asks == row.asks,
                CheckInRow.due_at <= _utc(now),
            )
            .values(status="asked", asks=asks, due_at=_utc(later))
            .execution_options(synchronize_session=False)  # SQLite's naive times: the row is refreshed below
        ).rowcount
        if claimed == 1:
            session.refresh(row)
        return claimed == 1

    def _answered(self, session: Session, chat_key: str, effect: CheckInAnswered, now: datetime) -> None:
        row = session.get(CheckInRow, effect.checkin_id)
        if row is None or row.chat_key != chat_key:
            return  # over (ended, /stop) before this tap: nothing is linked to it any more
        outcome = session.get(CheckInOutcomeRow, row.outcome_id) if row.outcome_id else None
        if outcome is None:
            outcome = self._outcome(row, effect.reached)
            session.add(outcome)
            session.flush()
            row.outcome_id = outcome.id
        if outcome.outcome != effect.reached:  # "could not", then "yes after all": the newer answer counts
            outcome.outcome, outcome.helped, outcome.reason = effect.reached, None, None
        outcome.helped = effect.helped or outcome.helped
        outcome.reason = effect.reason or outcome.reason
        if row.case_id is not None and (case := session.get(CaseRow, row.case_id)) is not None:
            case.followup = summary(outcome.outcome, outcome.helped, outcome.reason)
        if effect.final or (effect.reached == "not_yet" and row.asks >= 2):
            session.delete(row)
        elif effect.reached == "not_yet":  # asked once more, in a few days (that is the one reminder)
            row.status = "scheduled"
            row.due_at = _utc(next_window(now + REMINDER_AFTER, self._state_code(row.network)))
        else:  # answered in part ("reached", "could not"): no reminder; the rest may come within a week
            row.due_at = _utc(now + ANSWER_WITHIN)

    @staticmethod
    def _outcome(row: CheckInRow, reached: str) -> CheckInOutcomeRow:
        return CheckInOutcomeRow(
            day=row.agreed_on,
            week=iso_week(row.agreed_on),
            network=row.network,
            district=row.district,
            need=row.need,
            age_band=row.age_band,
            locale=row.locale,
            offer_id=row.offer_id,
            source="case" if row.case_id is not None else "offer",
            case_outcome=row.case_outcome,
            outcome=reached,
        )

    # ------------------------------------------------------------------ the scheduler

    def run(self, conversations: ConversationService, limit: int = BATCH) -> Round:
        """One round: ends what is over, then asks what is due now (each through the conversation service).

        The time is the conversation service's clock: the claim in the question's transaction reads it too."""
        uow, now = conversations.uow, conversations.services.now()
        with uow() as session:
            ended = self._end_over(session, now)
            due = session.execute(
                select(CheckInRow.id, CheckInRow.chat_key, CheckInRow.offer_title, CheckInRow.asks, CheckInRow.network)
                .where(
                    CheckInRow.due_at <= _utc(now),
                    or_(
                        CheckInRow.status == "scheduled",
                        and_(CheckInRow.status == "asked", CheckInRow.asks == 1, CheckInRow.outcome_id.is_(None)),
                    ),
                )
                .order_by(CheckInRow.due_at, CheckInRow.id)
                .limit(limit)
            ).all()
        asked = 0
        for checkin in due:
            if not in_window(now, self._state_code(checkin.network)):
                continue  # due at night or at the weekend: the next window
            with uow() as session:
                if self._unreachable(session, checkin.id):
                    ended += 1
                    continue
            try:
                outcome = conversations.handle(
                    checkin.chat_key, CheckInDue(checkin.id, checkin.offer_title, last=checkin.asks >= 1)
                )
            except CheckInTaken:
                continue  # another process asked it (or the family just deleted its data)
            except Exception:  # one check-in that fails must not hold up the others; it is tried again next round
                log.exception("check-in %s could not be asked", checkin.id)
                continue
            if any(isinstance(e, CheckInQuestion) for e in outcome.effects):
                asked += 1
            else:
                ended += 1
        if asked or ended:
            log.info("check-ins: %d asked, %d ended", asked, ended)
        return Round(asked, ended)

    def _end_over(self, session: Session, now: datetime) -> int:
        """Check-ins whose conversation is gone, and asked ones past their time (reminder used, or answered in
        part): the link goes; an unanswered one is counted as no answer."""
        orphans = session.execute(
            delete(CheckInRow).where(CheckInRow.chat_key.not_in(select(ConversationRow.chat_key)))
        ).rowcount
        over = session.scalars(
            select(CheckInRow).where(
                CheckInRow.status == "asked",
                CheckInRow.due_at <= _utc(now),
                or_(CheckInRow.asks >= 2, CheckInRow.outcome_id.is_not(None)),
            )
        ).all()
        return orphans + sum(self._end(session, row) for row in over)

    def _end(self, session: Session, row: CheckInRow) -> int:
        """Deletes the link (once, whichever process gets there first); no answer at all is an outcome too."""
        gone = session.execute(
            delete(CheckInRow).where(
                CheckInRow.id == row.id, CheckInRow.asks == row.asks, CheckInRow.status == row.status
            )
        ).rowcount
        if gone == 1 and row.outcome_id is None:
            session.add(self._outcome(row, "no_answer"))
        return int(gone == 1)

    def _unreachable(self, session: Session, checkin_id: int) -> bool:
        """A message to the family's chat since its consent was dropped as undeliverable (it blocked the bot,
        deleted the chat): the check-in ends unasked — nothing more is sent there."""
        row = session.get(CheckInRow, checkin_id)
        chat_id = family_chat_id(row.chat_key) if row else None
        if row is None or chat_id is None:
            return False
        dropped = session.scalar(
            select(OutboxRow.id).where(
                OutboxRow.chat_id == chat_id,
                OutboxRow.method == "sendMessage",
                OutboxRow.created_at >= _utc(row.created_at),
                OutboxRow.sent_at.is_not(None),
                OutboxRow.telegram_message_id.is_(None),
            )
        )
        if dropped is None:
            return False
        log.info("check-in %s ended: the family's chat cannot be reached", checkin_id)
        return bool(self._end(session, row))
