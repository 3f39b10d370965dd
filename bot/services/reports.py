"""Reports for coordinators over the anonymous demand statistics: where families find nothing (gaps), usage.

Pure functions over plain rows -> small dataclasses; rendering (CSV, charts, HTML) lives in admin_scripts/report.py.

Gap definition, per (district, need):
  requests          demand events with outcome `found` or `nothing_fits` (one per search of a family)
  nothing_found     events with outcome `nothing_fits`
  offers_available  offers valid on the report day with that need that serve the district
                    (offers for the whole network count for every district of their network)
  share_handed_over `handed_over` events / requests (how often a Lotse was asked for)
  median_minutes    median of `minutes_to_claim` over the `claimed` events (how long families waited)
  score             nothing_found + requests / (1 + offers_available)

Why this score: families who found nothing are the gap itself, so they count fully. The second term adds
demand that the existing offers have to share: with no offer every request counts, with one offer half of
them, with four a fifth. So a cell with much demand and few offers ranks before one with the same number of
empty-handed families but plenty of offers, and a cell without requests never is a gap.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.orm import DemandEventRow
from bot.domain.needs import Need
from bot.domain.offers import Offer
from bot.domain.places import District, Network, Places, fold

REQUEST_OUTCOMES = frozenset({"found", "nothing_fits"})

SCORE_EXPLANATION_DE = (
    "Lücken-Wert = Familien, die nichts Passendes fanden + Anfragen ÷ (1 + Zahl der Angebote). "
    "Wer leer ausging, zählt voll. Dazu kommt die Nachfrage, die sich die vorhandenen Angebote teilen müssen: "
    "ohne Angebot zählt jede Anfrage, bei einem Angebot die Hälfte, bei vier ein Fünftel. "
    "So steht eine Lücke mit viel Nachfrage und wenig Angeboten vor einer mit gleich vielen leer ausgegangenen "
    "Familien, aber vielen Angeboten. Ohne Anfragen gibt es keine Lücke."
)


@dataclass(frozen=True, slots=True)
class DemandEvent:
    """One anonymous statistics row, detached from the database."""

    day: date
    network: str | None
    district: str | None
    need: str | None
    locale: str | None
    channel: str
    entry: str | None
    outcome: str
    minutes_to_claim: float | None = None


@dataclass(frozen=True, slots=True)
class GapCell:
    """The numbers of one (district, need) pair — see the module docstring for the definitions."""

    network_id: str
    network_name: str
    district_id: str
    district_name: str
    need_id: str
    need_label: str
    requests: int
    nothing_found: int
    offers_available: int
    handed_over: int
    median_minutes_to_claim: float | None

    @property
    def share_handed_over(self) -> float | None:
        return self.handed_over / self.requests if self.requests else None

    @property
    def score(self) -> float:
        return self.nothing_found + self.requests / (1 + self.offers_available)


@dataclass(frozen=True, slots=True)
class WeekCount:
    week: str  # ISO week, "2026-W47"
    requests: int
    nothing_found: int


@dataclass(frozen=True, slots=True)
class UsageCount:
    dimension: str  # "Sprache" | "Kanal" | "Einstieg"
    value: str
    requests: int
    nothing_found: int
    handed_over: int


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def load_events(session: Session, *, since: date | None = None, network: str | None = None) -> list[DemandEvent]:
    """The statistics rows from `since` on (and of one network), as plain events."""
    query = select(DemandEventRow).order_by(DemandEventRow.day, DemandEventRow.id)
    if since is not None:
        query = query.where(DemandEventRow.day >= since)
    if network is not None:
        query = query.where(DemandEventRow.network == network)
    return [
        DemandEvent(
            day=row.day,
            network=row.network,
            district=row.district,
            need=row.need,
            locale=row.locale,
            channel=row.channel,
            entry=row.entry,
            outcome=row.outcome,
            minutes_to_claim=row.minutes_to_claim,
        )
        for row in session.scalars(query)
    ]


def find_network(places: Places, name: str) -> Network | None:
    """A network by id ('weimar') or name ('Stadt Weimar', 'weimar' with any case or umlauts)."""
    wanted = fold(name.strip())
    return next(
        (n for n in places.networks if n.id == name.strip() or fold(n.name) == wanted or fold(n.id) == wanted), None
    )


def offers_serving(offers: Iterable[Offer], district: District, need_id: str, day: date) -> list[Offer]:
    """Offers valid on `day` with this need that serve the district (whole-network offers of its network too)."""
    return [
        offer
        for offer in offers
        if need_id in offer.needs
        and offer.is_valid_on(day)
        and (
            (offer.serves_whole_network and offer.network == district.network_id)
            or district.id in offer.districts_served
        )
    ]


def gap_cells(
    events: Iterable[DemandEvent],
    offers: Sequence[Offer],
    places: Places,
    needs: Sequence[Need],
    *,
    day: date,
    networks: Sequence[Network] | None = None,
) -> list[GapCell]:
    """One cell for every district of `networks` (default: all) and every need, in knowledge order."""
    requests: Counter[tuple[str, str]] = Counter()
    nothing: Counter[tuple[str, str]] = Counter()
    handed: Counter[tuple[str, str]] = Counter()
    waits: defaultdict[tuple[str, str], list[float]] = defaultdict(list)
    for event in events:
        if not event.district or not event.need:
            continue  # not placeable on the map of gaps; counted in the summary instead
        key = (event.district, event.need)
        if event.outcome in REQUEST_OUTCOMES:
            requests[key] += 1
            if event.outcome == "nothing_fits":
                nothing[key] += 1
        elif event.outcome == "handed_over":
            handed[key] += 1
        elif event.outcome == "claimed" and event.minutes_to_claim is not None:
            waits[key].append(event.minutes_to_claim)
    cells: list[GapCell] = []
    for network in networks or places.networks:
        for district in network.districts:
            for need in needs:
                key = (district.id, need.id)
                cells.append(
                    GapCell(
                        network_id=network.id,
                        network_name=network.name,
                        district_id=district.id,
                        district_name=district.name,
                        need_id=need.id,
                        need_label=need.label_de,
                        requests=requests[key],
                        nothing_found=nothing[key],
                        offers_available=len(offers_serving(offers, district, need.id, day)),
                        handed_over=handed[key],
                        median_minutes_to_claim=statistics.median(waits[key]) if waits[key] else None,
                    )
                )
    return cells


def largest_gaps(cells: Iterable[GapCell], count: int = 10) -> list[GapCell]:
    """The `count` cells with the highest score; ties go to more empty-handed families, then more requests."""
    with_demand = [c for c in cells if c.requests > 0]
    return sorted(with_demand, key=lambda c: (-c.score, -c.nothing_found, -c.requests, c.district_name, c.need_id))[
        :count
    ]


def _families(n: int) -> str:
    return "1 Familie" if n == 1 else f"{n} Familien"


def place_name(cell: GapCell, ambiguous: frozenset[str] = frozenset()) -> str:
    """The district's canonical name, with the network where two networks share the name (Südstadt)."""
    return f"{cell.district_name} ({cell.network_name})" if cell.district_name in ambiguous else cell.district_name


