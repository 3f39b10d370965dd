"""Which offers fit a family, best first, each with reasons a family and a Lotse can read.

Eligible: the child's age (or pregnancy) fits, the offer is valid today, and it serves the family's district
(offers for the whole city/county count). Protection offers (a Frauenhaus: main need "protection") are shown
only when protection is among the requested needs — a family asking about rent must not read "Frauenhaus".
Ranked by relevance — need fit (the primary need outranks a secondary one) plus how many of the family's own
words the offer's title and texts share ("Schwimmkurs" lifts the swimming course) — then closeness (in the own
district, then serving it explicitly, then the whole network), then cost (free before reduced before paid), then
whether staff speak the family's language. When nothing fits, the result says so: the conversation offers a
Lotse and the gap gets counted.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import IntEnum

from rapidfuzz import fuzz, process

from bot.domain.offers import Cost, Offer
from bot.domain.places import fold


class Closeness(IntEnum):
    ELSEWHERE = 0  # no district given: every network
    WHOLE_NETWORK = 1
    SERVES_DISTRICT = 2
    IN_DISTRICT = 3


@dataclass(frozen=True, slots=True)
class MatchRequest:
    needs: tuple[str, ...]
    age_months: int | None = None
    age_until_months: int | None = None  # an age band (e.g. "3–6 years"): offers overlapping it fit
    pregnant: bool = False
    district_id: str | None = None
    network_id: str | None = None
    language: str | None = None
    today: date | None = None
    words: str = ""  # the family's recent free text: offers sharing its topic words rank higher


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason as data, rendered per language at the edge: kind is cost | place | language | need."""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class Match:
    offer: Offer
    need_fit: int
    closeness: Closeness
    speaks_language: bool
    reasons: tuple[Reason, ...]
    topic: int = 0  # how many of the family's informative words the offer's texts share (at most TOPIC_CAP)


_COST_RANK = {Cost.FREE: 2, Cost.REDUCED: 1, Cost.PAID: 0}
# (-relevance, -closeness, -cost rank, -speaks, age span, external id | need fit, topic): external ids are unique,
# so the last two are carried along for the Match and never compared.
_Key = tuple[int, int, int, int, int, str, int, int]
PROTECTION = "protection"

# ---- topic words: the family's words against the offer's title, description and translations
#
# Why words and not only needs: a need ("leisure", "basic_needs") holds very different offers; the family's
# own word ("Schwimmkurs", "Essen", "Räumungsklage") says which of them it means. One shared topic word counts
# as much as 1.5 need ranks, two at most: enough to lift the swimming course above other leisure offers and
# the Tafel above general money advice, not enough to bury the primary need under chance words.
TOPIC_WEIGHT = 3
TOPIC_CAP = 2
MAX_WORDS = 16  # the family's words looked at (its recent text may be long)
MAX_FUZZY = 4  # typo look-ups per request (each scans the vocabulary once, in C)
FUZZY_CUTOFF = 84  # rapidfuzz ratio: "Schwimkurs" ~ "schwimmkurs", "Tafl" is too short to guess
_TOKEN = re.compile(r"[^\W\d_]+")

# Function words and words every offer uses: they say nothing about which offer fits.
_STOP_WORDS = """
    aber alle also auch auf aus bei bin bis bitte brauche brauchen dass das dem den der des die doch ein eine
    einen einem einer eines fuer für gibt habe haben hallo hat ich ihr ist jetzt kann kein keine keinen kind kinder
    kindern familie familien meine meinen meiner mein mich mir mit nach nicht noch oder sehr sich sie sind und uns
    unsere viel von was weil wenn wer wie wir wird zum zur hilfe helfen beratung geld angebot angebote
    about also and are can child children could family for from have help need needs please that the there they
    this what with would your money advice offer
    bir benim bana icin için cok çok var yok para yardim yardım cocuk çocuk cocugum çocuğum
    для мне меня нам нас нужна нужно помощь дети ребенок гроші допомога діти потрібна"""
_STOP_FOLDED = frozenset(fold(w) for w in _STOP_WORDS.split())

