"""Reports for coordinators over the anonymous demand statistics: where families find nothing (gaps), usage.

Pure functions over plain rows -> small dataclasses; rendering (CSV, charts, HTML) lives in admin_scripts/report.py.

Gap definition, per (district, need):
  requests          demand events with outcome `found`, `found_unfitting` or `nothing_fits` (one per search)
  nothing_found     events with outcome `nothing_fits` or `found_unfitting`: no shown offer really served the
                    request (`found` only when one has the need as its main topic, fits the age and serves the
                    place: bot.domain.matching.serves_request — a Kita request answered with a German course
                    that also looks after children is not served)
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
found nothing", even where no offer sits in the place (the others were helped by offers nearby). Whether a
family then reached the offer and was helped is what the check-ins record (`checkin_cells` below): families
who agreed are asked a week later, and their anonymous answers are counted by need, district and offer.

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

from bot.db.orm import CheckInOutcomeRow, DemandEventRow
from bot.domain.needs import Need
from bot.domain.offers import Offer
from bot.domain.places import District, Network, Places, fold

REQUEST_OUTCOMES = frozenset({"found", "found_unfitting", "nothing_fits"})
NOT_SERVED = frozenset({"found_unfitting", "nothing_fits"})  # no shown offer served the request (honest found)
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
            if event.outcome in NOT_SERVED:
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
            nothing[week] += event.outcome in NOT_SERVED
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
                tally[1] += event.outcome in NOT_SERVED
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
            tally[1] += event.outcome in NOT_SERVED

    def row(need_id: str, label: str) -> PeriodRow:
        now, before = tallies.get(("now", need_id), [0, 0]), tallies.get(("before", need_id), [0, 0])
        return PeriodRow(need_id, label, now[0], now[1], before[0], before[1])

    rows = [row("", "alle Bedarfe")]
    rows += [row(n.id, n.label_de) for n in needs]
    return [rows[0], *(r for r in rows[1:] if r.now_requests or r.before_requests)]


# --------------------------------------------------------------------------------------------- check-ins

CHECKIN_OUTCOMES_DE = {
    "reached": "erreicht",
    "not_yet": "noch nicht",
    "could_not": "nicht erreicht",
    "no_answer": "keine Antwort",
}
CHECKIN_HELPED_DE = {"yes": "hat geholfen", "partly": "zum Teil", "no": "nicht geholfen"}
CHECKIN_REASONS_DE = {
    "busy": "niemand erreicht (besetzt, keine Antwort)",
    "no_place": "kein Platz frei",
    "language": "Sprachprobleme",
    "too_far": "zu weit weg",
    "not_eligible": "kein Anspruch, nicht berechtigt",
    "other": "anderer Grund",
    "no_help": "erreicht, hat aber nicht geholfen",
    "partly": "erreicht, hat nur zum Teil geholfen",
}
# What a coordinator may check when families often could not reach an offer, by their most common reason.
CHECK_HINTS_DE = {
    "busy": "Telefonnummer und Erreichbarkeit prüfen",
    "no_place": "freie Plätze prüfen",
    "language": "Sprachen und Dolmetschen im Eintrag prüfen",
    "too_far": "Ort und Einzugsgebiet prüfen",
    "not_eligible": "wer kommen darf, im Eintrag klarer sagen",
    "other": "beim Träger nachfragen",
}
OFTEN_NOT_REACHED = 1 / 3  # from this share of "could not reach" among the answers on, an offer is flagged
CHECKINS_DE = (
    "Nachfrage: Familien, die zugestimmt haben, fragt der Bot nach einigen Tagen (werktags 9–18 Uhr, "
    "höchstens einmal erinnert), ob sie das Angebot erreicht haben und ob es geholfen hat. Gezählt wird "
    "anonym (Woche, Netzwerk, Stadtteil, Bedarf, Altersgruppe, Sprache, Angebot, Antwort, Grund); "
    "die Zuordnung zum Chat wird gelöscht, sobald die Nachfrage vorbei ist. Zahlen unter 5 stehen als „< 5“ "
    "und werden nicht gereiht; Anteile stehen nur, wo mindestens 5 Familien geantwortet haben."
)


@dataclass(frozen=True, slots=True)
class CheckInResult:
    """One anonymous check-in outcome, detached from the database."""

    day: date
    network: str | None
    district: str | None
    need: str | None
    locale: str | None
    offer_id: str | None
    source: str  # offer | case
    case_outcome: str | None
    outcome: str  # reached | not_yet | could_not | no_answer
    helped: str | None
    reason: str | None


def load_checkins(session: Session, *, since: date | None = None, network: str | None = None) -> list[CheckInResult]:
    query = select(CheckInOutcomeRow).order_by(CheckInOutcomeRow.day, CheckInOutcomeRow.id)
    if since is not None:
        query = query.where(CheckInOutcomeRow.day >= since)
    if network is not None:
        query = query.where(CheckInOutcomeRow.network == network)
    return [
        CheckInResult(
            row.day,
            row.network,
            row.district,
            row.need,
            row.locale,
            row.offer_id,
            row.source,
            row.case_outcome,
            row.outcome,
            row.helped,
            row.reason,
        )
        for row in session.scalars(query)
    ]


@dataclass(frozen=True, slots=True)
class CheckInCell:
    """The check-ins of one need, district, offer or case outcome (`key`, shown as `label`)."""

    key: str
    label: str
    asked: int  # families asked (answered or not)
    reached: int
    not_yet: int
    could_not: int
    helped: int
    partly: int
    not_helped: int
    reasons: tuple[tuple[str, int], ...]  # why not reached (and "no_help"), most common first

    @property
    def answered(self) -> int:
        return self.reached + self.not_yet + self.could_not

    @property
    def small(self) -> bool:
        """Fewer than MIN_COUNT answers: counts shown as '< 5', no shares, never ranked or flagged."""
        return self.answered < MIN_COUNT

    def share(self, part: int, whole: int | None = None) -> float | None:
        whole = self.answered if whole is None else whole
        return part / whole if whole >= MIN_COUNT else None

    @property
    def top_reason(self) -> str | None:
        """The most common reason for not reaching the offer (shown only where it rests on MIN_COUNT answers)."""
        found = [(r, n) for r, n in self.reasons if r in CHECK_HINTS_DE]
        return found[0][0] if found and not self.small else None

    @property
    def often_not_reached(self) -> bool:
        """At least a third of the answers, and at least MIN_COUNT families: fewer are no finding."""
        share = self.share(self.could_not)
        return self.could_not >= MIN_COUNT and share is not None and share >= OFTEN_NOT_REACHED


def checkin_cells(
    results: Iterable[CheckInResult], by: str, labels: Mapping[str, str] | None = None
) -> list[CheckInCell]:
    """Check-ins grouped `by` need | district | offer_id | case_outcome (unset values as 'unbekannt'), or
    "all" for one cell of everything.

    Order: the cells with at least MIN_COUNT answers first, by how many were asked; the small ones after them
    by their label — a small cell is never ranked."""
    names = labels or {}
    groups: defaultdict[str, list[CheckInResult]] = defaultdict(list)
    for result in results:
        groups["" if by == "all" else getattr(result, by) or ""].append(result)
    cells = []
    for key, rows in groups.items():
        count = Counter(r.outcome for r in rows)
        helped = Counter(r.helped for r in rows if r.outcome == "reached")
        reasons = Counter(r.reason for r in rows if r.reason)
        cells.append(
            CheckInCell(
                key=key,
                label=names.get(key, key or "unbekannt"),
                asked=len(rows),
                reached=count["reached"],
                not_yet=count["not_yet"],
                could_not=count["could_not"],
                helped=helped["yes"],
                partly=helped["partly"],
                not_helped=helped["no"],
                reasons=tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
            )
        )
    return sorted(cells, key=lambda c: (c.small, -c.asked if not c.small else 0, c.label))


def offers_to_check(cells: Iterable[CheckInCell]) -> list[CheckInCell]:
    """Offers families often could not reach (5 families or more, a third of the answers), most such first."""
    flagged = [c for c in cells if c.often_not_reached]
    return sorted(flagged, key=lambda c: (-c.could_not, -c.answered, c.label))


def check_sentence(cell: CheckInCell) -> str:
    """One flagged offer in plain German, with what to check:
    '„Kita Sonnenschein“: 4 von 9 Familien erreichten das Angebot nicht, meist: kein Platz frei — freie Plätze
    prüfen.'"""
    verb = "erreichte" if cell.could_not == 1 else "erreichten"
    text = f"„{cell.label}“: {cell.could_not} von {_families(cell.answered)} {verb} das Angebot nicht"
    if cell.top_reason:
        text += f", meist: {CHECKIN_REASONS_DE[cell.top_reason]} — {CHECK_HINTS_DE[cell.top_reason]}"
    return text + "."


def followup_de(answer: str) -> str:
    """A case's check-in answer for the Lotsen: 'reached:yes' -> 'erreicht, hat geholfen'."""
    reached, _, detail = answer.partition(":")
    text = CHECKIN_OUTCOMES_DE.get(reached, reached)
    if detail in CHECKIN_HELPED_DE and reached == "reached":
        return f"{text}, {CHECKIN_HELPED_DE[detail]}"
    if detail in CHECKIN_REASONS_DE and reached == "could_not":
        return f"{text} ({CHECKIN_REASONS_DE[detail]})"
    return text
