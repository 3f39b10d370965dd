"""Where a family lives: district names, aliases, spellings, typos and postal codes.

Why its own vocabulary: district names are proper nouns with their own typo patterns
("Egloshaim", "Oßweil'de", "Эглосхайме"); short or all-caps aliases ("ES", "LE") only count
when written exactly like that, so "es gibt" never means Esslingen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.places import Places
from bot.understanding.matching import FuzzyVocabulary, PhraseIndex
from bot.understanding.normalize import clean, tokenize

# Network names as families write them; only used to settle an ambiguous name (Südstadt).
_NETWORK_WORDS = {
    "ludwigsburg": {
        "ludwigsburg",
        "lb",
        "людвигсбург",
        "людвігсбург",
        "لودفيغسبورغ",
        "لودويغسبورغ",
        "لودويگسبورگ",
        "ludwigsburgu",
        "ludwigsburgda",
    },
    "weimar": {"weimar", "weimer", "vaimar", "веимар", "ваимар", "فايمار", "وايمار"},
    "esslingen": {"esslingen", "landkreis", "kreis"},
}
_POSTAL = re.compile(r"(?<!\d)(\d{5})(?!\d)")


@dataclass(frozen=True, slots=True)
class DistrictHit:
    district_id: str | None
    candidates: tuple[str, ...]


class DistrictFinder:
    def __init__(self, places: Places, network_id: str | None = None) -> None:
        self.places = places
        networks = [n for n in places.networks if network_id is None or n.id == network_id] or list(places.networks)
        self._index = PhraseIndex(max_gap=0)
        self._exact_case: dict[str, set[str]] = {}  # short all-caps aliases, matched case-sensitively
        self._postal: dict[str, set[str]] = {}
        self._network_postal: dict[str, str] = {}
        self._district_network: dict[str, str] = {}
        for net in networks:
            for code in net.postal_codes:
                self._network_postal[code] = net.id
            for d in net.districts:
                self._district_network[d.id] = net.id
                for code in d.postal_codes:
                    self._postal.setdefault(code, set()).add(d.id)
                for name in (d.name, *d.aliases):
                    raw = clean(name).strip()
                    if len(raw.replace(".", "").replace("-", "").replace(" ", "")) <= 3:
                        self._exact_case.setdefault(raw, set()).add(d.id)
                        continue
                    toks = tuple(tokenize(name))
                    if not toks:
                        continue
                    self._index.add(toks, d.id)
                    if len(toks) > 1:
                        self._index.add(("".join(toks),), d.id)
        words = self._index.words
        self._vocab = FuzzyVocabulary(words, min_len=5, cutoff=0.84, edit_min_len=6)
        self._network_of_word = {w: net for net, ws in _NETWORK_WORDS.items() for w in ws}

    def find(self, raw: str, toks: Sequence[str]) -> DistrictHit:
        cands = [self._vocab.candidates(t) for t in toks]
        spans: dict[tuple[int, int], tuple[float, set[str]]] = {}
        for m in self._index.match(cands):
            q, ids = spans.get((m.start, m.end), (0.0, set()))
            ids.add(str(m.payload))
            spans[(m.start, m.end)] = (max(q, m.quality), ids)
        # a longer alias ("Weimar West", "Südstadt Weimar") beats the shorter names inside it
        kept = [
            (span, val)
            for span, val in spans.items()
            if not any(o != span and o[0] <= span[0] and span[1] <= o[1] for o in spans)
        ]
        groups: list[tuple[float, frozenset[str]]] = [
            (q + 0.1 * (end - start), frozenset(ids)) for (start, end), (q, ids) in kept
        ]
        for match in re.finditer(r"[A-Za-z][A-Za-z.\-]*", raw):
            word = match.group(0).strip(".-")
            ids_exact = self._exact_case.get(word) or self._exact_case.get(match.group(0))
            if ids_exact and word.isupper():
                groups.append((0.9, frozenset(ids_exact)))
        networks_named: set[str] = set()
        for code in _POSTAL.findall(clean(raw)):
            if code in self._postal:
                groups.append((1.5, frozenset(self._postal[code])))
            elif code in self._network_postal:
                networks_named.add(self._network_postal[code])
        for t in toks:
            net = self._network_of_word.get(t)
            if net:
                networks_named.add(net)
        if not groups:
            return DistrictHit(None, ())
        settled: list[tuple[float, frozenset[str]]] = []
        for score, ids in groups:
            if len(ids) > 1 and networks_named:
                narrowed = frozenset(i for i in ids if self._district_network.get(i) in networks_named)
                ids = narrowed or ids
            settled.append((score, ids))
        unique = [(score, next(iter(ids))) for score, ids in settled if len(ids) == 1]
        if unique:
            return DistrictHit(max(unique, key=lambda su: su[0])[1], ())
        ambiguous = sorted({i for _, ids in settled for i in ids})
        return DistrictHit(None, tuple(ambiguous))

    @staticmethod
    def _ids(payload: object) -> tuple[str, ...]:
        return (payload,) if isinstance(payload, str) else tuple(payload)  # type: ignore[arg-type]
