"""Reports for coordinators over the anonymous demand statistics: where families find nothing (gaps), usage.

Pure functions over plain rows -> small dataclasses; rendering (CSV, charts, HTML) lives in admin_scripts/report.py.

Gap definition, per (district, need):
  requests          demand events with outcome `found` or `nothing_fits` (one per search of a family)
  nothing_found     events with outcome `nothing_fits`
  offers_available  offers valid on the report day with that need that serve the district
                    (offers for the whole network count for every district of their network)
  share_handed_over `handed_over` events / requests (how often a Lotse was asked for)
  median_minutes    median of `minutes_to_claim` over the `claimed` events (how long families waited),
                    shown only when it rests on at least MIN_COUNT cases
  score             nothing_found + requests / (1 + offers_available)

Small numbers: a cell with fewer than MIN_COUNT (5) requests is shown as "< 5" and never ranked. Two requests
are no evidence of a gap, and a council must not plan on them; small counts could also point to one family.

A real gap (what the top findings talk about): at least MIN_COUNT requests, and at least a quarter of the families
went without a fitting offer. "3 asked, all found something" is not a gap and never a finding; neither is "1 of 8
found nothing", even where no offer sits in the place (the others were helped by offers nearby). Until the
follow-up issue records whether a family was really helped, "not served" means the search found nothing fitting.

Why this score: families who found nothing are the gap itself, so they count fully. The second term adds
demand that the existing offers have to share: with no offer every request counts, with one offer half of
them, with four a fifth. So a cell with much demand and few offers ranks before one with the same number of
empty-handed families but plenty of offers, and a cell without requests never is a gap.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.orm import DemandEventRow
from bot.domain.needs import Need
from bot.domain.offers import Offer
from bot.domain.places import District, Network, Places, fold

REQUEST_OUTCOMES = frozenset({"found", "nothing_fits"})
MIN_COUNT = 5  # below this a count is shown as "< 5" and a cell is never ranked
REAL_GAP_SHARE = 0.25  # from this share of empty-handed families on, a cell is a gap
SMALL = "< 5"

SCORE_EXPLANATION_DE = (
    "Lücken-Wert = Familien, die nichts Passendes fanden + Anfragen ÷ (1 + Zahl der Angebote). "
    "Wer leer ausging, zählt voll. Dazu kommt die Nachfrage, die sich die vorhandenen Angebote teilen müssen: "
    "ohne Angebot zählt jede Anfrage, bei einem Angebot die Hälfte, bei vier ein Fünftel. "
    "So steht eine Lücke mit viel Nachfrage und wenig Angeboten vor einer mit gleich vielen leer ausgegangenen "
    "Familien, aber vielen Angeboten. Ohne Anfragen gibt es keine Lücke."
)
SMALL_NUMBERS_DE = (
    "Felder mit weniger als 5 Anfragen stehen als „< 5“ da und werden nicht gereiht: so wenige Anfragen "
    "belegen keine Lücke, und kleine Zahlen könnten auf einzelne Familien verweisen. Als Lücke gilt ein Feld "
    "mit mindestens 5 Anfragen, in dem mindestens ein Viertel der Familien nichts Passendes fand. "
    "Wartezeiten stehen nur da, wo mindestens 5 Fälle dahinterstehen."
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
    claims: int = 0  # how many waits the median rests on

    @property
    def small(self) -> bool:
        """Too few requests to say anything: shown as '< 5', never ranked."""
        return self.requests < MIN_COUNT

    @property
    def share_nothing_found(self) -> float | None:
        return self.nothing_found / self.requests if self.requests else None

    @property
    def is_gap(self) -> bool:
        """A real gap: enough requests, and families went without (see the module docstring)."""
        return not self.small and self.nothing_found / self.requests >= REAL_GAP_SHARE

    @property
    def median_shown(self) -> float | None:
        """The median wait, only where at least MIN_COUNT cases carry it ('Median 2 Minuten' of one case misleads)."""
        return self.median_minutes_to_claim if self.claims >= MIN_COUNT else None

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
                        claims=len(waits[key]),
                    )
                )
    return cells


def largest_gaps(cells: Iterable[GapCell], count: int = 10) -> list[GapCell]:
    """Up to `count` real gaps by score; ties go to more empty-handed families, then more requests.

    Cells below MIN_COUNT requests and cells where (nearly) everyone found something are never ranked.
    """
    gaps = [c for c in cells if c.is_gap]
    return sorted(gaps, key=lambda c: (-c.score, -c.nothing_found, -c.requests, c.district_name, c.need_id))[:count]


def shown_count(n: int) -> str:
    """A count as a report shows it: '< 5' for 1 to 4 (0 stays 0: nobody asked is a fact worth showing)."""
    return SMALL if 0 < n < MIN_COUNT else str(n)


def _families(n: int) -> str:
    return "1 Familie" if n == 1 else f"{n} Familien"


def place_name(cell: GapCell, ambiguous: frozenset[str] = frozenset()) -> str:
    """The district's canonical name, with the network where two networks share the name (Südstadt)."""
    return f"{cell.district_name} ({cell.network_name})" if cell.district_name in ambiguous else cell.district_name


def ambiguous_district_names(places: Places) -> frozenset[str]:
    names = Counter(d.name for d in places.districts)
    return frozenset(name for name, n in names.items() if n > 1)


def offers_phrase(offers: int) -> str:
    if offers == 0:
        return "kein Angebot vor Ort"
    return "1 Angebot vor Ort" if offers == 1 else f"{offers} Angebote vor Ort"


