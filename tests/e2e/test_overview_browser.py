"""The offer overview (/angebote) in headless Chromium: rendering, filtering, details, a screenshot, accessibility.

Debian's chromium package is driven by the Playwright Python package (no `playwright install`, no download);
accessibility is checked with axe-core (shipped inside the axe-playwright-python wheel) and a few own rules.
"""

from __future__ import annotations

import html
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.bootstrap import App, bootstrap
from bot.conversation import Command, Services, State, handle
from bot.domain.matching import OfferIndex
from bot.domain.offers import Offer
from bot.services.offers import OfferRepository
from bot.settings import Settings
from bot.web.overview import PHASES, phases_of, render_detail, serving

BOT = "FamilienlotseTestBot"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

needs_browser = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("REQUIRE_BROWSER"),
    reason="Debian's chromium is missing (apt-get install -y chromium); set REQUIRE_BROWSER=1 to fail instead",
)

# What a screen reader user and a keyboard user need, checked in the rendered page (not in the HTML text).
A11Y_PROBLEMS_JS = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push('html ohne lang');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label')) problems.push('ohne Label: ' + el.name);
  }
  for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) problems.push('img ohne alt');
  for (const a of document.querySelectorAll('a, button')) if (!a.textContent.trim()) problems.push('leerer Link');
  const levels = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => Number(h.tagName[1]));
  if (levels[0] !== 1 || levels.filter(l => l === 1).length !== 1) problems.push('nicht genau eine h1 zuerst');
  levels.forEach((l, i) => { if (i && l - levels[i - 1] > 1) problems.push('Überschrift springt auf h' + l); });
  for (const table of document.querySelectorAll('table'))
    if (!table.querySelector('caption') || !table.querySelector('th[scope]')) problems.push('Tabelle ohne Kopf');
  return problems;
}"""


# axe-core's WCAG 2.1 A/AA rules (contrast, names, landmarks, lang) plus its best practices. Cards after the second
# of a phase and matrix rows after the third are the same markup again; skipping them keeps a run under a second.
AXE_RUN_JS = """axe.run({exclude: [['li.karte:nth-child(n+3)'], ['#kette tbody tr:nth-child(n+4)']]},
  {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"""


def axe_violations(page: Any) -> list[str]:
    """What axe-core finds wrong in the rendered page: '<rule> (<impact>): <first element>' per broken rule."""
    axe = pytest.importorskip("axe_playwright_python.base", reason="pip install axe-playwright-python (axe-core)")
    page.evaluate(axe.AXE_SCRIPT)
    result = page.evaluate(AXE_RUN_JS)
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}" for v in result["violations"]]


@dataclass(frozen=True)
class Server:
    url: str
    app: App

    def offers(self) -> list[Offer]:
        """The offers the overview shows: those valid today."""
        with self.app.uow() as session:
            return [o for o in OfferRepository(session).all() if o.is_valid_on(date.today())]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The overview on 127.0.0.1 (random port) over a fresh SQLite file with the bundled example offers."""
    folder = tmp_path_factory.mktemp("overview")
    app = bootstrap(Settings(database_url=f"sqlite:///{folder / 'overview.db'}", telegram_bot_username=BOT))
    with serving(app) as url:
        yield Server(url, app)
    app.engine.dispose()


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


# ------------------------------------------------------------------------------------------ in the browser

SIDEWAYS_JS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def shots_dir(tmp_path: Path) -> Path:
    """Screenshots go to $SCREENSHOT_DIR when set (to look at them, or for the README), else to the test's tmp."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.slow
@needs_browser
def test_on_a_phone_the_chain_is_a_list_of_phases_each_offer_once_and_no_sideways_scroll(
    server: Server, browser: Any, tmp_path: Path
):
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    page.goto(f"{server.url}/angebote")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.evaluate(SIDEWAYS_JS) == 0
    assert not page.locator("#kette").is_visible()  # the matrix is for wide screens
    headings = page.locator("section.phase > h2").all_inner_texts()
    assert [h.rsplit(" (", 1)[0] for h in headings] == [
        "Schwangerschaft und Geburt",
        "0–3 Jahre",
        "3–6 Jahre",
        "Grundschule (6–10 Jahre)",
        "10–14 Jahre",
        "15–18 Jahre und Übergang Schule–Beruf",
    ]
    for phase in PHASES:
        hrefs = page.locator(f"#phase-{phase.id} .karte h3 a").evaluate_all("els => els.map(a => a.href)")
        assert hrefs and len(hrefs) == len(set(hrefs)), phase.id  # every offer once per phase
        expected = sum(1 for o in server.offers() if phase.id in phases_of(o))
        assert len(hrefs) == expected, phase.id
    assert page.get_by_text("Beispieldaten:").is_visible()
    assert page.evaluate(A11Y_PROBLEMS_JS) == []
    shots = shots_dir(tmp_path)
    # the first two screens: the whole list is ~100,000 px tall, and a full-page shot of it took 9 s
    page.screenshot(
        path=str(shots / "angebote-390.png"), full_page=True, clip={"x": 0, "y": 0, "width": 390, "height": 1688}
    )
    assert page.evaluate("document.documentElement.scrollWidth") == 390  # nothing sticks out to the side
    assert png_size(shots / "angebote-390.png") == (390, 1688)

    page.get_by_text("Angebote filtern").click()  # the filter is folded away on a phone
    page.get_by_label("Stadtteil oder Ort").select_option("lb-eglosheim")
    page.get_by_label("Bedarf", exact=True).select_option("childcare")
    page.get_by_role("button", name="Anzeigen").press("Enter")  # submitted with the keyboard
    page.wait_for_url("**/angebote?**district=lb-eglosheim**")
    assert page.evaluate(SIDEWAYS_JS) == 0
    district = server.app.knowledge.places.district("lb-eglosheim")
    assert district is not None
    offers = [
        o
        for o in server.offers()
        if "childcare" in o.needs
        and (district.id in o.districts_served or (o.serves_whole_network and o.network == district.network_id))
    ]
    shown = set(page.locator(".karte h3").all_inner_texts())
    assert shown == {o.title for o in offers}
    assert page.locator("#treffer").inner_text() == f"{len(offers)} Angebote gefunden."
    assert axe_violations(page) == []  # the phases as cards, the open filter form, the Lotsen office
    with_hours = next(o for o in offers if o.opening_hours)  # the example data has one for Eglosheim
    page.locator(".karte").get_by_role("link", name=with_hours.title).first.click()
    page.wait_for_url(f"**/angebote/{with_hours.external_id}")
    assert page.locator("h1").inner_text() == with_hours.title
    assert page.locator("article table.zeiten tbody tr").count() == len({s.weekday for s in with_hours.opening_hours})
    assert page.evaluate(A11Y_PROBLEMS_JS) == [] and page.evaluate(SIDEWAYS_JS) == 0
    assert axe_violations(page) == []
    page.screenshot(path=str(shots / "angebot-390.png"), full_page=True)
    page.close()


@pytest.mark.slow
@needs_browser
def test_on_a_wide_screen_the_matrix_counts_lead_to_the_offers_of_a_network(
    server: Server, browser: Any, tmp_path: Path
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server.url}/angebote/weimar")
    assert page.evaluate(SIDEWAYS_JS) == 0
    assert page.locator("#kette").is_visible()
    headers = page.locator("#kette thead th[scope=col]").all_inner_texts()
    assert headers[0] == "Bedarf" and len(headers) == 1 + len(PHASES)
    weimar = [o for o in server.offers() if o.network == "weimar"]
    assert page.locator("#treffer").inner_text() == f"{len(weimar)} Angebote gefunden."
    cell = page.locator('#kette tr[data-need="work"] td a').last  # work: the school-to-work phase
    count = int(cell.inner_text())
    assert count == sum(1 for o in weimar if "work" in o.needs and "15-18" in phases_of(o))
    cell.click()
    page.wait_for_url("**need=work**phase=15-18**")
    assert page.locator("section.phase").count() == 1
    assert page.locator("#phase-15-18 .karte").count() == count
    assert page.evaluate(A11Y_PROBLEMS_JS) == [] and axe_violations(page) == []
    shots = shots_dir(tmp_path)
    page.goto(f"{server.url}/angebote/weimar")
    page.screenshot(path=str(shots / "angebote-1280.png"))
    assert png_size(shots / "angebote-1280.png") == (1280, 900)  # the viewport, nothing wider
    page.close()


@pytest.mark.slow
@needs_browser
def test_the_arabic_detail_page_is_right_to_left_with_arabic_labels(server: Server, browser: Any, tmp_path: Path):
    offer = next(o for o in server.offers() if o.text_in("ar") and o.opening_hours)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{server.url}/angebote/{offer.external_id}?lang=ar")
    html_ = page.locator("html")
    assert (html_.get_attribute("lang"), html_.get_attribute("dir")) == ("ar", "rtl")
    labels = page.locator("dt").all_inner_texts()
    assert "الجهة المقدمة" in labels and "التكلفة" in labels  # provider, costs: Arabic labels
    german = {"Träger", "Bedarfe", "Kosten", "Zugang", "Sprachen", "Adresse", "Telefon"}
    assert not german & set(labels)
    assert page.locator("h1").get_attribute("lang") == "ar"
    assert page.locator("h2").first.inner_text() == "أهم المعلومات"
    assert page.evaluate(SIDEWAYS_JS) == 0 and page.evaluate(A11Y_PROBLEMS_JS) == []
    assert axe_violations(page) == []
    # the way to a person: the bot with this offer preset, or the Lotsen office's phone for families without Telegram
    ask = page.get_by_role("link", name="اسألوا مرشدًا/مرشدة")
    link = urllib.parse.urlsplit(ask.get_attribute("href") or "")
    assert (link.scheme, link.netloc, link.path) == ("https", "t.me", f"/{BOT}")
    start = urllib.parse.parse_qs(link.query)["start"][0]
    assert start == f"o-{offer.external_id}_l-ar_s-web"
    state = started_with(server, start)
    assert (state.locale, state.network_id, state.needs, state.entry) == ("ar", offer.network, offer.needs[:1], "web")
    office = server.app.knowledge.places.network(offer.network).lotsen_office  # type: ignore[union-attr]
    assert office is not None
    assert page.locator(".lotse a[href^='tel:']").get_attribute("href") == "tel:" + office.phone.replace(" ", "")
    assert page.locator(".lotse caption").inner_text() == "مواعيد مكتب المرشدين"
    page.screenshot(path=str(shots_dir(tmp_path) / "angebot-ar-390.png"), full_page=True)
    page.goto(f"{server.url}/angebote/ludwigsburg?lang=ar")
    assert page.locator("section.phase > h2").first.inner_text().startswith("الحمل والولادة")
    first = page.locator(".karte h3 a").first
    assert first.get_attribute("lang") == "ar" and first.get_attribute("dir") == "rtl"
    assert page.evaluate(SIDEWAYS_JS) == 0 and axe_violations(page) == []
    page.screenshot(path=str(shots_dir(tmp_path) / "angebote-ar-390.png"))
    page.close()


# ------------------------------------------------------------------------------------------ over plain HTTP


def started_with(server: Server, start: str) -> State:
    """The conversation after a family opened the deep link (Telegram sends /start <payload>)."""
    # /start reads no free text, so no Understander (building one takes seconds); a use would fail the test
    services = Services(server.app.knowledge, None, OfferIndex(server.offers()), now=datetime.now)  # type: ignore[arg-type]
    return handle(State(), Command("start", payload=start), services).state


def test_a_networks_overview_asks_with_its_filters_and_without_a_bot_name_only_the_phone_is_left(server: Server):
    status, page = get(f"{server.url}/angebote/weimar?district=we-weimar-west&need=money&lang=tr")
    assert status == 200
    start = re.search(rf'href="https://t\.me/{BOT}\?start=([^"]+)"', page)
    assert start and html.unescape(start.group(1)) == "d-weimar-west_l-tr_n-money_s-web"
    state = started_with(server, start.group(1))
    assert (state.district_id, state.needs, state.locale, state.entry) == ("we-weimar-west", ("money",), "tr", "web")
    assert "Lotse bürosunun çalışma saatleri" in page and 'href="tel:03023125103"' in page
    status, page = get(f"{server.url}/angebote")  # all networks: which office would it be? none is guessed
    assert "t.me/" not in page and 'class="lotse"' not in page

    offer = next(o for o in server.offers() if o.network == "esslingen")
    without_bot = replace(server.app, settings=replace(server.app.settings, telegram_bot_username=None))
    page = render_detail(without_bot, offer, "de")
    assert "t.me/" not in page and "Eine Lotsin / einen Lotsen fragen" not in page
    assert "Rufen Sie das Lotsenbüro an:" in page and 'href="tel:03023125102"' in page


def test_every_offer_sits_in_at_least_one_life_phase(server: Server):
    assert all(phases_of(o) for o in server.offers())
    assert phases_of(next(o for o in server.offers() if o.pregnancy))[0] == "schwangerschaft"


def test_offers_are_placed_by_their_age_range(server: Server):
    by_title = {o.title: o for o in server.offers()}
    kita = by_title["Zentrale Kita-Anmeldung und Beratung zum Betreuungsplatz"]  # 0-78 months: "bis 6 Jahre"
    assert phases_of(kita) == ("0-3", "3-6")  # not primary school
    youth = by_title["Beratung für Jugendliche in Krisen"]  # 12-18 years
    assert phases_of(youth) == ("10-14", "15-18")


def test_a_network_in_the_path_shows_only_its_offers_and_website_links_are_never_javascript(server: Server):
    status, page = get(f"{server.url}/angebote/esslingen")
    assert status == 200
    esslingen = [o for o in server.offers() if o.network == "esslingen"]
    assert f"{len(esslingen)} Angebote gefunden." in page
    assert all(f'/angebote/{o.external_id}"' in page for o in esslingen)
    assert not any(f'/angebote/{o.external_id}"' in page for o in server.offers() if o.network != "esslingen")
    offer = next(o for o in esslingen if o.website)
    status, page = get(f"{server.url}/angebote/{offer.external_id}")
    assert status == 200 and "javascript:" not in page.lower()


def test_the_page_needs_nothing_from_outside_the_server(server: Server):
    status, page = get(f"{server.url}/angebote")
    assert status == 200
    assert "<script" not in page
    assert re.findall(r'(?:src|href)="(https?://[^"]*)"', page) == []  # offer websites only on detail pages
    status, css = get(f"{server.url}/angebote/static/overview.css")
    assert status == 200 and "focus-visible" in css and "http" not in css


def test_an_unknown_offer_is_a_german_404_and_bad_filters_are_ignored(server: Server):
    status, page = get(f"{server.url}/angebote/gibt-es-nicht")
    assert status == 404 and "Angebot nicht gefunden" in page
    status, page = get(f"{server.url}/angebote?district=%3Cscript%3E&need=x&cost=gratis&lang=zz")
    assert status == 200 and "<script>" not in page and "<script" not in page
    assert f"{len(server.offers())} Angebote gefunden." in page


def test_a_javascript_website_is_shown_as_text_never_as_a_link(server: Server):
    offer = replace(server.offers()[0], website=" JaVaScRiPt:alert(1)")
    page = render_detail(server.app, offer, "ar")
    assert 'href=" JaVaScRiPt' not in page and 'href="javascript' not in page.lower()
    assert "JaVaScRiPt:alert(1)" in page  # still readable for the coordinator who has to fix the data
