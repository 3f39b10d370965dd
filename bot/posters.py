"""Deep links into the bot: entry posters that preset district and language, and "ask a Lotse" on the web.

The link is https://t.me/<bot>?start=<payload>, payload `d-<district>_l-<lang>[_n-<need>]_s-<source>` as read by
bot.conversation.flow; the source becomes the anonymous statistics' `entry`, so coordinators see which poster
brought families (`python -m admin_scripts.report usage`). An offer's page on /angebote links with
`o-<offer id>_l-<lang>_s-web` (the offer's network and topic preset). Rendering lives in admin_scripts/qr.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.conversation.flow import NEED_LABELS
from bot.domain.offers import Offer
from bot.domain.places import District, Places
from bot.i18n import SUPPORTED, texts
from bot.knowledge import Knowledge
from bot.services.reports import find_network
from bot.settings import BOT_USERNAME

MAX_PAYLOAD = 64  # Telegram's limit for /start parameters
_SOURCE = re.compile(r"^[a-z0-9-]{1,32}$")  # what flow accepts as an entry
WEB_SOURCE = "web"  # the entry the statistics count for families who came from the web overview


class PosterError(ValueError):
    """A poster option that does not fit; str(error) is one German line for the coordinator."""


@dataclass(frozen=True, slots=True)
class PosterText:
    headline: str
    body: str
    topic: str  # "" without a need
    footer: str
    web: str = ""  # the line above the web address, for families without Telegram
    call: str = ""  # "Or call: {phone}", "" without a phone number
    rtl: bool = False


def find_district(places: Places, name: str, network: str | None = None) -> District:
    """The district by id, canonical name or alias; a name two networks share needs `network`."""
    network_id = None
    if network:
        chosen = find_network(places, network)
        if chosen is None:
            known = ", ".join(n.id for n in places.networks)
            raise PosterError(f"unbekanntes Netzwerk '{network}' (bekannt: {known})")
        network_id = chosen.id
    found = places.named(name, network_id)
    if not found:
        raise PosterError(f"Stadtteil oder Ort '{name}' ist nicht bekannt (siehe knowledge/districts.yaml)")
    if len(found) > 1:
        choices = ", ".join(f"{d.network_id}" for d in found)
        raise PosterError(f"'{name}' gibt es in mehreren Netzwerken ({choices}) — bitte --network angeben")
    return found[0]


def district_slug(places: Places, district: District) -> str:
    """The id without its prefix ('eglosheim'), or the full id where the short one is ambiguous ('we-suedstadt')."""
    short = district.id.split("-", 1)[1]
    same = [d for d in places.districts if d.id.split("-", 1)[1] == short]
    return short if len(same) == 1 else district.id


def check_locale(code: str) -> str:
    code = code.strip()
    normalized = "de@simple" if code.lower() in ("de-simple", "de@simple", "simple") else code.lower()
    if normalized not in SUPPORTED:
        raise PosterError(f"Sprache '{code}' gibt es nicht (möglich: {', '.join(SUPPORTED)})")
    return normalized


def check_need(knowledge: Knowledge, need: str | None) -> str | None:
    if need is None:
        return None
    if knowledge.need(need) is None:
        raise PosterError(f"Bedarf '{need}' gibt es nicht (möglich: {', '.join(n.id for n in knowledge.needs)})")
    return need


def check_bot(name: str | None) -> str:
    if not name:
        raise PosterError("Bot-Name fehlt: --bot NAME angeben oder TELEGRAM_BOT_USERNAME setzen")
    name = name.strip().removeprefix("@")
    if not BOT_USERNAME.match(name):
        raise PosterError(f"'{name}' ist kein Telegram-Bot-Name (5–32 Zeichen A–Z, 0–9, _, endet auf 'bot')")
    return name


def _parts(places: Places, district: District | None, locale: str, need: str | None) -> list[str]:
    """District, language and need as flow reads them: `d-<slug>`, `l-<lang>`, `n-<need>`."""
    # flow splits the payload at '_', so need ids like 'early_help' and 'de@simple' travel with '-' instead
    parts = [f"d-{district_slug(places, district)}"] if district else []
    parts.append(f"l-{locale.replace('@', '-')}")
    if need:
        parts.append(f"n-{need.replace('_', '-')}")
    return parts


def payload(places: Places, district: District, locale: str, need: str | None = None, source: str | None = None) -> str:
    """The /start payload, at most 64 characters; the default source 'qr-<district>' is shortened to fit."""
    fixed = "_".join(_parts(places, district, locale, need)) + "_s-"
    if source is None:
        room = MAX_PAYLOAD - len(fixed)
        source = f"qr-{district_slug(places, district)}"[:room].rstrip("-")
    elif not _SOURCE.match(source):
        raise PosterError(f"--source '{source}' darf nur a–z, 0–9 und '-' enthalten, höchstens 32 Zeichen")
    text = fixed + source
    if len(text) > MAX_PAYLOAD:
        raise PosterError(f"der Start-Parameter wäre {len(text)} Zeichen lang (höchstens 64) — kürzere --source wählen")
    return text


def offer_payload(places: Places, offer: Offer, locale: str) -> str:
    """The /start payload of an offer's "ask a Lotse" link: `o-<offer id>_l-<lang>_s-web`.

    An id that cannot travel in a payload (only A-Z, a-z, 0-9, '-' fit between the '_' separators, 64 in all)
    is replaced by what the offer presets anyway: its first need, and its district where it serves only one.
    """
    whole = "_".join([f"o-{offer.external_id}", *_parts(places, None, locale, None), f"s-{WEB_SOURCE}"])
    if re.fullmatch(r"[A-Za-z0-9-]+", offer.external_id) and len(whole) <= MAX_PAYLOAD:
        return whole
    only = offer.districts_served[0] if len(offer.districts_served) == 1 and not offer.serves_whole_network else ""
    return web_payload(places, locale, places.district(only), offer.needs[0] if offer.needs else None)


def web_payload(places: Places, locale: str, district: District | None = None, need: str | None = None) -> str:
    """The /start payload of a link on the web overview: its language, and district and need where chosen."""
    return "_".join([*_parts(places, district, locale, need), f"s-{WEB_SOURCE}"])


def deep_link(bot: str, start: str) -> str:
    return f"https://t.me/{bot}?start={start}"


def web_link(base: str, network_id: str, locale: str) -> str:
    """The /angebote overview of the poster's network in the family's language: the way in without Telegram."""
    base = base.rstrip("/").removesuffix("/angebote")
    if not re.match(r"^https?://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~/-]*)?$", base):
        raise PosterError(f"--web '{base}' ist keine Web-Adresse wie https://familienlotse.example.org")
    return f"{base}/angebote/{network_id}" + ("" if locale == "de" else f"?lang={locale}")


def default_web_base(webhook_url: str | None) -> str | None:
    """The bot serves /angebote beside its webhook, so the webhook's origin is the overview's (WEBHOOK_URL)."""
    match = re.match(r"^(https?://[^/]+)", webhook_url or "")
    return match.group(1) if match else None


def poster_text(code: str, district: str, need: str | None, phone: str = "") -> PosterText:
    """The poster's text in the family's language (through gettext; translators see these msgids)."""
    t = texts(code)
    # LRMs, not the isolates of t.ltr: matplotlib has no glyph for U+2066/2069 and drew boxes; a strong
    # left-to-right mark on each side keeps '07141 0000-000' in order inside a right-to-left line
    number = "\u200e" + phone + "\u200e" if t.rtl else phone
    return PosterText(
        headline=t._("Questions about your family? Help nearby – in your language."),
        body=t._(
            "Scan the code with your phone camera. The Familienlotse on Telegram asks a few short questions "
            "and shows you offers in {district}. Free of charge – and a person helps if you want.",
            district=district,
        ),
        topic=t._("Topic: {need}", need=t._(NEED_LABELS[need])) if need else "",
        footer=t._("You need the Telegram app."),
        web=t._("No Telegram? All offers in your language on the web:"),
        call=t._("Or call: {phone}", phone=number) if phone else "",
        rtl=t.rtl,
    )


def poster_text_de(knowledge: Knowledge, district: str, need: str | None, phone: str = "") -> PosterText:
    """The fixed German text every poster carries, for the German-speaking neighbours and staff."""
    label = knowledge.need(need).label_de if need and knowledge.need(need) else ""  # type: ignore[union-attr]
    return PosterText(
        headline="Fragen rund um Ihre Familie? Hilfe in der Nähe – in Ihrer Sprache.",
        body=(
            "Scannen Sie den Code mit der Handykamera. Der Familienlotse auf Telegram stellt ein paar kurze "
            f"Fragen und zeigt Ihnen Angebote in {district}. Kostenlos – und wenn Sie möchten, hilft ein Mensch weiter."
        ),
        topic=f"Thema: {label}" if label else "",
        footer="Sie brauchen die Telegram-App.",
        web="Kein Telegram? Alle Angebote in Ihrer Sprache im Internet:",
        call=f"Oder anrufen: {phone}" if phone else "",
    )


def is_translated(code: str) -> bool:
    """Whether the poster text exists in this language yet (untranslated msgids come back in English)."""
    probe = "Questions about your family? Help nearby – in your language."
    return code == "en" or texts(code)._(probe) != probe
