"""Benchmark: a running bot swapping in 100,000 offers after an import, and families' requests meanwhile.

    .venv/bin/python -m bench.offers_reload [--sizes 10000,100000] [--db sqlite|postgres|both]
                                            [--out bench/results/offers_reload.json]

For each database and size, on a fresh database (SQLite in a temporary folder; PostgreSQL at
TEST_POSTGRES_URL, whose public schema is wiped):
  1. import: the generated offers of bench.understand_match (seeded copies of the bundled ones) through
     `import_offers`, as `admin_scripts.offers import` does (plan, bulk insert, generation);
  2. load: `OfferRepository.all()` alone, the database read and the assembly of the offers;
  3. rebuild: `LiveOffers.refresh()` after one offer was confirmed (generation + 1): load, index, swap;
  4. requests: `match(..., limit=3)` in the main thread, as the bot's event loop calls it, at --rate requests a
     second for seeded requests (one or two needs, a district, an age): first with nothing else running, then
     while the watcher thread rebuilds. *Answer* runs from when a request was due to its answer, so waiting for
     the interpreter lock or behind the previous request counts; *call alone* is the match call itself. A
     request that waited for the rebuild would show as seconds.

Prints a Markdown table and writes the figures to --out (bench/results/ is gitignored). See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.understand_match import bundled_offers, git_revision, machine, offers_of_size, summary_ms
from bot.bootstrap import App, LiveOffers, bootstrap
from bot.db.engine import normalize_url
from bot.domain.matching import MatchRequest
from bot.domain.needs import NEED_IDS
from bot.domain.places import Places
from bot.knowledge import bundled_knowledge
from bot.services.offers import OfferRepository, confirm_offers, import_offers
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "results" / "offers_reload.json"
TODAY = date(2026, 11, 21)
SEED = 20261201


def requests(places: Places, count: int) -> list[MatchRequest]:
    """Seeded requests as families make them: a district, one or two needs, a child's age."""
    rng = random.Random(SEED)
    districts = [(n.id, d.id) for n in places.networks for d in n.districts]
    made = []
    for _ in range(count):
        network, district = rng.choice(districts)
        made.append(
            MatchRequest(
                needs=tuple(rng.sample(NEED_IDS, rng.randint(1, 2))),
                age_months=rng.randint(0, 200),
                district_id=district,
                network_id=network,
                language=rng.choice(("de", "tr", "ar", "uk")),
                today=TODAY,
            )
        )
    return made


def fresh_database(kind: str, folder: Path, size: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / f'reload-{size}.db'}"
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        raise SystemExit("--db postgres needs TEST_POSTGRES_URL (its public schema is wiped)")
    engine = create_engine(normalize_url(url))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def latencies(
    live: LiveOffers, calls: Sequence[MatchRequest], rate: float, until: threading.Event | None = None
) -> tuple[list[int], list[int]]:
    """Match latencies (ns) at `rate` requests a second: from the moment each was due until its answer (time
    waiting for the interpreter lock or behind the previous request counts), and the call alone. Round and
    round while `until` is not set, else once through."""
    waited: list[int] = []
    calls_alone: list[int] = []
    due = time.perf_counter_ns()
    step = int(1e9 / rate)
    while True:
        for request in calls:
            pause = due - time.perf_counter_ns()
            if pause > 0:
                time.sleep(pause / 1e9)
            started = time.perf_counter_ns()
            live.match(request, limit=3)
            done = time.perf_counter_ns()
            waited.append(done - due)
            calls_alone.append(done - started)
            due += step
            if until is not None and until.is_set():
                return waited, calls_alone
        if until is None:
            return waited, calls_alone


def bench_one(kind: str, size: int, folder: Path, calls: Sequence[MatchRequest], rate: float) -> dict[str, Any]:
    knowledge = bundled_knowledge()
    offers = offers_of_size(bundled_offers(), size, knowledge.places)
    app: App = bootstrap(Settings(database_url=fresh_database(kind, folder, size)), load_examples=False)
    try:
        started = time.perf_counter()
        import_offers(app.uow, offers)
        imported = time.perf_counter() - started

        started, cpu = time.perf_counter(), time.process_time()
        with app.uow() as session:
            loaded = len(OfferRepository(session).all())
        load, load_cpu = time.perf_counter() - started, time.process_time() - cpu

        live = LiveOffers(app)
        gc.collect()
        gc.freeze()  # as the bot does after its first load
        idle, idle_calls = latencies(live, calls, rate)

        confirm_offers(app.uow, provider=None, ids=[offers[0].external_id], on=TODAY, by="")
        done = threading.Event()
        swapped: list[bool] = []

        def rebuild() -> None:
            swapped.append(live.refresh())
            done.set()

        watcher = threading.Thread(target=rebuild, name="offers")
        watcher.start()
        during, during_calls = latencies(live, calls, rate, until=done)
        watcher.join()
        assert swapped == [True], "the rebuild did not swap"
        return {
            "db": kind,
            "offers": loaded,
            "import_s": round(imported, 2),
            "load_s": round(load, 2),
            "load_cpu_s": round(load_cpu, 2),  # this process's CPU: steadier than wall time on a busy machine
            "rebuild_s": round(live.last_swap_seconds, 2),
            "rate_per_s": rate,
            "match_idle": summary_ms(idle),
            "match_during_rebuild": summary_ms(during),
            "call_idle": summary_ms(idle_calls),
            "call_during_rebuild": summary_ms(during_calls),
            "load_average_1m": round(os.getloadavg()[0], 2),
        }
    finally:
        app.engine.dispose()


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| db | offers | import | load (`all()`), wall / CPU | rebuild + swap | answer p50 / p99 idle | "
        "answer p50 / p99 / max during the rebuild | call alone p99 idle / during | requests during |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        idle, during = r["match_idle"], r["match_during_rebuild"]
        lines.append(
            f"| {r['db']} | {r['offers']:,} | {r['import_s']:.1f} s | {r['load_s']:.1f} / {r['load_cpu_s']:.1f} s | "
            f"{r['rebuild_s']:.1f} s | "
            f"{idle['p50_ms']:.1f} / {idle['p99_ms']:.1f} ms | "
            f"{during['p50_ms']:.1f} / {during['p99_ms']:.1f} / {during['max_ms']:.0f} ms | "
            f"{r['call_idle']['p99_ms']:.1f} / {r['call_during_rebuild']['p99_ms']:.1f} ms | {during['n']:,} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="offer counts, comma-separated")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--requests", type=int, default=500, help="distinct requests (at least 300)")
    parser.add_argument(
        "--rate", type=float, default=30.0, help="match requests a second (30: a busy bot, ~200 updates/s)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes takes integers, e.g. 10000,100000")
    if args.requests < 300:
        parser.error("--requests: at least 300, so p99 is not the maximum")
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    calls = requests(bundled_knowledge().places, args.requests)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for kind in kinds:
            for size in sizes:
                rows.append(bench_one(kind, size, Path(folder), calls, args.rate))
                print(markdown(rows[-1:]).splitlines()[-1], file=sys.stderr)
    print(markdown(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    results = {"machine": machine(), "git": git_revision(), "rows": rows}
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
