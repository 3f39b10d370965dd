"""Where a family lives: district names, aliases, spellings, typos and postal codes.

Why its own vocabulary: district names are proper nouns with their own typo patterns
("Egloshaim", "Oßweil'de", "Эглосхайме"); short or all-caps aliases ("ES", "LE") only count
when written exactly like that, so "es gibt" never means Esslingen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.domain.places import Places
from bot.understanding.matching import FuzzyVocabulary, PhraseIndex
from bot.understanding.normalize import clean, fold_text, tokenize

# Words that point to a network without naming a town: they settle an ambiguous name (Südstadt) only.
# The towns themselves are in knowledge/districts.yaml (a network's aliases).
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
# "We live in ..." before a place name says where, not that the family needs housing ("mieszkamy w Kirchheim":
# "mieszkamy" reads like "mieszkanie", a flat). Need words on these tokens do not count once a place is named.
LIVING_WORDS = frozenset(
    fold_text(w)
    for w in [
        "wohnen",
        "wohne",
        "wohnt",
        "wohnhaft",
        "leben",
        "lebe",
        "leben",
        "live",
        "lives",
        "living",
        "stay",
        "staying",
        "oturuyoruz",
        "oturuyorum",
        "yasiyoruz",
        "yasiyorum",
        "yaşıyoruz",
        "yaşıyorum",
        "نسكن",
        "أسكن",
        "اسكن",
        "نعيش",
        "ساكنين",
        "ساكن",
        "زندگی",
        "زندگي",
        "ساکن",
        "میکنیم",
        "живем",
        "живём",
        "живу",
        "живемо",
        "живу",
        "проживаем",
        "проживаємо",
        "locuim",
        "locuiesc",
        "stăm",
        "stam",
        "mieszkamy",
        "mieszkam",
        "mieszkają",
        "abitiamo",
        "abito",
        "viviamo",
        "vivo",
        "živimo",
        "zivimo",
        "živim",
        "zivim",
        "stanujemo",
        "jetojmë",
        "jetojme",
        "jetoj",
        "banojmë",
        "banojme",
        "dijîn",
        "dijin",
        "dimînin",
        "diminin",
    ]
)
_POSTAL = re.compile(r"(?<!\d)(\d{5})(?!\d)")


@dataclass(frozen=True, slots=True)
class DistrictHit:
    district_id: str | None
    candidates: tuple[str, ...]
    network_id: str | None = None  # a town or county named without a district ("Weimar", "Landkreis Esslingen")
    span: tuple[int, int] | None = None  # the tokens that named the district (they are no need words)


class DistrictFinder:
    def __init__(
        self,
        places: Places,
        network_id: str | None = None,
        network_aliases: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.places = places
        networks = [n for n in places.networks if network_id is None or n.id == network_id] or list(places.networks)
        self._index = PhraseIndex(max_gap=0)
        self._towns = PhraseIndex(max_gap=0)  # town and county names: payload = network id
        for net in networks:
            for name in (net.name, *(network_aliases or {}).get(net.id, ())):
                toks = tuple(tokenize(name))
                if toks and len("".join(toks)) > 3:
                    self._towns.add(toks, net.id)
                    if len(toks) > 1:
                        self._towns.add(("".join(toks),), net.id)
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
        words = self._index.words | self._towns.words
        self._vocab = FuzzyVocabulary(sorted(words), min_len=5, cutoff=0.84, edit_min_len=6)
        self._network_of_word = {w: net for net, ws in _NETWORK_WORDS.items() for w in ws}

    def find(self, raw: str, toks: Sequence[str]) -> DistrictHit:
        cands = [self._vocab.candidates(t) for t in toks]
        towns: dict[tuple[int, int], tuple[float, str]] = {}
        for m in self._towns.match(cands):
            best = towns.get((m.start, m.end))
            if best is None or (m.quality, str(m.payload)) > best:
                towns[(m.start, m.end)] = (m.quality, str(m.payload))
        spans: dict[tuple[int, int], tuple[float, set[str]]] = {}
        for m in self._index.match(cands):
            if any(a <= m.start and m.end <= b and m.quality <= q for (a, b), (q, _) in towns.items()):
                continue  # "Landkreis Esslingen", "Ludwigsburg" (~ "Ludwigsburg-Ost"): the town, not a district
            q, ids = spans.get((m.start, m.end), (0.0, set()))
            if m.quality > q:  # the closest reading wins: an exact name beats fuzzy neighbours (أوستشتات)
                q, ids = m.quality, set()
            if m.quality == q:
                ids.add(str(m.payload))
            spans[(m.start, m.end)] = (max(q, m.quality), ids)
        # a longer alias ("Weimar West", "Südstadt Weimar") beats the shorter names inside it
        kept = [
            (span, val)
            for span, val in spans.items()
            if not any(o != span and o[0] <= span[0] and span[1] <= o[1] for o in spans)
        ]
        groups: list[tuple[float, frozenset[str], tuple[int, int] | None]] = [
            (q + 0.1 * (end - start), frozenset(ids), (start, end)) for (start, end), (q, ids) in kept
        ]
        for match in re.finditer(r"[A-Za-z][A-Za-z.\-]*", raw):
            word = match.group(0).strip(".-")
            ids_exact = self._exact_case.get(word) or self._exact_case.get(match.group(0))
            if ids_exact and word.isupper():
                groups.append((0.9, frozenset(ids_exact), None))
        postal_networks: set[str] = set()
        for code in _POSTAL.findall(clean(raw)):
            if code in self._postal:
                groups.append((1.5, frozenset(self._postal[code]), None))
            elif code in self._network_postal:
                postal_networks.add(self._network_postal[code])
        towns_named = {net for _, net in towns.values()} | postal_networks
        networks_named = towns_named | {net for t in toks if (net := self._network_of_word.get(t))}
        if not groups:
            # a town alone (or a postal code its districts share) tells the network: no failure, no list
            return DistrictHit(None, (), next(iter(towns_named)) if len(towns_named) == 1 else None)
        settled: list[tuple[float, frozenset[str], tuple[int, int] | None]] = []
        for score, ids, span in groups:
            if len(ids) > 1 and networks_named:
                narrowed = frozenset(i for i in ids if self._district_network.get(i) in networks_named)
                ids = narrowed or ids
            settled.append((score, ids, span))
        unique = [(score, min(ids), span) for score, ids, span in settled if len(ids) == 1]
        if len(unique) > 1:  # "esslingen nürtingen": the county's name beside one of its towns means the town
            specific = [u for u in unique if u[2] is None or not self._only_network_words(toks[u[2][0] : u[2][1]])]
            unique = specific or unique
        if unique:
            # the best score; on a tie the smaller id, so the answer never depends on set order
            _, best, span = min(unique, key=lambda u: (-u[0], u[1]))
            return DistrictHit(best, (), span=span)
        ambiguous = sorted({i for _, ids, _ in settled for i in ids})
        return DistrictHit(None, tuple(ambiguous))

    def _only_network_words(self, words: Sequence[str]) -> bool:
        return bool(words) and all(w in self._network_of_word for w in words)

    @staticmethod
    def _ids(payload: object) -> tuple[str, ...]:
        return (payload,) if isinstance(payload, str) else tuple(payload)  # type: ignore[arg-type]