def ambiguous_district_names(places: Places) -> frozenset[str]:
    names = Counter(d.name for d in places.districts)
    return frozenset(name for name, n in names.items() if n > 1)


def gap_sentence(cell: GapCell, ambiguous: frozenset[str] = frozenset()) -> str:
    """The gap in plain German.

    'In Eglosheim fragten 42 Familien nach Kita und Betreuung; 30 fanden nichts Passendes. Es gibt dort 1 Angebot.'
    """
    verb = "fragte" if cell.requests == 1 else "fragten"
    text = f"In {place_name(cell, ambiguous)} {verb} {_families(cell.requests)} nach {cell.need_label}; "
    if cell.nothing_found == 0:
        text += "alle fanden etwas Passendes."
    else:
        text += f"{cell.nothing_found} {'fand' if cell.nothing_found == 1 else 'fanden'} nichts Passendes."
    offers = cell.offers_available
    text += " Es gibt dort " + (
        "kein Angebot." if offers == 0 else "1 Angebot." if offers == 1 else f"{offers} Angebote."
    )
    if cell.median_minutes_to_claim is not None:
        text += f" Bis ein Lotse übernahm, vergingen im Mittel (Median) {format_minutes(cell.median_minutes_to_claim)}."
    return text


def format_minutes(minutes: float) -> str:
    if minutes < 90:
        return f"{round(minutes)} Minuten"
    hours = minutes / 60
    return f"{hours:.1f} Stunden".replace(".", ",")


def weekly_requests(
    events: Iterable[DemandEvent], *, first: date | None = None, last: date | None = None
) -> list[WeekCount]:
    """Requests and empty-handed requests per ISO week, weeks without requests included (a gap in time shows)."""
    requests: Counter[str] = Counter()
    nothing: Counter[str] = Counter()
    days: list[date] = []
    for event in events:
        if event.outcome in REQUEST_OUTCOMES:
            week = iso_week(event.day)
            requests[week] += 1
            nothing[week] += event.outcome == "nothing_fits"
            days.append(event.day)
    if not days:
        return []
    start, end = first or min(days), last or max(days)
    start -= timedelta(days=start.weekday())  # Monday of the first week
    weeks: list[WeekCount] = []
    while start <= end:
        week = iso_week(start)
        weeks.append(WeekCount(week, requests[week], nothing[week]))
        start += timedelta(days=7)
    return weeks


NO_ENTRY = "direkt (ohne Plakat/QR-Code)"


def usage_counts(events: Iterable[DemandEvent], language_name: dict[str, str] | None = None) -> list[UsageCount]:
    """Requests by language, channel and entry point (poster/QR source), most used first in each dimension."""
    names = language_name or {}
    tallies: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for event in events:
        values = {
            "Sprache": names.get(event.locale or "", event.locale or "unbekannt"),
            "Kanal": event.channel,
            "Einstieg": event.entry or NO_ENTRY,
        }
        for dimension, value in values.items():
            tally = tallies[(dimension, value)]
            if event.outcome in REQUEST_OUTCOMES:
                tally[0] += 1
                tally[1] += event.outcome == "nothing_fits"
            elif event.outcome == "handed_over":
                tally[2] += 1
    order = {"Sprache": 0, "Kanal": 1, "Einstieg": 2}
    counts = [UsageCount(d, v, *t) for (d, v), t in tallies.items() if any(t)]
    return sorted(counts, key=lambda u: (order[u.dimension], -u.requests, -u.handed_over, u.value))
