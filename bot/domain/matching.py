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


class OfferIndex:
    """Offers grouped once by who they can serve, so a match looks only at offers that can fit.

    Keys: (district, need) for offers serving named districts, (network, need) for whole-network offers,
    (None, need) for requests without a place. A request for a district reads two short lists instead of
    every offer of its network; only the best `limit` are ranked fully.
    """

    def __init__(self, offers: Iterable[Offer]) -> None:
        self.offers = list(offers)
        self._for_district: dict[tuple[str, str], list[Offer]] = defaultdict(list)
        self._for_network: dict[tuple[str, str], list[Offer]] = defaultdict(list)
        self._any: dict[str, list[Offer]] = defaultdict(list)
        for offer in self.offers:
            for need in offer.needs:
                self._any[need].append(offer)
                if offer.serves_whole_network:
                    self._for_network[(offer.network, need)].append(offer)
                else:
                    for district in offer.districts_served:
                        self._for_district[(district, need)].append(offer)

    def __len__(self) -> int:
        return len(self.offers)

    def _candidates(self, request: MatchRequest, need: str) -> Iterable[Offer]:
        if request.district_id:
            yield from self._for_district.get((request.district_id, need), ())
            yield from self._for_network.get((request.network_id or "", need), ())
        elif request.network_id:
            yield from (o for o in self._any.get(need, ()) if o.network == request.network_id)
        else:
            yield from self._any.get(need, ())

    def _fitting(self, request: MatchRequest) -> list[Match]:
        today = request.today or date.today()
        wanted = {need: len(request.needs) - i for i, need in enumerate(request.needs)}  # best need weighs most
        seen: dict[str, Match] = {}
        for need in request.needs:
            for offer in self._candidates(request, need):
                if offer.external_id in seen or not self._eligible(offer, request, today):
                    continue
                seen[offer.external_id] = self._scored(offer, request, wanted)
        return list(seen.values())

    def match(self, request: MatchRequest, limit: int | None = None) -> list[Match]:
        """All fitting offers, best first (only the best `limit` when given)."""
        fitting = self._fitting(request)
        return heapq.nsmallest(limit, fitting, key=_rank_key) if limit else sorted(fitting, key=_rank_key)

    def page(self, request: MatchRequest, start: int, size: int) -> tuple[list[Match], int]:
        """Offers start..start+size of the ranking, and how many fit in all."""
        fitting = self._fitting(request)
        return heapq.nsmallest(start + size, fitting, key=_rank_key)[start:], len(fitting)

    @staticmethod
    def _eligible(offer: Offer, request: MatchRequest, today: date) -> bool:
        if not offer.is_valid_on(today):
            return False
        if request.district_id and not offer.serves(request.district_id):
            return False
        if request.age_months is None and not request.pregnant:
            return True
        if request.pregnant and offer.pregnancy:
            return True
        if request.age_months is None:
            return False
        until = request.age_until_months if request.age_until_months is not None else request.age_months
        return offer.age_min_months <= until and request.age_months <= offer.age_max_months

    @staticmethod
    def _scored(offer: Offer, request: MatchRequest, wanted: dict[str, int]) -> Match:
        # an offer whose main topic is the need fits better than one that mentions it second
        need_fit = sum(
            weight * 2 - min(offer.needs.index(need), 1) for need, weight in wanted.items() if need in offer.needs
        )
        if not request.district_id:
            closeness = Closeness.ELSEWHERE
        elif offer.district == request.district_id:
            closeness = Closeness.IN_DISTRICT
        elif offer.serves_whole_network:
            closeness = Closeness.WHOLE_NETWORK
        else:
            closeness = Closeness.SERVES_DISTRICT
        language = request.language or ""
        speaks = bool(language) and not language.startswith("de") and language in offer.languages
        reasons = [Reason("cost", offer.cost.value)]
        if closeness is Closeness.IN_DISTRICT or closeness is Closeness.SERVES_DISTRICT:
            reasons.append(Reason("place", request.district_id or ""))
        elif closeness is Closeness.WHOLE_NETWORK:
            reasons.append(Reason("place", "*"))
        if speaks:
            reasons.append(Reason("language", language))
        return Match(offer, need_fit, closeness, speaks, tuple(reasons))


def _rank_key(match: Match) -> tuple[int, int, int, int, int, str]:
    offer = match.offer
    age_span = offer.age_max_months - offer.age_min_months  # a specific offer before a catch-all one
    return (
        -match.need_fit,
        -match.closeness,
        -_COST_RANK[offer.cost],
        -int(match.speaks_language),
        age_span,
        offer.external_id,
    )
