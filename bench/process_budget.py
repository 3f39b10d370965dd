"""Benchmark: one bot process against its budgets — start-up < 3 s, RSS <= 250 MB, understand p99 < 40 ms.

    .venv/bin/python -m bench.process_budget [--database sqlite:///var/budget.db]

Starts the app as `python -m bot run` does (settings, migrations, knowledge, offer index, understanding with
the encoder and heads, the conversation service), handles 100 conversations of the eval set (/start and one
message each), then times `understand` over the 363 eval messages (each text made new, so no cache answers).
Run it twice: the first run on a new database also loads the example offers and rebuilds the index once.
`--busy N` keeps N other processes spinning on the CPU meanwhile (a neighbour on the same cores);
`ENCODER_THREADS=1` in the environment measures the encoder on one thread only.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL_FILE = ROOT / "tests" / "data" / "understanding_eval.jsonl"


def rss_mb(field: str = "VmHWM") -> float:
    """VmHWM: the peak resident set; RssFile: pages of mapped files (the encoder's model, read as words come
    up, shared and reclaimable); RssAnon: the process's own memory."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def spin() -> None:
    while True:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--database", default="sqlite:///var/budget.db")
    parser.add_argument("--busy", type=int, default=0, metavar="N", help="other processes keeping a core busy")
    args = parser.parse_args(argv)
    neighbours = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.busy)]
    for neighbour in neighbours:
        neighbour.start()
    try:
        return measure(args.database)
    finally:
        for neighbour in neighbours:
            neighbour.terminate()


def measure(database: str) -> int:
    start = time.perf_counter()
    from bot.bootstrap import bootstrap, conversation_service
    from bot.conversation import Command, Text
    from bot.settings import Settings

    app = bootstrap(Settings.from_env({"DATABASE_URL": database}, dotenv=None))
    service = conversation_service(app)
    service.services.understander.understand("hallo")
    started = time.perf_counter() - start
    rows = [json.loads(line) for line in EVAL_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    for number, row in enumerate(rows[:100]):
        service.handle(f"terminal:budget-{number}", Command("start"))
        service.handle(f"terminal:budget-{number}", Text(row["text"]))
    understander = service.services.understander
    samples = []
    for row in rows:
        begin = time.perf_counter()
        understander.understand(row["text"] + " .")
        samples.append((time.perf_counter() - begin) * 1000)
    samples.sort()
    p99 = samples[round(0.99 * (len(samples) - 1))]
    print("| start-up | peak RSS | of it, now: own / mapped files | understand p50 | understand p99 |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {started:.2f} s | {rss_mb():.0f} MB | {rss_mb('RssAnon'):.0f} / {rss_mb('RssFile'):.0f} MB "
        f"| {statistics.median(samples):.1f} ms | {p99:.1f} ms |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
