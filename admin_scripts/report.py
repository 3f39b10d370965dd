"""Reports for coordinators from the anonymous demand statistics: gaps in the offers, and how families come.

examples:
  python -m admin_scripts.report gaps --out bericht/
  python -m admin_scripts.report gaps --since 2026-09-01 --network ludwigsburg --out bericht/
  python -m admin_scripts.report usage --since 2026-09-01 --out bericht/

gaps writes luecken.csv (every district x need), anfragen-pro-woche.csv, two charts (PNG) and
luecken-bericht.html, one self-contained page to mail or print. usage writes nutzung.csv, nutzung.png and
nutzung-bericht.html: languages, channels and entry points (which poster or QR code brought families).
CSV files use ';' and a decimal comma, as German Excel expects.
"""

from __future__ import annotations

import argparse
import base64
import csv
import html
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers; must come before pyplot
import matplotlib.pyplot as plt
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure

from admin_scripts._cli import EXIT_OK, ScriptError, open_app, parser, run
from bot.bootstrap import App
from bot.domain.offers import Offer
from bot.domain.places import Network
from bot.i18n import SUPPORTED, texts
from bot.services.offers import OfferRepository
from bot.services.reports import (
    SCORE_EXPLANATION_DE,
    DemandEvent,
    GapCell,
    UsageCount,
    ambiguous_district_names,
    find_network,
    gap_cells,
    gap_sentence,
    largest_gaps,
    load_events,
    place_name,
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


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel then reads UTF-8
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)


def _png(figure: Figure, path: Path) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
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
@media print{h2{break-after:avoid}figure,table{break-inside:avoid}}
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


def _open(args: argparse.Namespace) -> tuple[Scope, list[DemandEvent], list[Offer], App]:
    since = _since(args.since)  # a bad date fails before the database is touched
    app = open_app(args)
    places = app.knowledge.places
    if args.network:
        network = find_network(places, args.network)
        if network is None:
            known = ", ".join(n.id for n in places.networks)
            raise ScriptError(f"unbekanntes Netzwerk '{args.network}' (bekannt: {known})")
        networks: tuple[Network, ...] = (network,)
    else:
        networks = places.networks
    with app.uow() as session:
        events = load_events(session, since=since, network=networks[0].id if args.network else None)
        offers = OfferRepository(session).all()
    args.out.mkdir(parents=True, exist_ok=True)
    return Scope(since, networks, args.today or date.today()), events, offers, app


# --------------------------------------------------------------------------------------------- gaps


def _heatmap(cells: Sequence[GapCell], scope: Scope, ambiguous: frozenset[str]) -> Figure:
    districts = list(dict.fromkeys((c.district_id, place_name(c, ambiguous)) for c in cells))
    needs = list(dict.fromkeys((c.need_id, c.need_label) for c in cells))
    by_key = {(c.district_id, c.need_id): c for c in cells}
    scores = [[by_key[(d, n)].score for n, _ in needs] for d, _ in districts]
    figure, axes = plt.subplots(figsize=(4 + 0.75 * len(needs), 2 + 0.32 * len(districts)))
    # square-root colour scale: one huge gap must not wash out the smaller ones
    image = axes.imshow(scores, cmap="YlOrRd", aspect="auto", norm=PowerNorm(0.5, vmin=0))
    networks = [c.network_id for c in cells[:: len(needs)]]
    for i in range(1, len(networks)):
        if networks[i] != networks[i - 1]:
            axes.axhline(i - 0.5, color="#333333", linewidth=1.5)  # a line between the networks
    top = max((max(row) for row in scores), default=0) or 1
    top = top**0.5
    for i, (district_id, _) in enumerate(districts):
        for j, (need_id, _) in enumerate(needs):
            cell = by_key[(district_id, need_id)]
            if cell.requests:
                # dark text on light cells, white on dark: readable in print and for weak eyes
                colour = "white" if cell.score**0.5 > 0.6 * top else "black"
                axes.text(
                    j, i, f"{cell.nothing_found}/{cell.requests}", ha="center", va="center", fontsize=6.5, color=colour
                )
    axes.set_xticks(range(len(needs)), [label for _, label in needs], rotation=40, ha="right", fontsize=8)
    axes.set_yticks(range(len(districts)), [name for _, name in districts], fontsize=8)
    axes.set_title("Lücken nach Stadtteil und Bedarf (Zahl im Feld: nichts gefunden / Anfragen)", fontsize=10)
    figure.colorbar(image, ax=axes, label="Lücken-Wert", shrink=0.6)
    return figure


