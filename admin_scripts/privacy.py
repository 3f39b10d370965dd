"""Data protection: delete what is older than the retention time (the bot also does this every hour).

examples:
  python -m admin_scripts.privacy purge                # RETENTION_DAYS (default 90)
  python -m admin_scripts.privacy purge --days 30 --dry-run
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from admin_scripts._cli import EXIT_OK, ScriptError, open_app, parser, run
from bot.services.privacy import purge, vacuum_erased


def main(argv: Sequence[str] | None = None) -> int:
    p = parser("python -m admin_scripts.privacy", __doc__)
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    c = commands.add_parser("purge", help="delete old conversations, closed cases and sent messages")
    c.add_argument("--days", type=int, help="retention in days (default: RETENTION_DAYS)")
    c.add_argument("--dry-run", action="store_true")
    args = p.parse_args(argv)
    app = open_app(args)
    days = args.days if args.days is not None else app.settings.retention_days
    if days < 1:
        raise ScriptError("--days muss mindestens 1 sein")
    done = purge(app.uow, days, dry_run=args.dry_run)
    if not args.dry_run:
        vacuum_erased(app.uow)  # PostgreSQL: the deleted rows' bytes out of the tables' files
    verb = "würden gelöscht" if args.dry_run else "gelöscht"
    print(
        f"{done.conversations} Gespräche, {done.cases} abgeschlossene Fälle, {done.messages} Nachrichten {verb} "
        f"(älter als {days} Tage); die anonyme Statistik bleibt"
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(run(main))
