"""Fuzzy token vocabulary and phrase matching, the engine under needs, emergencies and districts.

Why this shape: messages are short, the lexicon is a few thousand phrases. Exact look-ups in dicts
keyed by folded tokens are cheap; only tokens unknown to the vocabulary are corrected, with a
delete-neighbourhood (edit distance 1), stem/suffix look-ups (Turkish, Slavic and Kurdish endings,
German compounds) and rapidfuzz on a small bucket — all indexes are built once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

# Arabic clitics written together with the next word: و (and), ب (with/in), ل (for), ال (the) ...
_AR_PREFIXES = ("وبال", "وال", "بال", "لل", "فال", "كال", "ال", "و", "ب", "ل", "ف")

Candidates = tuple[tuple[str, float], ...]


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _is_arabic(word: str) -> bool:
    return bool(word) and "\u0600" <= word[0] <= "\u06ff"


class FuzzyVocabulary:
    """Maps a message token to the vocabulary words it probably means, each with a quality 0..1."""

    def __init__(self, words: Iterable[str], min_len: int = 4, cutoff: float = 0.8, edit_min_len: int = 6) -> None:
        self.words = frozenset(words)
        self.min_len = min_len
        self.edit_min_len = edit_min_len
        self.cutoff = cutoff
        self._deletes: dict[str, set[str]] = defaultdict(set)
        self._buckets: dict[str, list[str]] = defaultdict(list)
        for word in self.words:
            if len(word) < min_len or not word.isalpha():
                continue
            self._deletes[word].add(word)
            for d in _deletes(word):
                self._deletes[d].add(word)
            self._buckets[word[:3]].append(word)
        self._cache: dict[str, Candidates] = {}

    def candidates(self, token: str) -> Candidates:
        exact = token in self.words
        short = len(token) < self.min_len and not (_is_arabic(token) and len(token) >= 3)  # ولا -> لا
        if short or not token.isalpha():
            return ((token, 1.0),) if exact else ()
        cached = self._cache.get(token)
        if cached is None:
            cached = self._lookup(token)
            if exact:  # a known word may still be an inflection of another entry (przedszkola ~ przedszkole)
                cached = ((token, 1.0), *((w, q) for w, q in cached if w != token))
            if len(self._cache) > 50_000:  # bounded: a long-running bot sees unbounded spellings
                self._cache.clear()
            self._cache[token] = cached
        return cached

    def _lookup(self, token: str) -> Candidates:
        found: dict[str, float] = {}

        def offer(word: str, quality: float) -> None:
            if quality >= self.cutoff and quality > found.get(word, 0.0):
                found[word] = quality

        # Arabic script: strip a glued-on clitic (بالروضة -> روضة) and retry exactly.
        if _is_arabic(token):
            for prefix in _AR_PREFIXES:
                rest = token[len(prefix) :]
                if token.startswith(prefix) and len(rest) >= 2 and rest in self.words:
                    offer(rest, 0.95)
        # Edit distance 1 (typo, missing or doubled letter, swapped neighbours) — only for
        # words long enough that one edit cannot turn one real word into another.
        if len(token) >= self.edit_min_len:
            for d in (*_deletes(token), token):
                for word in self._deletes.get(d, ()):
                    if len(word) >= self.edit_min_len:
                        offer(word, fuzz.ratio(token, word) / 100 + 0.05)
        # Inflection endings and glued suffixes: eglosheimda, садку, заявлением, kreşte.
        n = len(token)
        for k in range(n - 1, max(3, n - 5), -1):
            stem = token[:k]
            if stem in self.words and len(stem) >= 4 and stem != token:
                offer(stem, 0.9 if n - k <= 3 else 0.85)
        for word in self._buckets.get(token[:3], ()):
            common = _common_prefix(token, word)
            longer = max(n, len(word))
            if common >= 5 and common >= longer - 3 and abs(n - len(word)) <= 3:
                offer(word, 0.8 + 0.1 * common / longer)
        # German compounds: Schuldnerberatungsstelle, Wohngeldantrag, Sommerferien.
        if n >= 9 and token.isascii():
            for k in range(n - 4, 5, -1):
                if token[:k] in self.words:
                    offer(token[:k], 0.85)
                    break
            for k in range(5, n - 3):
                if token[n - k :] in self.words and k >= 5:
                    offer(token[n - k :], 0.85)
        # Two edits for long words (Neckarweihigen, kindergarden): rapidfuzz on one small bucket.
        if not found and n >= 8:
            for word in self._buckets.get(token[:3], ()):
                if abs(len(word) - n) <= 2:
                    offer(word, fuzz.ratio(token, word) / 100)
        # best three; equal qualities in word order, so the cut never depends on set iteration (PYTHONHASHSEED)
        best = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        return tuple((w, min(q, 0.99)) for w, q in best)


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


@dataclass(frozen=True, slots=True)
class Match:
    start: int
    end: int  # exclusive token index
    payload: Hashable
    quality: float
    length: int  # number of phrase tokens


class PhraseIndex:
    """Phrases (tuples of folded tokens) found in a token sequence, in order, with small gaps."""

    def __init__(self, max_gap: int = 1) -> None:
        self.max_gap = max_gap
        self._by_first: dict[str, list[tuple[tuple[str, ...], Hashable]]] = defaultdict(list)
        self._seen: set[tuple[tuple[str, ...], Hashable]] = set()

    def add(self, phrase: Sequence[str], payload: Hashable) -> None:
        phrase = tuple(phrase)
        if not phrase or (phrase, payload) in self._seen:
            return
        self._seen.add((phrase, payload))
        self._by_first[phrase[0]].append((phrase, payload))

    @property
    def words(self) -> set[str]:
        return {w for phrase, _ in self._seen for w in phrase}

    def match(self, cands: Sequence[Candidates]) -> list[Match]:
        """All phrase occurrences; `cands[i]` are the vocabulary readings of token i."""
        out: list[Match] = []
        n = len(cands)
        for i in range(n):
            for word, q0 in cands[i]:
                for phrase, payload in self._by_first.get(word, ()):
                    quality, pos, gaps, ok = q0, i, 0, True
                    for part in phrase[1:]:
                        hit = None
                        for j in range(pos + 1, min(n, pos + 2 + self.max_gap - gaps + 0)):
                            q = next((qq for w, qq in cands[j] if w == part), None)
                            if q is not None:
                                hit = (j, q)
                                break
                        if hit is None:
                            ok = False
                            break
                        gaps += hit[0] - pos - 1
                        pos = hit[0]
                        quality = min(quality, hit[1])
                    if ok:
                        out.append(Match(i, pos + 1, payload, quality, len(phrase)))
        return out
