"""Reports for coordinators from the anonymous demand statistics: gaps in the offers, and how families come.

examples:
  python -m admin_scripts.report gaps --out bericht/                       # one report per network
  python -m admin_scripts.report gaps --network all --out bericht/         # all networks in one report
  python -m admin_scripts.report gaps --since 2026-09-01 --network ludwigsburg --out bericht/
  python -m admin_scripts.report usage --posters plakate/plakate.csv --out bericht/
  python -m admin_scripts.report outcomes --since 2026-09-01 --network weimar --out bericht/
  python -m admin_scripts.report lotsen [--since 2026-09-01] [--per-lotse] [--out team.csv]   # the Lotsen team

Without --network every network gets its own folder (bericht/ludwigsburg/, bericht/esslingen/, ...): a council
decides about its own town. gaps writes luecken.csv (every district x need), anfragen-pro-woche.csv,
quartale.csv (this quarter against the last), charts (PNG), luecken-bericht.html and luecken-bericht.pdf (A4,
printed by Chromium). usage writes nutzung.csv, nutzung.png, nutzung-bericht.html and .pdf: languages,
channels and entry points by their poster label. outcomes writes nachfrage.csv, nachfrage-gruende.csv,
nachfrage-bericht.html and .pdf: whether families who agreed to a check-in reached the offer and whether it
helped, per need, district, offer and Lotsen outcome, with the reasons; offers families often could not reach
are named with what to check (the gap report has a short section of the same). Counts below 5 are shown as
"< 5" and never ranked.
CSV files use ';' and a decimal comma, as German Excel expects.
"""

from __future__ import annotations

import argparse
import base64
import csv
import html
import io
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers; must come before pyplot
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from admin_scripts import _team_report as team_report
from admin_scripts._cli import EXIT_OK, ScriptError, open_app, parser, run
from bot.bootstrap import App
from bot.domain.offers import Offer
from bot.domain.places import Network, Places
from bot.i18n import SUPPORTED, texts
from bot.services.handover import OUTCOMES
from bot.services.offers import OfferRepository
from bot.services.reports import (
    CHECKIN_REASONS_DE,
    CHECKINS_DE,
    MIN_COUNT,
    REQUEST_OUTCOMES,
    SCORE_EXPLANATION_DE,
    SMALL,
    SMALL_NUMBERS_DE,
    CheckInCell,
    CheckInResult,
    DemandEvent,
    GapCell,
    Period,
    PeriodRow,
    UsageCount,
    ambiguous_district_names,
    check_sentence,
    checkin_cells,
    compared_quarters,
    find_network,
    gap_cells,
    gap_sentence,
    largest_gaps,
    load_checkins,
    load_events,
    offers_to_check,
    period_comparison,
    place_name,
    read_poster_register,
    shown_count,
    usage_counts,
    weekly_requests,
)

GAP_COLUMNS = (
    "netzwerk",
    "stadtteil_id",
    "stadtteil",
    "bedarf_id",
    "bedarf",
    "anfragen",
    "nichts_gefunden",
    "angebote",
    "an_lotse_uebergeben",
    "anteil_uebergeben",
    "median_minuten_bis_lotse",
    "luecken_wert",
    "rang",
)
PERIOD_COLUMNS = (
    "bedarf_id",
    "bedarf",
    "zeitraum",
    "von",
    "bis",
    "anfragen",
    "nichts_gefunden",
    "anteil_nichts_gefunden",
)
ALL = "all"
# Black-and-white print: the charts use grey levels and hatching only, every bar and field carries its number.
DARK, EDGE = "#303030", "#000000"


@dataclass(frozen=True)
class Scope:
    since: date | None
    networks: tuple[Network, ...]
    today: date

    @property
    def description(self) -> str:
        where = ", ".join(n.name for n in self.networks)
        when = f"ab {self.since:%d.%m.%Y}" if self.since else "gesamter Zeitraum"
        return f"{where} — {when}"

    @property
    def title_suffix(self) -> str:
        return self.networks[0].name if len(self.networks) == 1 else "alle Netzwerke"


@dataclass(frozen=True)
class Target:
    """One report: its networks, its folder, and the events of those networks (every day; filtered later)."""

    scope: Scope
    out: Path
    events: list[DemandEvent]
    checkins: list[CheckInResult]

    @property
    def in_scope(self) -> list[DemandEvent]:
        since = self.scope.since
        return [e for e in self.events if since is None or e.day >= since]

    @property
    def checkins_in_scope(self) -> list[CheckInResult]:
        since = self.scope.since
        return [c for c in self.checkins if since is None or c.day >= since]


# --------------------------------------------------------------------------------------------- helpers


def _since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ScriptError(f"--since '{value}' ist kein Datum wie 2026-09-01") from None


def _decimal(value: float | None, digits: int = 1) -> str:
    """German Excel reads '12,5' as a number; an empty cell means 'no value'."""
    return "" if value is None else f"{value:.{digits}f}".replace(".", ",")


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}".replace("%", " %")


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel then reads UTF-8
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)


