"""Reading a reply aloud, offline: espeak-ng speaks, opusenc makes the OGG/Opus that Telegram's voice wants.

For families who read poorly. Switches itself off (one log line) where espeak-ng or opusenc is missing.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from functools import cached_property

log = logging.getLogger(__name__)

MAX_CHARS = 1200  # about a minute and a half of speech: one reply, not a book
# Our locales and the espeak-ng voice that reads them.
VOICES = {
    "de": "de",
    "de@simple": "de",
    "en": "en-gb",
    "tr": "tr",
    "ar": "ar",
    "uk": "uk",
    "ru": "ru",
    "fa": "fa",
    "ro": "ro",
    "pl": "pl",
    "it": "it",
    "hr": "hr",
    "sq": "sq",
    "ku": "ku",
}
# Emoji, pictographs and Unicode direction marks are not words; espeak would spell some of them out.
_NOT_SPOKEN = re.compile(r"[\u2066-\u2069\u200e\u200f\u202a-\u202e\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F]")


def speakable(text: str) -> str:
    text = _NOT_SPOKEN.sub("", text)
    text = re.sub(r"https?://\S+|\S+\.(?:org|de|com)\S*", "", text)  # addresses of websites are not read out
    text = re.sub(r"[ \t]+", " ", text)
    return text.strip()[:MAX_CHARS]


class Speaker:
    def __init__(self) -> None:
        self.espeak = shutil.which("espeak-ng")
        self.opusenc = shutil.which("opusenc")

    @cached_property
    def voices(self) -> frozenset[str]:
        """The espeak-ng voices installed here."""
        if not self.espeak:
            return frozenset()
        listing = subprocess.run([self.espeak, "--voices"], capture_output=True, text=True, check=False).stdout
        return frozenset(line.split()[1] for line in listing.splitlines()[1:] if len(line.split()) > 1)

    @property
    def available(self) -> bool:
        if not (self.espeak and self.opusenc):
            return False
        return bool(self.voices)

    def speaks(self, locale: str) -> bool:
        return self.available and VOICES.get(locale, "") in self.voices

    def ogg(self, text: str, locale: str) -> bytes | None:
        """The text spoken in the locale's voice as OGG/Opus, or None if this locale or machine cannot."""
        if not self.speaks(locale) or not (words := speakable(text)):
            return None
        assert self.espeak and self.opusenc
        try:
            wav = subprocess.run(
                [self.espeak, "-v", VOICES[locale], "-s", "145", "--stdout", words],
                capture_output=True,
                check=True,
                timeout=20,
            ).stdout
            return subprocess.run(
                [self.opusenc, "--quiet", "--bitrate", "24", "-", "-"],
                input=wav,
                capture_output=True,
                check=True,
                timeout=20,
            ).stdout
        except (subprocess.SubprocessError, OSError) as error:
            log.warning("speech for %s failed: %s", locale, type(error).__name__)
            return None


def speaker_or_none() -> Speaker | None:
    speaker = Speaker()
    if speaker.available:
        return speaker
    log.info("the 'listen' button is off: espeak-ng and opusenc are needed (apt-get install espeak-ng opus-tools)")
    return None
