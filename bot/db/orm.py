"""The database schema as typed SQLAlchemy 2 ORM classes. Changes go through an Alembic migration."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Integer, SmallInteger, String, Text, Time
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class OrganizationRow(Base):
    """A provider (Träger), as in HSDS `organization`."""

    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)


class OfferRow(Base):
    """An offer, as in HSDS `service` with its `location`, `contact` and `schedule` folded in."""

    __tablename__ = "offers"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(120), unique=True)
    network: Mapped[str] = mapped_column(String(40), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    age_min_months: Mapped[int] = mapped_column(SmallInteger)
    age_max_months: Mapped[int] = mapped_column(SmallInteger)
    pregnancy: Mapped[bool] = mapped_column(Boolean, default=False)
    cost: Mapped[str] = mapped_column(String(10))
    cost_note: Mapped[str] = mapped_column(String(300), default="")
    step_free: Mapped[bool] = mapped_column(Boolean, default=False)
    childcare: Mapped[bool] = mapped_column(Boolean, default=False)
    access: Mapped[str] = mapped_column(String(12))
    phone: Mapped[str] = mapped_column(String(60), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    district: Mapped[str] = mapped_column(String(60))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    serves_whole_network: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    last_verified: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300), default="")
    example: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # HSDS 3 service fields (migration 0006)
    eligibility_description: Mapped[str] = mapped_column(Text, default="")
    application_process: Mapped[str] = mapped_column(Text, default="")
    required_documents: Mapped[str] = mapped_column(Text, default="")
    interpretation_services: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    closed_until: Mapped[date | None] = mapped_column(Date)
    alert: Mapped[str] = mapped_column(String(300), default="")
    free_places: Mapped[int | None] = mapped_column(Integer)
    free_places_counted: Mapped[date | None] = mapped_column(Date)
    assured_date: Mapped[date | None] = mapped_column(Date)
    assurer_email: Mapped[str] = mapped_column(String(200), default="")
    phone_around_the_clock: Mapped[bool] = mapped_column(Boolean, default=False)

    organization: Mapped[OrganizationRow] = relationship(lazy="joined")
    needs: Mapped[list[OfferNeedRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    languages: Mapped[list[OfferLanguageRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    service_areas: Mapped[list[ServiceAreaRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    opening_hours: Mapped[list[OpeningHoursRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    translations: Mapped[list[OfferTranslationRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class OfferNeedRow(Base):
    __tablename__ = "offer_needs"
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    need_id: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)


class OfferLanguageRow(Base):
    __tablename__ = "offer_languages"
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(12), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)


class ServiceAreaRow(Base):
    """A district an offer serves (HSDS `service_area`); offers for the whole network have none."""

    __tablename__ = "offer_service_areas"
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    district: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)


class OpeningHoursRow(Base):
    """One opening time span (HSDS `schedule`, weekly)."""

    __tablename__ = "opening_hours"
    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)


class OfferTranslationRow(Base):
    __tablename__ = "offer_translations"
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(12), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="")  # fingerprint of the German it was made from


class OfferGenerationRow(Base):
    """One row whose number goes up with every change to the offers, in the same transaction.

    Every bot process polls it (a one-row read) and rebuilds its offer index when the number moved, so an
    import is live in all processes within seconds without a restart or a message bus.
    """

    __tablename__ = "offer_generation"
    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConversationRow(Base):
    """One family's conversation state, read and written per update (no in-memory copy between updates).

    `version` makes concurrent writers from several bot processes safe: an update is saved only if nobody
    else saved in between (optimistic locking); otherwise it is handled again on the fresh state.
    """

    __tablename__ = "conversations"
    chat_key: Mapped[str] = mapped_column(String(80), primary_key=True)  # "telegram:<chat id>", "terminal:..."
    state: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CaseRow(Base):
    """A family's request for a person (Lotse), with what the family agreed to pass on."""

    __tablename__ = "cases"
    # AUTOINCREMENT on SQLite: a deleted case's id is never handed out again, so an old note's buttons can
    # never act on another family's new case (PostgreSQL's sequence never reuses ids anyway).
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(primary_key=True)
    chat_key: Mapped[str] = mapped_column(String(80), index=True)
    family_chat_id: Mapped[int | None] = mapped_column(BigInteger)  # Telegram chat of the family, to answer
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | claimed | closed
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(12))
    network: Mapped[str | None] = mapped_column(String(40))
    district: Mapped[str | None] = mapped_column(String(60))
    age_months: Mapped[int | None] = mapped_column(SmallInteger)
    children_months: Mapped[str] = mapped_column(String(60), default="")  # every child's age, "60,84" (0007)
    pregnant: Mapped[bool] = mapped_column(Boolean, default=False)
    needs: Mapped[str] = mapped_column(String(200), default="")
    offers_shown: Mapped[str] = mapped_column(Text, default="")
    family_words: Mapped[str] = mapped_column(Text, default="")  # the family's own words, only for this case
    contact_time: Mapped[str | None] = mapped_column(String(20))  # morning | afternoon | evening | any
    consent_version: Mapped[str] = mapped_column(String(20))
    consent_at: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    group_chat_id: Mapped[int | None] = mapped_column(BigInteger)  # the Lotsen group the note went to
    note_message_id: Mapped[int | None] = mapped_column(BigInteger)
    topic_id: Mapped[int | None] = mapped_column(BigInteger)  # its own topic in a forum group (0010)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("lotsen.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_raised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(24))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    followup: Mapped[str | None] = mapped_column(String(40))  # the family's check-in answer: "reached:yes" (0008)