def _weekly_chart(events: Sequence[DemandEvent], scope: Scope) -> Figure:
    weeks = weekly_requests(events, first=scope.since)
    figure, axes = plt.subplots(figsize=(10, 4))
    labels = [w.week for w in weeks]
    found = [w.requests - w.nothing_found for w in weeks]
    nothing = [w.nothing_found for w in weeks]
    axes.bar(labels, found, label="etwas Passendes gefunden", color="#2b7bba")
    axes.bar(labels, nothing, bottom=found, label="nichts Passendes gefunden", color="#d95f02", hatch="//")
    axes.set_ylabel("Anfragen")
    axes.set_xlabel("Kalenderwoche")
    axes.set_title("Anfragen pro Woche")
    axes.tick_params(axis="x", labelrotation=60, labelsize=7)
    axes.legend()
    axes.grid(axis="y", alpha=0.3)
    return figure


def cmd_gaps(args: argparse.Namespace) -> int:
    scope, events, offers, app = _open(args)
    knowledge = app.knowledge
    cells = gap_cells(events, offers, knowledge.places, knowledge.needs, day=scope.today, networks=scope.networks)
    top = largest_gaps(cells)
    rank = {(c.district_id, c.need_id): i for i, c in enumerate(top, start=1)}
    ambiguous = ambiguous_district_names(knowledge.places)
    out: Path = args.out

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
                c.requests,
                c.nothing_found,
                c.offers_available,
                c.handed_over,
                _decimal(c.share_handed_over, 3),
                _decimal(c.median_minutes_to_claim),
                _decimal(c.score, 2),
                rank.get((c.district_id, c.need_id), ""),
            )
            for c in cells
        ],
    )
    weeks = weekly_requests(events, first=scope.since)
    _write_csv(
        out / "anfragen-pro-woche.csv",
        ("kalenderwoche", "anfragen", "nichts_gefunden"),
        [(w.week, w.requests, w.nothing_found) for w in weeks],
    )
    heat = _png(_heatmap(cells, scope, ambiguous), out / "luecken-heatmap.png")
    weekly = _png(_weekly_chart(events, scope), out / "anfragen-pro-woche.png")

    requests = sum(c.requests for c in cells)
    nothing = sum(c.nothing_found for c in cells)
    unplaced = sum(1 for e in events if e.outcome in ("found", "nothing_fits") and not (e.district and e.need))
    parts = [
        "<h2>Das Wichtigste</h2>",
        f"<p>{requests} Anfragen mit Stadtteil und Bedarf; {nothing} davon fanden nichts Passendes"
        + (f" ({nothing / requests:.0%})".replace("%", " %") if requests else "")
        + (f". Weitere {unplaced} Anfragen ohne Stadtteil oder Bedarf sind hier nicht verteilt." if unplaced else ".")
        + "</p>",
        "<h2>Die zehn größten Lücken</h2>",
        "<ol>" + "".join(f"<li>{html.escape(gap_sentence(c, ambiguous))}</li>" for c in top) + "</ol>"
        if top
        else "<p>Keine Anfragen im Zeitraum — keine Lücken zu zeigen.</p>",
        "<h2>So wird gerechnet</h2>",
        "<ul><li><strong>Anfragen</strong>: Suchen von Familien nach Angeboten (gefunden oder nichts Passendes).</li>"
        "<li><strong>Nichts gefunden</strong>: die Suche ergab kein passendes Angebot.</li>"
        "<li><strong>Angebote</strong>: gültige Angebote zu diesem Bedarf, die den Stadtteil versorgen "
        "(Angebote für das ganze Netzwerk zählen überall mit).</li>"
        "<li><strong>An Lotse übergeben</strong>: Anteil der Anfragen, bei denen ein Mensch gebeten wurde.</li>"
        "<li><strong>Wartezeit</strong>: Median der Minuten, bis ein Lotse die Anfrage übernahm.</li></ul>",
        f'<p class="hinweis">{html.escape(SCORE_EXPLANATION_DE)}</p>',
        "<h2>Karte der Lücken</h2>",
        _img(
            heat,
            "Heatmap: Stadtteile in Zeilen, Bedarfe in Spalten; je dunkler, desto größer die Lücke. "
            "Die Zahlen stehen auch in der Tabelle unten und in luecken.csv.",
            "Je dunkler das Feld, desto größer die Lücke.",
        ),
        "<h2>Anfragen im Zeitverlauf</h2>",
        _img(
            weekly,
            "Balkendiagramm der Anfragen pro Kalenderwoche, geteilt in gefunden und nichts gefunden. "
            "Die Zahlen stehen in anfragen-pro-woche.csv.",
            "Anfragen pro Kalenderwoche.",
        ),
        "<h2>Alle Stadtteile und Bedarfe mit Anfragen</h2>",
        _table(
            "Anfragen, Angebote und Lücken je Stadtteil und Bedarf",
            ("Stadtteil", "Bedarf", "Anfragen", "nichts gefunden", "Angebote", "an Lotse", "Wartezeit", "Lücken-Wert"),
            [
                (
                    place_name(c, ambiguous),
                    c.need_label,
                    c.requests,
                    c.nothing_found,
                    c.offers_available,
                    f"{c.share_handed_over:.0%}".replace("%", " %") if c.share_handed_over is not None else "–",
                    _decimal(c.median_minutes_to_claim, 0) + " min" if c.median_minutes_to_claim is not None else "–",
                    _decimal(c.score, 1),
                )
                for c in sorted(cells, key=lambda c: -c.score)
                if c.requests
            ],
            numeric_from=2,
        ),
    ]
    (out / "luecken-bericht.html").write_text(_page("Lückenbericht Familienlotse", scope, parts), encoding="utf-8")
    print(f"Lückenbericht: {requests} Anfragen, {len(top)} Lücken benannt — geschrieben nach {out}")
    for i, cell in enumerate(top[:3], start=1):
        print(f"{i}. {gap_sentence(cell, ambiguous)}")
    return EXIT_OK


