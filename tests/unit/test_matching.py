"""Which offers fit a family, and in what order: eligibility first, then need, closeness, cost, language."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.domain.matching import Closeness, MatchRequest, OfferIndex, Reason
from bot.domain.offers import Access, Cost, Offer

TODAY = date(2026, 11, 21)


def offer(external_id: str, **changes) -> Offer:  # type: ignore[no-untyped-def]
    base = Offer(
        external_id=external_id,
        network="ludwigsburg",
        title=external_id,
        organization="Träger",
        description="",
        needs=("childcare",),
        age_min_months=0,
        age_max_months=72,
        pregnancy=False,
        cost=Cost.FREE,
        cost_note="",
        languages=("de",),
        step_free=False,
        childcare=False,
        access=Access.WALK_IN,
        phone="",
        email="",
        website="",
        address="",
        district="lb-innenstadt",
        latitude=None,
        longitude=None,
        districts_served=("*",),
        opening_hours=(),
        valid_from=None,
        valid_until=None,
        last_verified=TODAY,
        source="",
        example=True,
    )
    return replace(base, **changes)


def ids(index: OfferIndex, **request) -> list[str]:  # type: ignore[no-untyped-def]
    defaults = {"needs": ("childcare",), "district_id": "lb-eglosheim", "network_id": "ludwigsburg", "today": TODAY}
    return [m.offer.external_id for m in index.match(MatchRequest(**{**defaults, **request}))]


def test_only_offers_for_the_childs_age_fit():
    index = OfferIndex([offer("baby", age_max_months=12), offer("kita", age_min_months=36, age_max_months=72)])
    assert ids(index, age_months=48) == ["kita"]
    assert ids(index, age_months=36, age_until_months=71) == ["kita"]  # an age band overlaps
    assert ids(index, age_months=0, age_until_months=11) == ["baby"]


def test_pregnancy_fits_offers_for_pregnant_people():
    index = OfferIndex([offer("hebamme", pregnancy=True, age_max_months=6), offer("kita", age_min_months=12)])
    assert ids(index, pregnant=True) == ["hebamme"]


def test_offers_must_serve_the_district_whole_city_offers_count_other_networks_never():
    index = OfferIndex(
        [
            offer("eglosheim", district="lb-eglosheim", districts_served=("lb-eglosheim",)),
            offer("oststadt", district="lb-oststadt", districts_served=("lb-oststadt",)),
            offer("city"),
            offer("weimar", network="weimar", district="we-altstadt"),
        ]
    )
    assert ids(index) == ["eglosheim", "city"]


def test_ranking_need_fit_then_closeness_then_cost_then_language():
    index = OfferIndex(
        [
            offer("paid-near", cost=Cost.PAID, district="lb-eglosheim", districts_served=("lb-eglosheim",)),
            offer("free-city"),
            offer("free-city-turkish", languages=("de", "tr")),
            offer(
                "second-topic",
                needs=("money", "childcare"),
                district="lb-eglosheim",
                districts_served=("lb-eglosheim",),
            ),
            offer("reduced-city", cost=Cost.REDUCED),
        ]
    )
    assert ids(index, language="tr") == ["paid-near", "free-city-turkish", "free-city", "reduced-city", "second-topic"]


def test_expired_and_future_offers_do_not_fit():
    index = OfferIndex(
        [
            offer("old", valid_until=date(2026, 6, 30)),
            offer("later", valid_from=date(2027, 1, 1)),
            offer("now", valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)),
        ]
    )
    assert ids(index) == ["now"]


def test_each_match_carries_its_reasons():
    index = OfferIndex(
        [offer("near", district="lb-eglosheim", districts_served=("lb-eglosheim",), languages=("de", "ar"))]
    )
    [match] = index.match(
        MatchRequest(
            needs=("childcare",), district_id="lb-eglosheim", network_id="ludwigsburg", language="ar", today=TODAY
        )
    )
    assert match.closeness is Closeness.IN_DISTRICT and match.speaks_language
    assert match.reasons == (Reason("cost", "free"), Reason("place", "lb-eglosheim"), Reason("language", "ar"))


def test_nothing_fits_is_an_empty_result_and_pages_count_everything():
    index = OfferIndex([offer(f"o{n}") for n in range(7)])
    assert ids(index, needs=("debt",)) == []
    page, total = index.page(
        MatchRequest(needs=("childcare",), district_id="lb-eglosheim", network_id="ludwigsburg", today=TODAY), 3, 3
    )
    assert total == 7 and [m.offer.external_id for m in page] == ["o3", "o4", "o5"]


def test_several_needs_rank_offers_covering_the_first_need_higher():
    index = OfferIndex([offer("money", needs=("money",)), offer("both", needs=("childcare", "money")), offer("kita")])
    assert ids(index, needs=("money", "childcare")) == ["both", "money", "kita"]
