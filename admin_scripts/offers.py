"""Keep the offer database up to date from the spreadsheets coordinators already have.

examples:
  python -m admin_scripts.offers validate angebote.xlsx
  python -m admin_scripts.offers import angebote.csv --dry-run
  python -m admin_scripts.offers import angebote.csv
  python -m admin_scripts.offers export alle.xlsx --network ludwigsburg
  python -m admin_scripts.offers export --format hsds hsds-paket/     (or hsds-paket.zip)
  python -m admin_scripts.offers import hsds-paket.zip --dry-run
  python -m admin_scripts.offers stale --days 365 [--by-provider rundbrief/]
  python -m admin_scripts.offers confirm --provider "Caritas Ludwigsburg" --by netzwerk@example.org
  python -m admin_scripts.offers template vorlage.csv

An import is all or nothing: a file with any bad row changes nothing and lists every bad row.
Title rows above the header, the template's German column names, need/network/language names
in German, opening hours as written ("Mo–Fr 9–12 Uhr") and ages ("0–3 J.") are read, with a
warning where the reading is worth a look. Offers are matched by external_id; offers of the
file's networks that the file no longer contains are removed (use --keep-missing to only add
and update); removing more than 10 % of a network's offers needs --allow-removals.
Running bots pick an import up within seconds, without a restart.
Offers travel to and from other directories as Open Referral HSDS 3.0 data packages
(a folder or .zip of JSON tables with datapackage.json); import reads them like any sheet.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from admin_scripts._cli import EXIT_OK, ScriptError, open_app, parser, run
from bot.domain.needs import Need
from bot.domain.offers import Offer, format_opening_hours
from bot.domain.places import Places
from bot.knowledge import load_knowledge
from bot.offer_files import COLUMNS, FORMATS, OfferFileError, guard_cell, read_offers, write_offers
from bot.services.offers import (
    ImportPlan,
    OfferRepository,
    RemovalsNeedConsent,
    confirm_offers,
    import_offers,
    stale_offers,
)


def _read_valid(path: Path, places: Places, needs: tuple[Need, ...]) -> list[Offer]:
    try:
        result = read_offers(path, places, needs)
    except OfferFileError as exc:
        raise ScriptError(str(exc)) from exc
    for warning in result.warnings:  # read, but the coordinator should know how
        print(f"{path.name}: Hinweis: {warning}", file=sys.stderr)
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
    for offer, languages in plan.stale:
        print(f"! {offer.external_id}  Übersetzung(en) veraltet: {', '.join(languages)} (deutscher Text geändert)")
    for guard in plan.guarded:
        print(
            f"! {guard.network}: {guard.removing} von {guard.existing} Angeboten würden entfernt ({guard.share:.0%}"
            f", mehr als 10 %) — der Import braucht --allow-removals"
        )
    print(
        f"{len(plan.added)} neu, {len(plan.changed)} geändert, {len(plan.removed)} entfernt, "
        f"{plan.unchanged} unverändert — {'nichts ' + verb + ' gespeichert' if dry_run else 'gespeichert'}"
    )


def cmd_import(args: argparse.Namespace) -> int:
    app = open_app(args)
    offers = _read_valid(args.file, app.knowledge.places, app.knowledge.needs)
    try:
        plan = import_offers(
            app.uow, offers, prune=not args.keep_missing, dry_run=args.dry_run, allow_removals=args.allow_removals
        )
    except RemovalsNeedConsent as exc:
        for offer in exc.plan.removed:
            print(f"- {offer.external_id}  {offer.title}", file=sys.stderr)
        raise ScriptError(f"{args.file.name}: {exc}") from exc
    _describe(plan, args.dry_run)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    app = open_app(args)
    with app.uow() as session:
        offers = OfferRepository(session).all(network=args.network)
    try:
        write_offers(args.file, offers, app.knowledge.places, kind=args.format, needs=app.knowledge.needs)
    except OfferFileError as exc:
        raise ScriptError(str(exc)) from exc
    print(f"{len(offers)} Angebote nach {args.file} geschrieben")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    knowledge = load_knowledge()
    offers = _read_valid(args.file, knowledge.places, knowledge.needs)
    print(f"{args.file.name}: {len(offers)} Angebote, alle gültig")
    return EXIT_OK


def cmd_stale(args: argparse.Namespace) -> int:
    app = open_app(args)
    with app.uow() as session:
        offers = OfferRepository(session).all(network=args.network)
    found = stale_offers(offers, args.days, args.today or date.today())
    for offer, reason in found:
        print(f"{offer.external_id}\t{reason}\t{offer.title}")
    if args.by_provider:
        _write_by_provider(args.by_provider, found)
    print(f"{len(found)} von {len(offers)} Angeboten müssen geprüft werden", file=sys.stderr)
    return EXIT_OK


def _write_by_provider(folder: Path, found: list[tuple[Offer, str]]) -> None:
    """One short CSV per provider, to send round: what to check, and where to answer "still valid"."""
    folder.mkdir(parents=True, exist_ok=True)
    by_provider: dict[str, list[tuple[Offer, str]]] = {}
    for offer, reason in found:
        by_provider.setdefault(offer.organization, []).append((offer, reason))
    for provider, items in sorted(by_provider.items()):
        name = re.sub(r"[^\w.-]+", "-", provider).strip("-")[:80] or "anbieter"
        with (folder / f"{name}.csv").open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(["external_id", "Titel", "Grund", "Telefon", "Öffnungszeiten", "noch gültig? (ja/nein)"])
            for offer, reason in items:
                cells = [offer.external_id, offer.title, reason, offer.phone,
                         format_opening_hours(offer.opening_hours), ""]  # fmt: skip
                writer.writerow([guard_cell(c) for c in cells])
    print(f"{len(by_provider)} Anbieter-Liste(n) nach {folder} geschrieben", file=sys.stderr)


def cmd_confirm(args: argparse.Namespace) -> int:
    """Mark offers as still valid today (assured date), by provider or by ids, without editing a sheet."""
    if not args.provider and not args.ids:
        raise ScriptError("bitte --provider NAME oder Angebots-ids angeben")
    app = open_app(args)
    confirmed = confirm_offers(app.uow, provider=args.provider, ids=args.ids, on=args.today or date.today(),
                               by=args.by or "")  # fmt: skip
    if not confirmed:
        raise ScriptError(f"keine Angebote gefunden für {args.provider or ', '.join(args.ids)}")
    for offer in confirmed:
        print(f"✓ {offer.external_id}  {offer.title}")
    print(f"{len(confirmed)} Angebot(e) als noch gültig bestätigt")
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

    c = commands.add_parser(
        "import", help="import CSV/XLSX/JSON or an HSDS package (all or nothing), e.g. import angebote.csv --dry-run"
    )
    c.add_argument("file", type=Path)
    c.add_argument("--dry-run", action="store_true", help="only show what would be added, changed and removed")
    c.add_argument("--keep-missing", action="store_true", help="do not remove offers missing from the file")
    c.add_argument(
        "--allow-removals", action="store_true", help="allow removing more than 10 %% of a network's offers"
    )
    c.set_defaults(func=cmd_import)

    c = commands.add_parser(
        "export", help="export to CSV/XLSX/JSON or an HSDS 3 package, e.g. export alle.xlsx / --format hsds paket/"
    )
    c.add_argument("file", type=Path)
    c.add_argument(
        "--format", choices=FORMATS, help="csv, xlsx, json (default: from the suffix) or hsds (a folder, or a .zip)"
    )
    c.add_argument("--network", help="only this network (ludwigsburg, esslingen, weimar)")
    c.set_defaults(func=cmd_export)

    c = commands.add_parser("validate", help="check a file without touching the database, e.g. validate a.csv")
    c.add_argument("file", type=Path)
    c.set_defaults(func=cmd_validate)

    c = commands.add_parser("stale", help="offers not verified for N days or expired, e.g. stale --days 365")
    c.add_argument("--days", type=int, default=365)
    c.add_argument("--network")
    c.add_argument("--today", type=date.fromisoformat, help=argparse.SUPPRESS)
    c.add_argument("--by-provider", type=Path, metavar="FOLDER", help="also write one CSV per provider there")
    c.set_defaults(func=cmd_stale)

    c = commands.add_parser("confirm", help='mark as still valid, e.g. confirm --provider "Caritas Ludwigsburg"')
    c.add_argument("ids", nargs="*", help="external ids (or use --provider)")
    c.add_argument("--provider", help="every offer of this provider (Träger)")
    c.add_argument("--by", help="who confirmed (a role e-mail address)")
    c.add_argument("--today", type=date.fromisoformat, help=argparse.SUPPRESS)
    c.set_defaults(func=cmd_confirm)

    c = commands.add_parser("template", help="write an empty template, e.g. template vorlage.xlsx")
    c.add_argument("file", type=Path)
    c.set_defaults(func=cmd_template)

    args = p.parse_args(argv)
    return args.func(args)


def console() -> int:
    return run(main)


if __name__ == "__main__":
    sys.exit(run(main))
