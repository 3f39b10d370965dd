"""Emergencies: violence, a child in danger, self-harm, acute homelessness.

Why span suppression: course titles and associations ("gewaltfreie Erziehung",
"Kinderschutzbund Babysitterkurs") contain alarming words; a not_emergency phrase only cancels
the emergency phrases it overlaps, so "Kurs gegen Gewalt — und mein Mann schlägt mich" still alarms.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.understanding.lexicon import EMERGENCY_KINDS
from bot.understanding.matching import Match

MIN_QUALITY = 0.9


def emergency_kinds(matches: Iterable[Match], not_matches: Iterable[Match]) -> tuple[str, ...]:
    shields = [(m.start, m.end) for m in not_matches if m.quality >= 0.8]
    kinds: set[str] = set()
    for m in matches:
        # single alarming words must be (nearly) exact; phrases tolerate typos and endings
        if m.quality < (MIN_QUALITY if m.end - m.start > 1 else 0.95):
            continue
        if any(s < m.end and m.start < e for s, e in shields):
            continue
        kinds.add(str(m.payload[1]))  # type: ignore[index]
    return tuple(k for k in EMERGENCY_KINDS if k in kinds)
