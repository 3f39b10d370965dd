"""`python -m admin_scripts.report lotsen`: the Lotsen team's figures per week (bot.services.team_figures).

examples:
  python -m admin_scripts.report lotsen                              # the team, every week retention keeps
  python -m admin_scripts.report lotsen --since 2026-09-01 --out team.csv
  python -m admin_scripts.report lotsen --per-lotse                  # per Lotse: staff data, for the team only
"""

from __future__ import annotations

import argparse
import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

from admin_scripts._cli import EXIT_OK, ScriptError, open_app
from bot.services.handover import OUTCOMES
from bot.services.team_figures import WeekFigures, median, p90, team_figures

HEADER = [
    "woche",
    "wer",
    "faelle",
    "uebernommen",
    "min_bis_uebernahme_median",
    "min_bis_uebernahme_p90",
    "min_bis_erste_antwort_median",
    "min_bis_erste_antwort_p90",
    *(f"ergebnis_{name}" for name in OUTCOMES),
    "noch_offen",
    "bewertungen",
    "bewertung_mittel",
]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}".replace(".", ",")  # German Excel's decimal comma


def csv_row(row: WeekFigures) -> list[str]:
    rating = sum(row.ratings) / len(row.ratings) if row.ratings else None
    return [
        row.week,
        row.who,
        str(row.cases),
        str(row.claimed),
        _number(median(row.minutes_to_claim)),
        _number(p90(row.minutes_to_claim)),
        _number(median(row.minutes_to_answer)),
        _number(p90(row.minutes_to_answer)),
        *(str(row.outcomes[name]) for name in OUTCOMES),
        str(row.still_open),
        str(len(row.ratings)),
        _number(rating),
    ]


def cmd_lotsen(args: argparse.Namespace) -> int:
    app = open_app(args)
    rows = team_figures(app.uow, args.since, per_lotse=args.per_lotse)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(csv_row(row) for row in rows)
    if args.out is None:
        print(out.getvalue(), end="")
        return EXIT_OK
    try:
        args.out.write_text(out.getvalue(), encoding="utf-8-sig")  # with BOM: Excel then reads the umlauts
    except OSError as error:
        raise ScriptError(f"{args.out}: nicht schreibbar ({error.strerror})") from error
    print(f"{len(rows)} Zeilen nach {args.out} geschrieben")
    return EXIT_OK


def add_command(commands: Any) -> None:
    """Registers `lotsen` among the report's subcommands."""
    c = commands.add_parser("lotsen", help="the Lotsen team per week, e.g. lotsen --since 2026-09-01 [--per-lotse]")
    c.add_argument("--since", type=date.fromisoformat, metavar="DATE", help="cases from this day on (YYYY-MM-DD)")
    c.add_argument("--per-lotse", action="store_true", help="one row per Lotse and week (staff data)")
    c.add_argument("--out", type=Path, metavar="CSV", help="write a CSV file instead of printing")
    c.set_defaults(func=cmd_lotsen, today=None)
