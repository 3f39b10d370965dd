"""knowledge/ stays consistent: every district, need and example offer is where the code expects it."""

from __future__ import annotations

import re

from bot.domain.needs import NEED_IDS
from bot.domain.places import fold
from bot.knowledge import Knowledge
from bot.offer_files import read_offers

CANONICAL = {
    "ludwigsburg": [
        "Innenstadt",
        "Oststadt",
        "Weststadt",
        "Südstadt",
        "Nordstadt",
        "Eglosheim",
        "Grünbühl-Sonnenberg",
        "Hoheneck",
        "Neckarweihingen",
        "Oßweil",
        "Pflugfelden",
        "Poppenweiler",
    ],
    "esslingen": [
        "Esslingen am Neckar",
        "Nürtingen",
        "Filderstadt",
        "Leinfelden-Echterdingen",
        "Ostfildern",
        "Kirchheim unter Teck",
        "Wendlingen am Neckar",
        "Plochingen",
        "Wernau",
        "Neuhausen auf den Fildern",
        "Denkendorf",
        "Aichwald",
    ],
    "weimar": [
        "Altstadt",
        "Weimar-West",
        "Weimar-Nord",
        "Schöndorf",
        "Parkvorstadt",
        "Westvorstadt",
        "Südstadt",
        "Oberweimar-Ehringsdorf",
        "Tiefurt",
        "Gaberndorf",
        "Legefeld",
    ],
}


def test_every_canonical_district_is_known_with_aliases_and_a_centre(knowledge: Knowledge):
    for network_id, names in CANONICAL.items():
        network = knowledge.places.network(network_id)
        assert network is not None
        assert [d.name for d in network.districts] == names
        for district in network.districts:
            assert district.aliases and district.center, district.name


def test_district_names_resolve_without_umlauts_and_by_alias(knowledge: Knowledge):
    ludwigsburg = knowledge.places.network("ludwigsburg")
    assert ludwigsburg and ludwigsburg.district_named("Ossweil").id == "lb-ossweil"  # type: ignore[union-attr]
    assert ludwigsburg.district_named("grünbühl-sonnenberg").id == "lb-gruenbuehl-sonnenberg"  # type: ignore[union-attr]
    esslingen = knowledge.places.network("esslingen")
    assert esslingen and esslingen.district_named("Bernhausen").id == "es-filderstadt"  # type: ignore[union-attr]


def test_suedstadt_exists_in_two_networks(knowledge: Knowledge):
    owners = {d.network_id for d in knowledge.places.districts if fold(d.name) == fold("Südstadt")}
    assert owners == {"ludwigsburg", "weimar"}


def test_postal_codes_point_to_one_district(knowledge: Knowledge):
    seen: dict[str, str] = {}
    for district in knowledge.places.districts:
        for code in district.postal_codes:
            assert re.fullmatch(r"\d{5}", code)
            assert code not in seen, f"{code} in {seen.get(code)} and {district.id}"
            seen[code] = district.id
    assert seen["72622"] == "es-nuertingen"


def test_needs_are_the_sixteen_fixed_ids_with_labels(knowledge: Knowledge):
    assert tuple(n.id for n in knowledge.needs) == NEED_IDS
    assert all(n.label_de and n.icon for n in knowledge.needs)


def test_emergency_numbers_include_the_public_ones(knowledge: Knowledge):
    phones = {c.phone for c in knowledge.emergency_contacts}
    assert {"110", "112", "116 016", "116 111", "0800 111 0 550", "0800 111 0 111", "116 117"} <= phones


def test_example_offers_are_many_valid_marked_and_cover_every_need_network_and_age(knowledge: Knowledge):
    offers = []
    for path in knowledge.offer_files:
        result = read_offers(path, knowledge.places)
        assert result.problems == [], f"{path.name}: {result.problems[:3]}"
        offers += result.offers
    assert len(offers) >= 150
    assert all(o.example for o in offers)
    assert {n for o in offers for n in o.needs} == set(NEED_IDS)
    assert {o.network for o in offers} == set(CANONICAL)
    for age_months in (3, 24, 48, 96, 150):
        assert any(o.age_min_months <= age_months <= o.age_max_months for o in offers)
    assert any(o.pregnancy for o in offers)
    for language in ("en", "tr", "ar", "uk", "ru"):  # summaries where the families need them most
        assert all(o.translations.get(language) and o.translations[language].summary for o in offers), language


def test_example_offers_carry_no_real_contacts(knowledge: Knowledge):
    for path in knowledge.offer_files:
        for offer in read_offers(path, knowledge.places).offers:
            assert offer.email == "" or offer.email.endswith("@example.org"), offer.external_id
            assert offer.website == "" or offer.website.startswith("https://example.org/"), offer.external_id
            # subscriber part starting with 0 cannot be assigned in Germany: plainly an example
            assert offer.phone == "" or re.fullmatch(r"0\d{2,4} 0\d{2,4}-\d{2,4}", offer.phone), offer.phone
