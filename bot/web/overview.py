"""The offer overview on the web (/angebote): the prevention chain (Präventionskette) by life phase.

Phone first: the life phases are a vertical list, each with its offers as cards (every offer once per phase it
serves, placed by its age range); the phases x needs matrix is shown on wide screens only, as counts that link to
the offers. The whole page speaks the chosen language (`?lang=ar`: labels through gettext, right to left for
ar/fa), offer texts where the data has a translation. `/angebote/weimar` (or `?network=weimar`) shows one network.

The way in without Telegram, and into it: each offer's page (and a network's overview) ends with "ask a Lotse",
a deep link that opens the bot with the offer's network and topic preset (with TELEGRAM_BOT_USERNAME set), and
the phone number and hours of the network's Lotsen office (`lotsen_office` in knowledge/districts.yaml).

Plain server-rendered HTML: filters are a GET form, so it works without JavaScript, with a keyboard and a screen
reader; the CSS is served from /angebote/static/, nothing comes from a CDN. No map: tiles need an external server.
"""

from __future__ import annotations

import asyncio
import html
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from bot.bootstrap import App
from bot.conversation.flow import NEED_LABELS
from bot.domain.offers import Access, Cost, Offer, OpeningSlot, safe_url
from bot.domain.places import Network, Places
from bot.i18n import N_, SUPPORTED, Texts, is_rtl, native_name, texts
from bot.posters import deep_link, offer_payload, web_payload
from bot.services.offers import OfferRepository

STATIC_DIR = Path(__file__).resolve().parent / "static"
APP_KEY = web.AppKey("familienlotse_app", App)


@dataclass(frozen=True, slots=True)
class Phase:
    id: str
    label: str  # English msgid, translated when rendered
    start_months: int | None  # None: pregnancy
    end_months: int | None  # exclusive; None: open end


# The life phases of the prevention chain, as the networks describe it (Schwangerschaft bis Übergang Beruf).
PHASES: tuple[Phase, ...] = (
    Phase("schwangerschaft", N_("Pregnancy and birth"), None, None),
    Phase("0-3", N_("0–3 years"), 0, 36),
    Phase("3-6", N_("3–6 years"), 36, 72),
    Phase("grundschule", N_("Primary school (6–10 years)"), 72, 120),
    Phase("10-14", N_("10–14 years"), 120, 180),
    Phase("15-18", N_("15–18 years and school to work"), 180, None),
)
PHASE_IDS = frozenset(p.id for p in PHASES)

COST = {Cost.FREE: N_("free of charge"), Cost.REDUCED: N_("reduced / small fee"), Cost.PAID: N_("with costs")}
ACCESS = {
    Access.WALK_IN: N_("walk in, no appointment"),
    Access.APPOINTMENT: N_("by appointment"),
    Access.REFERRAL: N_("only by referral (e.g. from a counselling service or the Jobcenter)"),
}
NETWORKS_LINE = "Präventionsnetzwerke gegen Kinderarmut"  # the networks' own German name, in every language


