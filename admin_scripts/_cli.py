"""What every admin script shares: the database option, one-line errors and exit codes scripts can trust."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot.bootstrap import App, bootstrap
from bot.knowledge import KnowledgeError
from bot.settings import Settings, SettingsError

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class ScriptError(Exception):
    """An expected failure: str(error) is printed as one line and the script exits with EXIT_PROBLEMS."""


def parser(prog: str, doc: str | None) -> argparse.ArgumentParser:
    summary, _, details = (doc or "").strip().partition("\n")
    p = argparse.ArgumentParser(
        prog=prog,
        description=summary,
        epilog=details.strip() or None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--database-url", help="SQLAlchemy URL (default: $DATABASE_URL or the local SQLite file)")
    return p


def open_app(args: argparse.Namespace, *, load_examples: bool = False) -> App:
    settings = Settings.from_env()
    if args.database_url:
        settings = Settings(**{**settings.__dict__, "database_url": args.database_url})
    return bootstrap(settings, load_examples=load_examples)


def run(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Run a script's main; expected failures become one line on stderr and a non-zero exit."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        return main(argv)
    except (ScriptError, SettingsError, KnowledgeError) as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except SQLAlchemyError as exc:
        print(f"Fehler: Datenbank nicht erreichbar oder fehlerhaft ({exc.__class__.__name__})", file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        return 130
