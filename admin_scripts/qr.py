"""A printable A4 entry poster (PDF and PNG) with a QR code that opens the Familienlotse preset to a district.

examples:
  python -m admin_scripts.qr --bot FamilienlotseBot --district Eglosheim --lang tr --out plakate/eglosheim-tr.pdf
  python -m admin_scripts.qr --district Südstadt --network weimar --lang ar --need money --out plakat.pdf
  TELEGRAM_BOT_USERNAME=FamilienlotseBot python -m admin_scripts.qr --district Nürtingen --lang uk --out nt

The QR code holds https://t.me/<bot>?start=d-<district>_l-<lang>[_n-<need>]_s-<source>. Families who scan it
start in their language with the district (and need) already chosen; the source (default qr-<district>) is
counted in the anonymous statistics, so `python -m admin_scripts.report usage` shows which poster works.
Both files are written: <out>.pdf for printing and <out>.png for mails and websites.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers; must come before pyplot
import matplotlib.pyplot as plt
import segno
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
    find_district,
    is_translated,
    payload,
    poster_text,
    poster_text_de,
)

A4_INCHES = (210 / 25.4, 297 / 25.4)  # 595 x 842 pt in the PDF
PNG_DPI = 150  # 1240 x 1754 px: sharp enough to print, small enough to mail
BLUE = "#0b4f8a"


def _lines(text: str, width: int) -> str:
    # matplotlib >= 3.11 shapes Arabic script and orders right-to-left text itself; we only wrap
    return "\n".join(textwrap.wrap(text, width))


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


def render(link: str, text: PosterText, german: PosterText | None, network_name: str) -> Figure:
    """The A4 poster: family's language on top, the QR code, the German text below."""
    figure = plt.figure(figsize=A4_INCHES)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 210)
    ax.set_ylim(0, 297)
    ax.axis("off")
    ax.add_patch(Rectangle((0, 277), 210, 20, color=BLUE))
    ax.text(105, 287, f"Familienlotse · {network_name}", ha="center", va="center", fontsize=16, color="white")
    ax.text(105, 262, _lines(text.headline, 30), ha="center", va="top", fontsize=24, weight="bold")
    ax.text(105, 228, _lines(text.body, 58), ha="center", va="top", fontsize=13, linespacing=1.4)
    if text.topic:
        ax.text(105, 196, text.topic, ha="center", va="top", fontsize=14, weight="bold", color=BLUE)
    ax.add_patch(_qr_patch(link, 55, 92, 100))
    ax.text(105, 90, link.removeprefix("https://"), ha="center", va="top", fontsize=8, family="DejaVu Sans Mono")
    if german is not None:
        ax.plot([20, 190], [80, 80], color=BLUE, linewidth=1)
        ax.text(105, 75, _lines(german.headline, 52), ha="center", va="top", fontsize=14, weight="bold")
        ax.text(105, 58, _lines(german.body, 78), ha="center", va="top", fontsize=10, linespacing=1.35)
        if german.topic:
            ax.text(105, 34, german.topic, ha="center", va="top", fontsize=11, weight="bold", color=BLUE)
    footer = text.footer if german is None else f"{text.footer}  ·  {german.footer}"
    ax.text(105, 12, footer, ha="center", va="center", fontsize=10, color="#333333")
    return figure


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
    p.add_argument("--out", required=True, type=Path, metavar="FILE", help="poster file; .pdf and .png are written")
    args = p.parse_args(argv)
    knowledge = load_knowledge() if os.environ.get("KNOWLEDGE_DIR") else bundled_knowledge()  # cached: quick tests
    try:
        bot = check_bot(args.bot or os.environ.get("TELEGRAM_BOT_USERNAME"))
        district = find_district(knowledge.places, args.district, args.network)
        code = check_locale(args.lang)
        need = check_need(knowledge, args.need)
        start = payload(knowledge.places, district, code, need, args.source)
    except PosterError as exc:
        raise ScriptError(str(exc)) from exc
    link = deep_link(bot, start)
    network = knowledge.places.network(district.network_id)
    german = poster_text_de(knowledge, district.name, need)
    # German families get the German text once; everyone else gets theirs plus German
    text = german if code == "de" else poster_text(code, district.name, need)
    figure = render(link, text, None if code == "de" else german, network.name if network else "")
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
    print(link)
    print(f"Plakat für {district.name} ({code}) geschrieben: {pdf} und {png}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(run(main))
