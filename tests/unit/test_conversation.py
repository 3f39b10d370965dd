"""The family conversation core, without Telegram: dialogues as tables of (event, what the bot should do)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

import pytest

from bot.conversation import ButtonPressed, Command, Media, SharedLocation, State, Step, Text, handle
from bot.conversation.flow import Services
from bot.conversation.model import (
    ContactTimeGiven,
    CountRequest,
    DeleteMyData,
    Event,
    Outcome,
    RelayToLotse,
    RequestHandover,
)
from bot.domain.matching import OfferIndex
from bot.knowledge import bundled_knowledge
from bot.offer_files import read_offers
from bot.understanding import Understander

TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@cache
def services() -> Services:
    knowledge = bundled_knowledge()
    offers = [o for path in knowledge.offer_files for o in read_offers(path, knowledge.places).offers]
    return Services(knowledge, Understander(knowledge), OfferIndex(offers), now=lambda: TUESDAY_MORNING)


def run(events: list[Event], state: State | None = None) -> tuple[State, list[Outcome]]:
    state = state or State()
    outcomes = []
    for event in events:
        outcome = handle(state, event, services())
        outcomes.append(outcome)
        state = outcome.state
    return state, outcomes


def buttons(outcome: Outcome) -> list[str]:
    return [b.data for reply in outcome.replies for row in reply.buttons for b in row]


def text(outcome: Outcome) -> str:
    return "\n".join(r.text for r in outcome.replies)


CONSENTED = [Command("start", user_language="de"), ButtonPressed("lang:de"), ButtonPressed("consent:yes")]


def test_buttons_all_the_way_to_offers():
    state, outcomes = run(
        [
            *CONSENTED,
            ButtonPressed("age:3"),
            ButtonPressed("net:ludwigsburg"),
            ButtonPressed("d:lb-eglosheim"),
            ButtonPressed("need:childcare"),
        ]
    )
    assert state.step is Step.SHOWING_OFFERS
    assert "1." in text(outcomes[-1]) and "lotse" in buttons(outcomes[-1])
    assert isinstance(outcomes[-1].effects[0], CountRequest) and outcomes[-1].effects[0].outcome == "found"


def test_first_question_is_the_language_with_the_telegram_suggestion_first():
    _, (outcome,) = run([Command("start", user_language="tr")])
    assert buttons(outcome)[0] == "lang:tr"
    assert len([b for b in buttons(outcome) if b.startswith("lang:")]) == 14


def test_free_text_skips_the_questions_it_already_answers():
    state, _outcomes = run([*CONSENTED, Text("my 4 year old in Eglosheim needs a Kita")])
    assert (state.age_months, state.district_id, state.needs[0]) == (48, "lb-eglosheim", "childcare")
    assert state.step is Step.SHOWING_OFFERS


def test_text_before_consent_is_kept_and_used_after_consent():
    state, _ = run(
        [
            Command("start", user_language="tr"),
            ButtonPressed("lang:tr"),
            Text("kızım 3 yaşında, Oßweil'de oturuyoruz, kreş lazım"),
            ButtonPressed("consent:yes"),
        ]
    )
    assert state.step is Step.SHOWING_OFFERS and state.district_id == "lb-ossweil"


def test_ambiguous_suedstadt_is_asked_not_guessed():
    state, outcomes = run([*CONSENTED, ButtonPressed("age:6"), Text("wir wohnen in der Südstadt")])
    assert state.district_id is None
    assert set(buttons(outcomes[-1])) >= {"d:lb-suedstadt", "d:we-suedstadt"}
    state, _ = run([ButtonPressed("d:we-suedstadt")], state)
    assert state.network_id == "weimar" and state.step is Step.CHOOSING_NEED


def test_deep_link_presets_district_language_and_source():
    state, _outcomes = run([Command("start", "d-eglosheim_l-tr_s-kita12")])
    assert (state.locale, state.district_id, state.entry) == ("tr", "lb-eglosheim", "kita12")
    assert state.step is Step.ASKING_CONSENT


@pytest.mark.parametrize("payload", ["d-atlantis_l-xx", "../../etc", "x" * 200, "d-eglosheim;drop table"])
def test_forged_or_unknown_deep_links_are_ignored(payload: str):
    state, _outcomes = run([Command("start", payload, user_language="de")])
    assert state.district_id is None and state.step is Step.CHOOSING_LANGUAGE


def test_shared_location_maps_to_the_nearest_district_or_says_it_is_outside():
    state, _ = run([*CONSENTED, ButtonPressed("age:1"), SharedLocation(48.9125, 9.1654)])
    assert state.district_id == "lb-eglosheim"
    state, _outcomes = run([*CONSENTED, ButtonPressed("age:1"), SharedLocation(52.52, 13.40)])
    assert state.district_id is None and state.step is Step.CHOOSING_NETWORK


def test_emergency_at_any_step_gets_numbers_first():
    state, outcomes = run([*CONSENTED, Text("mein Mann schlägt mich")])
    reply = text(outcomes[-1])
    assert "110" in reply and "116 016" in reply
    assert "urgent" in buttons(outcomes[-1]) and state.emergency


def test_emergency_before_any_language_choice_is_answered_in_the_detected_language():
    state, outcomes = run([Text("زوجي يضربني")])
    assert "110" in text(outcomes[-1]) and state.locale == "ar"


def test_lotse_asks_for_consent_opens_the_case_at_once_then_asks_a_good_time():
    # the case is requested as soon as the family agrees; the time only refines the note (it can't be lost)
    state, outcomes = run([*CONSENTED, Text("wir wohnen in Eglosheim"), Command("lotse")])
    assert state.step is Step.CONFIRMING_HANDOVER and "handover:yes" in buttons(outcomes[-1])
    state, outcomes = run([ButtonPressed("handover:yes")], state)
    assert outcomes[-1].effects == (
        RequestHandover(urgent=False, reason="lotse", contact_time="any", words=("wir wohnen in Eglosheim",)),
    )
    assert state.step is Step.ASKING_CONTACT_TIME and "when:evening" in buttons(outcomes[-1]) and state.words == ()
    state, outcomes = run([ButtonPressed("when:evening")], state)
    assert state.step is Step.HANDED_OVER and outcomes[-1].effects == (ContactTimeGiven("evening"),)
    state, outcomes = run([Text("Können Sie mich heute anrufen?")], state)
    assert outcomes[-1].effects == (RelayToLotse("Können Sie mich heute anrufen?"),)
    assert "passed that on" in text(outcomes[-1]).lower() or outcomes[-1].replies  # the first one is acknowledged


def test_a_forged_contact_time_or_rating_does_nothing():
    state, outcomes = run([*CONSENTED, ButtonPressed("when:evening"), ButtonPressed("rate:99")])
    assert all(not o.effects for o in outcomes[-2:]) and state.step is Step.ASKING_AGE


def test_delete_is_confirmed_then_erases():
    state, outcomes = run([*CONSENTED, Command("delete")])
    assert state.step is Step.CONFIRMING_DELETE
    state, outcomes = run([ButtonPressed("delete:yes")], state)
    assert DeleteMyData() in outcomes[-1].effects and state.consent_version is None


def test_declining_consent_stores_nothing():
    _state, outcomes = run(
        [Command("start", user_language="de"), ButtonPressed("lang:de"), ButtonPressed("consent:no")]
    )
    assert DeleteMyData() in outcomes[-1].effects and "110" in text(outcomes[-1])


def test_no_fitting_offer_offers_a_person_and_counts_the_gap():
    from dataclasses import replace

    empty = replace(services(), offers=OfferIndex([]))
    state = State()
    for event in [*CONSENTED, Text("2 Jahre, Eglosheim, Kita")]:
        outcome = handle(state, event, empty)
        state = outcome.state
    assert [e.outcome for e in outcome.effects if isinstance(e, CountRequest)] == ["nothing_fits"]
    assert "lotse" in buttons(outcome) and state.step is Step.SHOWING_OFFERS


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "document", "contact", "other"])
def test_media_gets_a_friendly_answer_and_a_way_on(kind: str):
    _state, outcomes = run([*CONSENTED, Media(kind)])
    assert outcomes[-1].replies and "lotse" in buttons(outcomes[-1])


def test_stale_or_forged_buttons_never_break_the_conversation():
    state, outcomes = run([*CONSENTED, ButtonPressed("d:lb-nowhere"), ButtonPressed("need:"), ButtonPressed("x" * 64)])
    assert all(o.replies for o in outcomes) and state.step is Step.ASKING_AGE


def test_more_shows_the_next_page_and_other_need_goes_back():
    state, _ = run([*CONSENTED, Text("3 jahre alt, Innenstadt Ludwigsburg, Freizeit")])
    first = state.shown_offer_ids
    state, _outcomes = run([ButtonPressed("more")], state)
    assert state.shown_offer_ids[: len(first)] == first and len(state.shown_offer_ids) > len(first)
    state, _ = run([ButtonPressed("other_need")], state)
    assert state.step is Step.CHOOSING_NEED


def test_every_button_fits_telegrams_64_bytes_and_every_reply_a_phone_screen():
    _state, outcomes = run(
        [
            *CONSENTED,
            ButtonPressed("age:3"),
            ButtonPressed("net:esslingen"),
            ButtonPressed("d:es-neuhausen"),
            ButtonPressed("need:leisure"),
            ButtonPressed("more"),
            Command("help"),
            Command("privacy"),
        ]
    )
    for outcome in outcomes:
        assert all(len(data.encode()) <= 64 for data in buttons(outcome))
        assert all(len(r.text) <= 1800 and r.text.count("\n") <= 40 for r in outcome.replies)


def test_state_survives_a_json_round_trip():
    state, _ = run([*CONSENTED, Text("my 4 year old in Eglosheim needs a Kita")])
    assert State.from_json(state.to_json()) == state


def test_a_listen_button_appears_under_longer_texts_where_the_channel_can_speak():
    from dataclasses import replace

    speaking = replace(services(), listen=frozenset({"ar"}))
    state = State()
    for event in (Command("start", user_language="ar"), ButtonPressed("lang:ar")):
        outcome = handle(state, event, speaking)
        state = outcome.state
    assert "listen" in buttons(outcome)  # under the consent text, in Arabic
    _, outcomes = run([*CONSENTED, Command("help")])
    assert "listen" not in buttons(outcomes[-1])  # German is not in this channel's voices
