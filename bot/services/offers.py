"""Storing offers: the repository that maps rows to domain offers, and the all-or-nothing import."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.db.engine import UnitOfWork
from bot.db.orm import (
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


def offer_from_row(row: OfferRow) -> Offer:
    return Offer(
        external_id=row.external_id,
        network=row.network,
        title=row.title,
        organization=row.organization.name,
        description=row.description,
        needs=tuple(n.need_id for n in sorted(row.needs, key=lambda n: n.position)),
        age_min_months=row.age_min_months,
        age_max_months=row.age_max_months,
        pregnancy=row.pregnancy,
        cost=Cost(row.cost),
        cost_note=row.cost_note,
        languages=tuple(la.language for la in sorted(row.languages, key=lambda la: la.position)),
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
        districts_served=(WHOLE_NETWORK,)
        if row.serves_whole_network
        else tuple(a.district for a in sorted(row.service_areas, key=lambda a: a.position)),
        opening_hours=tuple(sorted(OpeningSlot(h.weekday, h.opens, h.closes) for h in row.opening_hours)),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        last_verified=row.last_verified,
        source=row.source,
        example=row.example,
        translations={
            t.language: Translation(t.title, t.summary, t.source)
            for t in sorted(row.translations, key=lambda t: t.language)
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


def _fill_row(row: OfferRow, offer: Offer, organization: OrganizationRow) -> None:
    row.external_id = offer.external_id
    row.network = offer.network
    row.organization = organization
    row.title = offer.title
    row.description = offer.description
    row.age_min_months = offer.age_min_months
    row.age_max_months = offer.age_max_months
    row.pregnancy = offer.pregnancy
    row.cost = offer.cost.value
    row.cost_note = offer.cost_note
    row.step_free = offer.step_free
    row.childcare = offer.childcare
    row.access = offer.access.value
    row.phone, row.email, row.website = offer.phone, offer.email, offer.website
    row.address, row.district = offer.address, offer.district
    row.latitude, row.longitude = offer.latitude, offer.longitude
    row.serves_whole_network = offer.serves_whole_network
    row.valid_from, row.valid_until, row.last_verified = offer.valid_from, offer.valid_until, offer.last_verified
    row.source, row.example = offer.source, offer.example
    row.eligibility_description = offer.eligibility_description
    row.application_process = offer.application_process
    row.required_documents = offer.required_documents
    row.interpretation_services = offer.interpretation_services
    row.status, row.closed_until, row.alert = offer.status.value, offer.closed_until, offer.alert
    row.free_places, row.free_places_counted = offer.free_places, offer.free_places_counted
    row.assured_date, row.assurer_email = offer.assured_date, offer.assurer_email
    row.phone_around_the_clock = offer.phone_around_the_clock
    row.updated_at = datetime.now(UTC)
    row.needs = [OfferNeedRow(need_id=n, position=i) for i, n in enumerate(offer.needs)]
    row.languages = [OfferLanguageRow(language=la, position=i) for i, la in enumerate(offer.languages)]
    row.service_areas = (
        []
        if offer.serves_whole_network
        else [ServiceAreaRow(district=d, position=i) for i, d in enumerate(offer.districts_served)]
    )
    row.opening_hours = [
        OpeningHoursRow(weekday=s.weekday, opens=s.opens, closes=s.closes) for s in offer.opening_hours
    ]
    row.translations = [
        OfferTranslationRow(language=lang, title=t.title, summary=t.summary, source=t.source)
        for lang, t in offer.translations.items()
    ]


class OfferRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self, network: str | None = None) -> list[Offer]:
        query = select(OfferRow).order_by(OfferRow.external_id)
        if network:
            query = query.where(OfferRow.network == network)
        return [offer_from_row(row) for row in self.session.scalars(query).unique()]

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(OfferRow)) or 0

    def _organization(self, name: str) -> OrganizationRow:
        organization = self.session.scalar(select(OrganizationRow).where(OrganizationRow.name == name))
        if organization is None:
            organization = OrganizationRow(name=name)
            self.session.add(organization)
        return organization

    def save(self, offer: Offer) -> None:
        """Insert or replace the offer with this external id."""
        organization = self._organization(offer.organization)
        row = self.session.scalar(select(OfferRow).where(OfferRow.external_id == offer.external_id))
        if row is None:
            row = OfferRow()
            _fill_row(row, offer, organization)
            self.session.add(row)
        else:
            # child rows are replaced wholesale; flush the deletes before the new primary keys arrive
            row.needs, row.languages, row.service_areas, row.opening_hours, row.translations = [], [], [], [], []
            self.session.flush()
            _fill_row(row, offer, organization)
        self.session.flush()

    def remove(self, external_ids: Iterable[str]) -> None:
        ids = list(external_ids)
        if ids:
            for row in self.session.scalars(select(OfferRow).where(OfferRow.external_id.in_(ids))):
                self.session.delete(row)
            self.session.flush()
            self.session.execute(
                delete(OrganizationRow).where(~OrganizationRow.id.in_(select(OfferRow.organization_id)))
            )


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
        for offer in plan.added + [after for _, after in plan.changed]:
            repo.save(offer)
        repo.remove(o.external_id for o in plan.removed)
        if not plan.is_empty:
            bump_generation(session)
    return plan


def confirm_offers(uow: UnitOfWork, *, provider: str | None, ids: Sequence[str], on: date, by: str) -> list[Offer]:
    """Set the assured date (and who assured) of a provider's offers or of the given ids: "still valid"."""
    with uow() as session:
        query = select(OfferRow)
        if provider:
            query = query.join(OrganizationRow).where(func.lower(OrganizationRow.name) == provider.strip().lower())
        if ids:
            query = query.where(OfferRow.external_id.in_(list(ids)))
        rows = list(session.scalars(query).unique())
        for row in rows:
            row.assured_date, row.last_verified = on, on
            if by:
                row.assurer_email = by
            row.updated_at = datetime.now(UTC)
        if rows:
            session.flush()
            bump_generation(session)
        return [offer_from_row(row) for row in rows]


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