# --------------------------------------------------------------------------------------------- usage


def _language_names() -> dict[str, str]:
    """German names of the bot's languages, for coordinators ('Türkisch', 'Einfache Sprache')."""
    german = texts("de")
    return {code: "Einfache Sprache" if code == "de@simple" else german.language_name(code) for code in SUPPORTED}


def _usage_chart(counts: Sequence[UsageCount]) -> Figure:
    dimensions = ("Sprache", "Einstieg", "Kanal")
    figure, axes = plt.subplots(1, 3, figsize=(13, 4.5))
    for ax, dimension in zip(axes, dimensions, strict=True):
        rows = [c for c in counts if c.dimension == dimension][:12][::-1]
        ax.barh([c.value for c in rows], [c.requests for c in rows], color="#2b7bba")
        ax.set_title(f"Anfragen nach {dimension}")
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    return figure


def cmd_usage(args: argparse.Namespace) -> int:
    scope, events, _, _ = _open(args)
    counts = usage_counts(events, _language_names())
    out: Path = args.out
    _write_csv(
        out / "nutzung.csv",
        ("bereich", "wert", "anfragen", "nichts_gefunden", "an_lotse_uebergeben"),
        [(c.dimension.lower(), c.value, c.requests, c.nothing_found, c.handed_over) for c in counts],
    )
    chart = _png(_usage_chart(counts), out / "nutzung.png")
    parts = [
        "<h2>Überblick</h2>",
        _img(
            chart,
            "Drei Balkendiagramme: Anfragen nach Sprache, nach Einstieg (Plakat oder QR-Code) und nach Kanal. "
            "Die Zahlen stehen in den Tabellen unten und in nutzung.csv.",
            "Anfragen nach Sprache, Einstieg und Kanal.",
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
                [(c.value, c.requests, c.nothing_found, c.handed_over) for c in counts if c.dimension == dimension],
            )
        )
    (out / "nutzung-bericht.html").write_text(_page("Nutzung des Familienlotsen", scope, parts), encoding="utf-8")
    requests = sum(c.requests for c in counts if c.dimension == "Kanal")
    print(f"Nutzungsbericht: {requests} Anfragen — geschrieben nach {out}")
    return EXIT_OK


# --------------------------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    p = parser("python -m admin_scripts.report", __doc__)
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, func, text in (
        ("gaps", cmd_gaps, "gap report (CSV, charts, HTML), e.g. gaps --since 2026-09-01 --out bericht/"),
        ("usage", cmd_usage, "languages, channels and entry points, e.g. usage --out bericht/"),
    ):
        c = commands.add_parser(name, help=text)
        c.add_argument("--since", metavar="DATE", help="only events from this day on (YYYY-MM-DD)")
        c.add_argument("--network", metavar="NAME", help="only this network (ludwigsburg, esslingen, weimar)")
        c.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the files")
        c.add_argument("--today", type=date.fromisoformat, help=argparse.SUPPRESS)  # tests: offer validity day
        c.set_defaults(func=func)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(run(main))
