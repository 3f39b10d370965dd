"""A printable A4 entry poster (PDF and PNG) with a QR code that opens the Familienlotse preset to a district.

examples:
  python -m admin_scripts.qr --bot FamilienlotseBot --district Eglosheim --lang tr --out plakate/eglosheim-tr.pdf
  python -m admin_scripts.qr --district Südstadt --network weimar --lang ar --need money --out plakat.pdf
  TELEGRAM_BOT_USERNAME=FamilienlotseBot python -m admin_scripts.qr --district Nürtingen --lang uk --out nt
  python -m admin_scripts.qr --district Eglosheim --lang ar --bilingual --web https://bot.example.org --out eg-ar

The QR code holds https://t.me/<bot>?start=d-<district>_l-<lang>[_n-<need>]_s-<source>. Families who scan it
start in their language with the district (and need) already chosen; the source (default qr-<district>) is
counted in the anonymous statistics, so `python -m admin_scripts.report usage` shows which poster works.
Both files are written: <out>.pdf for printing and <out>.png for mails and websites. Families without Telegram
find a second QR code to the web overview and the phone number of the network's Lotsen office (knowledge/
districts.yaml, or --phone). The family's language stands on top and German below; --bilingual sets both side by
side, equally large (Arabic and Farsi in the right-hand column, where their readers start).
"""

from __future__ import annotations

import csv
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers; must come before pyplot
import matplotlib.pyplot as plt
import segno
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath

from admin_scripts._cli import EXIT_OK, ScriptError, parser, run
from bot.knowledge import bundled_knowledge, load_knowledge
from bot.posters import (
    PosterError,
    PosterText,
    check_bot,
    check_locale,
    check_need,
    deep_link,
    default_web_base,
    find_district,
    is_translated,
    payload,
    poster_text,
    poster_text_de,
    web_link,
)

A4_INCHES = (210 / 25.4, 297 / 25.4)  # 595 x 842 pt in the PDF
PNG_DPI = 150  # 1240 x 1754 px: sharp enough to print, small enough to mail
BLUE = "#0b4f8a"


RLM = "\u200f"  # RIGHT-TO-LEFT MARK


def _lines(text: str, width: int, rtl: bool = False) -> str:
    """Wrapped lines; right-to-left lines start with an RLM.

    matplotlib >= 3.11 shapes Arabic script and orders each line with the Unicode bidi algorithm, but every
    line is its own paragraph whose direction comes from its first strong letter: a wrapped line that starts
    with "Eglosheim." or "Telegram" was laid out left to right, so the Latin word landed at the wrong end.
    The mark makes every line of an Arabic or Farsi text right-to-left, whatever word it starts with.
    """
    lines = [line for paragraph in text.split("\n") for line in textwrap.wrap(paragraph, width)]
    return "\n".join(RLM + line if rtl else line for line in lines)


def _qr_patch(link: str, x: float, y: float, size: float) -> PathPatch:
    """The QR code as one vector shape: crisp at any print size, no blurred image scaling."""
    qr = segno.make(link, error="m")
    matrix = [list(row) for row in qr.matrix]
    modules = len(matrix) + 8  # four modules of quiet zone on each side
    unit = size / modules
    vertices: list[tuple[float, float]] = []
    codes: list[int] = []
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1  # one rectangle per run of dark modules keeps the PDF small
            left, right = x + (start + 4) * unit, x + (c + 4) * unit
            top, bottom = y + size - (r + 4) * unit, y + size - (r + 5) * unit
            vertices += [(left, bottom), (right, bottom), (right, top), (left, top), (left, bottom)]
            codes += [MplPath.MOVETO, MplPath.LINETO, MplPath.LINETO, MplPath.LINETO, MplPath.CLOSEPOLY]
    return PathPatch(MplPath(vertices, codes), facecolor="black", edgecolor="none", antialiased=False)


def _sheet(network_name: str) -> tuple[Figure, Axes]:
    """An A4 page in millimetres with the blue band naming the network."""
    figure = plt.figure(figsize=A4_INCHES)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 210)
    ax.set_ylim(0, 297)
    ax.axis("off")
    ax.add_patch(Rectangle((0, 277), 210, 20, color=BLUE))
    ax.text(105, 287, f"Familienlotse · {network_name}", ha="center", va="center", fontsize=16, color="white")
    return figure, ax


