"""Every family reads the bot in its own language: complete catalogs, intact placeholders, phone-sized texts."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from bot.conversation.notices import COMMANDS
from bot.i18n import LOCALES_DIR, SUPPORTED, isolate, native_name, resolve_locale, texts

TRANSLATED = [code for code in SUPPORTED if code != "en"]  # English is the source language (the msgids)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalog(code: str):  # type: ignore[no-untyped-def]
    with (LOCALES_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=code)


def template():  # type: ignore[no-untyped-def]
    with (LOCALES_DIR / "messages.pot").open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_catalog_is_complete_and_not_fuzzy(code: str):
    po = catalog(code)
    expected = {m.id for m in template() if m.id}
    present = {m.id for m in po if m.id}
    assert expected <= present, f"{code} misses {sorted(map(str, expected - present))[:3]}"
    for message in po:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(s.strip() for s in strings), f"{code}: empty translation of {message.id!r}"
        assert not message.fuzzy, f"{code}: fuzzy {message.id!r}"
        assert not list(message.check(po)), f"{code}: {message.id!r} {list(message.check(po))}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_placeholders_are_identical_between_msgid_and_msgstr(code: str):
    for message in catalog(code):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            found = set(PLACEHOLDER.findall(string))
            # a plural form for exactly one may drop {count} ("one offer"); nothing else may be lost or invented
            assert found == wanted or (found == wanted - {"count"} and len(strings) > 1), (code, message.id)


def button_labels() -> set[str]:
    """Every msgid the conversation puts on a button (read from the code, so new buttons are checked too)."""
    import inspect

    from bot.conversation import flow

    source = inspect.getsource(flow)
    labels = set(re.findall(r'Button\((?:"[^"]*" \+ )?(?:self\.)?t\._\("([^"]+)"\)', source))
    return labels | set(flow.NEED_LABELS.values()) | {label for _, label, _, _ in flow.AGE_BANDS}


def test_the_button_labels_are_found():
    assert {"Yes, let's start", "Kita & childcare", "3–5 years", "Morning"} <= button_labels()


@pytest.mark.parametrize("code", TRANSLATED)
def test_no_text_is_longer_than_a_phone_shows_comfortably(code: str):
    buttons = button_labels()
    for message in catalog(code):
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            if msgid in buttons:  # two buttons side by side on a phone
                assert len(string) <= 32, (code, msgid, string)
            else:
                assert len(string) <= 700 and string.count("\n") <= 12, (code, msgid)


def test_every_language_is_in_the_menu_under_its_own_name():
    names = {code: native_name(code) for code in SUPPORTED}
    assert names["tr"] == "Türkçe" and names["ar"] == "العربية" and names["de@simple"] == "Einfache Sprache"
    assert len(set(names.values())) == len(SUPPORTED)


@pytest.mark.parametrize(
    ("telegram_code", "expected"),
    [
        ("de", "de"),
        ("de-AT", "de"),
        ("de-CH", "de"),
        ("tr", "tr"),
        ("uk", "uk"),
        ("ar-SA", "ar"),
        ("fa-IR", "fa"),
        ("bs", "hr"),
        ("sr-Latn", "hr"),
        ("pt-BR", None),
        ("", None),
        (None, None),
        ("xx-YY", None),
    ],
)
def test_telegram_language_codes_map_to_a_supported_locale(telegram_code, expected):
    assert resolve_locale(telegram_code) == expected


def test_unknown_languages_fall_back_to_english():
    assert texts("pt")._("Skip") == "Skip"
    assert texts("de@simple")._("Skip") == texts("de@simple").translations.gettext("Skip")


@pytest.mark.parametrize("code", TRANSLATED)
def test_commands_are_described_in_every_language(code: str):
    for description in COMMANDS.values():
        translated = texts(code)._(description)
        assert translated and (translated != description or code.startswith("en"))


@pytest.mark.parametrize("code", ["de", "en", "tr", "ar", "fa", "uk"])
def test_times_and_weekdays_are_formatted_for_the_locale(code: str):
    t = texts(code)
    assert t.weekday(0) and t.time(time(14, 30))
    assert t.weekday(0) != texts("en").weekday(0) or code == "en"


def test_phone_numbers_and_addresses_stay_readable_inside_arabic_text():
    from bot.conversation.render import offer_card
    from bot.domain.matching import MatchRequest, OfferIndex
    from bot.knowledge import bundled_knowledge
    from bot.offer_files import read_offers

    knowledge = bundled_knowledge()
    offers = [o for path in knowledge.offer_files for o in read_offers(path, knowledge.places).offers]
    match = OfferIndex(offers).match(
        MatchRequest(needs=("childcare",), district_id="lb-eglosheim", network_id="ludwigsburg", language="ar"), limit=1
    )[0]
    now = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    card = offer_card(1, match, knowledge.places, now, texts("ar"))
    assert isolate(match.offer.phone, "ar") in card  # LRI … PDI around the number
    assert isolate(match.offer.address, "ar") in card
    assert re.search("[\u0600-\u06ff]", card)  # the rest is Arabic
    german = offer_card(1, match, knowledge.places, now, texts("de"))
    assert "\u2066" not in german
