"""Questions about shown offers, answered from the offer data in the family's language (tables over locales)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

import pytest

from bot.conversation.flow import Services
from bot.conversation.model import Reply, State
from bot.conversation.offer_questions import answer_offer_question, chosen_offers, map_link, pointed_number
from bot.domain.matching import OfferIndex
from bot.i18n import texts
from bot.knowledge import bundled_knowledge
from bot.offer_files import read_offers
from bot.understanding import EMPTY, Understander, Understanding

TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
SATURDAY = 5
# A page as the conversation shows it: the swimming course (Sat only, appointment, de/en), a family centre
# (walk-in, no Saturday) and the Ludwigsburg Tafel (walk-in, a Tafelausweis with a Nachweis to bring).
PAGE = ("es-schwimmkurs-filderstadt", "es-familienzentrum-filderstadt", "lb-tafel")


@cache
def services() -> Services:
    knowledge = bundled_knowledge()
    offers = [o for path in knowledge.offer_files for o in read_offers(path, knowledge.places).offers]
    return Services(knowledge, Understander(knowledge, semantic=None), OfferIndex(offers), now=lambda: TUESDAY_MORNING)


def asked(*intents: str, weekday: int | None = None) -> Understanding:
    return dataclasses.replace(EMPTY, intents=intents, asked_weekday=weekday)


def answer(locale: str, understood: Understanding, text: str = "", shown: tuple[str, ...] = PAGE) -> tuple[Reply, ...]:
    state = State(locale=locale, shown_offer_ids=shown, shown=len(shown))
    return answer_offer_question(state, understood, services(), texts(locale), text=text)


def joined(replies: tuple[Reply, ...]) -> str:
    return "\n".join(r.text for r in replies)


@pytest.mark.parametrize(
    ("locale", "open_word", "closed_word", "saturday"),
    [
        ("en", "Yes, open on", "No, closed on", "Saturday"),
        ("de", "Ja, am", "Nein, am", "Samstag"),
        ("tr", "Evet", "Hayır", "Cumartesi"),
        ("uk", "Так", "Ні", "субота"),
        ("ar", "نعم", "لا،", "السبت"),
        ("pl", "Tak", "Nie", "sobota"),
    ],
)
def test_open_on_saturday_is_yes_or_no_with_that_days_hours(locale, open_word, closed_word, saturday):  # type: ignore[no-untyped-def]
    replies = answer(locale, asked("ask_hours", weekday=SATURDAY))
    cards = joined(replies).split("\n\n")
    assert len(cards) == 3  # every offer of the last page, briefly
    assert open_word in cards[0] and saturday.lower() in cards[0].lower()
    assert "9" in cards[0] and "12" in cards[0]  # Sa 09:00-12:00, in the locale's own time format
    assert closed_word in cards[1] and closed_word in cards[2]


@pytest.mark.parametrize(
    ("locale", "text", "number"),
    [
        ("en", "the second one, what does it cost?", 2),
        ("de", "Was kostet die zweite?", 2),
        ("tr", "ikincisi ne kadar?", 2),
        ("ru", "сколько стоит второй?", 2),
        ("en", "#3 cost?", 3),
        ("de", "Nr. 1 kostet was?", 1),
        ("de", "was kostet die Tafel?", 3),  # a word of the title names the offer
    ],
)
def test_a_named_offer_is_answered_alone(locale, text, number):  # type: ignore[no-untyped-def]
    (reply,) = answer(locale, asked("ask_cost"), text)
    assert reply.text.startswith(f"{number}. ")
    assert reply.text.count("\n\n") == 0


@pytest.mark.parametrize(
    ("locale", "free", "fee"),
    [("en", "Free of charge.", "Costs: "), ("de", "Kostenlos.", "Kosten: "), ("tr", "Ücretsiz.", "Ücret: ")],
)
def test_cost_is_free_or_the_fee_text(locale, free, fee):  # type: ignore[no-untyped-def]
    text = joined(answer(locale, asked("ask_cost")))
    swim, centre, tafel = text.split("\n\n")
    assert fee in swim and "90 €" in swim
    assert free in centre
    assert fee in tafel and "Tafelausweis" in tafel
    if locale != "de":
        assert texts(locale)._("(in German)") in swim  # the fee note exists only in German


@pytest.mark.parametrize("locale", ["en", "de", "ar", "uk"])
def test_where_is_it_carries_a_map_pin_per_offer(locale):  # type: ignore[no-untyped-def]
    replies = answer(locale, asked("ask_place"))
    assert len(replies) == 3 and all(r.venue is not None for r in replies)
    assert "Mahlestraße 50" in replies[0].text and replies[0].venue.address.startswith("Mahlestraße 50")  # type: ignore[union-attr]
    assert replies[0].rtl is (locale == "ar")
    assert "openstreetmap.org" in map_link(replies[0].venue)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("locale", "walk_in", "appointment"),
    [
        ("en", "no appointment needed", "make an appointment"),
        ("de", "ohne Termin", "Termin aus"),
        ("ro", "fără programare", "programare"),
    ],
)
def test_walk_in_or_appointment(locale, walk_in, appointment):  # type: ignore[no-untyped-def]
    swim, centre, tafel = joined(answer(locale, asked("ask_appointment"))).split("\n\n")
    assert appointment in swim and "0711" in swim  # the phone to make it
    assert walk_in in centre and walk_in in tafel


@pytest.mark.parametrize(
    ("locale", "text", "missing"),
    [
        ("en", "do they speak Polish?", "Polish"),
        ("de", "spricht da jemand polnisch?", "Polnisch"),
        ("pl", "czy mówią po polsku?", "polski"),  # the family's own language when none is named
        ("it", "parlano italiano?", "italiano"),
    ],
)
def test_none_of_these_speak_the_asked_language(locale, text, missing):  # type: ignore[no-untyped-def]
    replies = answer(locale, asked("ask_languages"), text)
    assert missing.lower() in joined(replies).lower()
    assert replies[-1].buttons[0][0].data == "lotse"


@pytest.mark.parametrize("locale", ["en", "tr", "ar"])
def test_a_language_one_offer_speaks_is_listed_not_missing(locale):  # type: ignore[no-untyped-def]
    replies = answer(locale, asked("ask_languages"), "")  # tr and ar are spoken at the centre and the Tafel
    assert texts(locale).language_name("de") in joined(replies)
    assert not replies[-1].buttons


@pytest.mark.parametrize(("locale", "says"), [("en", "The offer text says:"), ("de", "Im Angebot steht:")])
def test_what_to_bring_comes_from_the_offer_text_when_it_says(locale, says):  # type: ignore[no-untyped-def]
    (reply,) = answer(locale, asked("ask_documents"), "#3")
    assert says in reply.text and "Nachweis" in reply.text


@pytest.mark.parametrize("locale", ["en", "de", "fa", "sq"])
def test_what_to_bring_unknown_says_so_and_offers_a_person(locale):  # type: ignore[no-untyped-def]
    (reply,) = answer(locale, asked("ask_documents"), "#1")
    t = texts(locale)
    assert (
        t._("The offer data doesn't say what to bring. Please ask when you call, or a Lotse can find out for you.")
        in reply.text
    )
    assert reply.buttons == ((reply.buttons[0][0],),) and reply.buttons[0][0].data == "lotse"


def test_several_questions_in_one_message_are_answered_together():
    replies = answer("en", asked("ask_place", "ask_hours"), "#1")
    assert "Opening hours" in replies[0].text and replies[1].venue is not None


def test_no_question_or_no_shown_offer_is_nothing_to_answer():
    assert answer("en", asked()) == ()
    assert answer("en", asked("yes")) == ()
    assert answer("en", asked("ask_cost"), shown=()) == ()
    assert answer("en", asked("ask_cost"), shown=("gone-offer",)) == ()


def test_without_a_pointer_the_last_page_is_answered():
    shown = (*PAGE, "lb-kleiderkammer", "lb-tafel")
    state = State(locale="en", shown_offer_ids=shown, shown=5)
    assert [n for n, _ in chosen_offers(state, services())] == [4, 5]


@pytest.mark.parametrize(
    ("text", "number"),
    [("#2", 2), ("Nr. 3", 3), ("2. bitte", 2), ("the first one", 1), ("al doilea", 2), ("open at 2 pm?", None)],
)
def test_pointing_at_a_card(text, number):  # type: ignore[no-untyped-def]
    assert pointed_number(text) == number


def test_no_hours_in_the_data_says_call_for_an_appointment():
    (reply,) = answer("de", asked("ask_hours"), shown=("lb-erziehungsberatung",))
    assert "Keine festen Öffnungszeiten" in reply.text