def _png(figure: Figure, path: Path) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")  # 150 dpi: sharp on the A4 PDF too
    plt.close(figure)
    data = buffer.getvalue()
    path.write_bytes(data)
    return data


def _img(data: bytes, alt: str, caption: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{encoded}" alt="{html.escape(alt)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence[object]], numeric_from: int = 1) -> str:
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in header)
    body = []
    for row in rows:
        cells = [f'<th scope="row">{html.escape(str(row[0]))}</th>']
        cells += [
            f'<td class="{"num" if i >= numeric_from else ""}">{html.escape(str(v))}</td>'
            for i, v in enumerate(row[1:], start=1)
        ]
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


PAGE_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:72rem;margin:0 auto;padding:1rem;color:#1a1a1a;
background:#fff;line-height:1.5}
h1{font-size:1.6rem}h2{font-size:1.3rem;margin-top:2rem;border-bottom:2px solid #0b4f8a}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:1rem 0}
caption{text-align:left;font-weight:bold;padding:.3rem 0}
th,td{border:1px solid #8a8a8a;padding:.25rem .4rem;text-align:left;vertical-align:top}
td.num{text-align:right}thead th{background:#e8eef5}
img{max-width:100%;height:auto}figure{margin:1rem 0}figcaption{font-size:.9rem;color:#333}
.hinweis{background:#fff7d6;border-left:4px solid #8a6d00;padding:.5rem 1rem}
.befunde li{margin-bottom:.4rem}
@page{size:A4;margin:14mm 12mm 16mm}
@media print{body{max-width:none;padding:0;font-size:10pt}h1{font-size:17pt}h2{font-size:13pt;break-after:avoid}
figure{break-inside:avoid}tr{break-inside:avoid}thead{display:table-header-group}
.hinweis{border:1px solid #8a6d00}}
"""


def _page(title: str, scope: Scope, parts: Sequence[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{PAGE_CSS}</style></head><body><main>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(scope.description)}; Angebote gültig am "
        f"{scope.today:%d.%m.%Y}. Erstellt mit Familienlotse aus anonymen Zählungen: ohne Namen, ohne Chats.</p>"
        + "".join(parts)
        + "</main></body></html>\n"
    )


def find_chromium() -> str | None:
    """The browser that prints the A4 PDF: $CHROMIUM, else Debian's chromium (the one the browser tests use)."""
    candidates = [os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"]
    return next((found for name in candidates if name and (found := shutil.which(name))), None)


def write_pdf(page: Path, pdf: Path) -> str | None:
    """Print the HTML page to an A4 PDF with headless Chromium; None on success, else why not (one line).

    Chromium, not a second layout: the PDF is exactly the page the coordinator saw, with the print CSS
    (@page A4). A fresh profile per run, so parallel runs and a browser the user has open don't collide.
    """
    chromium = find_chromium()
    if chromium is None:
        return "kein Chromium gefunden (apt-get install chromium oder CHROMIUM=/pfad) — HTML im Browser drucken"
    with tempfile.TemporaryDirectory(prefix="familienlotse-pdf-") as profile:
        command = [
            chromium,
            "--headless",
            "--no-sandbox",  # root in containers; the page is our own file, no web content
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",  # no date/URL lines on the council's copy
            f"--print-to-pdf={pdf}",
            page.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"Chromium lief nicht ({exc.__class__.__name__})"
    if done.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        return f"Chromium beendete sich mit {done.returncode}, kein PDF"
    return None


def _targets(args: argparse.Namespace) -> tuple[list[Target], list[Offer], Places, App]:
    since = _since(args.since)  # a bad date fails before the database is touched
    app = open_app(args)
    places = app.knowledge.places
    today = args.today or date.today()
    if args.network and args.network.strip().lower() in (ALL, "alle"):
        groups: list[tuple[tuple[Network, ...], Path]] = [(places.networks, args.out)]
    elif args.network:
        network = find_network(places, args.network)
        if network is None:
            known = ", ".join(n.id for n in places.networks)
            raise ScriptError(f"unbekanntes Netzwerk '{args.network}' (bekannt: {known}, oder all)")
        groups = [((network,), args.out)]
    else:  # the default: one report per network, each in its own folder
        groups = [((n,), args.out / n.id) for n in places.networks]
    targets = []
    with app.uow() as session:
        offers = OfferRepository(session).all()
        for networks, out in groups:
            network = networks[0].id if len(networks) == 1 else None
            events = load_events(session, network=network)
            checkins = load_checkins(session, network=network)
            out.mkdir(parents=True, exist_ok=True)
            targets.append(Target(Scope(since, networks, today), out, events, checkins))
    return targets, offers, places, app


def _pdf_or_note(page: Path, args: argparse.Namespace) -> str:
    if args.no_pdf:
        return ""
    problem = write_pdf(page, page.with_suffix(".pdf"))
    if problem:
        print(f"Hinweis: PDF nicht geschrieben: {problem}", file=sys.stderr)
        return ""
    return f" und {page.with_suffix('.pdf').name}"


# --------------------------------------------------------------------------------------------- gap charts


def _wrap(text: str, width: int = 80) -> str:
    return "\n".join(textwrap.wrap(text, width))


def _top_chart(top: Sequence[GapCell], ambiguous: frozenset[str]) -> Figure:
    """The real gaps as bars: empty-handed families dark, the others hatched, 'x von y' beside each bar."""
    rows = list(top)[::-1]
    figure, axes = plt.subplots(figsize=(9, 1.6 + 0.42 * len(rows)))
    labels = [f"{c.need_label} – {place_name(c, ambiguous)}" for c in rows]
    nothing = [c.nothing_found for c in rows]
    found = [c.requests - c.nothing_found for c in rows]
    axes.barh(labels, nothing, color=DARK, edgecolor=EDGE, label="nichts Passendes gefunden")
    axes.barh(labels, found, left=nothing, color="white", edgecolor=EDGE, hatch="///", label="etwas gefunden")
    widest = max(c.requests for c in rows)
    for i, cell in enumerate(rows):
        axes.text(
            cell.requests + widest * 0.01, i, f"{cell.nothing_found} von {cell.requests}", va="center", fontsize=8
        )
    axes.set_xlim(0, widest * 1.18)
    axes.set_xlabel("Anfragen")
    axes.tick_params(axis="y", labelsize=8)
    axes.legend(loc="lower right", fontsize=8, frameon=True)
    biggest = top[0]
    axes.set_title(
        _wrap(
            f"Größte Lücke: {biggest.need_label} in {place_name(biggest, ambiguous)} — "
            f"{biggest.nothing_found} von {biggest.requests} Familien fanden nichts Passendes"
        ),
        loc="left",
        fontsize=11,
        weight="bold",
    )
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def _heatmap(cells: Sequence[GapCell], top: Sequence[GapCell], ambiguous: frozenset[str]) -> Figure:
    """Districts x needs; grey level = empty-handed families; '< 5' where too few asked; real gaps framed."""
    districts = list(dict.fromkeys((c.district_id, place_name(c, ambiguous)) for c in cells))
    needs = list(dict.fromkeys((c.need_id, c.need_label) for c in cells))
    by_key = {(c.district_id, c.need_id): c for c in cells}
    values = np.array(
        [[np.nan if by_key[(d, n)].small else by_key[(d, n)].nothing_found for n, _ in needs] for d, _ in districts],
        dtype=float,
    )
    figure, axes = plt.subplots(figsize=(4 + 0.75 * len(needs), 2.4 + 0.32 * len(districts)))
    cmap = plt.get_cmap("Greys").with_extremes(bad="white")  # fields below 5 requests carry no shade
    top_value = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
    # square-root scale: one huge gap must not wash out the smaller ones
    image = axes.imshow(
        np.ma.masked_invalid(values), cmap=cmap, aspect="auto", norm=PowerNorm(0.5, vmin=0, vmax=max(top_value, 1))
    )
    networks = [c.network_id for c in cells[:: len(needs)]]
    for i in range(1, len(networks)):
        if networks[i] != networks[i - 1]:
            axes.axhline(i - 0.5, color=EDGE, linewidth=2)  # a line between the networks
    ranked = {(c.district_id, c.need_id) for c in top}
    for i, (district_id, _) in enumerate(districts):
        for j, (need_id, _) in enumerate(needs):
            cell = by_key[(district_id, need_id)]
            if not cell.requests:
                continue
            if cell.small:
                axes.text(j, i, SMALL, ha="center", va="center", fontsize=5.5, color="#555555")
                continue
            dark = (cell.nothing_found / max(top_value, 1)) ** 0.5 > 0.55
            axes.text(
                j,
                i,
                f"{cell.nothing_found}/{cell.requests}",
                ha="center",
                va="center",
                fontsize=6.5,
                color="white" if dark else "black",
                weight="bold" if (district_id, need_id) in ranked else "normal",
            )
            if (district_id, need_id) in ranked:  # framed: readable without any colour
                axes.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=EDGE, linewidth=1.6))
    axes.set_xticks(range(len(needs)), [label for _, label in needs], rotation=40, ha="right", fontsize=8)
    axes.set_yticks(range(len(districts)), [name for _, name in districts], fontsize=8)
    if top:
        biggest = top[0]
        title = (
            f"{len(top)} echte {'Lücke' if len(top) == 1 else 'Lücken'} (umrandet); die größte: "
            f"{biggest.need_label} in {place_name(biggest, ambiguous)}"
        )
    else:
        title = "Keine echte Lücke: kein Feld mit mindestens 5 Anfragen, in dem viele nichts fanden"
    axes.set_title(_wrap(title, 90), loc="left", fontsize=10, weight="bold", pad=16)
    axes.text(
        0,
        1.01,
        "Zahl im Feld: nichts gefunden / Anfragen · „< 5“: zu wenige Anfragen für eine Aussage",
        transform=axes.transAxes,
        fontsize=7.5,
        va="bottom",
    )
    figure.colorbar(image, ax=axes, label="Familien ohne passendes Angebot", shrink=0.6)
    return figure


def _weekly_chart(events: Sequence[DemandEvent], scope: Scope) -> Figure:
    weeks = weekly_requests(events, first=scope.since)
    figure, axes = plt.subplots(figsize=(10, 4.2))
    labels = [w.week.split("-")[1] for w in weeks]  # 'W47': the year is in the title
    found = [w.requests - w.nothing_found for w in weeks]
    nothing = [w.nothing_found for w in weeks]
    axes.bar(labels, nothing, label="nichts Passendes gefunden", color=DARK, edgecolor=EDGE)
    axes.bar(labels, found, bottom=nothing, label="etwas Passendes gefunden", color="white", edgecolor=EDGE, hatch="//")
    for i, week in enumerate(weeks):
        axes.text(i, week.requests, shown_count(week.requests), ha="center", va="bottom", fontsize=7)
    total, empty = sum(w.requests for w in weeks), sum(nothing)
    years = sorted({w.week[:4] for w in weeks})
    if total:
        title = (
            f"{total} Anfragen in {len(weeks)} Wochen ({'–'.join(years)}); "
            f"{_percent(empty / total)} fanden nichts Passendes"
        )
    else:
        title = "Keine Anfragen im Zeitraum"
    axes.set_title(_wrap(title, 95), loc="left", fontsize=11, weight="bold")
    axes.set_ylabel("Anfragen")
    axes.set_xlabel("Kalenderwoche")
    axes.tick_params(axis="x", labelrotation=60, labelsize=7)
    axes.legend(fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    return figure


# --------------------------------------------------------------------------------------------- gaps


def _period_parts(rows: Sequence[PeriodRow], current: Period, previous: Period) -> tuple[str, list[list[object]]]:
    total = rows[0]

    def side(requests: int, share: float | None, period: Period) -> str:
        if requests < MIN_COUNT:
            return f"{period.label}: weniger als 5 Anfragen"
        per_day = _decimal(requests / period.days)
        return f"{period.label}: {requests} Anfragen ({per_day} pro Tag), {_percent(share)} fanden nichts Passendes"

    sentence = (
        side(total.now_requests, total.now_share, current)
        + "; "
        + side(total.before_requests, total.before_share, previous)
    )
    if total.change_points is not None:
        change = round(total.change_points)
        sentence += (
            ". Der Anteil ohne Passendes ist gleich geblieben."
            if change == 0
            else f". Der Anteil ohne Passendes ist um {abs(change)} Prozentpunkte "
            f"{'gestiegen' if change > 0 else 'gesunken'}."
        )
    else:
        sentence += "."
    table = [
        [
            r.need_label,
            shown_count(r.now_requests),
            _percent(r.now_share),
            shown_count(r.before_requests),
            _percent(r.before_share),
            "–" if r.change_points is None else f"{round(r.change_points):+d}".replace("+0", "±0"),
        ]
        for r in rows
    ]
    return sentence, table


def _gap_report(target: Target, offers: Sequence[Offer], app: App, args: argparse.Namespace) -> str:
    knowledge = app.knowledge
    scope, out, events = target.scope, target.out, target.in_scope
    cells = gap_cells(events, offers, knowledge.places, knowledge.needs, day=scope.today, networks=scope.networks)
    top = largest_gaps(cells)
    rank = {(c.district_id, c.need_id): i for i, c in enumerate(top, start=1)}
    ambiguous = ambiguous_district_names(knowledge.places)

    def small_or(cell: GapCell, value: object) -> object:
        return "" if cell.small and cell.requests else value  # a small cell shows only '< 5'

    _write_csv(
        out / "luecken.csv",
        GAP_COLUMNS,
        [
            (
                c.network_id,
                c.district_id,
                c.district_name,
                c.need_id,
                c.need_label,
                shown_count(c.requests),
                small_or(c, c.nothing_found),
                c.offers_available,
                small_or(c, c.handed_over),
                small_or(c, _decimal(c.share_handed_over, 3)),
                _decimal(c.median_shown),
                small_or(c, _decimal(c.score, 2)),
                rank.get((c.district_id, c.need_id), ""),
            )
            for c in cells
        ],
    )
    weeks = weekly_requests(events, first=scope.since)
    _write_csv(
        out / "anfragen-pro-woche.csv",
        ("kalenderwoche", "anfragen", "nichts_gefunden"),
        [(w.week, shown_count(w.requests), shown_count(w.nothing_found)) for w in weeks],
    )
    current, previous = compared_quarters(scope.today)
    periods = period_comparison(target.events, knowledge.needs, current, previous)
    _write_csv(
        out / "quartale.csv",
        PERIOD_COLUMNS,
        [
            (r.need_id or "alle", r.need_label, p.label, f"{p.first:%Y-%m-%d}", f"{p.last:%Y-%m-%d}", n, e, s)
            for r in periods
            for p, n, e, s in (
                (current, shown_count(r.now_requests), shown_count(r.now_nothing), _decimal(r.now_share, 3)),
                (previous, shown_count(r.before_requests), shown_count(r.before_nothing), _decimal(r.before_share, 3)),
            )
        ],
    )
    heat = _png(_heatmap(cells, top, ambiguous), out / "luecken-heatmap.png")
    weekly = _png(_weekly_chart(events, scope), out / "anfragen-pro-woche.png")
    bars = _png(_top_chart(top, ambiguous), out / "luecken-top.png") if top else None

    requests = sum(c.requests for c in cells)
    nothing = sum(c.nothing_found for c in cells)
    small = [c for c in cells if c.requests and c.small]
    unplaced = sum(1 for e in events if e.outcome in REQUEST_OUTCOMES and not (e.district and e.need))
    period_sentence, period_rows = _period_parts(periods, current, previous)
    parts = [
        "<h2>Das Wichtigste</h2>",
        f"<p>{requests} Anfragen mit Stadtteil und Bedarf; {nothing} davon fanden nichts Passendes"
        + (f" ({_percent(nothing / requests)})" if requests else "")
        + (f". Weitere {unplaced} Anfragen ohne Stadtteil oder Bedarf sind hier nicht verteilt." if unplaced else ".")
        + (
            f" {len(small)} Felder mit weniger als 5 Anfragen sind zu klein für eine Aussage und werden nicht gereiht."
            if small
            else ""
        )
        + "</p>",
        f"<p>{html.escape(period_sentence)}</p>",
        f"<h2>{'Die größten Lücken' if len(top) != 1 else 'Die Lücke'}</h2>",
        '<ol class="befunde">' + "".join(f"<li>{html.escape(gap_sentence(c, ambiguous))}</li>" for c in top) + "</ol>"
        if top
        else (
            "<p>Keine Anfragen im Zeitraum — keine Lücken zu zeigen.</p>"
            if not requests
            else "<p>Keine echte Lücke: in keinem Feld mit mindestens 5 Anfragen ging ein großer Teil der Familien "
            "leer aus.</p>"
        ),
    ]
    if bars:
        parts.append(
            _img(
                bars,
                "Balkendiagramm der größten Lücken: je Bedarf und Stadtteil die Familien ohne passendes Angebot "
                "(dunkel) und die übrigen Anfragen (schraffiert), mit den Zahlen neben jedem Balken.",
                "Dunkel: nichts Passendes gefunden; schraffiert: etwas gefunden. Zahlen: ohne Passendes von Anfragen.",
            )
        )
    parts += [
        "<h2>So wird gerechnet</h2>",
        "<ul><li><strong>Anfragen</strong>: Suchen von Familien nach Angeboten (gefunden oder nichts Passendes).</li>"
        "<li><strong>Nichts gefunden</strong>: kein gezeigtes Angebot passte wirklich — es muss den Bedarf als "
        "Hauptthema haben, zum Alter passen und den Stadtteil versorgen (ein Deutschkurs mit Kinderbetreuung ist "
        "kein Kitaplatz).</li>"
        "<li><strong>Angebote</strong>: gültige Angebote zu diesem Bedarf, die den Stadtteil versorgen "
        "(Angebote für das ganze Netzwerk zählen überall mit).</li>"
        "<li><strong>An Lotse übergeben</strong>: Anteil der Anfragen, bei denen ein Mensch gebeten wurde.</li>"
        "<li><strong>Wartezeit</strong>: Median der Minuten, bis ein Lotse die Anfrage übernahm.</li></ul>",
        f'<p class="hinweis">{html.escape(SMALL_NUMBERS_DE)}</p>',
        f'<p class="hinweis">{html.escape(SCORE_EXPLANATION_DE)}</p>',
        "<h2>Dieses Quartal und das letzte</h2>",
        _table(
            f"Anfragen und Anteil ohne Passendes: {current.label} und {previous.label}",
            (
                "Bedarf",
                f"Anfragen {current.label}",
                "ohne Passendes",
                f"Anfragen {previous.label}",
                "ohne Passendes",
                "Veränderung (Prozentpunkte)",
            ),
            period_rows,
        ),
        "<h2>Karte der Lücken</h2>",
        _img(
            heat,
            "Heatmap: Stadtteile in Zeilen, Bedarfe in Spalten; je dunkler, desto mehr Familien fanden nichts. "
            "Echte Lücken sind umrandet, Felder unter 5 Anfragen zeigen „< 5“. Die Zahlen stehen auch in der "
            "Tabelle unten und in luecken.csv.",
            "Je dunkler das Feld, desto mehr Familien fanden nichts Passendes; umrandet: echte Lücken.",
        ),
        "<h2>Anfragen im Zeitverlauf</h2>",
        _img(
            weekly,
            "Balkendiagramm der Anfragen pro Kalenderwoche, geteilt in nichts gefunden (dunkel) und gefunden "
            "(schraffiert), die Zahl über jedem Balken. Die Zahlen stehen in anfragen-pro-woche.csv.",
            "Anfragen pro Kalenderwoche.",
        ),
        "<h2>Alle Stadtteile und Bedarfe mit Anfragen</h2>",
        _table(
            "Anfragen, Angebote und Lücken je Stadtteil und Bedarf (Felder unter 5 Anfragen am Ende, ohne Rang)",
            ("Stadtteil", "Bedarf", "Anfragen", "nichts gefunden", "Angebote", "an Lotse", "Wartezeit", "Lücken-Wert"),
            [
                (
                    place_name(c, ambiguous),
                    c.need_label,
                    shown_count(c.requests),
                    "–" if c.small else c.nothing_found,
                    c.offers_available,
                    "–" if c.small else _percent(c.share_handed_over),
                    _decimal(c.median_shown, 0) + " min" if c.median_shown is not None else "–",
                    "–" if c.small else _decimal(c.score, 1),
                )
                for c in sorted(cells, key=lambda c: (c.small, -c.score, c.district_name, c.need_id))
                if c.requests
            ],
            numeric_from=2,
        ),
    ]
    parts += _checkin_parts(target, offers, app, brief=True)
    page = out / "luecken-bericht.html"
    page.write_text(_page(f"Lückenbericht Familienlotse – {scope.title_suffix}", scope, parts), encoding="utf-8")
    pdf = _pdf_or_note(page, args)
    print(
        f"Lückenbericht {scope.title_suffix}: {requests} Anfragen, {len(top)} Lücken benannt — "
        f"{page.name}{pdf} geschrieben nach {out}"
    )
    for i, cell in enumerate(top[:3], start=1):
        print(f"{i}. {gap_sentence(cell, ambiguous)}")
    return page.name


def cmd_gaps(args: argparse.Namespace) -> int:
    targets, offers, _, app = _targets(args)
    for target in targets:
        _gap_report(target, offers, app, args)
    return EXIT_OK


# --------------------------------------------------------------------------------------------- usage


def _language_names() -> dict[str, str]:
    """German names of the bot's languages, for coordinators ('Türkisch', 'Einfache Sprache')."""
    german = texts("de")
    return {code: "Einfache Sprache" if code == "de@simple" else german.language_name(code) for code in SUPPORTED}


OTHERS = "weitere (je weniger als 5)"


def grouped_small(counts: Sequence[UsageCount]) -> list[UsageCount]:
    """Values with fewer than 5 requests folded into one 'weitere' row per dimension: no count points to a family."""
    result: list[UsageCount] = []
    for dimension in dict.fromkeys(c.dimension for c in counts):
        rows = [c for c in counts if c.dimension == dimension]
        big = [c for c in rows if c.requests >= MIN_COUNT]
        rest = [c for c in rows if c.requests < MIN_COUNT]
        result += big
        if rest:
            result.append(
                UsageCount(
                    dimension,
                    OTHERS,
                    sum(c.requests for c in rest),
                    sum(c.nothing_found for c in rest),
                    sum(c.handed_over for c in rest),
                )
            )
    return result


def _usage_chart(counts: Sequence[UsageCount]) -> Figure:
    dimensions = ("Sprache", "Einstieg", "Kanal")
    figure, axes = plt.subplots(1, 3, figsize=(14, 4.8))
    for ax, dimension in zip(axes, dimensions, strict=True):
        rows = [c for c in counts if c.dimension == dimension][:12][::-1]
        ax.barh([c.value for c in rows], [c.requests for c in rows], color=DARK, edgecolor=EDGE)
        widest = max((c.requests for c in rows), default=1)
        for i, c in enumerate(rows):
            ax.text(c.requests + widest * 0.02, i, str(c.requests), va="center", fontsize=7)
        ax.set_xlim(0, widest * 1.2)
        first = max(rows, key=lambda c: c.requests) if rows else None
        title = f"{dimension}: am häufigsten {first.value} ({first.requests})" if first else f"{dimension}: keine"
        ax.set_title(_wrap(title, 38), loc="left", fontsize=10, weight="bold")
        ax.tick_params(axis="y", labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return figure


def _posters(args: argparse.Namespace) -> dict[str, str]:
    labels: dict[str, str] = {}
    for path in args.posters or ():
        try:
            labels |= read_poster_register(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ScriptError(f"--posters '{path}' lässt sich nicht lesen ({exc.strerror})") from None
    return labels


def cmd_usage(args: argparse.Namespace) -> int:
    posters = _posters(args)
    targets, _, places, _ = _targets(args)
    for target in targets:
        scope, out = target.scope, target.out
        counts = grouped_small(usage_counts(target.in_scope, _language_names(), places, posters))
        _write_csv(
            out / "nutzung.csv",
            ("bereich", "wert", "anfragen", "nichts_gefunden", "an_lotse_uebergeben"),
            [
                (c.dimension.lower(), c.value, c.requests, shown_count(c.nothing_found), shown_count(c.handed_over))
                for c in counts
            ],
        )
        chart = _png(_usage_chart(counts), out / "nutzung.png")
        parts = [
            "<h2>Überblick</h2>",
            _img(
                chart,
                "Drei Balkendiagramme: Anfragen nach Sprache, nach Einstieg (Plakat oder QR-Code) und nach Kanal, "
                "die Zahl neben jedem Balken. Die Zahlen stehen in den Tabellen unten und in nutzung.csv.",
                "Anfragen nach Sprache, Einstieg und Kanal. Werte mit weniger als 5 Anfragen sind zusammengefasst.",
            ),
        ]
        for dimension, title in (
            ("Sprache", "Sprachen"),
            ("Einstieg", "Einstiege: Plakate und QR-Codes"),
            ("Kanal", "Kanäle"),
        ):
            parts.append(f"<h2>{html.escape(title)}</h2>")
            parts.append(
                _table(
                    f"Anfragen nach {dimension}",
                    (dimension, "Anfragen", "nichts gefunden", "an Lotse übergeben"),
                    [
                        (c.value, c.requests, shown_count(c.nothing_found), shown_count(c.handed_over))
                        for c in counts
                        if c.dimension == dimension
                    ],
                )
            )
        page = out / "nutzung-bericht.html"
        page.write_text(_page(f"Nutzung des Familienlotsen – {scope.title_suffix}", scope, parts), encoding="utf-8")
        pdf = _pdf_or_note(page, args)
        requests = sum(c.requests for c in counts if c.dimension == "Kanal")
        print(f"Nutzungsbericht {scope.title_suffix}: {requests} Anfragen — {page.name}{pdf} geschrieben nach {out}")
    return EXIT_OK


# --------------------------------------------------------------------------------------------- outcomes

CHECKIN_COLUMNS = (
    "gruppe",
    "schluessel",
    "bezeichnung",
    "gefragt",
    "geantwortet",
    "erreicht",
    "noch_nicht",
    "nicht_erreicht",
    "geholfen",
    "zum_teil",
    "nicht_geholfen",
    "anteil_erreicht",
    "anteil_geholfen",
    "haeufigster_grund",
    "pruefen",
)
CHECKIN_GROUPS = (
    ("need", "bedarf", "Bedarf"),
    ("district", "stadtteil", "Stadtteil"),
    ("offer_id", "angebot", "Angebot"),
    ("case_outcome", "fall_ergebnis", "Ergebnis des Lotsen"),
)


def _checkin_labels(by: str, offers: Sequence[Offer], app: App) -> dict[str, str]:
    knowledge = app.knowledge
    if by == "need":
        return {n.id: n.label_de for n in knowledge.needs}
    if by == "district":
        return {d.id: d.name for d in knowledge.places.districts}
    if by == "offer_id":
        return {o.external_id: o.title for o in offers}
    return {**OUTCOMES, "": "ohne Lotsen (nach der Angebotsliste)"}


def _helped_share(cell: CheckInCell) -> float | None:
    return cell.share(cell.helped, cell.helped + cell.partly + cell.not_helped)


def _checkin_row(cell: CheckInCell) -> list[object]:
    """One table row under the small-number rule: '< 5' for small counts, shares only from 5 answers on."""

    def count(n: int) -> str:
        return shown_count(n) if not cell.small or n == 0 else ("–" if n else "0")

    reason = CHECKIN_REASONS_DE.get(cell.top_reason or "", "–")
    return [
        cell.label,
        shown_count(cell.asked),
        shown_count(cell.answered),
        count(cell.reached),
        count(cell.helped),
        count(cell.partly),
        count(cell.not_helped),
        count(cell.could_not),
        _percent(cell.share(cell.reached)),
        _percent(_helped_share(cell)),
        reason,
    ]


CHECKIN_HEADER = (
    "gefragt",
    "geantwortet",
    "erreicht",
    "geholfen",
    "zum Teil",
    "nicht geholfen",
    "nicht erreicht",
    "Anteil erreicht",
    "Anteil geholfen",
    "häufigster Grund",
)


def _checkin_parts(target: Target, offers: Sequence[Offer], app: App, *, brief: bool = False) -> list[str]:
    """The check-in findings as HTML: the summary, offers to check, tables by need (and district, offer, case)."""
    results = target.checkins_in_scope
    heading = "<h2>Hat es geholfen? Die Nachfrage bei den Familien</h2>"
    if not results:
        return [heading, "<p>Im Zeitraum hat noch keine Familie eine Nachfrage beantwortet.</p>"]
    [everyone] = checkin_cells(results, "all", {"": "alle"})
    summary = f"{shown_count(everyone.asked)} Familien wurden nachgefragt, {shown_count(everyone.answered)} antworteten"
    if not everyone.small:
        summary += (
            f": {shown_count(everyone.reached)} erreichten das Angebot ({_percent(everyone.share(everyone.reached))}), "
            f"{shown_count(everyone.could_not)} nicht; {shown_count(everyone.helped)} sagten, es habe geholfen, "
            f"{shown_count(everyone.partly)} zum Teil"
        )
    parts = [heading, f"<p>{html.escape(summary)}.</p>"]
    by_offer = checkin_cells(results, "offer_id", _checkin_labels("offer_id", offers, app))
    flagged = offers_to_check(c for c in by_offer if c.key)
    if flagged:
        parts.append("<h3>Angebote zum Nachsehen</h3>")
        parts.append('<ol class="befunde">' + "".join(f"<li>{html.escape(check_sentence(c))}</li>" for c in flagged))
        parts.append("</ol>")
    groups = CHECKIN_GROUPS[:1] if brief else CHECKIN_GROUPS
    for by, _, title in groups:
        cells = by_offer if by == "offer_id" else checkin_cells(results, by, _checkin_labels(by, offers, app))
        if by == "case_outcome" and all(not c.key for c in cells):
            continue
        parts.append(
            _table(
                f"Nachfrage nach {title} (Felder unter 5 Antworten am Ende, ohne Rang)",
                (title, *CHECKIN_HEADER),
                [_checkin_row(c) for c in cells],
            )
        )
    parts.append(f'<p class="hinweis">{html.escape(CHECKINS_DE)}</p>')
    return parts


def _checkin_csv_row(group: str, cell: CheckInCell, flag: bool) -> list[object]:
    """nachfrage.csv: counts under the small-number rule, shares and reason only from 5 answers on."""

    def count(n: int) -> object:
        return shown_count(n) if not cell.small or n == 0 else ""  # a small cell shows only its '< 5'

    return [
        group,
        cell.key,
        cell.label,
        shown_count(cell.asked),
        shown_count(cell.answered),
        count(cell.reached),
        count(cell.not_yet),
        count(cell.could_not),
        count(cell.helped),
        count(cell.partly),
        count(cell.not_helped),
        _decimal(cell.share(cell.reached), 3),
        _decimal(_helped_share(cell), 3),
        cell.top_reason or "",
        "ja" if flag else "",
    ]


def cmd_outcomes(args: argparse.Namespace) -> int:
    targets, offers, _, app = _targets(args)
    for target in targets:
        scope, out, results = target.scope, target.out, target.checkins_in_scope
        rows: list[list[object]] = []
        reasons: list[list[object]] = []
        for by, group, _ in CHECKIN_GROUPS:
            for cell in checkin_cells(results, by, _checkin_labels(by, offers, app)):
                flag = by == "offer_id" and bool(cell.key) and cell.often_not_reached
                rows.append(_checkin_csv_row(group, cell, flag))
                if by == "need" and not cell.small:
                    for reason, n in cell.reasons:
                        label = CHECKIN_REASONS_DE.get(reason, reason)
                        reasons.append([cell.key, cell.label, reason, label, shown_count(n)])
        _write_csv(out / "nachfrage.csv", CHECKIN_COLUMNS, rows)
        _write_csv(out / "nachfrage-gruende.csv", ("bedarf_id", "bedarf", "grund_id", "grund", "anzahl"), reasons)
        page = out / "nachfrage-bericht.html"
        parts = _checkin_parts(target, offers, app)
        page.write_text(_page(f"Nachfrage bei den Familien – {scope.title_suffix}", scope, parts), encoding="utf-8")
        pdf = _pdf_or_note(page, args)
        answered = sum(1 for r in results if r.outcome != "no_answer")
        print(
            f"Nachfragebericht {scope.title_suffix}: {shown_count(len(results))} nachgefragt, "
            f"{shown_count(answered)} geantwortet — {page.name}{pdf} geschrieben nach {out}"
        )
    return EXIT_OK


# --------------------------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    p = parser("python -m admin_scripts.report", __doc__)
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, func, text in (
        ("gaps", cmd_gaps, "gap report (CSV, charts, HTML, PDF), e.g. gaps --since 2026-09-01 --out bericht/"),
        ("usage", cmd_usage, "languages, channels and entry points, e.g. usage --out bericht/"),
        ("outcomes", cmd_outcomes, "did families reach the offer, did it help, e.g. outcomes --out bericht/"),
    ):
        c = commands.add_parser(name, help=text)
        c.add_argument("--since", metavar="DATE", help="only events from this day on (YYYY-MM-DD)")
        c.add_argument(
            "--network",
            metavar="NAME",
            help="one network (ludwigsburg, esslingen, weimar) or 'all' for one combined report; "
            "default: one report per network in its own folder",
        )
        c.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the files")
        c.add_argument("--no-pdf", action="store_true", help="skip the A4 PDF (it needs Chromium)")
        c.add_argument("--today", type=date.fromisoformat, help=argparse.SUPPRESS)  # tests: offer validity day
        if name == "usage":
            c.add_argument(
                "--posters",
                action="append",
                metavar="CSV",
                help="poster register(s) written by admin_scripts.qr --label (plakate.csv): entry -> poster label",
            )
        c.set_defaults(func=func)
    team_report.add_command(commands)  # lotsen: the team's own figures (admin_scripts/_team_report.py)
    args = p.parse_args(argv)
    args.today = args.today or date.today()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(run(main))
