"""Needs, ranked, from lexicon phrase matches.

Why weights: a multi-word phrase ("kein geld für klassenfahrt") is stronger evidence than one
word; words from the message's own language, German (official terms) and English count fully,
short single words of other lexicons are ignored because they collide across languages.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.needs import NEED_IDS
from bot.understanding.matching import Match

ALWAYS_ALLOWED = frozenset({"de", "en"})
_ORDER = {need: i for i, need in enumerate(NEED_IDS)}
EMERGENCY_NEED = {
    "violence": "protection",
    "child_danger": "protection",
    "self_harm": "health",
    "child_missing": "protection",
    "homeless": "housing",
}


def usable(match: Match, allowed: frozenset[str], min_quality: float = 0.8) -> float:
    """Weight of a lexicon match for this message, 0 when it should not count."""
    if match.quality < min_quality:
        return 0.0
    lang, ntoks = match.payload[-2], match.payload[-1]  # type: ignore[index]
    weight = match.quality * (1.0 + 0.6 * (ntoks - 1))
    if lang not in allowed:
        if ntoks == 1 and match.end - match.start == 1:
            return 0.0 if match.quality < 1.0 else weight * 0.5
        weight *= 0.8
    return weight


def rank_needs(
    matches: Iterable[Match],
    allowed: frozenset[str],
    emergency_kinds: Iterable[str] = (),
    pregnant: bool = False,
) -> tuple[str, ...]:
    best_span: dict[tuple[str, int, int], float] = {}
    first_pos: dict[str, int] = {}
    for m in matches:
        w = usable(m, allowed)
        if w <= 0:
            continue
        need = str(m.payload[1])  # type: ignore[index]
        key = (need, m.start, m.end)
        best_span[key] = max(best_span.get(key, 0.0), w)
        first_pos[need] = min(first_pos.get(need, 10**6), m.start)
    scores: dict[str, float] = {}
    for (need, _, _), w in best_span.items():
        scores[need] = scores.get(need, 0.0) + w
    for kind in emergency_kinds:
        need = EMERGENCY_NEED[kind]
        scores[need] = scores.get(need, 0.0) + 2.0
        first_pos.setdefault(need, 0)
    if pregnant:
        scores["pregnancy"] = scores.get("pregnancy", 0.0) + 1.0
        first_pos.setdefault("pregnancy", 0)
    # ties: the need named first, then the catalogue's order (never dict or set order)
    ranked = sorted(scores, key=lambda n: (-scores[n], first_pos.get(n, 0), _ORDER.get(n, len(_ORDER))))
    return tuple(ranked)
