"""Keep the offer database up to date from the spreadsheets coordinators already have.

examples:
  python -m admin_scripts.offers validate angebote.xlsx
  python -m admin_scripts.offers import angebote.csv --dry-run
  python -m admin_scripts.offers import angebote.csv
  python -m admin_scripts.offers export alle.xlsx --network ludwigsburg
  python -m admin_scripts.offers stale --days 365
  python -m admin_scripts.offers template vorlage.csv

An import is all or nothing: a file with any bad row changes nothing and lists every bad row.
Offers are matched by external_id; offers of the file's networks that the file no longer
contains are removed (use --keep-missing to only add and update).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from admin_scripts._cli import EXIT_OK, ScriptError, open_app, parser, run
from bot.domain.offers import Offer
from bot.domain.places import Places
from bot.knowledge import load_knowledge
from bot.offer_files import COLUMNS, OfferFileError, read_offers, write_offers
from bot.services.offers import ImportPlan, OfferRepository, import_offers, stale_offers


def _read_valid(path: Path, places: Places) -> list[Offer]:
    try:
        result = read_offers(path, places)
    except OfferFileError as exc:
        raise ScriptError(str(exc)) from exc
    if result.problems:
        for problem in result.problems:
            print(f"{path.name}: {problem}", file=sys.stderr)
        lines = len({p.line for p in result.problems})
        raise ScriptError(
            f"{path.name}: {lines} fehlerhafte Zeile(n), {len(result.problems)} Problem(e) — nichts geändert"
        )
    return result.offers


def _describe(plan: ImportPlan, dry_run: bool) -> None:
    verb = "würde" if dry_run else "wurde"
    for offer in plan.added:
        print(f"+ {offer.external_id}  {offer.title}")
    for before, after in plan.changed:
        fields = [f for f in before.__dataclass_fields__ if getattr(before, f) != getattr(after, f)]
        print(f"~ {after.external_id}  ({', '.join(fields)})")
    for offer in plan.removed:
        print(f"- {offer.external_id}  {offer.title}")
    print(
        f"{len(plan.added)} neu, {len(plan.changed)} geändert, {len(plan.removed)} entfernt, "
        f"{plan.unchanged} unverändert — {'nichts ' + verb + ' gespeichert' if dry_run else 'gespeichert'}"
    )


def cmd_import(args: argparse.Namespace) -> int:
    app = open_app(args)
    offers = _read_valid(args.file, app.knowledge.places)
    plan = import_offers(app.uow, offers, prune=not args.keep_missing, dry_run=args.dry_run)
    _describe(plan, args.dry_run)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    app = open_app(args)
    with app.uow() as session:
        offers = OfferRepository(session).all(network=args.network)
    try:
        write_offers(args.file, offers, app.knowledge.places)
    except OfferFileError as exc:
        raise ScriptError(str(exc)) from exc
    print(f"{len(offers)} Angebote nach {args.file} geschrieben")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    offers = _read_valid(args.file, load_knowledge().places)
    print(f"{args.file.name}: {len(offers)} Angebote, alle gültig")
    return EXIT_OK


def cmd_stale(args: argparse.Namespace) -> int:
    app = open_app(args)
    with app.uow() as session:
        offers = OfferRepository(session).all(network=args.network)
    found = stale_offers(offers, args.days, args.today or date.today())
    for offer, reason in found:
        print(f"{offer.external_id}\t{reason}\t{offer.title}")
    print(f"{len(found)} von {len(offers)} Angeboten müssen geprüft werden", file=sys.stderr)
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    """Write an empty template with every column, for a new spreadsheet."""
    if args.file.suffix.lower() not in (".csv", ".xlsx"):
        raise ScriptError("die Vorlage gibt es als .csv oder .xlsx")
    write_offers(args.file, [], load_knowledge().places)
    print(f"Vorlage mit {len(COLUMNS)} Spalten nach {args.file} geschrieben (Erklärung: docs/offers-template.md)")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    p = parser("python -m admin_scripts.offers", __doc__)
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = commands.add_parser("import", help="import CSV/XLSX/JSON (all or nothing), e.g. import angebote.csv --dry-run")
    c.add_argument("file", type=Path)
    c.add_argument("--dry-run", action="store_true", help="only show what would be added, changed and removed")
    c.add_argument("--keep-missing", action="store_true", help="do not remove offers missing from the file")
    c.set_defaults(func=cmd_import)

    c = commands.add_parser("export", help="export to CSV/XLSX/JSON, e.g. export alle.xlsx")
    c.add_argument("file", type=Path)
    c.add_argument("--network", help="only this network (ludwigsburg, esslingen, weimar)")
    c.set_defaults(func=cmd_export)

    c = commands.add_parser("validate", help="check a file without touching the database, e.g. validate a.csv")
    c.add_argument("file", type=Path)
    c.set_defaults(func=cmd_validate)

    c = commands.add_parser("stale", help="offers not verified for N days or expired, e.g. stale --days 365")
    c.add_argument("--days", type=int, default=365)
    c.add_argument("--network")
    c.add_argument("--today", type=date.fromisoformat, help=argparse.SUPPRESS)
    c.set_defaults(func=cmd_stale)

    c = commands.add_parser("template", help="write an empty template, e.g. template vorlage.xlsx")
    c.add_argument("file", type=Path)
    c.set_defaults(func=cmd_template)

    args = p.parse_args(argv)
    return args.func(args)


def console() -> int:
    return run(main)


if __name__ == "__main__":
    sys.exit(run(main))
