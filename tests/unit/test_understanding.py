"""Readable examples of what bot.understanding gets out of one message (no Telegram involved)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.knowledge import bundled_knowledge
from bot.understanding import Understander, Understanding, batch_understand, bundled_understander


@pytest.fixture(scope="module")
def u() -> Understander:
    return bundled_understander()


# --- needs -------------------------------------------------------------------------------------------


def test_turkish_without_diacritics_finds_childcare(u: Understander) -> None:
    assert u.understand("merhaba kres ariyorum kizim 2 yasinda").needs[0] == "childcare"


def test_german_typos_still_find_the_paediatrician(u: Understander) -> None:
    assert "health" in u.understand("wir suchen einen kinderartzt fur unseren sohn").needs[:3]


def test_german_word_inside_an_arabic_message_counts(u: Understander) -> None:
    assert "money" in u.understand("نحتاج مساعدة في طلب Kindergeld").needs[:3]


def test_greetings_and_thanks_carry_no_need(u: Understander) -> None:
    for text in ("Hallo!", "danke schön 🙏", "teşekkür ederim", "شكرا جزيلا", "Дякую!", "Faleminderit"):
        assert u.understand(text).needs == (), text


def test_needs_are_ranked_best_first(u: Understander) -> None:
    needs = u.understand("Wir haben Schulden, Mahnungen und Inkasso, ich brauche eine Schuldnerberatung").needs
    assert needs[0] == "debt"


# --- age ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("Mein Sohn ist 3 Jahre alt", 36),
        ("Tochter anderthalb Jahre", 18),
        ("mein kleiner ist zweieinhalb", 30),
        ("Kind 2,5 Jahre", 30),
        ("my son is two and a half", 30),
        ("oğlum iki buçuk yaşında", 30),
        ("ابني عمره ٣ سنوات", 36),
        ("دخترم ۱۸ ماهشه", 18),
        ("дочке полтора года", 18),
        ("Синові 8 місяців", 8),
        ("Meine Tochter ist 4 1/2", 54),
        ("baby 10 Monate", 10),
    ],
)
def test_age_in_any_script_and_wording(u: Understander, text: str, months: int) -> None:
    assert u.understand(text).age_months == months


def test_newborn_means_age_zero(u: Understander) -> None:
    assert u.understand("newborn, I need help").age_months == 0


def test_age_years_rounds_to_half_years() -> None:
    base = Understanding("de", (), 30, False, None, (), False, ())
    assert base.age_years == 2.5
    assert Understanding("de", (), 8, False, None, (), False, ()).age_years == 0.5
    assert Understanding("de", (), None, False, None, (), False, ()).age_years is None


def test_the_mothers_own_age_is_not_the_childs(u: Understander) -> None:
    result = u.understand("ich bin 17 und schwanger")
    assert result.pregnant and result.age_months is None


def test_months_of_pregnancy_are_not_a_childs_age(u: Understander) -> None:
    assert u.understand("hamileyim, 5 aylık").age_months is None


# --- pregnancy ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Ich bin schwanger", "hamileyim", "أنا حامل", "Я вагітна", "من باردار هستم"])
def test_pregnancy_in_several_languages(u: Understander, text: str) -> None:
    assert u.understand(text).pregnant


def test_pregnancy_counselling_for_a_friend_is_not_a_pregnancy(u: Understander) -> None:
    assert not u.understand("Gibt es eine Schwangerschaftsberatung für meine Freundin?").pregnant


# --- districts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "district_id"),
    [
        ("wir wohnen in Eglosheim", "lb-eglosheim"),
        ("Oßweil'de oturuyoruz", "lb-ossweil"),
        ("wohnen in ossweil", "lb-ossweil"),
        ("wir wohnen in Egloshaim", "lb-eglosheim"),
        ("Живём в Эглосхайме", "lb-eglosheim"),
        ("PLZ 72622", "es-nuertingen"),
        ("Grünbühl", "lb-gruenbuehl-sonnenberg"),
        ("Weimar West", "we-weimar-west"),
    ],
)
def test_district_from_names_aliases_typos_and_postal_codes(u: Understander, text: str, district_id: str) -> None:
    assert u.understand(text).district_id == district_id


def test_ambiguous_suedstadt_asks_instead_of_guessing(u: Understander) -> None:
    result = u.understand("Gibt es ein Elterncafé in der Südstadt?")
    assert result.district_id is None
    assert set(result.district_candidates) == {"lb-suedstadt", "we-suedstadt"}


def test_suedstadt_is_clear_within_one_network() -> None:
    weimar = Understander(bundled_knowledge(), network_id="weimar")
    assert weimar.understand("Gibt es ein Elterncafé in der Südstadt?").district_id == "we-suedstadt"


def test_naming_the_city_settles_suedstadt(u: Understander) -> None:
    assert u.understand("Südstadt in Weimar, Kita gesucht").district_id == "we-suedstadt"


def test_es_in_a_german_sentence_is_not_esslingen(u: Understander) -> None:
    assert u.understand("gibt es hier eine Tafel?").district_id is None


# --- emergencies -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Mein Mann schlägt mich", "violence"),
        ("kocam beni dövüyor", "violence"),
        ("زوجي يضربني", "violence"),
        ("Чоловік мене б'є", "violence"),
        ("I want to kill myself", "self_harm"),
        ("Хочу покончить с собой", "self_harm"),
        ("We got evicted today and have nowhere to sleep tonight", "homeless"),
        ("my neighbour leaves her 3 year old alone at home for days", "child_danger"),
    ],
)
def test_emergencies_in_every_language(u: Understander, text: str, kind: str) -> None:
    result = u.understand(text)
    assert result.emergency and kind in result.emergency_kinds


@pytest.mark.parametrize(
    "text",
    [
        "Gibt es einen Kurs für gewaltfreie Erziehung?",
        "Kinderschutzbund Babysitterkurs",
        "Selbstverteidigungskurs für Mädchen",
        "my kid plays violent video games",
        "Wohnungslos ab nächsten Monat, Räumungstermin steht",
    ],
)
def test_alarming_words_in_harmless_messages_do_not_alarm(u: Understander, text: str) -> None:
    assert not u.understand(text).emergency


# --- language ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Hallo, ich suche einen Kitaplatz", "de"),
        ("merhaba kres ariyorum", "tr"),
        ("Я вагітна, шукаю акушерку", "uk"),
        ("Я беременна, нужна консультация", "ru"),
        ("من باردار هستم", "fa"),
        ("أنا حامل", "ar"),
        ("Ez ducanî me", "ku"),
    ],
)
def test_language_of_the_message(u: Understander, text: str, lang: str) -> None:
    assert u.understand(text).language == lang


def test_only_digits_or_emoji_have_no_language(u: Understander) -> None:
    assert u.understand("71634").language is None
    assert u.understand("👍🙏").language is None


def test_the_chosen_language_decides_a_short_ambiguous_message(u: Understander) -> None:
    assert u.understand("Spas", lang_hint="ku").language == "ku"


# --- robustness and batch ----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_raises_on_any_text(text: str) -> None:
    result = bundled_understander().understand(text)
    assert isinstance(result, Understanding)


@pytest.mark.parametrize(
    "text",
    ["", " ", "x" * 4096, "\x00\x01\x1b[31m", "\u200b\u200d\ufeff", "👶" * 500, "Кита قرب Eglosheim 幼儿园 ٣"],
)
def test_never_raises_on_edge_cases(u: Understander, text: str) -> None:
    assert isinstance(u.understand(text), Understanding)


def test_batch_understand_reads_and_writes_jsonl(u: Understander) -> None:
    lines = [
        json.dumps({"id": "a", "text": "Kitaplatz in Oßweil für meine Tochter (2)", "lang": "de"}),
        "this is not json",
        json.dumps({"id": "c"}),
    ]
    out = [json.loads(line) for line in batch_understand(lines, u)]
    assert set(out[0]) == {"id", "language", "needs", "age_years", "pregnant", "district", "emergency"}
    assert out[0]["district"] == "Oßweil" and out[0]["age_years"] == 2.0 and out[0]["needs"][0] == "childcare"
    assert out[1]["id"] is None and "error" in out[1]
    assert out[2]["id"] is None and "error" in out[2]
