"""The chaos benchmark, small: the real bot process killed with SIGKILL while Telegram answers 429, 500 and late,
in polling and webhook mode on SQLite — nothing lost, nothing doubled (bench/chaos.py; the full run is in README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.chaos import SMALL_KILLS, parse, run_all


@pytest.mark.slow
async def test_a_bot_killed_again_and_again_loses_and_doubles_nothing(tmp_path: Path) -> None:
    args = parse(["--small", "--out", str(tmp_path)])
    results = await run_all(args)
    assert [r["mode"] for r in results] == ["polling", "webhook"]
    for result in results:
        assert result["kills"] == SMALL_KILLS and result["handovers"] >= 1, result
        # a copy whose first send was in flight at the SIGKILL is counted apart (README, bench/README.md)
        assert result["stuck"] == [] and result["lost"] == 0 and result["doubled"] == 0, result["problems"]
        assert result["outbox_unsent"] == 0