def phases_of(offer: Offer) -> tuple[str, ...]:
    """The phases an offer belongs to: pregnancy if it is for pregnant women, and every age phase it really serves.

    The upper age counts up to the next birthday-month (36 = until the third birthday's month). An offer belongs
    to a phase when it covers at least a year of it (or all of itself, for offers shorter than a year): so
    "ab Geburt bis 6 Jahre" (0–78 months) is 0–3 and 3–6, not primary school, although a six-year-old may start
    school.
    """
    found: list[str] = []
    low, high = offer.age_min_months, offer.age_max_months + 1
    for phase in PHASES:
        if phase.start_months is None:
            if offer.pregnancy:
                found.append(phase.id)
            continue
        overlap = min(high, phase.end_months or 10_000) - max(low, phase.start_months)
        if overlap > 0 and overlap >= min(12, high - low):
            found.append(phase.id)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Filters:
    network: str = ""
    district: str = ""
    need: str = ""
    phase: str = ""
    language: str = ""
    cost: str = ""
    lang: str = "de"  # language of the page and, where translated, of the offer texts

    @classmethod
    def from_query(
        cls, query: Mapping[str, str], places: Places, need_ids: Iterable[str], network: str = ""
    ) -> Filters:
        """Unknown values are ignored (a stale bookmark still shows offers), never echoed unescaped."""
        network = network or query.get("network", "")
        network = network if places.network(network) else ""
        district = places.district(query.get("district", ""))
        if district and network and district.network_id != network:
            district = None  # a district of another network: the network in the path wins
        lang = query.get("lang", "de")
        return cls(
            network=network or (district.network_id if district else ""),
            district=district.id if district else "",
            need=query.get("need", "") if query.get("need", "") in set(need_ids) else "",
            phase=query.get("phase", "") if query.get("phase", "") in PHASE_IDS else "",
            language=query.get("language", "") if query.get("language", "").isalpha() else "",
            cost=query.get("cost", "") if query.get("cost", "") in {c.value for c in Cost} else "",
            lang=lang if lang in SUPPORTED else "de",
        )

    def query(self, **changes: str) -> str:
        values = {
            "district": self.district,
            "need": self.need,
            "phase": self.phase,
            "language": self.language,
            "cost": self.cost,
        }
        values |= {"lang": self.lang} if self.lang != "de" else {}
        values |= changes
        text = urlencode({k: v for k, v in values.items() if v})
        return f"?{text}" if text else ""

    @property
    def base(self) -> str:
        return f"/angebote/{self.network}" if self.network else "/angebote"

    def matches(self, offer: Offer, places: Places) -> bool:
        if self.network and offer.network != self.network:
            return False
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


def _lang_attrs(code: str) -> str:
    return f' lang="{e(code.split("@")[0])}" dir="{"rtl" if is_rtl(code) else "ltr"}"'


def _de(text: str, t: Texts) -> str:
    """German data (provider, address, district) inside a page of another language: marked and isolated."""
    return e(text) if t.code.startswith("de") else f'<bdi lang="de">{e(text)}</bdi>'


def _ltr(text: str) -> str:
    """Phone numbers, e-mail and web addresses read left to right on every page."""
    return f'<bdi dir="ltr">{e(text)}</bdi>'


def _phone(phone: str) -> str:
    return f'<a href="tel:{e(phone.replace(" ", ""))}">{_ltr(phone)}</a>'


def _hours_table(slots: Sequence[OpeningSlot], caption: str, t: Texts) -> str:
    """One row per weekday in the page's language, several time spans side by side."""
    days: dict[int, list[str]] = {}
    for slot in slots:
        days.setdefault(slot.weekday, []).append(f"{t.time(slot.opens)}–{t.time(slot.closes)}")
    return (
        f'<table class="zeiten"><caption>{e(caption)}</caption><thead><tr>'
        f'<th scope="col">{e(t._("Day"))}</th><th scope="col">{e(t._("Time"))}</th></tr></thead><tbody>'
        + "".join(
            f'<tr><th scope="row">{e(t.weekday(day, "wide"))}</th><td>{e(t.join(spans))}</td></tr>'
            for day, spans in sorted(days.items())
        )
        + "</tbody></table>"
    )


def lotse_box(app: App, network: Network | None, t: Texts, start: str) -> str:
    """'Ask a Lotse': the bot with `start` preset (where its username is set), and the network's Lotsen office."""
    bot = app.settings.telegram_bot_username
    office = network.lotsen_office if network else None
    if network is None or not (bot or office):
        return ""
    parts = []
    if bot:
        parts.append(
            "<p>"
            + e(
                t._(
                    "A Lotse from {network} knows the help nearby and writes to you on Telegram. Free of charge.",
                    network=t.ltr(network.name),  # German name isolated inside Arabic or Farsi
                )
            )
            + f'</p><p><a class="knopf" href="{e(deep_link(bot, start))}">{e(t._("Ask a Lotse"))}</a></p>'
        )
    if office:
        call = t._("No Telegram? Call the Lotsen office:") if bot else t._("Call the Lotsen office:")
        parts.append(f'<p class="anruf">{e(call)} {_phone(office.phone)}</p>')
        if office.hours:
            parts.append(_hours_table(office.hours, t._("Office hours of the Lotsen office"), t))
    return (
        '<section class="lotse" aria-labelledby="lotse-titel">'
        f'<h2 id="lotse-titel">{e(t._("Questions? A person helps"))}</h2>{"".join(parts)}</section>'
    )


