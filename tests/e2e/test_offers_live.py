"""An import while the bot runs is in the next answer: no restart, on SQLite and on PostgreSQL.

The real PTB Application polls the fake Bot API; the coordinator imports with the admin script in its own
process, as in production. The bot's offer watcher must pick the new offer up within seconds.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.adapters.telegram import build_application
from bot.bootstrap import App, bootstrap, conversation_service
from bot.settings import Settings
from tests.e2e.conftest import Family, bot_settings, polling
from tests.fakes import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
LIVE_WITHIN = 5.0  # seconds from the end of the import until a family's answer shows the new offer

# the coordinator's sheet as it comes: a title row, German headers and names, hours as written, a lost 0
SHEET = """Angebote Ludwigsburg – Stand November 2026 (Beispieldaten);;;;;;;;;
;;;;;;;;;
Angebots-ID;Netzwerk;Titel;Träger;Bedarfe;Stadtteil/Ort;Alter;Öffnungszeiten;Telefon;Sprachen;Beispiel
lb-live-kita-sonnenschein;Ludwigsburg;Kita Sonnenschein Eglosheim;Beispielträger e.V.;Kita;Eglosheim;0–6 J.;Mo–Fr 7–16 Uhr;71410555990;deutsch, türkisch;ja
"""  # noqa: E501


@pytest.fixture
def live_app(database_url: str) -> Iterator[App]:
    """A fresh database with the example offers, on SQLite and on PostgreSQL (tests/conftest.py's database_url)."""
    app = bootstrap(Settings(database_url=database_url), load_examples=True)
    yield app
    app.engine.dispose()


async def childcare_in_eglosheim(family: Family) -> str:
    """Asks for childcare for a 3-year-old in Eglosheim (again) and returns the offers answer."""
    if "other_need" in family.buttons():
        await family.taps("other_need")
    else:
        for step, replies in (("lang:de", 1), ("consent:yes", 2), ("age:3", 1), ("net:ludwigsburg", 1),
                              ("d:lb-eglosheim", 1)):  # fmt: skip
            await family.taps(step, replies=replies)
    (answer,) = await family.taps("need:childcare")
    return answer["text"]


async def test_an_offer_imported_while_the_bot_runs_is_in_the_next_answer(
    live_app: App, bot_api: FakeBotApi, tmp_path: Path
) -> None:
    service = conversation_service(live_app, offers_poll_seconds=0.5)
    async with polling(build_application(bot_settings(live_app, bot_api), service)):
        family = Family(bot_api, 4711)
        await family.says("/start")
        before = await childcare_in_eglosheim(family)
        assert "Kita Sonnenschein" not in before

        sheet = tmp_path / "angebote.csv"
        sheet.write_text(SHEET, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "admin_scripts.offers", "--database-url", live_app.settings.database_url,
             "import", str(sheet), "--keep-missing"],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "1 neu" in done.stdout and "gespeichert" in done.stdout
        assert "über der Kopfzeile übersprungen" in done.stderr and "'071410555990'" in done.stderr
        imported = time.monotonic()

        while True:  # what a family would see, asking again: at most LIVE_WITHIN after the import
            after = await childcare_in_eglosheim(family)
            if "Kita Sonnenschein Eglosheim" in after or time.monotonic() - imported > LIVE_WITHIN:
                break
        assert "Kita Sonnenschein Eglosheim" in after, after
        assert "07141" in after  # the phone number got its leading 0 back
        assert time.monotonic() - imported <= LIVE_WITHIN + 2  # plus one round of answers