def gap_sentence(cell: GapCell, ambiguous: frozenset[str] = frozenset()) -> str:
    """A real gap in plain German, the numbers in brackets.

    'In Aichwald fand niemand ein passendes Angebot für Lebensmittel (7 Anfragen, kein Angebot vor Ort).'
    'In Eglosheim fanden 120 von 150 Familien nichts Passendes für Kita und Betreuung (3 Angebote vor Ort).'
    """
    place = place_name(cell, ambiguous)
    if cell.nothing_found >= cell.requests:
        text = (
            f"In {place} fand niemand ein passendes Angebot für {cell.need_label} "
            f"({cell.requests} Anfragen, {offers_phrase(cell.offers_available)})."
        )
    else:
        verb = "fand" if cell.nothing_found == 1 else "fanden"
        text = (
            f"In {place} {verb} {cell.nothing_found} von {_families(cell.requests)} nichts Passendes für "
            f"{cell.need_label} ({offers_phrase(cell.offers_available)})."
        )
    if cell.median_shown is not None:
        text += (
            f" Bis ein Lotse übernahm, vergingen im Mittel (Median) {format_minutes(cell.median_shown)} "
            f"({cell.claims} Fälle)."
        )
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


def usage_counts(
    events: Iterable[DemandEvent],
    language_name: dict[str, str] | None = None,
    places: Places | None = None,
    posters: Mapping[str, str] | None = None,
) -> list[UsageCount]:
    """Requests by language, channel and entry point (by its poster label), most used first in each dimension."""
    names = language_name or {}
    tallies: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for event in events:
        values = {
            "Sprache": names.get(event.locale or "", event.locale or "unbekannt"),
            "Kanal": event.channel,
            "Einstieg": entry_label(event.entry, places, posters) if places else event.entry or NO_ENTRY,
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


# --------------------------------------------------------------------------------------------- entry points


def entry_label(entry: str | None, places: Places, posters: Mapping[str, str] | None = None) -> str:
    """What a coordinator calls the poster: its registered label, 'QR-Plakat Eglosheim', or the raw source id.

    The bot's default source is 'qr-<district slug>' (bot.posters.district_slug): the short district id, or the
    full one where two networks share a name ('qr-we-suedstadt').
    """
    if not entry:
        return NO_ENTRY
    if posters and entry in posters:
        return posters[entry]
    if entry.startswith("qr-"):
        slug = entry.removeprefix("qr-")
        ambiguous = ambiguous_district_names(places)
        for district in places.districts:
            short = district.id.split("-", 1)[1]
            if slug in (short, district.id):
                network = places.network(district.network_id)
                where = f"{district.name} ({network.name})" if network and district.name in ambiguous else district.name
                return f"QR-Plakat {where}"
    return f"Plakat „{entry}“"


def read_poster_register(text: str) -> dict[str, str]:
    """source -> label from the register `python -m admin_scripts.qr --label ...` keeps (plakate.csv, ';')."""
    labels: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"):
        source, label = (row.get("quelle") or "").strip(), (row.get("bezeichnung") or "").strip()
        if source and label:
            labels[source] = label  # a later line wins: the poster was re-labelled
    return labels


# --------------------------------------------------------------------------------------------- periods


@dataclass(frozen=True, slots=True)
class Period:
    label: str  # "3. Quartal 2026"
    first: date
    last: date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def quarter(day: date) -> Period:
    """The calendar quarter `day` lies in."""
    index = (day.month - 1) // 3
    first = date(day.year, 3 * index + 1, 1)
    after = date(day.year + 1, 1, 1) if index == 3 else date(day.year, 3 * index + 4, 1)
    return Period(f"{index + 1}. Quartal {day.year}", first, after - timedelta(days=1))


def compared_quarters(today: date) -> tuple[Period, Period]:
    """This quarter up to today, and the whole quarter before it."""
    current = quarter(today)
    previous = quarter(current.first - timedelta(days=1))
    return Period(f"{current.label} (bis {today:%d.%m.})", current.first, today), previous


@dataclass(frozen=True, slots=True)
class PeriodRow:
    """Requests and empty-handed requests of one need (or all: need_id '') in two periods."""

    need_id: str
    need_label: str
    now_requests: int
    now_nothing: int
    before_requests: int
    before_nothing: int

    @staticmethod
    def _share(nothing: int, requests: int) -> float | None:
        return nothing / requests if requests >= MIN_COUNT else None

    @property
    def now_share(self) -> float | None:
        return self._share(self.now_nothing, self.now_requests)

    @property
    def before_share(self) -> float | None:
        return self._share(self.before_nothing, self.before_requests)

    @property
    def change_points(self) -> float | None:
        """Change of the empty-handed share in percentage points; None where either side has < 5 requests."""
        if self.now_share is None or self.before_share is None:
            return None
        return 100 * (self.now_share - self.before_share)


def period_comparison(
    events: Iterable[DemandEvent], needs: Sequence[Need], current: Period, previous: Period
) -> list[PeriodRow]:
    """One row for all requests, then one per need with requests in either period (shares are comparable
    across periods of different length, counts only per day)."""
    tallies: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for event in events:
        if event.outcome not in REQUEST_OUTCOMES:
            continue
        which = (
            "now"
            if current.first <= event.day <= current.last
            else ("before" if previous.first <= event.day <= previous.last else None)
        )
        if which is None:
            continue
        for need in ("", event.need or "?"):
            tally = tallies[(which, need)]
            tally[0] += 1
            tally[1] += event.outcome == "nothing_fits"

    def row(need_id: str, label: str) -> PeriodRow:
        now, before = tallies.get(("now", need_id), [0, 0]), tallies.get(("before", need_id), [0, 0])
        return PeriodRow(need_id, label, now[0], now[1], before[0], before[1])

    rows = [row("", "alle Bedarfe")]
    rows += [row(n.id, n.label_de) for n in needs]
    return [rows[0], *(r for r in rows[1:] if r.now_requests or r.before_requests)]