# Everyday words that offer texts say differently ("Essen" – "Lebensmittel"): a family word starting with the
# key also looks for the offer-text stems (folded, matched at a word start).
_BRIDGES: dict[str, tuple[str, ...]] = {
    "essen": ("lebensmittel", "tafel"),
    "nahrung": ("lebensmittel", "tafel"),
    "hunger": ("lebensmittel", "tafel", "food"),
    "food": ("food", "tafel", "lebensmittel"),
    "kundig": ("wohnungsverlust", "raumungsklage", "kundigung", "eviction"),
    "rausgeworf": ("wohnungsverlust", "raumungsklage"),
    "rauswurf": ("wohnungsverlust", "raumungsklage"),
    "raumung": ("wohnungsverlust", "raumungsklage", "eviction"),
    "zwangsraum": ("wohnungsverlust", "raumungsklage", "eviction"),
    "evict": ("eviction", "wohnungsverlust"),
    "mietschuld": ("mietschuld", "wohnungsverlust"),
    "klamott": ("kleid",),
    "anziehsach": ("kleid",),
    "schwimm": ("schwimm",),
}


def topic_tokens(text: str) -> list[str]:
    """The folded words of a text that can carry a topic (four letters or more)."""
    return [w for w in _TOKEN.findall(fold(text)) if len(w) >= 4]


def _stem(word: str) -> str:
    """A crude stem that works across the offer languages: 'schulden' -> 'schuld', 'wohnung' -> 'wohnu'.

    Matched at a word start of the offer text, so German compounds ('Schuldnerberatung') and plural or case
    endings meet without a language-specific stemmer."""
    if len(word) >= 7:
        return word[:-2]
    if len(word) >= 5:
        return word[:-1]
    return word


def _family_stems(words: str) -> list[tuple[str, ...]]:
    """Each informative family word as the stems any of which counts as a hit (bridges and typos added later).

    The newest words first: in a long text (the conversation passes its recent messages) they say best what
    the family asks for now."""
    seen: set[str] = set()
    found: list[tuple[str, ...]] = []
    for word in reversed(topic_tokens(words)):
        if word in _STOP_FOLDED or word in seen:
            continue
        seen.add(word)
        variants = {_stem(word)}
        if word.startswith("ge") and len(word) >= 7:  # German participles: "gekündigt" ~ "Kündigung"
            variants.add(_stem(word[2:]))
        for key, targets in _BRIDGES.items():
            if word.startswith(key) or word[2:].startswith(key):
                variants.update(targets)
        found.append(tuple(sorted(variants)))
        if len(found) >= MAX_WORDS:
            break
    return found


class _Entry:
    """What ranking needs of an offer, computed once (the hot loop then touches only plain slots)."""

    __slots__ = (
        "age_max",
        "age_min",
        "cost_rank",
        "district",
        "id",
        "languages",
        "needs",
        "offer",
        "pregnancy",
        "protection",
        "span",
        "text",
        "title",
        "valid_from",
        "valid_until",
        "whole",
    )

    def __init__(self, offer: Offer, text: str) -> None:
        self.offer = offer
        self.id = offer.external_id
        self.needs = offer.needs
        self.age_min, self.age_max = offer.age_min_months, offer.age_max_months
        self.span = self.age_max - self.age_min  # a specific offer before a catch-all one
        self.pregnancy = offer.pregnancy
        self.cost_rank = _COST_RANK[offer.cost]
        self.district = offer.district
        self.whole = offer.serves_whole_network
        self.languages = frozenset(offer.languages)
        self.valid_from = offer.valid_from.toordinal() if offer.valid_from else 0
        self.valid_until = offer.valid_until.toordinal() if offer.valid_until else 10**9
        self.protection = bool(offer.needs) and offer.needs[0] == PROTECTION  # a Frauenhaus, not a Schulsozialarbeit
        self.title = " " + " ".join(topic_tokens(offer.title))  # " schwimmkurs kinder ..." (word starts: " x")
        self.text = text  # the same for offers with the same texts: shared, not copied


def _body_key(offer: Offer) -> tuple[str, ...]:
    """What the shared topic text of an offer is made of (organization, description, cost note, translations)."""
    translated = tuple(f"{t.title} {t.summary}" for _, t in sorted(offer.translations.items()))
    return (offer.organization, offer.description, offer.cost_note, *translated)


