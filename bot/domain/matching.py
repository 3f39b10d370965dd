"""Which offers fit a family, best first, each with reasons a family and a Lotse can read.

Eligible: the child's age (or pregnancy) fits, the offer is valid today, and it serves the family's district
(offers for the whole city/county count). Ranked by need fit, then closeness (in the own district, then
serving it explicitly, then the whole network), then cost (free before reduced before paid), then whether staff
speak the family's language. When nothing fits, the result says so: the conversation offers a Lotse and the
gap gets counted.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import IntEnum

from bot.domain.offers import Cost, Offer


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


_COST_RANK = {Cost.FREE: 2, Cost.REDUCED: 1, Cost.PAID: 0}


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
        "span",
        "valid_from",
        "valid_until",
        "whole",
    )

    def __init__(self, offer: Offer) -> None:
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
        for offer in self.offers:
            entry = _Entry(offer)
            self._network_of[entry.id] = offer.network
            for need in offer.needs:
                self._any[need].append(entry)
                if entry.whole:
                    self._for_network[(offer.network, need)].append(entry)
                else:
                    for district in offer.districts_served:
                        self._for_district[(district, need)].append(entry)

    def __len__(self) -> int:
        return len(self.offers)

    def _candidates(self, request: MatchRequest, need: str) -> Iterable[_Entry]:
        if request.district_id:
            yield from self._for_district.get((request.district_id, need), ())
            yield from self._for_network.get((request.network_id or "", need), ())
        elif request.network_id:
            network_of = self._network_of
            yield from (e for e in self._any.get(need, ()) if network_of[e.id] == request.network_id)
        else:
            yield from self._any.get(need, ())

    def _ranked(self, request: MatchRequest) -> dict[str, tuple[tuple[int, int, int, int, int, str], _Entry]]:
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
        ranked: dict[str, tuple[tuple[int, int, int, int, int, str], _Entry]] = {}
        for need in request.needs:
            for e in self._candidates(request, need):
                if e.id in ranked or e.valid_from > today or e.valid_until < today:
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
                ranked[e.id] = ((-need_fit, -closeness, -e.cost_rank, -speaks, e.span, e.id), e)
        return ranked

    def _matches(self, request: MatchRequest, chosen: Iterable[tuple[tuple[int, ...], _Entry]]) -> list[Match]:
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
            matches.append(Match(offer, -key[0], closeness, speaks, tuple(reasons)))
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


def _first(item: tuple[tuple[int, int, int, int, int, str], _Entry]) -> tuple[int, int, int, int, int, str]:
    return item[0]
