"""Languages of the families: the supported locales, gettext catalogs and Babel formatting.

Source texts are English msgids marked with `_()`; catalogs live in locales/<locale>/LC_MESSAGES/messages.po.
One command keeps them in step (see docs/translating.md):
    pybabel extract -F babel.cfg -o locales/messages.pot . && pybabel update -i locales/messages.pot -d locales
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from pathlib import Path

from babel import Locale
from babel.core import UnknownLocaleError
from babel.dates import format_date, format_time
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

# Order of the language menu: German first, then by how many families in the networks speak them.
SUPPORTED: tuple[str, ...] = (
    "de",
    "de@simple",
    "en",
    "tr",
    "ar",
    "uk",
    "ru",
    "fa",
    "ro",
    "pl",
    "it",
    "hr",
    "sq",
    "ku",
)
FALLBACK = "en"
RTL = frozenset({"ar", "fa"})

# Unicode isolation: keeps a phone number, address or German name readable inside right-to-left text.
FSI, PDI, LRI = "\u2068", "\u2069", "\u2066"


def native_name(code: str) -> str:
    """The language in its own name, as the menu shows it ('Türkçe', 'العربية', 'Einfache Sprache')."""
    if code == "de@simple":
        return "Einfache Sprache"
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def resolve_locale(language_code: str | None) -> str | None:
    """Map Telegram's language_code ('de-AT', 'pt-BR', 'uk') to a supported locale, or None if unsupported."""
    if not language_code:
        return None
    code = language_code.replace("_", "-").strip().lower()
    if code in SUPPORTED:
        return code
    base = code.split("-")[0]
    aliases = {"bs": "hr", "sr": "hr", "cnr": "hr", "kmr": "ku", "ckb": "ku", "prs": "fa", "mo": "ro"}
    base = aliases.get(base, base)
    return base if base in SUPPORTED else None


def babel_locale(code: str) -> Locale:
    try:
        return Locale.parse(code.split("@")[0])
    except (UnknownLocaleError, ValueError):
        return Locale.parse("de")


def is_rtl(code: str) -> bool:
    return code.split("@")[0] in RTL


def isolate(text: str, code: str) -> str:
    """Wrap left-to-right content (phone, address, URL, German names) so it does not turn around in RTL text."""
    return f"{LRI}{text}{PDI}" if is_rtl(code) and text else text


def _catalog(code: str) -> Translations:
    directory = LOCALES_DIR / code / "LC_MESSAGES"
    mo, po = directory / f"{DOMAIN}.mo", directory / f"{DOMAIN}.po"
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        compile_catalog(po, mo)
    if mo.exists():
        with mo.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    return Translations()  # NullTranslations behaviour: msgid (English) comes back


def compile_catalog(po: Path, mo: Path) -> None:
    """Compile one .po to .mo (the install step does this for all; here as a safety net for edits)."""
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name)
    try:
        with mo.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
    except OSError:
        pass  # read-only install: the packaged .mo is used


@dataclass(frozen=True)
class Texts:
    """Everything a reply needs in one locale: translated strings and Babel formatting."""

    code: str
    translations: Translations

    def _(self, message: str, /, **values: object) -> str:
        text = self.translations.gettext(message)
        return text.format(**values) if values else text

    def n_(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        return self.translations.ngettext(singular, plural, count).format(count=count, **values)

    @property
    def locale(self) -> Locale:
        return babel_locale(self.code)

    def time(self, value: time) -> str:
        return format_time(value, format="short", locale=self.locale)

    def weekday(self, index: int, width: str = "abbreviated") -> str:
        return self.locale.days["format"][width][index]

    def date(self, value: date | datetime) -> str:
        return format_date(value, format="medium", locale=self.locale)

    def join(self, items: list[str]) -> str:
        """'Deutsch, Türkisch und Arabisch' / 'الألمانية والتركية والعربية' — the locale's own way of listing."""
        return format_list(items, locale=self.locale) if items else ""

    def language_name(self, code: str) -> str:
        return self.locale.languages.get(code.split("@")[0], code)

    def ltr(self, text: str) -> str:
        return isolate(text, self.code)

    @property
    def rtl(self) -> bool:
        return is_rtl(self.code)


@cache
def texts(code: str) -> Texts:
    """The texts of a supported locale (unknown codes fall back to English, then the msgid)."""
    code = code if code in SUPPORTED else FALLBACK
    translations = _catalog(code)
    if code == "de@simple":
        translations.add_fallback(_catalog("de"))
    elif code != FALLBACK:
        translations.add_fallback(_catalog(FALLBACK))
    return Texts(code, translations)


def N_(message: str) -> str:
    return message
