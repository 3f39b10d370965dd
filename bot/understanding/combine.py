"""One decision per field from the lexicon and the semantic heads.

Why this policy: a missed emergency is the worst failure there is, so either source can raise one, and the
semantic layer's uncertain band asks gently instead of staying silent. Needs are ranked by the heads'
probabilities with a bonus for what the lexicon found (it is exact where it knows the word). The heads may
overrule the lexicon only where they are sure enough that it read a word out of its sense: "vor 5 Jahren hat
mich mein Ex geschlagen … jetzt brauche ich eine Kita", "this homework kills me 😅", volunteering at a
Frauenhaus (no need at all). On the dev sets no true emergency and few right needs lay below these
vetoes (bench/README.md, "Choosing the vetoes"). Yes/no from the
heads count only where the lexicon found no intent, and only when the heads are sure: "ja" must never be
guessed from a sentence about something else.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.domain.needs import NEED_IDS
from bot.understanding.needs import EMERGENCY_NEED
from bot.understanding.semantic import SemanticScores

if TYPE_CHECKING:
    from bot.understanding import Understanding

LEXICON_BONUS = (0.6, 0.45, 0.35)  # by lexicon rank; later ranks get the last value
KIND_FLOOR = 0.5  # a second emergency kind is named only when the kind head is this sure
LIKELY_NEED = 0.5
# Below this emergency probability a lexicon alarm is a word out of its sense. On the five dev sets no true
# emergency the lexicon raised in a sentence of five words or more scored below 0.43; its false alarms did.
LEXICON_EMERGENCY_VETO = 0.30
# Below this need probability a lexicon need is, too. Protection's words (Gewalt, Frauenhaus, Kinderschutz)
# are what decoys are made of (volunteering, a school project, a membership), so its bar is higher.
LEXICON_NEED_VETO = 0.10
LEXICON_NEED_VETO_BY_NEED = {"protection": 0.20}
VETO_MIN_WORDS = 5  # a word or two ("ebe", midwife) is where the lexicon is surest and the heads know least
# said in few words, and the lexicon knows those words in every language; the heads guess them from
# any short line ("pomoc w nauce" looked like thanks), so only the lexicon may say them
LEXICON_ONLY_INTENTS = frozenset({"yes", "no", "thanks", "greeting"})


def combine(lexical: Understanding, scores: SemanticScores, words: int) -> Understanding:
    """`words`: how many words the message has (the vetoes need a few)."""
    th = scores.thresholds
    emergency, kinds, uncertain = lexical.emergency, list(lexical.emergency_kinds), False
    may_veto = words >= VETO_MIN_WORDS
    if emergency and may_veto and scores.emergency < LEXICON_EMERGENCY_VETO:
        emergency, kinds = False, []
    semantic_kinds = [k for k, p in scores.kinds if p >= KIND_FLOOR][:2] or [scores.kinds[0][0]]
    if scores.is_emergency:
        if not emergency:
            emergency, kinds = True, semantic_kinds
    elif scores.is_uncertain and not emergency:
        uncertain = True

    semantic_need = dict(scores.needs)
    combined: dict[str, float] = {}
    lexical_needs = [
        n
        for n in lexical.needs
        if not may_veto or semantic_need.get(n, 0.0) >= LEXICON_NEED_VETO_BY_NEED.get(n, LEXICON_NEED_VETO)
    ]
    for rank, need in enumerate(lexical_needs):
        combined[need] = semantic_need.get(need, 0.0) + LEXICON_BONUS[min(rank, len(LEXICON_BONUS) - 1)]
    for need, p in scores.needs:
        if p >= th.need and need not in combined:
            combined[need] = p
    if emergency and not lexical.emergency:
        for kind in kinds:
            need = EMERGENCY_NEED[kind]
            combined[need] = max(combined.get(need, 0.0), 1.0) + 0.5
    needs = tuple(sorted(combined, key=lambda n: (-combined[n], NEED_IDS.index(n))))

    intents = list(lexical.intents)
    for intent, p in scores.intents:
        if p < th.intent or intent in intents:
            continue
        if intent in LEXICON_ONLY_INTENTS:
            continue
        intents.append(intent)

    likely = tuple(n for n, p in scores.needs if p >= LIKELY_NEED and n not in combined)[:2]
    return replace(
        lexical,
        likely_needs=likely,
        emergency=emergency,
        emergency_kinds=tuple(kinds),
        emergency_uncertain=uncertain,
        needs=needs,
        intents=tuple(intents),
    )
