"""The ways from the web overview to a person: "ask a Lotse" deep links, the bot's username, the Lotsen office."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from bot.conversation import Command, Services, State, handle
from bot.conversation.model import Step
from bot.domain.matching import OfferIndex
from bot.domain.offers import Offer
from bot.knowledge import KnowledgeError, _lotsen_office, bundled_knowledge
from bot.posters import MAX_PAYLOAD, offer_payload, web_payload
from bot.settings import Settings, SettingsError
from tests.unit.test_matching import offer as make_offer

KNOWLEDGE = bundled_knowledge()
PLACES = KNOWLEDGE.places


def started_with(start: str, *offers: Offer) -> State:
    """The state after /start <payload>: what Telegram sends when a family opens the deep link."""
    # /start reads no free text, so no Understander (building one takes seconds); a use would fail the test
    services = Services(KNOWLEDGE, None, OfferIndex(list(offers)), now=lambda: datetime(2026, 11, 21, 10))  # type: ignore[arg-type]
    return handle(State(), Command("start", payload=start), services).state


def test_an_offers_link_presets_its_network_and_topic_and_counts_the_web_as_the_entry():
    offer = make_offer("lb-kifaz-eglosheim", needs=("leisure", "parenting"), districts_served=("lb-eglosheim",))
    start = offer_payload(PLACES, offer, "ar")
    assert start == "o-lb-kifaz-eglosheim_l-ar_s-web"
    state = started_with(start, offer)
    assert (state.locale, state.network_id, state.needs, state.entry) == ("ar", "ludwigsburg", ("leisure",), "web")
    assert state.district_id is None and state.step is Step.ASKING_CONSENT  # where the family lives is still asked


def test_a_need_in_the_link_wins_over_the_offers_first_need():
    offer = make_offer("es-tafel", network="esslingen", needs=("basic_needs", "money"))
    assert started_with("n-money_o-es-tafel_l-tr", offer).needs == ("money",)
    assert started_with("o-es-tafel_n-money_l-tr", offer).needs == ("money",)


def test_an_offer_id_that_cannot_travel_in_a_link_is_replaced_by_its_district_and_need():
    offer = make_offer("LB_2024.17", needs=("early_help",), districts_served=("lb-eglosheim",))
    start = offer_payload(PLACES, offer, "de@simple")
    assert start == "d-eglosheim_l-de-simple_n-early-help_s-web"
    state = started_with(start, offer)
    assert (state.district_id, state.needs, state.locale) == ("lb-eglosheim", ("early_help",), "de@simple")
    whole = make_offer("x" * 60, needs=("money",))  # too long for 64 characters; serves the whole network
    assert offer_payload(PLACES, whole, "uk") == "l-uk_n-money_s-web"


def test_an_unknown_offer_in_a_link_is_ignored():
    state = started_with("o-gibt-es-nicht_l-tr")
    assert (state.locale, state.network_id, state.needs) == ("tr", None, ())


def test_a_link_from_a_filtered_overview_carries_district_and_need_within_64_characters():
    district = PLACES.district("lb-gruenbuehl-sonnenberg")
    start = web_payload(PLACES, "de@simple", district, "single_parents")
    assert start == "d-gruenbuehl-sonnenberg_l-de-simple_n-single-parents_s-web"
    assert len(start) <= MAX_PAYLOAD and re.fullmatch(r"[A-Za-z0-9_-]+", start)
    assert started_with(start).district_id == "lb-gruenbuehl-sonnenberg"


def test_the_bot_username_is_read_as_telegram_shows_it_and_a_wrong_one_stops_the_start():
    settings = Settings.from_env({"TELEGRAM_BOT_USERNAME": " @FamilienlotseBot "}, dotenv=None)
    assert settings.telegram_bot_username == "FamilienlotseBot"
    assert Settings.from_env({}, dotenv=None).telegram_bot_username is None
    with pytest.raises(SettingsError, match=r"^TELEGRAM_BOT_USERNAME 'Familienlotse' ist kein Telegram-Bot-Name"):
        Settings.from_env({"TELEGRAM_BOT_USERNAME": "Familienlotse"}, dotenv=None)


def test_every_example_network_has_a_lotsen_office_with_a_number_reserved_for_film_and_tv():
    for network in PLACES.networks:
        office = network.lotsen_office
        assert office is not None and office.hours, network.id
        # Bundesnetzagentur: 030 23125 000-999 is kept free for film and TV, so no real office can be reached
        assert re.fullmatch(r"030 23125 \d{3}", office.phone), office.phone


def test_a_lotsen_office_without_a_phone_or_with_bad_hours_is_one_clear_line():
    with pytest.raises(KnowledgeError, match=r"lotsen_office von 'weimar' braucht eine Telefonnummer"):
        _lotsen_office(Path("districts.yaml"), {"id": "weimar", "lotsen_office": {"hours": "Mo 09:00-12:00"}})
    with pytest.raises(KnowledgeError, match=r"lotsen_office\.hours von 'weimar'"):
        _lotsen_office(Path("districts.yaml"), {"id": "weimar", "lotsen_office": {"phone": "1", "hours": "immer"}})
    assert _lotsen_office(Path("districts.yaml"), {"id": "weimar"}) is None