class OfferIndex:
    """Offers grouped once by who they can serve, so a match looks only at offers that can fit.

    Keys: (district, need) for offers serving named districts, (network, need) for whole-network offers,
    need alone for requests without a place. A request for a district reads two short lists; every candidate
    gets a plain rank key, and only the best `limit` become `Match`es with reasons.
    """

    def __init__(self, offers: Iterable[Offer]) -> None:
        self.offers = list(offers)
        self._for_district: dict[tuple[str, str], list[_Entry]] = defaultdict(list)
        self._for_network: dict[tuple[str, str], list[_Entry]] = defaultdict(list)
        self._any: dict[str, list[_Entry]] = defaultdict(list)
        self._network_of: dict[str, str] = {}
        self._by_id: dict[str, Offer] = {}
        bodies: dict[tuple[str, ...], str] = {}  # offers copied from one template share one topic text
        vocabulary: set[str] = set()
        for offer in self.offers:
            key = _body_key(offer)
            text = bodies.get(key)
            if text is None:
                words = topic_tokens(" ".join(key))
                vocabulary.update(words)
                text = bodies[key] = " " + " ".join(words)
            entry = _Entry(offer, text)
            self._by_id[entry.id] = offer
            vocabulary.update(entry.title.split())
            self._network_of[entry.id] = offer.network
            for need in offer.needs:
                self._any[need].append(entry)
                if entry.whole:
                    self._for_network[(offer.network, need)].append(entry)
                else:
                    for district in offer.districts_served:
                        self._for_district[(district, need)].append(entry)
        self._vocabulary = sorted(vocabulary)  # for typo look-ups and "does any offer word start with this?"
        self._typos: dict[str, str | None] = {}  # a family word -> the offer word it was probably meant as

    def _known(self, stem: str) -> bool:
        """Whether some offer word starts with `stem` (a binary search in the sorted vocabulary)."""
        i = bisect_left(self._vocabulary, stem)
        return i < len(self._vocabulary) and self._vocabulary[i].startswith(stem)

    def _stems(self, words: str) -> list[tuple[str, ...]]:
        """The family's informative words as stems; a word no offer knows gets its nearest offer word (typos)."""
        stems = _family_stems(words)
        fuzzy = 0
        for i, variants in enumerate(stems):
            if any(self._known(v) for v in variants):
                continue
            word = variants[0]
            if len(word) < 5:
                continue
            if word not in self._typos:
                if fuzzy >= MAX_FUZZY:
                    continue
                fuzzy += 1
                best = process.extractOne(word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
                if len(self._typos) > 50_000:  # bounded: families' words are not an archive either
                    self._typos.clear()
                self._typos[word] = _stem(best[0]) if best else None
            corrected = self._typos[word]
            if corrected:
                stems[i] = (*variants, corrected)
        return stems

    def __len__(self) -> int:
        return len(self.offers)

    def get(self, external_id: str) -> Offer | None:
        """The offer with this external id (e.g. one the family was shown), or None when it is gone."""
        return self._by_id.get(external_id)

    def _candidates(self, request: MatchRequest, need: str) -> Iterable[_Entry]:
        if request.district_id:
            yield from self._for_district.get((request.district_id, need), ())
            yield from self._for_network.get((request.network_id or "", need), ())
        elif request.network_id:
            network_of = self._network_of
            yield from (e for e in self._any.get(need, ()) if network_of[e.id] == request.network_id)
        else:
            yield from self._any.get(need, ())

    def _ranked(self, request: MatchRequest) -> dict[str, tuple[_Key, _Entry]]:
        """Every fitting offer with its rank key (smaller is better), by external id."""
        today = (request.today or date.today()).toordinal()
        wanted = [(need, len(request.needs) - i) for i, need in enumerate(request.needs)]  # best need weighs most
        district = request.district_id
        language = request.language or ""
        if language.startswith("de"):
            language = ""  # German is spoken everywhere: no bonus
        age_from = request.age_months
        age_until = request.age_until_months if request.age_until_months is not None else age_from
        pregnant, no_age = request.pregnant, request.age_months is None and not request.pregnant
        protection_wanted = PROTECTION in request.needs
        fitting: dict[str, tuple[_Entry, int, int, int]] = {}
        for need in request.needs:
            for e in self._candidates(request, need):
                if e.id in fitting or e.valid_from > today or e.valid_until < today:
                    continue
                if e.protection and not protection_wanted:
                    continue
                if (
                    not no_age
                    and not (pregnant and e.pregnancy)
                    and (
                        age_from is None or e.age_min > age_until or age_from > e.age_max  # type: ignore[operator]
                    )
                ):
                    continue
                # an offer whose main topic is the need fits better than one that mentions it second
                need_fit = sum(w * 2 - (n != e.needs[0]) for n, w in wanted if n in e.needs)
                if not district:
                    closeness = Closeness.ELSEWHERE
                elif e.district == district:
                    closeness = Closeness.IN_DISTRICT
                elif e.whole:
                    closeness = Closeness.WHOLE_NETWORK
                else:
                    closeness = Closeness.SERVES_DISTRICT
                speaks = 1 if language and language in e.languages else 0
                fitting[e.id] = (e, need_fit, closeness, speaks)
        topics = self._topics(request.words, [f[0] for f in fitting.values()]) if request.words else {}
        ranked: dict[str, tuple[_Key, _Entry]] = {}
        for e, need_fit, closeness, speaks in fitting.values():
            topic = topics.get(e.id, 0)
            relevance = need_fit + TOPIC_WEIGHT * topic
            ranked[e.id] = ((-relevance, -closeness, -e.cost_rank, -speaks, e.span, e.id, need_fit, topic), e)
        return ranked

    def _topics(self, words: str, entries: list[_Entry]) -> dict[str, int]:
        """How many informative family words each fitting offer shares; only the filtered candidates are read.

        A word found in more than half of the candidates ("Kita" when asking for childcare) tells them apart
        no better than the need does, so it does not count. Offers copied from one text share the work."""
        stems = [tuple(" " + v for v in variants) for variants in self._stems(words)]  # word starts in " a b c"
        if not stems or not entries:
            return {}
        by_text: dict[int, int] = {}
        masks: dict[str, int] = {}
        for e in entries:
            body = by_text.get(id(e.text))
            if body is None:
                body = by_text[id(e.text)] = _mask(stems, e.text)
            mask = body | _mask(stems, e.title)
            if mask:
                masks[e.id] = mask
        if not masks:
            return {}
        counts: Counter[int] = Counter()
        for mask, times in Counter(masks.values()).items():
            for bit in range(len(stems)):
                if mask >> bit & 1:
                    counts[bit] += times
        limit = max(1, len(entries) // 2)
        informative = sum(1 << bit for bit, count in counts.items() if count <= limit)
        return {i: min(TOPIC_CAP, (m & informative).bit_count()) for i, m in masks.items() if m & informative}

    def _matches(self, request: MatchRequest, chosen: Iterable[tuple[_Key, _Entry]]) -> list[Match]:
        matches = []
        for key, entry in chosen:
            offer, closeness, speaks = entry.offer, Closeness(-key[1]), key[3] == -1
            reasons = [Reason("cost", offer.cost.value)]
            if closeness in (Closeness.IN_DISTRICT, Closeness.SERVES_DISTRICT):
                reasons.append(Reason("place", request.district_id or ""))
            elif closeness is Closeness.WHOLE_NETWORK:
                reasons.append(Reason("place", "*"))
            if speaks:
                reasons.append(Reason("language", request.language or ""))
            matches.append(Match(offer, key[6], closeness, speaks, tuple(reasons), key[7]))
        return matches

    def match(self, request: MatchRequest, limit: int | None = None) -> list[Match]:
        """All fitting offers, best first (only the best `limit` when given)."""
        ranked = self._ranked(request).values()
        chosen = heapq.nsmallest(limit, ranked, key=_first) if limit else sorted(ranked, key=_first)
        return self._matches(request, chosen)

    def page(self, request: MatchRequest, start: int, size: int) -> tuple[list[Match], int]:
        """Offers start..start+size of the ranking, and how many fit in all."""
        ranked = self._ranked(request)
        chosen = heapq.nsmallest(start + size, ranked.values(), key=_first)[start:]
        return self._matches(request, chosen), len(ranked)


def _first(item: tuple[_Key, _Entry]) -> _Key:
    return item[0]


def _mask(stems: list[tuple[str, ...]], text: str) -> int:
    """Bit i set when family word i (any of its stems, each with a leading space) starts a word of `text`."""
    mask = 0
    for bit, variants in enumerate(stems):
        for stem in variants:
            if stem in text:
                mask |= 1 << bit
                break
    return mask


def serves_request(offer: Offer, request: MatchRequest) -> bool:
    """Whether a shown offer really serves the request, for the statistics ("found" only then).

    The matcher also lists offers that name the need second (a German course with childcare for a Kita
    request, a return-to-work advice that mentions childcare); that is a way on, not the help asked for. So:
    the family's first need is the offer's main need, the age fits (an age band overlaps) and the offer
    serves the family's district or, without one, its town."""
    if not request.needs or not offer.needs or offer.needs[0] != request.needs[0]:
        return False
    if request.network_id and offer.network != request.network_id:
        return False
    if request.district_id and not offer.serves(request.district_id):
        return False
    if request.pregnant and offer.pregnancy:
        return True
    if request.age_months is None:
        return not request.pregnant
    until = request.age_until_months if request.age_until_months is not None else request.age_months
    return offer.age_min_months <= until and request.age_months <= offer.age_max_months
