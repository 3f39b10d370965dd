"""The offer overview on the web (/angebote): the prevention chain (Präventionskette) as life phases x needs.

Plain server-rendered HTML: filters are a GET form, so it works without JavaScript, with a keyboard and a
screen reader, on a phone; the CSS is served from /angebote/static/, nothing comes from a CDN. No map: map
tiles would need an external server. Offers come from the database (OfferRepository); `?lang=xx` shows an
offer's title and summary in that language where the data has a translation.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from bot.bootstrap import App
from bot.domain.offers import Access, Cost, Offer
from bot.domain.places import Places
from bot.i18n import is_rtl, texts
from bot.services.offers import OfferRepository

STATIC_DIR = Path(__file__).resolve().parent / "static"
APP_KEY = web.AppKey("familienlotse_app", App)


@dataclass(frozen=True, slots=True)
class Phase:
    id: str
    label: str
    start_months: int | None  # None: pregnancy
    end_months: int | None  # exclusive


# The life phases of the prevention chain, as the networks describe it (Schwangerschaft bis Übergang Beruf).
PHASES: tuple[Phase, ...] = (
    Phase("schwangerschaft", "Schwangerschaft und Geburt", None, None),
    Phase("0-3", "0–3 Jahre", 0, 36),
    Phase("3-6", "3–6 Jahre", 36, 72),
    Phase("grundschule", "Grundschule (6–10 Jahre)", 72, 120),
    Phase("10plus", "10 Jahre und älter", 120, None),
)

COST_DE = {Cost.FREE: "kostenlos", Cost.REDUCED: "ermäßigt / geringer Beitrag", Cost.PAID: "kostenpflichtig"}
ACCESS_DE = {
    Access.WALK_IN: "ohne Termin, einfach kommen",
    Access.APPOINTMENT: "mit Termin",
    Access.REFERRAL: "nur mit Vermittlung (z. B. durch Beratungsstelle oder Jobcenter)",
}
WEEKDAYS_LONG_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


def phases_of(offer: Offer) -> tuple[str, ...]:
    """The phases an offer belongs to: pregnancy if it is for pregnant women, every age phase its range touches."""
    found: list[str] = []
    for phase in PHASES:
        if phase.start_months is None:
            if offer.pregnancy:
                found.append(phase.id)
        # strictly above the start: an upper age of 36 months means 'until the third birthday', not '3–6 years'
        elif offer.age_min_months < (phase.end_months or 10_000) and (
            offer.age_max_months > phase.start_months or offer.age_max_months == offer.age_min_months
        ):
            found.append(phase.id)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Filters:
    district: str = ""
    need: str = ""
    language: str = ""
    cost: str = ""
    lang: str = "de"  # language of the offer texts

    @classmethod
    def from_query(
        cls, query: Mapping[str, str], places: Places, need_ids: Iterable[str], langs: Iterable[str]
    ) -> Filters:
        """Unknown values are ignored (a stale bookmark still shows offers), never echoed unescaped."""
        district = query.get("district", "")
        need = query.get("need", "")
        cost = query.get("cost", "")
        lang = query.get("lang", "de")
        return cls(
            district=district if places.district(district) else "",
            need=need if need in set(need_ids) else "",
            language=query.get("language", "") if query.get("language", "").isalpha() else "",
            cost=cost if cost in {c.value for c in Cost} else "",
            lang=lang if lang in set(langs) else "de",
        )

    def query(self, **changes: str) -> str:
        values = {"district": self.district, "need": self.need, "language": self.language, "cost": self.cost}
        values |= {"lang": self.lang} if self.lang != "de" else {}
        values |= changes
        return urlencode({k: v for k, v in values.items() if v})

    def matches(self, offer: Offer, places: Places) -> bool:
        if self.district:
            district = places.district(self.district)
            if district is None or not (
                district.id in offer.districts_served
                or (offer.serves_whole_network and offer.network == district.network_id)
            ):
                return False
        return (
            (not self.need or self.need in offer.needs)
            and (not self.language or self.language in offer.languages)
            and (not self.cost or offer.cost.value == self.cost)
        )


# ------------------------------------------------------------------------------------------ rendering


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _language_names(codes: Iterable[str]) -> dict[str, str]:
    german = texts("de")
    return {c: "Einfache Sprache" if c == "de@simple" else german.language_name(c) for c in codes}


def _page(title: str, body: str, *, example: bool) -> str:
    notice = (
        '<p class="beispiel" role="note"><strong>Beispieldaten:</strong> Diese Angebote sind erfunden, '
        "um den Familienlotsen zu zeigen. Kontakte und Zeiten stimmen nicht.</p>"
        if example
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{e(title)} – Familienlotse</title><link rel="stylesheet" href="/angebote/static/overview.css">'
        '</head><body><a class="skip" href="#inhalt">Zum Inhalt springen</a>'
        '<header><p class="marke"><a href="/angebote">Familienlotse</a> · Angebote für Familien</p></header>'
        f'<main id="inhalt">{notice}{body}</main>'
        "<footer><p>Präventionsnetzwerke gegen Kinderarmut · Stadt Ludwigsburg · Landkreis Esslingen · "
        "Stadt Weimar</p></footer></body></html>\n"
    )


def _text(offer: Offer, lang: str) -> tuple[str, str, str]:
    """Title, summary and the language they are really in (German where no translation exists)."""
    translated = offer.text_in(lang)
    if translated is None or lang == "de":
        return offer.title, offer.description, "de"
    return translated.title, translated.summary, lang


def _lang_attrs(code: str) -> str:
    return f' lang="{e(code.split("@")[0])}"' + (' dir="rtl"' if is_rtl(code) else "")


def _select(name: str, label: str, options: Sequence[tuple[str, str]], chosen: str, groups: bool = False) -> str:
    def option(value: str, text: str) -> str:
        return f'<option value="{e(value)}"{" selected" if value == chosen else ""}>{e(text)}</option>'

    inner = option("", "alle")
    if groups:  # (group label, "") marks the start of an optgroup
        opened = False
        for value, text in options:
            if not value:
                inner += ("</optgroup>" if opened else "") + f'<optgroup label="{e(text)}">'
                opened = True
            else:
                inner += option(value, text)
        inner += "</optgroup>" if opened else ""
    else:
        inner += "".join(option(v, t) for v, t in options)
    return (
        f'<div class="feld"><label for="f-{name}">{e(label)}</label>'
        f'<select id="f-{name}" name="{name}">{inner}</select></div>'
    )


def _age(offer: Offer) -> str:
    def years(months: int) -> str:
        return f"{months} Monate" if months < 24 and months % 12 else f"{months // 12} Jahre"

    text = f"{years(offer.age_min_months)} bis {years(offer.age_max_months)}".replace("0 Jahre bis", "ab Geburt bis")
    return ("Schwangere; " if offer.pregnancy else "") + text


def render_index(app: App, offers: Sequence[Offer], filters: Filters, langs: Sequence[str]) -> str:
    knowledge = app.knowledge
    places = knowledge.places
    shown = [o for o in offers if filters.matches(o, places)]
    need_labels = {n.id: n.label_de for n in knowledge.needs}
    names = _language_names(sorted({la for o in offers for la in o.languages} | set(langs)))

    districts: list[tuple[str, str]] = []
    for network in places.networks:
        districts.append(("", network.name))
        districts += [(d.id, d.name) for d in network.districts]
    offer_languages = sorted({la for o in offers for la in o.languages}, key=lambda c: (c != "de", names[c]))
    form = (
        '<form method="get" action="/angebote" class="filter" aria-labelledby="filter-titel">'
        '<h2 id="filter-titel">Angebote filtern</h2><div class="felder">'
        + _select("district", "Stadtteil oder Ort", districts, filters.district, groups=True)
        + _select("need", "Bedarf", [(n.id, n.label_de) for n in knowledge.needs], filters.need)
        + _select("language", "Angebot auch auf", [(c, names[c]) for c in offer_languages], filters.language)
        + _select("cost", "Kosten", [(c.value, COST_DE[c]) for c in Cost], filters.cost)
        + '<div class="feld"><label for="f-lang">Sprache der Angebotstexte</label>'
        '<select id="f-lang" name="lang">'
        + "".join(
            f'<option value="{e(c)}"{" selected" if c == filters.lang else ""}>{e(names.get(c, c))}</option>'
            for c in langs
        )
        + "</select></div></div>"
        '<div class="knoepfe"><button type="submit">Anzeigen</button> '
        '<a href="/angebote">Alle Filter zurücksetzen</a></div></form>'
    )

    by_cell: dict[tuple[str, str], list[Offer]] = {}
    for offer in shown:
        for need in offer.needs:
            for phase in phases_of(offer):
                by_cell.setdefault((need, phase), []).append(offer)
    rows_needs = [n for n in knowledge.needs if not filters.need or n.id == filters.need]
    detail_query = f"?lang={e(filters.lang)}" if filters.lang != "de" else ""

    def link(o: Offer) -> str:
        title, _, text_lang = _text(o, filters.lang)
        return f'<a href="/angebote/{e(o.external_id)}{detail_query}"{_lang_attrs(text_lang)}>{e(title)}</a>'

    def cell(need: str, phase: Phase) -> str:
        items = by_cell.get((need, phase.id), [])
        if not items:
            return '<td class="leer"><span aria-hidden="true">–</span><span class="sr">kein Angebot</span></td>'
        links = "".join(f"<li>{link(o)}</li>" for o in items)
        return f"<td><ul>{links}</ul></td>"

    table = (
        '<h2 id="kette-titel">Präventionskette: Angebote nach Lebensphase und Bedarf</h2>'
        '<div class="tabelle" role="region" aria-labelledby="kette-titel" tabindex="0">'
        '<table id="kette"><caption>Zeilen: Bedarfe; Spalten: Lebensphasen. '
        "Ein Angebot für mehrere Phasen steht in jeder davon.</caption>"
        '<thead><tr><th scope="col">Bedarf</th>'
        + "".join(f'<th scope="col" data-phase="{p.id}">{e(p.label)}</th>' for p in PHASES)
        + "</tr></thead><tbody>"
        + "".join(
            f'<tr data-need="{n.id}"><th scope="row">{e(n.label_de)}</th>'
            + "".join(cell(n.id, p) for p in PHASES)
            + "</tr>"
            for n in rows_needs
        )
        + "</tbody></table></div>"
    )

    def card(o: Offer) -> str:
        needs = ", ".join(need_labels.get(n, n) for n in o.needs)
        badge = ' · <span class="marke-bsp">Beispiel</span>' if o.example else ""
        return (
            f'<li class="karte"><h3>{link(o)}</h3><p>{e(o.organization)}</p>'
            f'<p class="meta">{e(needs)} · {e(_age(o))} · {e(COST_DE[o.cost])}{badge}</p></li>'
        )

    cards = "".join(card(o) for o in shown)
    count = "1 Angebot" if len(shown) == 1 else f"{len(shown)} Angebote"
    body = (
        "<h1>Angebote für Familien – die Präventionskette</h1>"
        "<p>Von der Schwangerschaft bis ins Jugendalter: Beratung, Betreuung und Hilfe in Ihrer Nähe.</p>"
        + form
        + f'<p id="treffer" role="status">{count} gefunden.</p>'
        + table
        + '<h2 id="liste-titel">Alle gefundenen Angebote</h2>'
        + f'<ul class="karten" aria-labelledby="liste-titel">{cards}</ul>'
    )
    return _page("Angebote für Familien", body, example=any(o.example for o in shown))


def render_detail(app: App, offer: Offer, lang: str) -> str:
    places = app.knowledge.places
    title, summary, text_lang = _text(offer, lang)
    need_labels = {n.id: n.label_de for n in app.knowledge.needs}
    names = _language_names(offer.languages)
    if offer.serves_whole_network:
        network = places.network(offer.network)
        served = f"ganz {network.name}" if network else "das ganze Netzwerk"
    else:
        served = ", ".join(d.name for d in (places.district(i) for i in offer.districts_served) if d)
    phases = ", ".join(p.label for p in PHASES if p.id in phases_of(offer))
    facts = [
        ("Träger", e(offer.organization)),
        ("Bedarfe", e(", ".join(need_labels.get(n, n) for n in offer.needs))),
        ("Für", e(_age(offer))),
        ("Lebensphasen", e(phases)),
        ("Kosten", e(COST_DE[offer.cost] + (f" – {offer.cost_note}" if offer.cost_note else ""))),
        ("Zugang", e(ACCESS_DE[offer.access])),
        ("Sprachen", e(", ".join(names[la] for la in offer.languages))),
        ("Für Stadtteile", e(served)),
        ("Barrierefrei", "ja" if offer.step_free else "nicht angegeben"),
        ("Kinderbetreuung", "ja" if offer.childcare else "nein"),
    ]
    contact = []
    if offer.address:
        contact.append(("Adresse", e(offer.address)))
    if offer.phone:
        contact.append(("Telefon", f'<a href="tel:{e(offer.phone.replace(" ", ""))}">{e(offer.phone)}</a>'))
    if offer.email:
        contact.append(("E-Mail", f'<a href="mailto:{e(offer.email)}">{e(offer.email)}</a>'))
    if offer.website:
        contact.append(("Website", f'<a href="{e(offer.website)}" rel="noopener">{e(offer.website)}</a>'))

    def dl(items: Sequence[tuple[str, str]]) -> str:
        return "<dl>" + "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"

    if offer.opening_hours:
        days: dict[int, list[str]] = {}
        for slot in offer.opening_hours:  # one row per weekday, several time spans side by side
            days.setdefault(slot.weekday, []).append(f"{slot.opens:%H:%M}–{slot.closes:%H:%M} Uhr")
        hours = (
            '<table class="zeiten"><caption>Öffnungszeiten</caption><thead><tr><th scope="col">Tag</th>'
            '<th scope="col">Uhrzeit</th></tr></thead><tbody>'
            + "".join(
                f'<tr><th scope="row">{WEEKDAYS_LONG_DE[day]}</th><td>{", ".join(spans)}</td></tr>'
                for day, spans in sorted(days.items())
            )
            + "</tbody></table>"
        )
    else:
        hours = "<p>Keine festen Öffnungszeiten angegeben – bitte anrufen oder schreiben.</p>"
    back = "/angebote" + (f"?lang={e(lang)}" if lang != "de" else "")
    verified = f"<p>Zuletzt geprüft: {offer.last_verified:%d.%m.%Y}.</p>" if offer.last_verified else ""
    body = (
        f'<p><a href="{back}">← Zurück zur Übersicht</a></p>'
        f"<article><h1{_lang_attrs(text_lang)}>{e(title)}</h1>"
        + (
            f'<p class="bsp"><span class="marke-bsp">Beispiel</span> Quelle: {e(offer.source)}</p>'
            if offer.example
            else ""
        )
        + f"<p{_lang_attrs(text_lang)}>{e(summary)}</p>"
        + ("" if text_lang == lang else '<p class="hinweis">Diesen Text gibt es nur auf Deutsch.</p>')
        + f"<h2>Das Wichtigste</h2>{dl(facts)}<h2>Öffnungszeiten</h2>{hours}<h2>Kontakt</h2>{dl(contact)}{verified}"
        "</article>"
    )
    return _page(title, body, example=offer.example)


# ------------------------------------------------------------------------------------------ web app


def _offers(app: App) -> list[Offer]:
    today = date.today()
    with app.uow() as session:
        return [o for o in OfferRepository(session).all() if o.is_valid_on(today)]


def _display_languages(offers: Iterable[Offer]) -> list[str]:
    """German plus every language some offer has a translation in."""
    return ["de", *sorted({code for o in offers for code in o.translations if code != "de"})]


async def index(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    offers = await asyncio.to_thread(_offers, app)  # the database call must not block the event loop
    langs = _display_languages(offers)
    filters = Filters.from_query(request.query, app.knowledge.places, (n.id for n in app.knowledge.needs), langs)
    return web.Response(text=render_index(app, offers, filters, langs), content_type="text/html")


async def detail(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    offers = await asyncio.to_thread(_offers, app)
    offer = next((o for o in offers if o.external_id == request.match_info["external_id"]), None)
    if offer is None:
        body = '<h1>Angebot nicht gefunden</h1><p><a href="/angebote">Zur Übersicht aller Angebote</a></p>'
        return web.Response(text=_page("Nicht gefunden", body, example=False), content_type="text/html", status=404)
    lang = request.query.get("lang", "de")
    lang = lang if lang in _display_languages(offers) else "de"
    return web.Response(text=render_detail(app, offer, lang), content_type="text/html")


def add_overview_routes(web_app: web.Application, app: App) -> None:
    """Add /angebote, /angebote/<external_id> and /angebote/static/ to an existing aiohttp app (the bot's)."""
    web_app[APP_KEY] = app
    web_app.router.add_get("/angebote", index)
    web_app.router.add_static("/angebote/static/", STATIC_DIR)  # before the detail route: 'static' is no offer
    web_app.router.add_get("/angebote/{external_id}", detail)


def create_overview_app(app: App) -> web.Application:
    """The overview on its own (python -m bot.web), with / redirecting to /angebote."""
    web_app = web.Application()
    add_overview_routes(web_app, app)
    web_app.router.add_get("/", home)
    return web_app


async def home(request: web.Request) -> web.Response:
    raise web.HTTPFound("/angebote")
