"""Ranking that fits the family's words: topic words within a need, protection offers only when asked for."""

from __future__ import annotations

from datetime import date
from functools import cache

import pytest

from bot.domain.matching import MatchRequest, OfferIndex
from bot.knowledge import bundled_knowledge
from bot.offer_files import read_offers

TODAY = date(2026, 11, 24)


@cache
def index() -> OfferIndex:
    knowledge = bundled_knowledge()
    return OfferIndex(o for path in knowledge.offer_files for o in read_offers(path, knowledge.places).offers)


def ranked(words: str, needs: tuple[str, ...], district: str, age: int | None = 60, limit: int = 5) -> list[str]:
    network = district.split("-", 1)[0]
    network_id = {"lb": "ludwigsburg", "es": "esslingen", "we": "weimar"}[network]
    request = MatchRequest(
        needs=needs, age_months=age, district_id=district, network_id=network_id, today=TODAY, words=words
    )
    return [m.offer.external_id for m in index().match(request, limit=limit)]


@pytest.mark.parametrize(
    ("words", "needs", "district", "age", "first"),
    [
        ("Schwimmkurs für meine Tochter", ("leisure",), "es-filderstadt", 84, "es-schwimmkurs-filderstadt"),
        ("schwimkurs", ("leisure",), "es-filderstadt", 84, "es-schwimmkurs-filderstadt"),  # a typo
        ("my son should learn swimming", ("leisure",), "es-filderstadt", 84, "es-schwimmkurs-filderstadt"),
        ("kein Geld für Essen", ("money", "basic_needs"), "lb-eglosheim", 60, "lb-tafel"),
        ("wir haben kein Geld für Essen", ("money", "basic_needs"), "es-nuertingen", 60, "es-tafel-nuertingen"),
        ("we have no money for food", ("money", "basic_needs"), "we-altstadt", 60, "we-weimarer-tafel"),
        ("Musikunterricht, Geige", ("leisure",), "lb-innenstadt", 96, "lb-musikschule"),
    ],
)
def test_the_familys_words_put_the_offer_they_mean_first(words, needs, district, age, first):  # type: ignore[no-untyped-def]
    assert ranked(words, needs, district, age)[0] == first


@pytest.mark.parametrize(
    ("words", "needs", "district", "expected_top", "never"),
    [
        (
            "Schulden und die Wohnung wird gekündigt",
            ("debt", "housing"),
            "es-ostfildern",
            {"es-antragshilfe-ostfildern"},
            "es-frauenhaus",
        ),
        (
            "Schulden, Räumungsklage",
            ("housing", "debt"),
            "lb-innenstadt",
            {"lb-wohnungsnotfallhilfe", "lb-sozialberatung", "lb-schuldnerberatung"},
            "lb-frauenhaus",
        ),
        ("we lose our flat", ("housing",), "we-altstadt", {"we-wohnungsnotfallhilfe"}, "we-frauenhaus"),
    ],
)
def test_debt_and_eviction_get_debt_and_housing_help_never_the_frauenhaus(  # type: ignore[no-untyped-def]
    words, needs, district, expected_top, never
):
    offers = ranked(words, needs, district, limit=20)
    assert offers and offers[0] in expected_top
    assert never not in offers


@pytest.mark.parametrize("network, district", [("lb", "lb-innenstadt"), ("we", "we-altstadt"), ("es", "es-esslingen")])
def test_protection_offers_appear_when_protection_is_asked_for(network, district):  # type: ignore[no-untyped-def]
    frauenhaus = {"lb": "lb-frauenhaus", "we": "we-frauenhaus", "es": "es-frauenhaus"}[network]
    assert frauenhaus in ranked("", ("protection",), district, limit=20)
    assert frauenhaus in ranked("", ("housing", "protection"), district, limit=20)
    assert frauenhaus not in ranked("", ("housing",), district, limit=50)


def test_without_words_the_primary_need_outranks_the_secondary():
    offers = index().match(
        MatchRequest(needs=("debt", "housing"), district_id="lb-innenstadt", network_id="ludwigsburg", today=TODAY)
    )
    fits = [m.need_fit for m in offers]
    assert fits == sorted(fits, reverse=True)
    assert offers[0].offer.needs[0] == "debt"


def test_words_every_candidate_shares_change_nothing():
    plain = ranked("", ("childcare",), "lb-eglosheim", 36, limit=10)
    assert ranked("Kita Kita bitte", ("childcare",), "lb-eglosheim", 36, limit=10) == plain


def test_words_never_add_or_remove_offers():
    plain = set(ranked("", ("leisure",), "es-filderstadt", 84, limit=50))
    assert set(ranked("Schwimmkurs Musik Seepferdchen", ("leisure",), "es-filderstadt", 84, limit=50)) == plain