def need_label(need_id: str, t: Texts, app: App) -> str:
    """Coordinators' German label on German pages; the bot's translated button label elsewhere."""
    if t.code == "de":
        need = app.knowledge.need(need_id)
        return need.label_de if need else need_id
    return t._(NEED_LABELS[need_id]) if need_id in NEED_LABELS else need_id


def _page(t: Texts, title: str, body: str, *, example: bool, networks: Sequence[Network]) -> str:
    notice = (
        f'<p class="beispiel" role="note">{e(t._("Example data: these offers are invented to show the Familienlotse. Contacts and times are not real."))}</p>'  # noqa: E501
        if example
        else ""
    )
    home = "/angebote" + (f"?lang={e(t.code)}" if t.code != "de" else "")
    return (
        f'<!DOCTYPE html>\n<html{_lang_attrs(t.code)}><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{e(title)} – Familienlotse</title><link rel="stylesheet" href="/angebote/static/overview.css">'
        f'</head><body><a class="skip" href="#inhalt">{e(t._("Skip to content"))}</a>'
        f'<header><p class="marke"><a href="{home}">Familienlotse</a> · {e(t._("Offers for families"))}</p></header>'
        f'<main id="inhalt">{notice}{body}</main>'
        f'<footer><p><span lang="de">{NETWORKS_LINE} · '
        + " · ".join(e(n.name) for n in networks)
        + "</span></p></footer></body></html>\n"
    )


def _text(offer: Offer, lang: str) -> tuple[str, str, str]:
    """Title, summary and the language they are really in (German where no translation exists)."""
    translated = offer.text_in(lang)
    if translated is None or lang.startswith("de"):
        return offer.title, offer.description, "de"
    return translated.title, translated.summary, lang


def _select(
    name: str, label: str, options: Sequence[tuple[str, str]], chosen: str, t: Texts, *, any_option: bool = True
) -> str:
    def option(value: str, text: str) -> str:
        return f'<option value="{e(value)}"{" selected" if value == chosen else ""}>{e(text)}</option>'

    inner = (option("", t._("all")) if any_option else "") + "".join(option(v, x) for v, x in options)
    return (
        f'<div class="feld"><label for="f-{name}">{e(label)}</label>'
        f'<select id="f-{name}" name="{name}">{inner}</select></div>'
    )


