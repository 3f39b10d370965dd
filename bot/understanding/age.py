"""The child's age from a message: digits of any script, number words, halves, months, weeks.

Why rules and not a model: ages come in a handful of shapes ("3 Jahre", "٣ سنوات", "zweieinhalb",
"iki buçuk yaşında", "18 ماهشه", "4 1/2") that the lexicons describe per language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.understanding.normalize import fold_text

# Weeks are not part of the lexicon format; a few unit words per language suffice.
_WEEKS = {
    "woche",
    "wochen",
    "wo",
    "week",
    "weeks",
    "wk",
    "wks",
    "hafta",
    "haftalik",
    "اسبوع",
    "اسابيع",
    "اسبوعين",
    "тиждень",
    "тижні",
    "тижнів",
    "тижня",
    "неделя",
    "недели",
    "недель",
    "неделю",
    "هفته",
    "saptamani",
    "saptamana",
    "tydzien",
    "tygodnie",
    "tygodni",
    "settimana",
    "settimane",
    "tjedan",
    "tjedna",
    "tjedana",
    "jave",
    "java",
    "hefte",
    "hefteyi",
    "ssw",
}
# Connectors between a number and "and a half" ("zwei und ein halb", "два з половиною").
_CONNECTORS = {"und", "and", "a", "ve", "و", "i", "e", "si", "и", "з", "с", "u", "ile"}
# Words that put an age on the writer, not the child ("ich bin 17 und schwanger").
_FIRST_PERSON = {"bin", "am", "m", "ben", "я", "انا", "من", "sunt", "jestem", "sono", "ho", "jam", "ez", "imam"}
# Words after which a bare number is a child's age ("Sohn (9)", "сину 13", "he's 4").
_CHILD_WORDS = {
    "sohn",
    "tochter",
    "kind",
    "kleiner",
    "kleine",
    "junge",
    "madchen",
    "er",
    "sie",
    "son",
    "daughter",
    "kid",
    "child",
    "he",
    "she",
    "s",
    "they",
    "oglum",
    "kizim",
    "cocugum",
    "сину",
    "синові",
    "доньці",
    "дитині",
    "йому",
    "іи",
    "сыну",
    "дочке",
    "дочери",
    "ребенку",
    "ему",
    "еи",
    "ابني",
    "بنتي",
    "ابنتي",
    "عمره",
    "عمرها",
    "پسرم",
    "دخترم",
    "fiul",
    "fiica",
    "syn",
    "corka",
    "figlio",
    "figlia",
    "sin",
    "kcer",
    "djali",
    "vajza",
    "kure",
    "keca",
    "ist",
    "is",
    "are",
    "ima",
    "ma",
    "ha",
    "kinder",
    "kids",
    "kinderwagen",
}


def _folded(words: set[str]) -> frozenset[str]:
    return frozenset(fold_text(w) for w in words)


_WEEKS, _CONNECTORS, _FIRST_PERSON, _CHILD_WORDS = map(_folded, (_WEEKS, _CONNECTORS, _FIRST_PERSON, _CHILD_WORDS))
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
_STOP_AFTER = {
    "kinder",
    "kindern",
    "kids",
    "children",
    "klasse",
    "uhr",
    "euro",
    "eur",
    "cocuk",
    "cocugum",
    "детей",
    "дітей",
    "дитини",
    "اطفال",
    "zimmer",
    "tage",
    "tagen",
    "days",
    "stunden",
    "hours",
    "mal",
    "times",
}
_STOP_AFTER = {fold_text(w) for w in _STOP_AFTER}


@dataclass(frozen=True, slots=True)
class AgeVocabulary:
    numbers: dict[tuple[str, ...], float]
    half: set[tuple[str, ...]]
    years: set[str]
    months: set[str]
    max_number_len: int


def merge_age_data(age: Mapping[str, Mapping[str, Any]], prefer: Sequence[str] = ()) -> AgeVocabulary:
    """All languages together (messages mix them); preferred languages win on conflicting words."""
    numbers: dict[tuple[str, ...], float] = {}
    half: set[tuple[str, ...]] = set()
    years: set[str] = set()
    months: set[str] = set()
    order = [lang for lang in age if lang not in prefer] + [lang for lang in prefer if lang in age]
    for lang in order:
        data = age[lang]
        numbers.update(data["numbers"])
        half |= data["half"]
        years |= {t[0] for t in data["years"] if len(t) == 1}
        months |= {t[0] for t in data["months"] if len(t) == 1}
    # a few unit spellings families use that lexicons may miss
    years |= {"y", "yo", "yrs", "yr", "j", "jr", "jahrig", "jahriger", "jahrige", "jahrigen", "سال", "vjec"}
    months |= {"ماه", "mo", "mon", "mths"}
    return AgeVocabulary(numbers, half, years, months, max((len(k) for k in numbers), default=1))


def _unit(tok: str, vocab: AgeVocabulary) -> str | None:
    """'years' | 'months' | 'weeks' for a unit word, allowing short endings (سالشه, yaşındayım, 5jährigen)."""
    for unit, words in (("months", vocab.months), ("years", vocab.years), ("weeks", _WEEKS)):
        if tok in words:
            return unit
    for cut in range(1, 5):
        stem = tok[:-cut]
        if len(stem) < 3:
            break
        for unit, words in (("months", vocab.months), ("years", vocab.years), ("weeks", _WEEKS)):
            if stem in words:
                return unit
    return None


def _number_at(toks: Sequence[str], i: int, vocab: AgeVocabulary) -> tuple[float, int, str | None] | None:
    """(value, next index, implied unit) for a number starting at token i."""
    tok = toks[i]
    if _NUMBER.match(tok):
        try:
            return float(tok.replace(",", ".")), i + 1, None
        except ValueError:
            return None
    for size in range(min(vocab.max_number_len, len(toks) - i), 0, -1):
        key = tuple(toks[i : i + size])
        if key in vocab.numbers:
            implied = _unit(key[-1], vocab) if size == 1 and not key[-1].isdigit() else None
            return vocab.numbers[key], i + size, implied
    # glued number word + unit: dreijährig, zweieinhalbjährige
    if len(tok) >= 6:
        for k in range(len(tok) - 2, 2, -1):
            head = (tok[:k],)
            if head in vocab.numbers and (unit := _unit(tok[k:], vocab)):
                return vocab.numbers[head], i + 1, unit
    return None


def _half_at(toks: Sequence[str], i: int, vocab: AgeVocabulary) -> int | None:
    """Index after an 'and a half' phrase starting at i (optionally after a connector), else None."""
    for start in (i, i + 1):
        if start > i and (i >= len(toks) or toks[i] not in _CONNECTORS):
            break
        for size in (3, 2, 1):
            if tuple(toks[start : start + size]) in vocab.half:
                return start + size
        # glued Arabic "ونصف" is in the lexicon; glued "ونص" variants after fold
    return None


def find_age_months(
    toks: Sequence[str], vocab: AgeVocabulary, pregnant: bool = False, newborn: bool = False
) -> int | None:
    """Age of the child in months, or None. The first clear mention wins; adults' ages are skipped."""
    i, n = 0, len(toks)
    while i < n:
        parsed = _number_at(toks, i, vocab)
        if parsed is None and toks[i] in vocab.years and (i == 0 or toks[i - 1] in _CHILD_WORDS):
            parsed = (1.0, i + 1, "years")  # "ima godinu i pol", "عمرها سنة ونصف", "йому рік"
        if parsed is None:
            i += 1
            continue
        value, j, unit = parsed
        start = i
        if (k := _half_at(toks, j, vocab)) is not None and value == int(value):
            value, j = value + 0.5, k
        if unit is None and j < n:
            unit = _unit(toks[j], vocab)
            if unit:
                j += 1
        if unit is not None and (k := _half_at(toks, j, vocab)) is not None and value == int(value):
            value, j = value + 0.5, k
        months: float | None = None
        if unit == "years":
            months = value * 12
            # "1 Jahr und 3 Monate"
            k = j + 1 if j < n and toks[j] in _CONNECTORS else j
            more = _number_at(toks, k, vocab) if k < n else None
            if more and more[1] < n and _unit(toks[more[1]], vocab) == "months":
                months += more[0]
                j = more[1] + 1
        elif unit == "months":
            months = value
        elif unit == "weeks":
            months = value * 7 / 30.44
        elif 0 <= value <= 17 and not (value == 1 and not _NUMBER.match(toks[start])):
            # a bare number is an age only right after a child word or "I am" ("Sohn (9)", "bin 16")
            before = toks[max(0, start - 3) : start]
            after = toks[j] if j < n else ""
            if any(b in _CHILD_WORDS or b in _FIRST_PERSON for b in before) and after not in _STOP_AFTER:
                months = value * 12
        if months is not None:
            self_ref = _is_self(toks, start)
            too_old = months > 18 * 12
            pregnancy_time = pregnant and unit in ("months", "weeks") and not newborn
            if not too_old and not (self_ref and pregnant) and not pregnancy_time:
                return round(months)
        i = max(j, i + 1)
    return 0 if newborn else None


def _is_self(toks: Sequence[str], i: int) -> bool:
    return any(t in _FIRST_PERSON for t in toks[max(0, i - 2) : i])
