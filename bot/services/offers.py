"""Storing offers: the repository that maps rows to domain offers, and the all-or-nothing import."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from bot.db.engine import UnitOfWork
from bot.db.orm import (
    Base,
    OfferGenerationRow,
    OfferLanguageRow,
    OfferNeedRow,
    OfferRow,
    OfferTranslationRow,
    OpeningHoursRow,
    OrganizationRow,
    ServiceAreaRow,
)
from bot.domain.offers import WHOLE_NETWORK, Access, Cost, Offer, OpeningSlot, Status, Translation

_T = TypeVar("_T")


_CHILD_TABLES = (OfferNeedRow, OfferLanguageRow, ServiceAreaRow, OpeningHoursRow, OfferTranslationRow)
_CHUNK = 5_000  # ids per IN (...) list: below every database's limit on bound parameters


def _chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _row_values(offer: Offer, organization_id: int, now: datetime) -> dict[str, object]:
    """The `offers` row of an offer, as column -> value."""
    return {
        "external_id": offer.external_id,
        "network": offer.network,
        "organization_id": organization_id,
        "title": offer.title,
        "description": offer.description,
        "age_min_months": offer.age_min_months,
        "age_max_months": offer.age_max_months,
        "pregnancy": offer.pregnancy,
        "cost": offer.cost.value,
        "cost_note": offer.cost_note,
        "step_free": offer.step_free,
        "childcare": offer.childcare,
        "access": offer.access.value,
        "phone": offer.phone,
        "email": offer.email,
        "website": offer.website,
        "address": offer.address,
        "district": offer.district,
        "latitude": offer.latitude,
        "longitude": offer.longitude,
        "serves_whole_network": offer.serves_whole_network,
        "valid_from": offer.valid_from,
        "valid_until": offer.valid_until,
        "last_verified": offer.last_verified,
        "source": offer.source,
        "example": offer.example,
        "updated_at": now,
        "eligibility_description": offer.eligibility_description,
        "application_process": offer.application_process,
        "required_documents": offer.required_documents,
        "interpretation_services": offer.interpretation_services,
        "status": offer.status.value,
        "closed_until": offer.closed_until,
        "alert": offer.alert,
        "free_places": offer.free_places,
        "free_places_counted": offer.free_places_counted,
        "assured_date": offer.assured_date,
        "assurer_email": offer.assurer_email,
        "phone_around_the_clock": offer.phone_around_the_clock,
    }


def _child_values(offer: Offer, offer_id: int) -> dict[type[Base], list[dict[str, object]]]:
    """The rows of the child tables (needs, languages, areas, hours, translations) of one offer."""
    return {
        OfferNeedRow: [{"offer_id": offer_id, "need_id": n, "position": i} for i, n in enumerate(offer.needs)],
        OfferLanguageRow: [
            {"offer_id": offer_id, "language": la, "position": i} for i, la in enumerate(offer.languages)
        ],
        ServiceAreaRow: []
        if offer.serves_whole_network
        else [{"offer_id": offer_id, "district": d, "position": i} for i, d in enumerate(offer.districts_served)],
        OpeningHoursRow: [
            {"offer_id": offer_id, "weekday": s.weekday, "opens": s.opens, "closes": s.closes}
            for s in offer.opening_hours
        ],
        OfferTranslationRow: [
            {"offer_id": offer_id, "language": lang, "title": t.title, "summary": t.summary, "source": t.source}
            for lang, t in offer.translations.items()
        ],
    }


_OFFER_COLUMNS = (
    "id", "external_id", "network", "title", "description", "age_min_months", "age_max_months", "pregnancy",
    "cost", "cost_note", "step_free", "childcare", "access", "phone", "email", "website", "address", "district",
    "latitude", "longitude", "serves_whole_network", "valid_from", "valid_until", "last_verified", "source",
    "example", "eligibility_description", "application_process", "required_documents", "interpretation_services",
    "status", "closed_until", "alert", "free_places", "free_places_counted", "assured_date", "assurer_email",
    "phone_around_the_clock",
)  # fmt: skip


# Rows in batches (a server-side cursor on PostgreSQL): a driver converting 500,000 rows in one call would hold
# the interpreter lock, and so every family's request, for as long.
_STREAMED = {"yield_per": 10_000}


class _Shared(dict[Any, Any]):
    """One object for equal values: 100,000 offers copied from a few templates share their slots and words."""

    def __missing__(self, key: Any) -> Any:
        self[key] = key
        return key


class OfferRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self, network: str | None = None, ids: Sequence[str] | None = None) -> list[Offer]:
        """Every offer (of a network, or with these external ids), ordered by external id.

        Plain Core selects of the needed columns, one per table, assembled in one pass: 100,000 offers in
        seconds, where loading ORM objects with their relationships took about two minutes.
        """
        offers = OfferRow.__table__
        wanted: list[Any] = []
        if network:
            wanted.append(offers.c.network == network)
        if ids is not None:
            found: list[Offer] = []
            for chunk in _chunks(sorted(set(ids))):
                found += self._load([*wanted, offers.c.external_id.in_(chunk)])
            return sorted(found, key=lambda o: o.external_id)
        return self._load(wanted)

    def _load(self, where: list[Any]) -> list[Offer]:
        offers, organizations = OfferRow.__table__, OrganizationRow.__table__
        rows = self.session.execute(
            select(*(offers.c[name] for name in _OFFER_COLUMNS), organizations.c.name.label("organization"))
            .join(organizations, organizations.c.id == offers.c.organization_id)
            .where(*where)
            .order_by(offers.c.external_id),
            execution_options=_STREAMED,
        ).all()
        if not rows:
            return []
        chosen = select(offers.c.id).where(*where) if where else None

        def children(table: Any, *columns: str, order: tuple[str, ...] = ("position",)) -> dict[int, list[Any]]:
            query = select(table.c.offer_id, *(table.c[c] for c in columns))
            if chosen is not None:
                query = query.where(table.c.offer_id.in_(chosen))
            grouped: dict[int, list[Any]] = {}
            result = self.session.execute(
                query.order_by(table.c.offer_id, *(table.c[c] for c in order)), execution_options=_STREAMED
            )
            for rows in result.partitions():
                if len(columns) == 1:
                    for offer_id, value in rows:
                        grouped.setdefault(offer_id, []).append(value)
                else:
                    for row in rows:
                        grouped.setdefault(row[0], []).append(row[1:])
            return grouped

        shared = _Shared()  # equal tuples, slots and translations become one object each
        needs = children(OfferNeedRow.__table__, "need_id")
        languages = children(OfferLanguageRow.__table__, "language")
        areas = children(ServiceAreaRow.__table__, "district")
        hours = children(OpeningHoursRow.__table__, "weekday", "opens", "closes", order=("weekday", "opens"))
        translations = children(
            OfferTranslationRow.__table__, "language", "title", "summary", "source", order=("language",)
        )
        whole = (WHOLE_NETWORK,)
        result = []
        for row in rows:
            key = row.id
            result.append(
                Offer(
                    external_id=row.external_id,
                    network=row.network,
                    title=row.title,
                    organization=row.organization,
                    description=row.description,
                    needs=shared[tuple(needs.get(key, ()))],
                    age_min_months=row.age_min_months,
                    age_max_months=row.age_max_months,
                    pregnancy=row.pregnancy,
                    cost=Cost(row.cost),
                    cost_note=row.cost_note,
                    languages=shared[tuple(languages.get(key, ()))],
                    step_free=row.step_free,
                    childcare=row.childcare,
                    access=Access(row.access),
                    phone=row.phone,
                    email=row.email,
                    website=row.website,
                    address=row.address,
                    district=row.district,
                    latitude=row.latitude,
                    longitude=row.longitude,
                    districts_served=whole if row.serves_whole_network else shared[tuple(areas.get(key, ()))],
                    opening_hours=shared[tuple(shared[OpeningSlot(*slot)] for slot in hours.get(key, ()))],
                    valid_from=row.valid_from,
                    valid_until=row.valid_until,
                    last_verified=row.last_verified,
                    source=row.source,
                    example=row.example,
                    translations={
                        lang: shared[Translation(title, summary, source)]
                        for lang, title, summary, source in translations.get(key, ())
                    },
                    eligibility_description=row.eligibility_description,
                    application_process=row.application_process,
                    required_documents=row.required_documents,
                    interpretation_services=row.interpretation_services,
                    status=Status(row.status),
                    closed_until=row.closed_until,
                    alert=row.alert,
                    free_places=row.free_places,
                    free_places_counted=row.free_places_counted,
                    assured_date=row.assured_date,
                    assurer_email=row.assurer_email,
                    phone_around_the_clock=row.phone_around_the_clock,
                )
            )
        return result

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(OfferRow)) or 0

    def _organization_ids(self, names: Iterable[str]) -> dict[str, int]:
        """The id of every named provider (Träger), created where missing."""
        wanted = sorted(set(names))
        found: dict[str, int] = {}
        for chunk in _chunks(wanted):
            query = select(OrganizationRow.name, OrganizationRow.id).where(OrganizationRow.name.in_(chunk))
            found.update(self.session.execute(query).tuples().all())
        missing = [{"name": name} for name in wanted if name not in found]
        if missing:
            query = insert(OrganizationRow).returning(OrganizationRow.name, OrganizationRow.id)
            found.update(self.session.execute(query, missing).tuples().all())
        return found

    def add_all(self, offers: Sequence[Offer]) -> None:
        """Insert new offers in a few bulk statements: a first import of 100,000 offers takes seconds.

        None of the external ids may exist yet (`plan_import`'s `added`; `save` replaces)."""
        if not offers:
            return
        organization_ids = self._organization_ids(o.organization for o in offers)
        now = datetime.now(UTC)
        # Core statements on the session's connection: the ORM's bulk path splices RETURNING rows batch by
        # batch (quadratic: 160 s for 100,000 offers), Core's executemany does not.
        connection = self.session.connection()
        offers_table = OfferRow.__table__
        offer_ids: dict[str, int] = {}
        for chunk in _chunks(offers):
            inserted = connection.execute(
                insert(offers_table).returning(offers_table.c.external_id, offers_table.c.id),
                [_row_values(o, organization_ids[o.organization], now) for o in chunk],
            )
            offer_ids.update(inserted.tuples().all())
        children: dict[type[Base], list[dict[str, object]]] = {table: [] for table in _CHILD_TABLES}
        for offer in offers:
            for table, rows in _child_values(offer, offer_ids[offer.external_id]).items():
                children[table] += rows
        for table, rows in children.items():
            if rows:
                connection.execute(insert(table.__table__), rows)

    def save(self, offers: Sequence[Offer]) -> None:
        """Insert the offers, replacing those with the same external ids."""
        self._delete([o.external_id for o in offers])
        self.add_all(offers)

    def remove(self, external_ids: Iterable[str]) -> None:
        """Delete these offers, and providers left without an offer."""
        if self._delete(list(external_ids)):
            self.drop_unused_organizations()

    def drop_unused_organizations(self) -> None:
        self.session.execute(delete(OrganizationRow).where(~OrganizationRow.id.in_(select(OfferRow.organization_id))))

    def _delete(self, external_ids: Sequence[str]) -> int:
        deleted = 0
        for chunk in _chunks(external_ids):
            chosen = select(OfferRow.id).where(OfferRow.external_id.in_(chunk)).scalar_subquery()
            for table in _CHILD_TABLES:  # also where a database runs without ON DELETE CASCADE (SQLite pragma)
                self.session.execute(delete(table).where(table.offer_id.in_(chosen)))
            deleted += self.session.execute(delete(OfferRow).where(OfferRow.external_id.in_(chunk))).rowcount  # type: ignore[attr-defined]
        return deleted


def bump_generation(session: Session) -> None:
    """Tell every running bot that the offers changed: one counter, written in the offers' own transaction,
    so a process sees the new number only together with the new offers (never one without the other)."""
    changed = session.execute(
        update(OfferGenerationRow)
        .where(OfferGenerationRow.id == 1)
        .values(generation=OfferGenerationRow.generation + 1, changed_at=datetime.now(UTC))
    )
    if changed.rowcount == 0:  # type: ignore[attr-defined]  # a database from before migration 0006's insert
        session.add(OfferGenerationRow(id=1, generation=1, changed_at=datetime.now(UTC)))


def current_generation(session: Session) -> int:
    return session.scalar(select(OfferGenerationRow.generation).where(OfferGenerationRow.id == 1)) or 0


REMOVAL_LIMIT = 0.10  # an import may remove at most this share of a network's offers without --allow-removals


@dataclass(frozen=True)
class GuardedRemoval:
    network: str
    removing: int
    existing: int

    @property
    def share(self) -> float:
        return self.removing / self.existing if self.existing else 0.0


@dataclass
class ImportPlan:
    added: list[Offer] = field(default_factory=list)
    changed: list[tuple[Offer, Offer]] = field(default_factory=list)  # (before, after)
    removed: list[Offer] = field(default_factory=list)
    unchanged: int = 0
    guarded: list[GuardedRemoval] = field(default_factory=list)  # networks losing more than REMOVAL_LIMIT
    stale: list[tuple[Offer, tuple[str, ...]]] = field(default_factory=list)  # translations now outdated

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


class RemovalsNeedConsent(ValueError):
    """The import would remove more than REMOVAL_LIMIT of a network's offers: nothing was changed."""

    def __init__(self, plan: ImportPlan) -> None:
        self.plan = plan
        parts = [
            f"{g.removing} von {g.existing} Angeboten in {g.network} ({g.share:.0%})" for g in plan.guarded
        ]
        super().__init__(
            f"der Import würde {'; '.join(parts)} entfernen — nichts geändert; "
            "wenn das so gewollt ist: --allow-removals (Liste mit --dry-run)"
        )


def _keep_translation_sources(offer: Offer, before: Offer | None) -> Offer:
    """Give every translation the fingerprint of the German it was made from.

    A file rarely carries fingerprints: a translation whose words are unchanged keeps the one it had (so a
    changed German text makes it stale); a new or reworded translation is taken as made from the current German.
    """
    fresh = offer.german_fingerprint
    translations = {}
    for lang, t in offer.translations.items():
        if t.source:
            translations[lang] = t
            continue
        old = before.translations.get(lang) if before else None
        if old is not None and (old.title, old.summary) == (t.title, t.summary):
            source = old.source or before.german_fingerprint  # type: ignore[union-attr]
        else:
            source = fresh
        translations[lang] = replace(t, source=source)
    return replace(offer, translations=translations)


def plan_import(session: Session, offers: Sequence[Offer], *, prune: bool = True) -> ImportPlan:
    """What importing `offers` would do. With prune, offers of the same networks missing from the file go."""
    existing = {o.external_id: o for o in OfferRepository(session).all()}
    plan = ImportPlan()
    for incoming in offers:
        before = existing.get(incoming.external_id)
        offer = _keep_translation_sources(incoming, before)
        if before is None:
            plan.added.append(offer)
        elif before != offer:
            plan.changed.append((before, offer))
        else:
            plan.unchanged += 1
        if offer.stale_translations:
            plan.stale.append((offer, offer.stale_translations))
    if prune:
        incoming_ids = {o.external_id for o in offers}
        networks = {o.network for o in offers}
        plan.removed = [o for key, o in existing.items() if key not in incoming_ids and o.network in networks]
        for network in sorted(networks):
            removing = sum(1 for o in plan.removed if o.network == network)
            total = sum(1 for o in existing.values() if o.network == network)
            if total and removing / total > REMOVAL_LIMIT:
                plan.guarded.append(GuardedRemoval(network, removing, total))
    return plan


def import_offers(
    uow: UnitOfWork,
    offers: Sequence[Offer],
    *,
    prune: bool = True,
    dry_run: bool = False,
    allow_removals: bool = False,
) -> ImportPlan:
    """Apply an import in one transaction: everything or nothing.

    Raises RemovalsNeedConsent (changing nothing) when more than REMOVAL_LIMIT of a network's offers would
    go, unless `allow_removals`; a dry run never raises and reports the guarded networks in the plan.
    """
    with uow() as session:
        plan = plan_import(session, offers, prune=prune)
        if dry_run:
            session.rollback()
            return plan
        if plan.guarded and not allow_removals:
            raise RemovalsNeedConsent(plan)
        repo = OfferRepository(session)
        repo.add_all(plan.added)
        repo.save([after for _, after in plan.changed])
        repo.remove(o.external_id for o in plan.removed)
        if not plan.is_empty:
            repo.drop_unused_organizations()
            bump_generation(session)
    return plan


def confirm_offers(uow: UnitOfWork, *, provider: str | None, ids: Sequence[str], on: date, by: str) -> list[Offer]:
    """Set the assured date (and who assured) of a provider's offers or of the given ids: "still valid"."""
    with uow() as session:
        query = select(OfferRow.external_id)
        if provider:
            query = query.join(OrganizationRow).where(func.lower(OrganizationRow.name) == provider.strip().lower())
        if ids:
            query = query.where(OfferRow.external_id.in_(list(ids)))
        chosen = list(session.scalars(query))
        values: dict[str, object] = {"assured_date": on, "last_verified": on, "updated_at": datetime.now(UTC)}
        if by:
            values["assurer_email"] = by
        for chunk in _chunks(chosen):
            session.execute(update(OfferRow).where(OfferRow.external_id.in_(chunk)).values(**values))
        if chosen:
            bump_generation(session)
        return OfferRepository(session).all(ids=chosen)


def stale_offers(offers: Iterable[Offer], days: int, today: date) -> list[tuple[Offer, str]]:
    """Offers not verified for `days` days, expired, or never verified — each with the reason."""
    limit = today - timedelta(days=days)
    stale: list[tuple[Offer, str]] = []
    for offer in offers:
        if offer.valid_until is not None and offer.valid_until < today:
            stale.append((offer, f"abgelaufen am {offer.valid_until.isoformat()}"))
        elif offer.stale_translations:
            outdated = ", ".join(offer.stale_translations)
            stale.append((offer, f"Übersetzung(en) veraltet: {outdated} (deutscher Text geändert)"))
        elif offer.last_verified is None:
            stale.append((offer, "nie geprüft"))
        elif offer.last_verified < limit:
            stale.append((offer, f"zuletzt geprüft am {offer.last_verified.isoformat()}"))
    return stale
