"""Serve the offer overview on its own: `python -m bot.web --port 8081` (the bot will mount it later)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from aiohttp import web

from bot.bootstrap import bootstrap
from bot.settings import SettingsError
from bot.web.overview import create_overview_app


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bot.web", description=__doc__)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8081)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        app = bootstrap()  # the embedded default: SQLite in var/ with the example offers
    except SettingsError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 1
    print(f"Angebotsübersicht: http://{args.host}:{args.port}/angebote")
    web.run_app(create_overview_app(app), host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
