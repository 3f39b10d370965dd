"""Storing offers: the repository that maps rows to domain offers, and the all-or-nothing import."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.db.engine import UnitOfWork
from bot.db.orm import (
    OfferLanguageRow,
    OfferNeedRow,
    OfferRow,
    OfferTranslationRow,
    OpeningHoursRow,
    OrganizationRow,
    ServiceAreaRow,
)
from bot.domain.offers import WHOLE_NETWORK, Access, Cost, Offer, OpeningSlot, Translation


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
            t.language: Translation(t.title, t.summary) for t in sorted(row.translations, key=lambda t: t.language)
        },
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
        OfferTranslationRow(language=lang, title=t.title, summary=t.summary) for lang, t in offer.translations.items()
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


@dataclass
class ImportPlan:
    added: list[Offer] = field(default_factory=list)
    changed: list[tuple[Offer, Offer]] = field(default_factory=list)  # (before, after)
    removed: list[Offer] = field(default_factory=list)
    unchanged: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def plan_import(session: Session, offers: Sequence[Offer], *, prune: bool = True) -> ImportPlan:
    """What importing `offers` would do. With prune, offers of the same networks missing from the file go."""
    existing = {o.external_id: o for o in OfferRepository(session).all()}
    plan = ImportPlan()
    for offer in offers:
        before = existing.get(offer.external_id)
        if before is None:
            plan.added.append(offer)
        elif before != offer:
            plan.changed.append((before, offer))
        else:
            plan.unchanged += 1
    if prune:
        incoming = {o.external_id for o in offers}
        networks = {o.network for o in offers}
        plan.removed = [o for key, o in existing.items() if key not in incoming and o.network in networks]
    return plan


def import_offers(uow: UnitOfWork, offers: Sequence[Offer], *, prune: bool = True, dry_run: bool = False) -> ImportPlan:
    """Apply an import in one transaction: everything or nothing."""
    with uow() as session:
        plan = plan_import(session, offers, prune=prune)
        if dry_run:
            session.rollback()
            return plan
        repo = OfferRepository(session)
        for offer in plan.added + [after for _, after in plan.changed]:
            repo.save(offer)
        repo.remove(o.external_id for o in plan.removed)
    return plan


def stale_offers(offers: Iterable[Offer], days: int, today: date) -> list[tuple[Offer, str]]:
    """Offers not verified for `days` days, expired, or never verified — each with the reason."""
    limit = today - timedelta(days=days)
    stale: list[tuple[Offer, str]] = []
    for offer in offers:
        if offer.valid_until is not None and offer.valid_until < today:
            stale.append((offer, f"abgelaufen am {offer.valid_until.isoformat()}"))
        elif offer.last_verified is None:
            stale.append((offer, "nie geprüft"))
        elif offer.last_verified < limit:
            stale.append((offer, f"zuletzt geprüft am {offer.last_verified.isoformat()}"))
    return stale
