"""The README's screenshots, made again: `.venv/bin/python -m bench.screenshots [--out docs/screenshots]`.

Over a fresh SQLite file with the bundled example offers (and the generated demand of the report tests), with
Debian's Chromium driven by Playwright as in the browser tests: the /angebote overview at 390 px (German and
Arabic) and 1280 px, an offer page at 390 px (German and Arabic, right to left, with "ask a Lotse"), the gap
report of Ludwigsburg, and the Arabic poster (on top of German, and the two side by side). Each PNG is reduced to
a palette of 64 colours, so it stays well under 150 KB; the script fails when one does not.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

from admin_scripts import qr, report
from bot.bootstrap import bootstrap
from bot.settings import Settings
from bot.web.overview import serving
from tests.e2e.test_overview_browser import CHROMIUM, CHROMIUM_ARGS
from tests.integration.test_reports import TODAY, generate_demand

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
MAX_BYTES = 150_000
BOT = "FamilienlotseBot"  # an example username: the links in the pictures open nothing real
OFFER = "lb-kifaz-eglosheim"  # an example offer with opening hours, a translation and a Lotsen office


def small_png(source: Path | Image.Image, target: Path, width: int | None = None) -> int:
    """Writes `source` as a 64-colour PNG (scaled to `width`); returns its size in bytes."""
    image = source if isinstance(source, Image.Image) else Image.open(source)
    image = image.convert("RGB")
    if width and image.width != width:
        image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
    return target.stat().st_size


def shoot(page: Page, url: str, target: Path, height: int | None = None) -> int:
    """The page at `url`: its first `height` pixels, or the whole page."""
    page.goto(url)
    raw = target.with_suffix(".raw.png")
    clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height} if height else None  # type: ignore[index]
    page.screenshot(path=str(raw), full_page=True, clip=clip)  # type: ignore[arg-type]
    size = small_png(raw, target)
    raw.unlink()
    return size


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.screenshots", description=__doc__)
    p.add_argument("--out", type=Path, default=OUT, help=f"folder for the PNGs (default {OUT})")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="familienlotse-shots-") as folder:
        work = Path(folder)
        url = f"sqlite:///{work / 'shots.db'}"
        app = bootstrap(Settings(database_url=url, telegram_bot_username=BOT))
        generate_demand(app)
        gaps = work / "bericht"
        report_args = ["--database-url", url, "gaps", "--network", "ludwigsburg", "--no-pdf", "--out", str(gaps)]
        if report.main([*report_args, "--today", TODAY.isoformat()]) != 0:
            print("Fehler: der Lückenbericht ließ sich nicht schreiben", file=sys.stderr)
            return 1
        with serving(app) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            phone = browser.new_page(viewport={"width": 390, "height": 844})
            wide = browser.new_page(viewport={"width": 1280, "height": 900})
            council = browser.new_page(viewport={"width": 1000, "height": 1400})
            gap_page = next(gaps.rglob("luecken-bericht.html")).as_uri()
            views = (  # name, browser page, address, height (None: the whole page)
                ("angebote-390.png", phone, f"{base}/angebote", 1688),
                ("angebote-ar-390.png", phone, f"{base}/angebote/ludwigsburg?lang=ar", 1688),
                ("angebot-390.png", phone, f"{base}/angebote/{OFFER}", None),
                ("angebot-ar-390.png", phone, f"{base}/angebote/{OFFER}?lang=ar", None),
                ("angebote-1280.png", wide, f"{base}/angebote/weimar", 900),
                ("luecken-bericht.png", council, gap_page, 2000),
            )
            for name, page, address, height in views:
                sizes[name] = shoot(page, address, args.out / name, height)
            browser.close()
        app.engine.dispose()
        for name, extra in (("plakat-ar.png", []), ("plakat-ar-zweisprachig.png", ["--bilingual"])):
            poster = work / name.replace(".png", ".pdf")
            poster_args = ["--bot", BOT, "--district", "Eglosheim", "--lang", "ar", "--out", str(poster)]
            if qr.main([*poster_args, "--web", "https://familienlotse.example.org", *extra]) != 0:
                print(f"Fehler: das Plakat {name} ließ sich nicht schreiben", file=sys.stderr)
                return 1
            sizes[name] = small_png(poster.with_suffix(".png"), args.out / name, width=620)
    for name, size in sizes.items():
        print(f"{args.out / name}: {size / 1000:.0f} KB")
    too_big = [name for name, size in sizes.items() if size > MAX_BYTES]
    if too_big:
        print(f"Fehler: größer als {MAX_BYTES // 1000} KB: {', '.join(too_big)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