def age_text(offer: Offer, t: Texts) -> str:
    """'ab Geburt bis 6 Jahre', '12 bis 18 Jahre', '6 bis 18 Monate' — whole years where the data has them."""
    low, high = offer.age_min_months, offer.age_max_months
    if low % 12 == 0 and (high % 12 == 0 or high >= 24):
        values = {"start": low // 12, "end": high // 12}
        text = t._("from birth to {end} years", **values) if low == 0 else t._("{start} to {end} years", **values)
    else:
        values = {"start": low, "end": high}
        text = t._("from birth to {end} months", **values) if low == 0 else t._("{start} to {end} months", **values)
    return (t._("pregnant women") + "; " if offer.pregnancy else "") + text


def _count(t: Texts, n: int) -> str:
    return t.n_("{count} offer found.", "{count} offers found.", n)


def render_index(app: App, offers: Sequence[Offer], filters: Filters) -> str:
    knowledge = app.knowledge
    places = knowledge.places
    t = texts(filters.lang)
    shown = [o for o in offers if filters.matches(o, places)]
    networks = [places.network(filters.network)] if filters.network else list(places.networks)
    networks_shown = [n for n in networks if n is not None]
    labels = {n.id: need_label(n.id, t, app) for n in knowledge.needs}

    districts = [(d.id, d.name) for n in networks_shown for d in n.districts]
    offer_languages = sorted({la for o in offers for la in o.languages}, key=lambda c: (c != "de", c))
    phases = [p for p in PHASES if not filters.phase or p.id == filters.phase]
    form = (
        # a <details>: on a phone the phases come first; open when a filter is set, so the choice stays visible
        f'<details class="filter"{" open" if filters != Filters(network=filters.network, lang=filters.lang) else ""}>'
        f'<summary><h2 id="filter-titel">{e(t._("Filter offers"))}</h2></summary>'
        '<form method="get" action="/angebote" aria-labelledby="filter-titel"><div class="felder">'
        + _select(
            "lang",
            t._("Language of the page"),
            [(c, native_name(c)) for c in SUPPORTED],
            filters.lang,
            t,
            any_option=False,
        )
        + _select("network", t._("Network"), [(n.id, n.name) for n in places.networks], filters.network, t)
        + _select("district", t._("District or town"), districts, filters.district, t)
        + _select("need", t._("Need"), [(n.id, labels[n.id]) for n in knowledge.needs], filters.need, t)
        + _select("phase", t._("Life phase"), [(p.id, t._(p.label)) for p in PHASES], filters.phase, t)
        + _select("language", t._("Offer also in"), [(c, native_name(c)) for c in offer_languages], filters.language, t)
        + _select("cost", t._("Costs"), [(c.value, t._(COST[c])) for c in Cost], filters.cost, t)
        + f'</div><div class="knoepfe"><button type="submit">{e(t._("Show"))}</button> '
        f'<a href="{filters.base}{Filters(lang=filters.lang).query()}">{e(t._("Reset all filters"))}</a></div>'
        "</form></details>"
    )
    if filters.network:
        others = " · ".join(
            f'<a href="/angebote/{e(n.id)}{filters.query(district="")}">{_de(n.name, t)}</a>'
            for n in places.networks
            if n.id != filters.network
        )
        all_link = f'<a href="/angebote{filters.query(district="")}">{e(t._("all networks"))}</a>'
        form += f'<p class="netze">{e(t._("Other networks:"))} {others} · {all_link}</p>'

    by_phase: dict[str, list[Offer]] = {p.id: [] for p in PHASES}
    for offer in shown:
        for phase_id in phases_of(offer):
            by_phase[phase_id].append(offer)  # once per phase, whatever the number of its needs

    def link(o: Offer) -> str:
        title, _, text_lang = _text(o, filters.lang)
        query = f"?lang={e(filters.lang)}" if filters.lang != "de" else ""
        return f'<a href="/angebote/{e(o.external_id)}{query}"{_lang_attrs(text_lang)}>{e(title)}</a>'

    def card(o: Offer) -> str:
        needs = t.join([labels.get(n, n) for n in o.needs])
        badge = f' · <span class="marke-bsp">{e(t._("Example"))}</span>' if o.example else ""
        return (
            f'<li class="karte"><h3>{link(o)}</h3><p>{_de(o.organization, t)}</p>'
            f'<p class="meta">{e(needs)} · {e(age_text(o, t))} · {e(t._(COST[o.cost]))}{badge}</p></li>'
        )

    def matrix_cell(need: str, phase: Phase) -> str:
        n = sum(1 for o in by_phase[phase.id] if need in o.needs)
        if not n:
            return f'<td class="leer"><span aria-hidden="true">–</span><span class="sr">{e(_count(t, 0))}</span></td>'
        href = f"{filters.base}{filters.query(need=need, phase=phase.id)}#phase-{phase.id}"
        return f'<td class="num"><a href="{href}" aria-label="{e(_count(t, n))}">{n}</a></td>'

    rows_needs = [n for n in knowledge.needs if not filters.need or n.id == filters.need]
    matrix = (
        '<section class="matrix" aria-labelledby="kette-titel">'
        f'<h2 id="kette-titel">{e(t._("Overview: life phases and needs"))}</h2>'
        f'<table id="kette"><caption>{e(t._("Rows: needs; columns: life phases. Each number leads to the offers."))}'
        f'</caption><thead><tr><th scope="col">{e(t._("Need"))}</th>'
        + "".join(f'<th scope="col" data-phase="{p.id}">{e(t._(p.label))}</th>' for p in PHASES)
        + "</tr></thead><tbody>"
        + "".join(
            f'<tr data-need="{n.id}"><th scope="row">{e(labels[n.id])}</th>'
            + "".join(matrix_cell(n.id, p) for p in PHASES)
            + "</tr>"
            for n in rows_needs
        )
        + "</tbody></table></section>"
    )
    sections = []
    for phase in phases:
        items = by_phase[phase.id]
        cards = (
            f'<ul class="karten">{"".join(card(o) for o in items)}</ul>'
            if items
            else f'<p class="leer">{e(t._("No offer in this phase for these filters."))}</p>'
        )
        sections.append(
            f'<section class="phase" id="phase-{phase.id}" aria-labelledby="h-{phase.id}">'
            f'<h2 id="h-{phase.id}">{e(t._(phase.label))} <span class="anzahl">({len(items)})</span></h2>'
            f"{cards}</section>"
        )
    where = f" – {_de(networks_shown[0].name, t)}" if filters.network and networks_shown else ""
    district = places.district(filters.district) if filters.district else None
    ask = (
        lotse_box(app, networks_shown[0], t, web_payload(places, filters.lang, district, filters.need or None))
        if filters.network and networks_shown
        else ""
    )
    body = (
        f"<h1>{e(t._('Offers for families – the prevention chain'))}{where}</h1>"
        f"<p>{e(t._('From pregnancy to the start of working life: advice, childcare and help near you.'))}</p>"
        + form
        + f'<p id="treffer" role="status">{e(_count(t, len(shown)))}</p>'
        + matrix
        + '<div class="phasen">'
        + "".join(sections)
        + "</div>"
        + ask
    )
    return _page(t, t._("Offers for families"), body, example=any(o.example for o in shown), networks=networks_shown)


def _website(url: str) -> str:
    """The offer's website: a link only where bot.domain.offers.safe_url allows it (never javascript:), else text."""
    href = safe_url(url)
    return f'<a href="{e(href)}" rel="noopener">{_ltr(url)}</a>' if href else _ltr(url)


def render_detail(app: App, offer: Offer, lang: str) -> str:
    places = app.knowledge.places
    t = texts(lang)
    title, summary, text_lang = _text(offer, lang)
    network = places.network(offer.network)
    if offer.serves_whole_network:
        served = t._("all of {network}", network=network.name) if network else "–"
    else:
        served = ", ".join(d.name for d in (places.district(i) for i in offer.districts_served) if d)
    phases = t.join([t._(p.label) for p in PHASES if p.id in phases_of(offer)])
    cost = e(t._(COST[offer.cost])) + (f" – {_de(offer.cost_note, t)}" if offer.cost_note else "")
    facts = [
        (t._("Provider"), _de(offer.organization, t)),
        (t._("Needs"), e(t.join([need_label(n, t, app) for n in offer.needs]))),
        (t._("For"), e(age_text(offer, t))),
        (t._("Life phases"), e(phases)),
        (t._("Costs"), cost),
        (t._("Access"), e(t._(ACCESS[offer.access]))),
        (
            t._("Languages"),
            t.join([f"<bdi>{e(native_name(la) if la in SUPPORTED else la)}</bdi>" for la in offer.languages]),
        ),
        (t._("For districts"), _de(served, t) if not offer.serves_whole_network else e(served)),
        (t._("Step-free"), e(t._("yes") if offer.step_free else t._("not stated"))),
        (t._("Childcare"), e(t._("yes") if offer.childcare else t._("no"))),
    ]
    contact = []
    if offer.address:
        contact.append((t._("Address"), _de(offer.address, t)))
    if offer.phone:
        contact.append((t._("Phone"), _phone(offer.phone)))
    if offer.email:
        contact.append((t._("E-mail"), f'<a href="mailto:{e(offer.email)}">{_ltr(offer.email)}</a>'))
    if offer.website:
        contact.append((t._("Website"), _website(offer.website)))

    def dl(items: Sequence[tuple[str, str]]) -> str:
        return "<dl>" + "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"

    if offer.opening_hours:
        hours = _hours_table(offer.opening_hours, t._("Opening hours"), t)
    else:
        hours = f"<p>{e(t._('No fixed opening hours – please call or write.'))}</p>"
    back = f"/angebote/{offer.network}" + (f"?lang={e(lang)}" if lang != "de" else "")
    verified = (
        f"<p>{e(t._('Last checked: {date}', date=t.date(offer.last_verified)))}</p>" if offer.last_verified else ""
    )
    example = (
        f'<p class="bsp"><span class="marke-bsp">{e(t._("Example"))}</span> '
        f"{e(t._('Source:'))} {_de(offer.source, t)}</p>"
        if offer.example
        else ""
    )
    body = (
        f'<p><a href="{back}">{e(t._("Back to the overview"))}</a></p>'
        f"<article><h1{_lang_attrs(text_lang)}>{e(title)}</h1>"
        + example
        + f"<p{_lang_attrs(text_lang)}>{e(summary)}</p>"
        + (
            ""
            if text_lang == lang or lang.startswith("de")
            else f'<p class="hinweis">{e(t._("This text exists only in German."))}</p>'
        )
        + f"<h2>{e(t._('The essentials'))}</h2>{dl(facts)}<h2>{e(t._('Opening hours'))}</h2>{hours}"
        f"<h2>{e(t._('Contact'))}</h2>{dl(contact)}{verified}</article>"
        + lotse_box(app, network, t, offer_payload(places, offer, lang))
    )
    return _page(t, title, body, example=offer.example, networks=[network] if network else [])


# ------------------------------------------------------------------------------------------ web app


def _offers(app: App) -> list[Offer]:
    today = date.today()
    with app.uow() as session:
        return [o for o in OfferRepository(session).all() if o.is_valid_on(today)]


async def index(request: web.Request) -> web.Response:
    return await _index(request, "")


async def _index(request: web.Request, network: str) -> web.Response:
    app = request.app[APP_KEY]
    offers = await asyncio.to_thread(_offers, app)  # the database call must not block the event loop
    filters = Filters.from_query(request.query, app.knowledge.places, (n.id for n in app.knowledge.needs), network)
    return web.Response(text=render_index(app, offers, filters), content_type="text/html")


async def detail(request: web.Request) -> web.Response:
    """/angebote/<external_id>, or /angebote/<network> for one network's chain."""
    app = request.app[APP_KEY]
    key = request.match_info["external_id"]
    if app.knowledge.places.network(key):
        return await _index(request, key)
    offers = await asyncio.to_thread(_offers, app)
    lang = request.query.get("lang", "de")
    lang = lang if lang in SUPPORTED else "de"
    offer = next((o for o in offers if o.external_id == key), None)
    if offer is None:
        t = texts(lang)
        body = (
            f"<h1>{e(t._('Offer not found'))}</h1>"
            f'<p><a href="/angebote">{e(t._("To the overview of all offers"))}</a></p>'
        )
        page = _page(t, t._("Offer not found"), body, example=False, networks=app.knowledge.places.networks)
        return web.Response(text=page, content_type="text/html", status=404)
    return web.Response(text=render_detail(app, offer, lang), content_type="text/html")


def add_overview_routes(web_app: web.Application, app: App) -> None:
    """Add /angebote, /angebote/<external_id or network> and /angebote/static/ to an aiohttp app (the bot's)."""
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


@contextmanager
def serving(app: App) -> Iterator[str]:
    """The overview on 127.0.0.1 (a free port) in a background thread, for a browser driven synchronously
    (the browser tests, bench/screenshots.py); yields the base URL."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(create_overview_app(app))
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.run_until_complete(runner.cleanup())
        loop.close()
