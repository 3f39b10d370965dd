"""Benchmark: how well the understanding generalizes — lexicon only, semantic heads only, and both combined.

    .venv/bin/python -m bench.understanding_quality [--out bench/results/understanding_quality.json]

Nine sets, reported side by side:
  - dev: tests/data/understanding_eval.jsonl — the lexicons were tuned on it and the heads' thresholds chosen
    with it; its figures are not a result, they show what tuning reaches;
  - dev-2: tests/data/heldout.jsonl — the first held-out set; its misses were read for the second round's error
    analysis (which kinds of lines to add to the corpus), so it is a dev set now;
  - dev-3: tests/data/heldout2.jsonl — the second held-out set, likewise read for the third round;
  - dev-4: tests/data/heldout3.jsonl — the third, measured once as held-out (README), then read for the fourth;
  - dev-5: tests/data/heldout4.jsonl — the fourth, measured once as held-out, then read for the fifth;
  - dev-6: tests/data/heldout5.jsonl — the fifth, likewise, read for the sixth;
  - dev-7: tests/data/heldout6.jsonl — the sixth, likewise, read for the seventh;
  - held-out: tests/data/heldout7.jsonl — written blind before the seventh round's training, never trained or
    tuned on, its lines never read;
  - held-out-8: tests/data/heldout8.jsonl — written blind after the seventh round, by a new writer, to measure
    the same round-7 heads once more on messages nobody here has read.

Emergencies count as flagged when the bot answers with the emergency numbers: a certain emergency or the
uncertain band (numbers first and one gentle question). Also measures `understand` latency (p50/p99) with
the encoder, one process, and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.knowledge import bundled_knowledge
from bot.understanding import Understander, Understanding
from bot.understanding.needs import EMERGENCY_NEED

ROOT = Path(__file__).resolve().parent.parent
SETS = {
    "dev": ROOT / "tests" / "data" / "understanding_eval.jsonl",
    "dev-2": ROOT / "tests" / "data" / "heldout.jsonl",
    "dev-3": ROOT / "tests" / "data" / "heldout2.jsonl",
    "dev-4": ROOT / "tests" / "data" / "heldout3.jsonl",
    "dev-5": ROOT / "tests" / "data" / "heldout4.jsonl",
    "dev-6": ROOT / "tests" / "data" / "heldout5.jsonl",
    "dev-7": ROOT / "tests" / "data" / "heldout6.jsonl",
    "held-out": ROOT / "tests" / "data" / "heldout7.jsonl",
    "held-out-8": ROOT / "tests" / "data" / "heldout8.jsonl",
}
DEFAULT_OUT = ROOT / "bench" / "results" / "understanding_quality.json"


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def semantic_only(understander: Understander) -> Callable[[str], Understanding]:
    """The heads alone: needs above threshold, emergency from the heads; age, district etc. stay lexical."""
    layer = understander.semantic
    assert layer is not None

    def understand(text: str) -> Understanding:
        base = understander.understand(text)
        scores = layer.score(text)
        needs = [n for n, p in scores.needs if p >= scores.thresholds.need]
        if scores.is_emergency:
            needs = [EMERGENCY_NEED[scores.kinds[0][0]], *needs]
        return replace(
            base,
            needs=tuple(dict.fromkeys(needs)),
            emergency=scores.is_emergency,
            emergency_uncertain=scores.is_uncertain,
        )

    return understand


def figures(rows: Sequence[dict[str, Any]], results: Sequence[Understanding]) -> dict[str, float]:
    places = bundled_knowledge().places

    def district(u: Understanding) -> str | None:
        d = places.district(u.district_id) if u.district_id else None
        return d.name if d else None

    pairs = list(zip(rows, results, strict=True))
    with_needs = [(r, u) for r, u in pairs if r["needs"]]
    chit_chat = [(r, u) for r, u in pairs if not r["needs"] and not r.get("emergency")]
    small_talk = [(r, u) for r, u in chit_chat if not r.get("decoy")]
    flagged = [u.emergency or u.emergency_uncertain for u in results]
    truth = [bool(r.get("emergency")) for r in rows]
    tp = sum(f and t for f, t in zip(flagged, truth, strict=True))
    certain_tp = sum(u.emergency and t for u, t in zip(results, truth, strict=True))
    decoys = [(r, u) for r, u in pairs if r.get("decoy")]
    return {
        "lines": len(rows),
        "emergencies": sum(truth),
        "emergency_recall": tp / max(sum(truth), 1),
        "emergency_precision": tp / max(sum(flagged), 1),
        "emergency_recall_certain": certain_tp / max(sum(truth), 1),
        "decoys_flagged": sum(u.emergency or u.emergency_uncertain for _, u in decoys) / max(len(decoys), 1),
        "needs_top3": sum(r["needs"][0] in u.needs[:3] for r, u in with_needs) / max(len(with_needs), 1),
        "chit_chat_without_needs": sum(not u.needs for _, u in chit_chat) / max(len(chit_chat), 1),
        # the same without the decoys among them (volunteering at a Frauenhaus, a school project on violence):
        # greetings, thanks, "ok", "who are you?"
        "small_talk_without_needs": sum(not u.needs for _, u in small_talk) / max(len(small_talk), 1),
        "age_exact": sum(u.age_years == r["age_years"] for r, u in pairs) / len(pairs),
        "district_exact": sum(district(u) == r["district"] for r, u in pairs) / len(pairs),
        "language": sum(u.language == r["lang"] for r, u in pairs) / len(pairs),
    }


def latency(understander: Understander, texts: Sequence[str]) -> dict[str, float]:
    for text in texts[:20]:
        understander.understand(text)
    samples = []
    for text in texts:
        start = time.perf_counter_ns()
        understander.understand(text + " ")  # a fresh string: the embedding cache must not answer
        samples.append((time.perf_counter_ns() - start) / 1e6)
    samples.sort()
    return {
        "p50_ms": statistics.median(samples),
        "p99_ms": samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))],
        "mean_ms": statistics.fmean(samples),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--sets",
        default=",".join(SETS),
        help=f"comma-separated: {', '.join(SETS)} (the dev sets alone to tune)",
    )
    args = parser.parse_args(argv)
    chosen = {name: path for name, path in SETS.items() if name in args.sets.split(",")}
    knowledge = bundled_knowledge()
    start = time.perf_counter()
    combined = Understander(knowledge)
    build_s = time.perf_counter() - start
    lexicon = Understander(knowledge, semantic=None)
    if combined.semantic is None:
        print("no semantic layer available (encoder or heads missing): only the lexicon can be measured")
    paths: dict[str, Callable[[str], Understanding]] = {"lexicon only": lexicon.understand}
    if combined.semantic is not None:
        paths["semantic only"] = semantic_only(combined)
        paths["combined"] = combined.understand
    report: dict[str, Any] = {"build_s": build_s}
    for set_name, path in chosen.items():
        if not path.exists():
            continue
        rows = load(path)
        for path_name, understand in paths.items():
            report[f"{set_name} / {path_name}"] = figures(rows, [understand(r["text"]) for r in rows])
    texts = [r["text"] for p in chosen.values() if p.exists() for r in load(p)]
    report["latency"] = latency(combined, texts)
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    columns = [
        ("emergency_recall", "emergency recall"),
        ("emergency_precision", "precision"),
        ("decoys_flagged", "decoys flagged"),
        ("needs_top3", "needs top-3"),
        ("chit_chat_without_needs", "chit-chat w/o needs"),
        ("small_talk_without_needs", "small talk w/o needs"),
        ("age_exact", "age"),
        ("district_exact", "district"),
        ("language", "language"),
    ]
    print("| set / path | lines | " + " | ".join(label for _, label in columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for key, value in report.items():
        if isinstance(value, dict) and "lines" in value:
            cells = " | ".join(f"{value[c]:.2f}" for c, _ in columns)
            print(f"| {key} | {value['lines']} | {cells} |")
    lat = report["latency"]
    print(
        f"\nunderstand with the encoder: p50 {lat['p50_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms, "
        f"mean {lat['mean_ms']:.1f} ms over {len(texts)} messages; Understander built in {build_s:.2f} s; "
        f"peak RSS {report['peak_rss_mb']:.0f} MB (two Understanders: with and without the encoder)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
