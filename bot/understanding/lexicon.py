"""Compiles the raw lexicons of knowledge/lexicon/*.yaml into phrase indexes, once per Understander."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.understanding.matching import FuzzyVocabulary, PhraseIndex
from bot.understanding.normalize import tokenize

EMERGENCY_KINDS: tuple[str, ...] = ("violence", "child_danger", "self_harm", "child_missing", "homeless")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [str(k) for k in value]
    if isinstance(value, Iterable):
        return [str(v) for v in value if isinstance(v, str | int | float)]
    return []


def phrase_tokens(phrase: str) -> tuple[tuple[str, ...], ...]:
    """The token sequence of a phrase, plus its glued form ('kita platz' -> 'kitaplatz')."""
    toks = tuple(tokenize(phrase))
    if not toks:
        return ()
    forms = [toks]
    if len(toks) > 1 and all(t.isalpha() for t in toks) and len("".join(toks)) >= 6:
        forms.append(("".join(toks),))
    return tuple(forms)


@dataclass
class CompiledLexicon:
    needs: PhraseIndex = field(default_factory=lambda: PhraseIndex(max_gap=2))
    emergency: PhraseIndex = field(default_factory=lambda: PhraseIndex(max_gap=2))
    not_emergency: PhraseIndex = field(default_factory=lambda: PhraseIndex(max_gap=1))
    pregnancy: PhraseIndex = field(default_factory=lambda: PhraseIndex(max_gap=1))
    newborn: PhraseIndex = field(default_factory=lambda: PhraseIndex(max_gap=1))
    greetings: PhraseIndex = field(default_factory=lambda: PhraseIndex(max_gap=0))
    # token -> languages whose lexicon uses it (language evidence from the lexicon itself)
    token_languages: dict[str, set[str]] = field(default_factory=dict)
    age: dict[str, dict[str, Any]] = field(default_factory=dict)  # language -> folded age data
    vocabulary: FuzzyVocabulary | None = None

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.age))


def _fold_age(raw: Mapping[str, Any]) -> dict[str, Any]:
    numbers: dict[tuple[str, ...], float] = {}
    for word, value in (raw.get("numbers") or {}).items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        toks = tuple(tokenize(str(word)))
        if toks:
            numbers[toks] = number
    return {
        "numbers": numbers,
        "half": {t for p in _strings(raw.get("half")) if (t := tuple(tokenize(p)))},
        "years": {t for p in _strings(raw.get("years")) if (t := tuple(tokenize(p)))},
        "months": {t for p in _strings(raw.get("months")) if (t := tuple(tokenize(p)))},
    }


def compile_lexicons(lexicons: Mapping[str, Mapping[str, Any]], need_ids: Iterable[str]) -> CompiledLexicon:
    known_needs = set(need_ids)
    out = CompiledLexicon()

    def add(index: PhraseIndex, phrases: Iterable[str], payload_head: tuple[str, ...], lang: str) -> None:
        for phrase in phrases:
            for toks in phrase_tokens(phrase):
                index.add(toks, (*payload_head, lang, len(toks)))
                for tok in toks:
                    out.token_languages.setdefault(tok, set()).add(lang)

    for lang, lex in lexicons.items():
        if not isinstance(lex, Mapping):
            continue
        for need, phrases in (lex.get("needs") or {}).items():
            if need in known_needs:
                add(out.needs, _strings(phrases), ("need", need), lang)
        for kind, phrases in (lex.get("emergency") or {}).items():
            if kind in EMERGENCY_KINDS:
                add(out.emergency, _strings(phrases), ("emergency", kind), lang)
        add(out.not_emergency, _strings(lex.get("not_emergency")), ("not_emergency",), lang)
        add(out.pregnancy, _strings(lex.get("pregnancy")), ("pregnancy",), lang)
        add(out.newborn, _strings(lex.get("newborn")), ("newborn",), lang)
        add(out.greetings, _strings(lex.get("greetings")), ("greeting",), lang)
        out.age[lang] = _fold_age(lex.get("age") or {})
        for data in out.age[lang].values():
            for toks in data:
                for tok in toks:
                    out.token_languages.setdefault(tok, set()).add(lang)
    words = set(out.token_languages)
    out.vocabulary = FuzzyVocabulary(words)
    return out
