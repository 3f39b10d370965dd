"""The offer overview (/angebote) in headless Chromium: rendering, filtering, details, a screenshot, accessibility.

Debian's chromium package is driven by the Playwright Python package (no `playwright install`, no download).
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.bootstrap import App, bootstrap
from bot.domain.offers import Offer
from bot.services.offers import OfferRepository
from bot.settings import Settings
from bot.web.overview import PHASES, create_overview_app, phases_of

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
    app = bootstrap(Settings(database_url=f"sqlite:///{folder / 'overview.db'}"))
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(create_overview_app(app))
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)  # the browser test runs synchronously
    thread.start()
    yield Server(f"http://127.0.0.1:{port}", app)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.run_until_complete(runner.cleanup())
    loop.close()
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


@pytest.mark.slow
@needs_browser
def test_a_family_worker_filters_the_chain_and_opens_an_offer_with_its_opening_hours(
    server: Server, browser: Any, tmp_path: Path
):
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    page.goto(f"{server.url}/angebote")
    assert page.locator("html").get_attribute("lang") == "de"
    headers = page.locator("#kette thead th[scope=col]").all_inner_texts()
    assert headers == ["Bedarf", *(p.label for p in PHASES)]
    assert page.locator("#kette tbody tr").count() == 16
    assert page.get_by_text("Beispieldaten:").is_visible()
    assert page.evaluate(A11Y_PROBLEMS_JS) == []

    page.get_by_label("Stadtteil oder Ort").select_option("lb-eglosheim")
    page.get_by_label("Bedarf", exact=True).select_option("childcare")
    page.get_by_role("button", name="Anzeigen").press("Enter")  # submitted with the keyboard
    page.wait_for_url("**/angebote?district=lb-eglosheim&need=childcare**")

    district = server.app.knowledge.places.district("lb-eglosheim")
    assert district is not None
    offers = [
        o
        for o in server.offers()
        if "childcare" in o.needs
        and (district.id in o.districts_served or (o.serves_whole_network and o.network == district.network_id))
    ]
    expected = sorted(o.title for o in offers)
    with_hours = next(o for o in offers if o.opening_hours)  # the example data has one for Eglosheim
    assert page.locator("#kette tbody tr").count() == 1
    assert sorted(page.locator(".karten h3").all_inner_texts()) == expected
    assert page.locator("#treffer").inner_text() == f"{len(expected)} Angebote gefunden."

    page.locator(".karten").get_by_role("link", name=with_hours.title).click()
    page.wait_for_url(f"**/angebote/{with_hours.external_id}")
    assert page.locator("h1").inner_text() == with_hours.title
    assert page.locator("table.zeiten tbody tr").count() == len({s.weekday for s in with_hours.opening_hours})
    assert "Uhr" in page.locator("table.zeiten").inner_text()
    assert page.evaluate(A11Y_PROBLEMS_JS) == []

    shot = tmp_path / "angebot.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    page.close()


@pytest.mark.slow
@needs_browser
def test_the_overview_switches_offer_texts_to_arabic_right_to_left(server: Server, browser: Any, tmp_path: Path):
    page = browser.new_page()
    page.goto(f"{server.url}/angebote?lang=ar&need=money")
    first = page.locator(".karten h3 a").first
    assert first.get_attribute("lang") == "ar" and first.get_attribute("dir") == "rtl"
    assert page.get_by_label("Sprache der Angebotstexte").input_value() == "ar"
    page.screenshot(path=str(tmp_path / "ar.png"))
    assert (tmp_path / "ar.png").stat().st_size > 10_000
    page.close()


# ------------------------------------------------------------------------------------------ over plain HTTP


def test_every_offer_sits_in_at_least_one_life_phase(server: Server):
    assert all(phases_of(o) for o in server.offers())
    assert phases_of(next(o for o in server.offers() if o.pregnancy))[0] == "schwangerschaft"


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