def render(link: str, text: PosterText, german: PosterText | None, network_name: str, web: str | None = None) -> Figure:
    """The A4 poster: family's language on top, the QR code, the way in without Telegram, the German text below."""
    figure, ax = _sheet(network_name)
    rtl = text.rtl
    headline = _lines(text.headline, 30, rtl)
    ax.text(105, 266, headline, ha="center", va="top", fontsize=22, weight="bold")
    # a three-line headline (Farsi) pushes the body down instead of running into it
    body_top = min(236, 266 - 10.5 * (headline.count("\n") + 1) - 3)
    ax.text(105, body_top, _lines(text.body, 58, rtl), ha="center", va="top", fontsize=12.5, linespacing=1.4)
    if text.topic:
        ax.text(105, 203, _lines(text.topic, 60, rtl), ha="center", va="top", fontsize=14, weight="bold", color=BLUE)
    ax.add_patch(_qr_patch(link, 62, 110, 86))
    ax.text(105, 110, link.removeprefix("https://"), ha="center", va="top", fontsize=7.5, family="DejaVu Sans Mono")
    # each language's footer on its own line: one mixed line put the Arabic and German sentences in a muddle
    ax.text(105, 103, _lines(text.footer, 80, rtl), ha="center", va="top", fontsize=10, color="#333333")
    x, align = (190, "right") if rtl else (52, "left")  # right-to-left text starts at the right margin
    if web:
        # the way in without Telegram: the overview needs no app and no account, in every language
        ax.add_patch(_qr_patch(web, 18, 66, 30))
        ax.text(x, 92, _lines(text.web, 60, rtl), ha=align, va="top", fontsize=11, weight="bold")
        ax.text(52, 83, web.removeprefix("https://"), ha="left", va="top", fontsize=9, family="DejaVu Sans Mono")
    if text.call:  # the Lotsen office, also on a poster without the web address
        ax.text(
            x if web else 105,
            76 if web else 88,
            _lines(text.call, 60, rtl),
            ha=align if web else "center",
            va="top",
            fontsize=11,
        )
    if german is not None:
        ax.plot([20, 190], [64, 64], color=BLUE, linewidth=1)
        ax.text(105, 60, _lines(german.headline, 75), ha="center", va="top", fontsize=12, weight="bold")
        ax.text(105, 50, _lines(german.body, 82), ha="center", va="top", fontsize=9.5, linespacing=1.35)
        if german.topic:
            ax.text(105, 31, german.topic, ha="center", va="top", fontsize=10.5, weight="bold", color=BLUE)
        web_de = f"{german.web if web else ''} {german.call}".strip()
        ax.text(105, 23, _lines(web_de, 90), ha="center", va="top", fontsize=9)
        ax.text(105, 12, german.footer, ha="center", va="center", fontsize=10, color="#333333")
    return figure


# x centres (mm) in the two-column layout: the column, the strip beside the QR code, the strip beside the web code
COLUMNS = {"left": (57, 36, 50), "right": (153, 174, 160)}


def _fitted(ax: Axes, x: float, top: float, text: str, width: float, chars: int, rtl: bool, **style: object) -> float:
    """Centred lines no wider than `width` mm (re-wrapped narrower until they fit: Cyrillic runs wider than
    Latin); returns where the text ends, in mm from the bottom of the page."""
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    while True:
        artist = ax.text(x, top, _lines(text, chars, rtl), ha="center", va="top", **style)  # type: ignore[arg-type]
        (left, bottom), (right, _) = ax.transData.inverted().transform(artist.get_window_extent(renderer))
        if right - left <= width or chars <= 12:
            return float(bottom)
        artist.remove()
        chars -= 2


def render_bilingual(link: str, text: PosterText, german: PosterText, network_name: str, web: str | None) -> Figure:
    """The A4 poster in two equal columns, the family's language where its readers start: left, or right for
    Arabic and Farsi (German takes the other column); the QR code between the footers, the web way in below."""
    figure, ax = _sheet(network_name)
    sides = (("right", text), ("left", german)) if text.rtl else (("left", text), ("right", german))
    ax.plot([105, 105], [162, 270], color=BLUE, linewidth=1)
    ax.add_patch(_qr_patch(link, 62, 72, 86))
    ax.text(105, 72, link.removeprefix("https://"), ha="center", va="top", fontsize=7.5, family="DejaVu Sans Mono")
    if web:
        ax.add_patch(_qr_patch(web, 90, 22, 30))
        ax.text(105, 22, web.removeprefix("https://"), ha="center", va="top", fontsize=7.5, family="DejaVu Sans Mono")
    for side, column in sides:
        x, beside_qr, beside_web = COLUMNS[side]
        rtl = column.rtl
        end = _fitted(ax, x, 270, column.headline, 86, 22, rtl, fontsize=19, weight="bold", linespacing=1.2)
        end = _fitted(ax, x, end - 5, column.body, 86, 38, rtl, fontsize=12.5, linespacing=1.4)
        if column.topic:
            _fitted(ax, x, end - 4, column.topic, 86, 36, rtl, fontsize=12.5, weight="bold", color=BLUE)
        _fitted(ax, beside_qr, 124, column.footer, 44, 20, rtl, fontsize=10, color="#333333")
        if web:
            lines = column.web + (f"\n{column.call}" if column.call else "")  # the number on a line of its own
            _fitted(ax, beside_web, 48, lines, 68, 34, rtl, fontsize=10, linespacing=1.4)
    return figure


