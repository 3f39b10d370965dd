"""Running the conversation core against the database: load state, handle, save — once per update.

State is read and written per update, guarded by a version number, so a restart resumes every conversation
and several bot processes sharing one PostgreSQL serve one family's messages consistently: when two updates
of the same chat race, the loser handles its event again on the winner's state.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bot.conversation import Event, Outcome, Services, State, handle
from bot.conversation.model import (
    CaseClosed,
    ContactTimeGiven,
    CountRequest,
    DeleteMyData,
    Effect,
    EscalateCase,
    RateHelp,
    RelayToLotse,
    RequestHandover,
)
from bot.db.engine import UnitOfWork
from bot.db.orm import CaseRow, ConversationRow
from bot.services import statistics
from bot.services.followups import FollowUps
from bot.services.handover import HandoverService, family_chat_id
from bot.services.outbox import enqueue_replies, first_delivery, forget_chat

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
DATABASE_PATIENCE = 20.0  # seconds an update waits for the database to come back before it fails


class ConcurrentUpdateError(RuntimeError):
    """The same conversation kept changing under us (should not happen with per-chat ordering)."""


class ConversationService:
    def __init__(
        self, uow: UnitOfWork, services: Services, handover: HandoverService, followups: FollowUps | None = None
    ) -> None:
        self.uow = uow
        self.services = services
        self.handover = handover
        self.followups = followups or FollowUps(services.knowledge)  # the check-ins a family agreed to
        handover.closed_hooks.append(self.case_closed)

    def case_closed(self, chat_key: str) -> None:
        """A Lotse closed the family's case: the core hears CaseClosed (its replies are not sent — the family
        already gets the closing message with the rating from the handover service)."""
        self.handle(chat_key, CaseClosed())

    def state_of(self, chat_key: str) -> State:
        with self.uow() as session:
            row = session.get(ConversationRow, chat_key)
            return State.from_json(json.loads(row.state)) if row else State()

    def erase(self, chat_key: str) -> None:
        """Forget a conversation and its cases (what /delete does, also used by the terminal at exit)."""
        with self.uow() as session:
            self._erase(session, chat_key, self.handover)
            self.followups.erase(session, chat_key)
        self.uow.scrub()

    def handle(
        self, chat_key: str, event: Event, update_key: str | None = None, *, reply_to_chat: int | None = None
    ) -> Outcome:
        """Handle one event for one chat; waits out a database that is briefly away (restart, failover).

        `update_key` names the Telegram update the event came from: a second delivery of it changes nothing
        and gets no replies (see outbox.first_delivery). With `reply_to_chat`, the replies are queued in the
        outbox for that Telegram chat in the same transaction (the channel then only wakes the sender); they
        are returned all the same."""
        deadline = time.monotonic() + DATABASE_PATIENCE
        while True:
            try:
                outcome = self._handle(chat_key, event, update_key, reply_to_chat)
                if any(isinstance(e, DeleteMyData) for e in outcome.effects):
                    self.uow.scrub()  # committed: now the deleted words leave SQLite's WAL as well
                return outcome
            except OperationalError:
                if time.monotonic() >= deadline:
                    raise
                log.warning("database unavailable, retrying (%s)", pseudonym(chat_key))
                time.sleep(0.5)

    def _handle(
        self, chat_key: str, event: Event, update_key: str | None = None, reply_to_chat: int | None = None
    ) -> Outcome:
        """Handle one event for one chat and persist the result in the same transaction as its effects."""
        for _attempt in range(MAX_ATTEMPTS):
            with self.uow() as session:
                row = session.execute(
                    select(ConversationRow.state, ConversationRow.version).where(ConversationRow.chat_key == chat_key)
                ).first()
                state = State.from_json(json.loads(row.state)) if row else State()
                if (
                    state.case_open
                    and not isinstance(event, CaseClosed)
                    and self.handover.open_case_of(session, chat_key) is None
                ):
                    # closed meanwhile (another process, an admin script, a missed hook): tell the core first
                    state = handle(state, CaseClosed(), self.services).state
                outcome = handle(state, event, self.services)
                now = datetime.now(UTC)
                # The first write only now, after the core's work: on SQLite it takes the database's one write
                # lock, and every other writer (the outbox recording what Telegram accepted) waits behind it.
                if not first_delivery(session, update_key, now):
                    log.info("update delivered again, ignored (%s)", pseudonym(chat_key))
                    return Outcome(state, ())
                session.expire_all()  # what was read before the core's work may have changed (a claim): read again
                if any(isinstance(e, DeleteMyData) for e in outcome.effects):
                    self._erase(session, chat_key, self.handover)
                    self.followups.erase(session, chat_key)
                    log.info("conversation erased on request (%s)", pseudonym(chat_key))
                    if reply_to_chat is not None:  # after the erasing: "deleted" is the chat's one message left
                        enqueue_replies(session, reply_to_chat, outcome.replies, now)
                    return outcome
                if reply_to_chat is not None:  # before the effects' messages: the answer first, then notices
                    enqueue_replies(session, reply_to_chat, outcome.replies, now)
                for effect in outcome.effects:
                    self._apply(session, chat_key, outcome.state, effect)
                payload = json.dumps(outcome.state.to_json(), ensure_ascii=False, separators=(",", ":"))
                try:
                    if row is None:
                        session.execute(
                            insert(ConversationRow).values(chat_key=chat_key, state=payload, version=1, updated_at=now)
                        )
                        session.flush()
                    else:
                        saved = session.execute(
                            update(ConversationRow)
                            .where(ConversationRow.chat_key == chat_key, ConversationRow.version == row.version)
                            .values(state=payload, version=row.version + 1, updated_at=now)
                        )
                        if saved.rowcount != 1:
                            session.rollback()
                            continue
                except IntegrityError:
                    session.rollback()
                    continue
                log.info("handled %s -> %s (%s)", type(event).__name__, outcome.state.step, pseudonym(chat_key))
                return outcome
        raise ConcurrentUpdateError(f"conversation {pseudonym(chat_key)} changed {MAX_ATTEMPTS} times in a row")

    def _apply(self, session: Session, chat_key: str, state: State, effect: Effect) -> None:
        """Carries out one effect of the core in the conversation's transaction (so both happen or neither)."""
        channel = chat_key.split(":", 1)[0]
        stats = dict(
            day=self.services.now().date(),
            network=state.network_id,
            district=state.district_id,
            need=state.needs[0] if state.needs else None,
            age_months=state.age_months,
            pregnant=state.pregnant,
            locale=state.locale,
            channel=channel,
            entry=state.entry,
        )
        if isinstance(effect, CountRequest):
            statistics.record(session, outcome=effect.outcome, **stats)
        elif isinstance(effect, RequestHandover):
            self.handover.open_case(session, chat_key, state, effect)
            statistics.record(session, outcome="handed_over", **stats)
        elif isinstance(effect, ContactTimeGiven):
            self.handover.contact_time_given(session, chat_key, effect)
        elif isinstance(effect, EscalateCase):
            self.handover.escalate(session, chat_key, effect)
        elif isinstance(effect, RelayToLotse):
            self.handover.family_wrote(session, chat_key, effect.text)
        elif isinstance(effect, RateHelp):
            self.handover.rate(session, chat_key, effect.stars)
        elif isinstance(effect, FollowUps.EFFECTS):
            self.followups.apply(session, chat_key, state, effect, self.services.now())

    @staticmethod
    def _erase(session: Session, chat_key: str, handover: HandoverService) -> None:
        handover.erase_from_group(session, chat_key)  # the Lotsen group keeps no words of the family either
        chat_id = family_chat_id(chat_key)
        if chat_id is not None:
            forget_chat(session, chat_id)  # replies not sent yet, and the chat id of those that were
        session.execute(delete(CaseRow).where(CaseRow.chat_key == chat_key))
        session.execute(delete(ConversationRow).where(ConversationRow.chat_key == chat_key))


def pseudonym(chat_key: str) -> str:
    """Logs carry a short, stable pseudonym of the chat, never the chat id itself."""
    return hashlib.blake2s(chat_key.encode(), digest_size=4).hexdigest()
