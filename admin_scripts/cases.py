"""Cases for the coordinator: who asked for a person, what happened — without message content by default.

examples:
  python -m admin_scripts.cases list [--status open]
  python -m admin_scripts.cases show 12
  python -m admin_scripts.cases export faelle.csv [--with-words]
  python -m admin_scripts.cases release 12                           # back to the queue (Übernehmen again)
  python -m admin_scripts.cases reassign 12 --to 987654321           # to another registered Lotse
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_scripts._cli import EXIT_OK, ScriptError, open_app, parser, run
from bot.bootstrap import App, handover_service
from bot.db.orm import CaseRow, LotseRow

FIELDS = (
    "id",
    "status",
    "urgent",
    "reason",
    "locale",
    "network",
    "district",
    "age_months",
    "pregnant",
    "needs",
    "contact_time",
    "created_at",
    "claimed_at",
    "closed_at",
    "outcome",
    "rating",
    "lotse",
)


def _rows(app: App, status: str | None) -> list[tuple[CaseRow, str]]:
    with app.uow() as session:
        query = (
            select(CaseRow, LotseRow.name).outerjoin(LotseRow, CaseRow.claimed_by == LotseRow.id).order_by(CaseRow.id)
        )
        if status:
            query = query.where(CaseRow.status == status)
        return [(case, name or "") for case, name in session.execute(query)]


def _record(case: CaseRow, lotse: str) -> dict[str, object]:
    return {f: (lotse if f == "lotse" else getattr(case, f)) for f in FIELDS}


def cmd_list(app: App, args: argparse.Namespace) -> int:
    rows = _rows(app, args.status)
    for case, lotse in rows:
        flag = "🆘 " if case.urgent else ""
        print(
            f"#{case.id}\t{flag}{case.status}\t{case.locale}\t{case.district or '-'}\t{case.needs or '-'}\t"
            f"{case.created_at:%Y-%m-%d %H:%M}\t{lotse or '-'}"
        )
    print(f"{len(rows)} Fälle", file=sys.stderr)
    return EXIT_OK


def cmd_show(app: App, args: argparse.Namespace) -> int:
    rows = [r for r in _rows(app, None) if r[0].id == args.case]
    if not rows:
        raise ScriptError(f"Fall #{args.case} gibt es nicht")
    case, lotse = rows[0]
    for field, value in _record(case, lotse).items():
        print(f"{field:>13}: {value if value is not None else '-'}")
    if args.with_words:
        print(f"{'worte':>13}: {case.family_words or '-'}")
    return EXIT_OK


def cmd_export(app: App, args: argparse.Namespace) -> int:
    if args.file.suffix.lower() != ".csv":
        raise ScriptError("Export als .csv")
    fields = (*FIELDS, "family_words") if args.with_words else FIELDS
    rows = _rows(app, args.status)
    with args.file.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, delimiter=";")
        writer.writeheader()
        for case, lotse in rows:
            record = _record(case, lotse)
            if args.with_words:
                record["family_words"] = case.family_words
            writer.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@" else v) for k, v in record.items()})
    print(f"{len(rows)} Fälle nach {args.file} geschrieben{' (mit Worten der Familien)' if args.with_words else ''}")
    return EXIT_OK


def _claimed_case(session: Session, case_id: int) -> CaseRow:
    case = session.get(CaseRow, case_id)
    if case is None:
        raise ScriptError(f"Fall #{case_id} gibt es nicht")
    if case.status != "claimed":
        raise ScriptError(f"Fall #{case_id} ist {'offen' if case.status == 'open' else 'abgeschlossen'}")
    return case


def cmd_release(app: App, args: argparse.Namespace) -> int:
    handover = handover_service(app)
    with app.uow() as session:
        case = _claimed_case(session, args.case)
        handover.release(session, case, "Von der Koordination zurückgegeben")
    print(f"Fall #{args.case} ist wieder offen")
    return EXIT_OK


def cmd_reassign(app: App, args: argparse.Namespace) -> int:
    handover = handover_service(app)
    with app.uow() as session:
        case = _claimed_case(session, args.case)
        previous = session.get(LotseRow, case.claimed_by) if case.claimed_by is not None else None
        other = handover.lotse(session, args.to)
        if other is None:
            raise ScriptError(f"kein aktiver Lotse mit Telegram-ID {args.to}")
    # The handover's own pass-on: the note says who has the case now, the family is told the new name.
    result = handover.pass_on(args.case, previous.telegram_user_id if previous else 0, args.to)
    if not result.ok:
        # the previous Lotse is no longer active: free the case first, then let the new one take it
        with app.uow() as session:
            handover.release(session, _claimed_case(session, args.case), "Von der Koordination neu vergeben")
        with app.uow() as session:
            note_chat = session.get(CaseRow, args.case).group_chat_id  # type: ignore[union-attr]
        result = handover.claim(args.case, args.to, note_chat or 0)
        if not result.ok:
            raise ScriptError(result.message)
    print(f"Fall #{args.case} ist jetzt bei {other.name}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    p = parser("python -m admin_scripts.cases", __doc__)
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    c = commands.add_parser("list", help="all cases, newest last")
    c.add_argument("--status", choices=["open", "claimed", "closed"])
    c.set_defaults(func=cmd_list)
    c = commands.add_parser("show", help="one case")
    c.add_argument("case", type=int)
    c.add_argument("--with-words", action="store_true", help="also the family's own words")
    c.set_defaults(func=cmd_show)
    c = commands.add_parser("export", help="cases as CSV (no message content unless --with-words)")
    c.add_argument("file", type=Path)
    c.add_argument("--status", choices=["open", "claimed", "closed"])
    c.add_argument("--with-words", action="store_true")
    c.set_defaults(func=cmd_export)
    c = commands.add_parser("release", help="a claimed case back to the queue (its Lotse is away)")
    c.add_argument("case", type=int)
    c.set_defaults(func=cmd_release)
    c = commands.add_parser("reassign", help="a claimed case to another Lotse: reassign 12 --to 987654321")
    c.add_argument("case", type=int)
    c.add_argument("--to", type=int, required=True, help="Telegram-ID of the registered Lotse")
    c.set_defaults(func=cmd_reassign)
    args = p.parse_args(argv)
    return args.func(open_app(args), args)


if __name__ == "__main__":
    sys.exit(run(main))