def _register(path: Path, source: str, label: str, district: str, code: str, link: str) -> None:
    """One line per poster in plakate.csv: `report usage --posters plakate.csv` then shows the label."""
    new = not path.exists()
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        if new:
            writer.writerow(("quelle", "bezeichnung", "stadtteil", "sprache", "link"))
        writer.writerow((source, label, district, code, link))


def _paths(out: Path) -> tuple[Path, Path]:
    stem = out.with_suffix("") if out.suffix.lower() in (".pdf", ".png") else out
    return stem.with_suffix(".pdf"), stem.with_suffix(".png")


def main(argv: Sequence[str] | None = None) -> int:
    p = parser("python -m admin_scripts.qr", __doc__)
    p.add_argument("--district", required=True, metavar="NAME", help="district or town, name or alias")
    p.add_argument("--lang", required=True, metavar="L", help="language code, e.g. tr, ar, uk, de-simple")
    p.add_argument("--need", metavar="ID", help="preset need, e.g. childcare (see knowledge/needs.yaml)")
    p.add_argument("--network", metavar="NAME", help="needed where two networks share a name (Südstadt)")
    p.add_argument("--source", help="what the statistics count as entry (default qr-<district>)")
    p.add_argument("--bot", metavar="NAME", help="the bot's username (default $TELEGRAM_BOT_USERNAME)")
    p.add_argument(
        "--web",
        metavar="URL",
        help="where the /angebote overview is served (default: the origin of $WEBHOOK_URL); printed as a second "
        "QR code for families without Telegram",
    )
    p.add_argument(
        "--phone", help="phone for families without Telegram (default: the network's lotsen_office in knowledge)"
    )
    p.add_argument(
        "--bilingual",
        action="store_true",
        help="the family's language and German side by side, equally large (right to left: family's on the right)",
    )
    p.add_argument("--label", help="what coordinators call this poster; kept in plakate.csv beside it for the report")
    p.add_argument("--out", required=True, type=Path, metavar="FILE", help="poster file; .pdf and .png are written")
    args = p.parse_args(argv)
    knowledge = load_knowledge() if os.environ.get("KNOWLEDGE_DIR") else bundled_knowledge()  # cached: quick tests
    try:
        bot = check_bot(args.bot or os.environ.get("TELEGRAM_BOT_USERNAME"))
        district = find_district(knowledge.places, args.district, args.network)
        code = check_locale(args.lang)
        need = check_need(knowledge, args.need)
        start = payload(knowledge.places, district, code, need, args.source)
        base = args.web or default_web_base(os.environ.get("WEBHOOK_URL"))
        web = web_link(base, district.network_id, code) if base else None
        if args.bilingual and code == "de":
            raise PosterError("--bilingual stellt eine andere Sprache neben Deutsch — bitte --lang angeben, z. B. ar")
    except PosterError as exc:
        raise ScriptError(str(exc)) from exc
    link = deep_link(bot, start)
    network = knowledge.places.network(district.network_id)
    office = network.lotsen_office if network else None
    phone = (args.phone or (office.phone if office else "")).strip()
    german = poster_text_de(knowledge, district.name, need, phone)
    # German families get the German text once; everyone else gets theirs plus German
    text = german if code == "de" else poster_text(code, district.name, need, phone)
    name = network.name if network else ""
    if args.bilingual:
        figure = render_bilingual(link, text, german, name, web)
    else:
        figure = render(link, text, None if code == "de" else german, name, web)
    pdf, png = _paths(args.out)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(pdf, format="pdf")
    figure.savefig(png, format="png", dpi=PNG_DPI)
    plt.close(figure)
    if code != "de" and not is_translated(code):
        print(
            f"Hinweis: der Plakattext ist für '{code}' noch nicht übersetzt — das Plakat zeigt Englisch",
            file=sys.stderr,
        )
    if web is None:
        print("Hinweis: ohne --web (oder WEBHOOK_URL) fehlt der Weg ohne Telegram auf dem Plakat", file=sys.stderr)
    if args.label:
        _register(pdf.parent / "plakate.csv", start.rsplit("_s-", 1)[1], args.label, district.name, code, link)
    print(link)
    if web:
        print(web)
    print(f"Plakat für {district.name} ({code}) geschrieben: {pdf} und {png}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(run(main))