class LotseRow(Base):
    """A registered Lotse (navigator). Only registered Lotsen may claim, read or answer cases."""

    __tablename__ = "lotsen"
    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(80))  # first name or role, shown to families
    districts: Mapped[str] = mapped_column(String(500), default="")  # district ids, comma-separated
    languages: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LotsenGroupRow(Base):
    """A Telegram group of Lotsen for a network, district or language (routing); the default is LOTSEN_CHAT_ID."""

    __tablename__ = "lotsen_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    network: Mapped[str | None] = mapped_column(String(40))
    district: Mapped[str | None] = mapped_column(String(60))
    language: Mapped[str | None] = mapped_column(String(12))


class LotsenBoardRow(Base):
    """A message the bot keeps up to date in a Lotsen chat instead of posting a new one each time: the case
    list (`faelle`), a Lotse's own cases (`meine`, owner = their Telegram id), one case (`fall`) and the
    digest of waiting cases (`wartet`, sent through the outbox: `outbox_id` until Telegram gave its id)."""

    __tablename__ = "lotsen_boards"
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    owner: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=0)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    outbox_id: Mapped[int | None] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(Integer)  # `fall`: the case shown (no foreign key: cases go)
    shown: Mapped[str] = mapped_column(String(500), default="")  # `wartet`: the case ids listed, "12,13"
    thread_id: Mapped[int | None] = mapped_column(BigInteger)  # the forum topic it is shown in (0010)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OfficeHoursRow(Base):
    """When Lotsen answer, per network (weekday 0 = Monday); public holidays of the state are closed."""

    __tablename__ = "office_hours"
    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(40), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)


class OutboxRow(Base):
    """A message to Telegram, written before it is sent and retried until Telegram accepts it (once)."""

    __tablename__ = "outbox"
    # Never reused either: a sender still holding a leased row must not mark a newer row with its id as sent.
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    method: Mapped[str] = mapped_column(String(30), default="sendMessage")  # sendMessage | editMessageText
    payload: Mapped[str] = mapped_column(Text)  # JSON: text, buttons, reply_to, message_id; blanked once sent
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # note | claim | relay | family | reminder | close
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)


