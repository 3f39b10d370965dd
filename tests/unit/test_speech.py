"""Reading replies aloud with espeak-ng: real voices where installed (.ci/run installs espeak-ng and opus-tools)."""

from __future__ import annotations

import os
import shutil

import pytest

from bot.i18n import SUPPORTED
from bot.speech import VOICES, Speaker, speakable

needs_espeak = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("opusenc")) and not os.environ.get("REQUIRE_SPEECH"),
    reason="espeak-ng and opusenc are not installed (apt-get install espeak-ng opus-tools); REQUIRE_SPEECH=1 fails",
)


def test_every_locale_has_a_voice_name():
    assert set(VOICES) == set(SUPPORTED)


def test_isolation_marks_emoji_and_web_addresses_are_not_read_out():
    assert speakable("🕒 \u2066Mo 09:00\u2069 · ☎️ example.org/kita https://example.org/x") == "Mo 09:00 ·"


@needs_espeak
@pytest.mark.parametrize("locale", ["de", "ar", "tr", "uk", "fa", "ku"])
def test_a_reply_becomes_an_ogg_opus_voice_message(locale: str):
    voice = Speaker().ogg("Hallo 123. مرحبا. Merhaba. Привіт.", locale)
    assert voice is not None and voice[:4] == b"OggS" and len(voice) > 2000


@needs_espeak
def test_the_speaker_knows_which_locales_it_can_read():
    speaker = Speaker()
    assert speaker.available and {"de", "de@simple", "ar", "tr", "ru"} <= {c for c in SUPPORTED if speaker.speaks(c)}
