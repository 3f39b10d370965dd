"""The offer card and the answers about an offer say what the HSDS fields say: closed until …, the current note,
day and night by phone, free places, how to start, who can come, what to bring, interpreting — in every locale."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

import pytest

from bot.conversation.flow import Services
from bot.conversation.model import State
from bot.conversation.offer_questions import answer_offer_question
from bot.conversation.render import offer_card
from bot.domain.matching import Closeness, Match, OfferIndex
from bot.domain.offers import Offer, Status
from bot.i18n import SUPPORTED, texts
from bot.knowledge import bundled_knowledge
from bot.offer_files import read_offers
from bot.understanding import EMPTY, Understander

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # a Tuesday morning
OTHER = [code for code in SUPPORTED if code != "en"]


@cache
def bundled() -> dict[str, Offer]:
    knowledge = bundled_knowledge()
    return {o.external_id: o for path in knowledge.offer_files for o in read_offers(path, knowledge.places).offers}


def card(offer: Offer, locale: str) -> list[str]:
    match = Match(offer, 1, Closeness.IN_DISTRICT, False, ())
    return offer_card(1, match, bundled_knowledge().places, NOW, texts(locale)).splitlines()


@cache
def understander() -> Understander:
    return Understander(bundled_knowledge(), semantic=None)


def answered(offer: Offer, locale: str, *intents: str) -> str:
    services = Services(bundled_knowledge(), understander(), OfferIndex([offer]), now=lambda: NOW)
    state = State(locale=locale, shown_offer_ids=(offer.external_id,), shown=1)
    understood = dataclasses.replace(EMPTY, intents=intents)
    return "\n".join(r.text for r in answer_offer_question(state, understood, services, texts(locale)))


CLOSED = dict(status=Status.TEMPORARILY_CLOSED, closed_until=date(2027, 1, 6), alert="Winterpause (Beispiel)")


def test_the_frauenhaus_card_says_day_and_night_by_phone_not_by_appointment():
    lines = card(bundled()["lb-frauenhaus"], "de")
    assert "   🕒 Telefonisch Tag und Nacht erreichbar" in lines
    assert not any("Nur mit Termin" in line for line in lines)


@pytest.mark.parametrize("locale", OTHER)
def test_day_and_night_and_closed_until_are_said_in_every_locale(locale):  # type: ignore[no-untyped-def]
    english = card(bundled()["lb-frauenhaus"], "en")
    lines = card(bundled()["lb-frauenhaus"], locale)
    hours = next(line for line in lines if line.startswith("   🕒"))
    assert hours != next(line for line in english if line.startswith("   🕒"))  # translated
    closed = card(dataclasses.replace(bundled()["lb-tafel"], **CLOSED), locale)
    assert closed[1].startswith("   ⛔") and "2027" in closed[1] and "Closed" not in closed[1]


def test_a_closed_offer_says_so_first_and_never_that_it_is_open():
    tafel = dataclasses.replace(bundled()["lb-tafel"], **CLOSED)
    lines = card(tafel, "de")
    assert lines[1] == "   ⛔ Geschlossen bis 06.01.2027" and lines[2] == "   ⚠️ Winterpause (Beispiel)"
    assert not any(line.startswith("   🕒") for line in lines)  # no "Heute geöffnet" under it
    alert = card(tafel, "tr")[2]
    assert "Winterpause (Beispiel)" in alert and alert.endswith(texts("tr")._("(in German)"))
    hours = answered(tafel, "de", "ask_hours").splitlines()
    assert hours[1] == "⛔ Geschlossen bis 06.01.2027" and not any("Heute geöffnet" in h for h in hours)
    reopened = dataclasses.replace(tafel, closed_until=date(2026, 11, 1), alert="")  # the date has passed
    lines = card(reopened, "de")
    assert any(line.startswith("   🕒") for line in lines) and not any("⛔" in line for line in lines)


def test_free_places_are_shown_with_the_day_they_were_counted():
    kita = bundled()["we-kita-elternzentrum-west"]
    assert "   🟢 2 freie Plätze (Stand 02.11.2026)" in card(kita, "de")
    full = bundled()["we-kindertagespflege"]
    assert "   🟢 Zurzeit keine freien Plätze (Stand 05.11.2026)" in card(full, "de")
    unknown_day = dataclasses.replace(kita, free_places_counted=None)
    assert not any("🟢" in line for line in card(unknown_day, "de"))


def test_answers_use_how_to_start_who_can_come_what_to_bring_and_interpreting():
    frauenhaus = answered(bundled()["lb-frauenhaus"], "de", "ask_appointment", "ask_languages")
    assert "Sie können Tag und Nacht anrufen: 07141 0555-147" in frauenhaus
    assert "Bitte vereinbaren" not in frauenhaus and "So geht es: Rund um die Uhr anrufen" in frauenhaus
    assert "Wer kommen kann: Frauen mit ihren Kindern" in frauenhaus and "Dolmetschen: Dolmetscherinnen" in frauenhaus
    kita = answered(bundled()["lb-kita-anmeldung"], "de", "ask_documents")
    assert "Bitte mitbringen: Geburtsurkunde" in kita
    arabic = answered(bundled()["lb-kita-anmeldung"], "ar", "ask_documents")
    assert "Geburtsurkunde" in arabic and texts("ar")._("(in German)") in arabic


@pytest.mark.parametrize("locale", OTHER)
def test_the_answers_about_an_offer_are_in_every_locale(locale):  # type: ignore[no-untyped-def]
    frauenhaus = bundled()["lb-frauenhaus"]
    english = answered(frauenhaus, "en", "ask_appointment")
    said = answered(frauenhaus, locale, "ask_appointment")
    assert said.splitlines()[1] != english.splitlines()[1] and "0555-147" in said  # "you can call day and night"