class ProcessedUpdateRow(Base):
    """An update from Telegram that was handled, written in the same transaction as its effects.

    Telegram delivers an update again when it did not see our confirmation (a webhook timeout, a getUpdates
    offset not yet confirmed, a process killed mid-update); the second delivery finds its key here and does
    nothing. `key` is "u:<bot id>:<update_id>", or "q:<callback query id>" for button presses. Rows older
    than Telegram's redelivery window are deleted (see outbox.forget_processed_updates).
    """

    __tablename__ = "processed_updates"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class RelayLinkRow(Base):
    """Which case a message in a Lotsen chat belongs to, so a Lotse's reply reaches the right family."""

    __tablename__ = "relay_links"
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)


class DemandEventRow(Base):
    """Anonymous demand statistics: what was asked and what came of it. No chat, no person, no text.

    Kept when conversations and cases are deleted, so the networks can see gaps over time.
    """

    __tablename__ = "demand_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    week: Mapped[str] = mapped_column(String(8), index=True)  # ISO week, "2026-W47"
    network: Mapped[str | None] = mapped_column(String(40))
    district: Mapped[str | None] = mapped_column(String(60))
    need: Mapped[str | None] = mapped_column(String(20))
    age_band: Mapped[str | None] = mapped_column(String(12))  # pregnancy | 0-2 | 3-5 | 6-9 | 10-13 | 14-17
    locale: Mapped[str | None] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(12), default="telegram")
    entry: Mapped[str | None] = mapped_column(String(32))  # poster/QR source from the deep link
    outcome: Mapped[str] = mapped_column(String(24))  # found | nothing_fits | handed_over | claimed | closed:<outcome>
    minutes_to_claim: Mapped[float | None] = mapped_column(Float)


class CheckInRow(Base):
    """A check-in a family agreed to, while it runs: the link to the chat and the offer's title for the question.

    Deleted with the conversation (/delete, retention) and as soon as the check-in is over; what it found out
    stays anonymous in CheckInOutcomeRow. `status`: scheduled (waits for `due_at`) or asked (`due_at` is then
    when the one reminder, or the end, comes)."""

    __tablename__ = "checkins"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(primary_key=True)
    chat_key: Mapped[str] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    asks: Mapped[int] = mapped_column(SmallInteger, default=0)  # questions sent: the first, then one reminder
    offer_id: Mapped[str | None] = mapped_column(String(120))  # None: about a Lotse's closed case
    offer_title: Mapped[str] = mapped_column(String(300), default="")
    case_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: cases are deleted on their own
    case_outcome: Mapped[str | None] = mapped_column(String(24))
    network: Mapped[str | None] = mapped_column(String(40))
    district: Mapped[str | None] = mapped_column(String(60))
    need: Mapped[str | None] = mapped_column(String(20))
    age_band: Mapped[str | None] = mapped_column(String(12))
    locale: Mapped[str | None] = mapped_column(String(12))
    agreed_on: Mapped[date] = mapped_column(Date)
    outbox_id: Mapped[int | None] = mapped_column(Integer)  # the last question queued (dropped: unreachable)
    outcome_id: Mapped[int | None] = mapped_column(Integer)  # its anonymous outcome, once the family answered
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CheckInOutcomeRow(Base):
    """What a check-in found out, anonymous like DemandEventRow: no chat, no person, no text; kept after /delete.

    outcome: reached | not_yet | could_not | no_answer; helped: yes | partly | no; reason: busy | no_place |
    language | too_far | not_eligible | other | no_help. `day`/`week`: when the family agreed (its search)."""

    __tablename__ = "checkin_outcomes"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    week: Mapped[str] = mapped_column(String(8), index=True)
    network: Mapped[str | None] = mapped_column(String(40))
    district: Mapped[str | None] = mapped_column(String(60))
    need: Mapped[str | None] = mapped_column(String(20))
    age_band: Mapped[str | None] = mapped_column(String(12))
    locale: Mapped[str | None] = mapped_column(String(12))
    offer_id: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(8))  # offer | case
    case_outcome: Mapped[str | None] = mapped_column(String(24))  # the Lotse's outcome of that case
    outcome: Mapped[str] = mapped_column(String(12))
    helped: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(16))
