"""An import while the bot runs is in the next answer: no restart, on SQLite and on PostgreSQL.

The real PTB Application polls the fake Bot API; the coordinator imports with the admin script in its own
process, as in production. The bot's offer watcher must pick the new offer up within seconds — also in two
`python -m bot run` processes on one database, each of which must serve the new offer within 5 s.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.adapters.telegram import build_application
from bot.bootstrap import App, bootstrap, conversation_service
from bot.settings import Settings
from tests.e2e.conftest import Family, bot_settings, polling
from tests.e2e.test_multiprocess import free_port
from tests.fakes import FakeBotApi
from tests.fakes.splitter import WebhookSplitter

ROOT = Path(__file__).resolve().parents[2]
LIVE_WITHIN = 5.0  # seconds from the end of the import until a family's answer shows the new offer
ASK_AGAIN_AFTER = 0.8  # seconds between a family's rounds: faster, and the bot's flood limit answers instead

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
    """Asks for childcare for a 3-year-old in Eglosheim and returns the whole offers answer."""
    for step, replies in (("lang:de", 1), ("consent:yes", 2), ("age:3", 1), ("net:ludwigsburg", 1),
                          ("d:lb-eglosheim", 1)):  # fmt: skip
        await family.taps(step, replies=replies)
    return await offers_for(family, "need:childcare")


async def offers_for(family: Family, need: str) -> str:
    """Taps a need and returns the offers answer, all of its messages (the buttons come on the last)."""
    seen = len(family.messages)
    await family.taps(need)
    await on_screen(family, "other_need")
    return "\n".join(m["text"] for m in family.messages[seen:])


async def childcare_again(family: Family) -> str:
    """"Another topic", then childcare again: what a family would see asking once more."""
    await family.taps("other_need")
    return await offers_for(family, "need:childcare")


async def on_screen(family: Family, button: str, timeout: float = 5.0) -> None:
    """Waits until a button shows: an answer may come as several messages, the buttons on the last."""
    deadline = time.monotonic() + timeout
    while button not in family.buttons():
        assert time.monotonic() < deadline, f"no {button!r} on screen: {[m['text'][:40] for m in family.messages]}"
        await asyncio.sleep(0.05)


def import_sheet(database_url: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """The coordinator's import of SHEET with the admin script, in its own process."""
    sheet = folder / "angebote.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "admin_scripts.offers", "--database-url", database_url, "import", str(sheet),
         "--keep-missing"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


async def test_an_offer_imported_while_the_bot_runs_is_in_the_next_answer(
    live_app: App, bot_api: FakeBotApi, tmp_path: Path
) -> None:
    service = conversation_service(live_app, offers_poll_seconds=0.5)
    async with polling(build_application(bot_settings(live_app, bot_api), service)):
        family = Family(bot_api, 4711)
        await family.says("/start")
        before = await childcare_in_eglosheim(family)
        assert "Kita Sonnenschein" not in before

        done = import_sheet(live_app.settings.database_url, tmp_path)
        assert done.returncode == 0, done.stderr
        assert "1 neu" in done.stdout and "gespeichert" in done.stdout
        assert "über der Kopfzeile übersprungen" in done.stderr and "'071410555990'" in done.stderr
        imported = time.monotonic()

        while True:  # what a family would see, asking again: at most LIVE_WITHIN after the import
            after = await childcare_again(family)
            if "Kita Sonnenschein Eglosheim" in after or time.monotonic() - imported > LIVE_WITHIN:
                break
            await asyncio.sleep(ASK_AGAIN_AFTER)
        assert "Kita Sonnenschein Eglosheim" in after, after
        assert "07141" in after  # the phone number got its leading 0 back
        assert time.monotonic() - imported <= LIVE_WITHIN + 2  # plus one round of answers


SECRET = "offers-live-secret"


@asynccontextmanager
async def two_bot_processes(database_url: str, folder: Path) -> AsyncIterator[tuple[FakeBotApi, WebhookSplitter]]:
    """Two `python -m bot run` processes in webhook mode on one database, behind a splitter that sends a
    chat's consecutive updates to different processes; a traceback in either fails the test."""
    ports = [free_port(), free_port()]
    async with (
        FakeBotApi() as api,
        WebhookSplitter([f"http://127.0.0.1:{port}/telegram" for port in ports]) as splitter,
    ):
        processes = []
        for number, port in enumerate(ports):
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": api.token,
                "TELEGRAM_API_BASE_URL": api.base_url,
                "DATABASE_URL": database_url,
                "WEBHOOK_URL": splitter.url,
                "WEBHOOK_SECRET": SECRET,
                "WEBHOOK_PORT": str(port),
                "BOT_PROCESSES": "2",
                "RATE_LIMITER": "off",
                "PYTHONPATH": str(ROOT),
            }
            log = (folder / f"bot-{number}.log").open("wb")
            command = [sys.executable, "-m", "bot", "run"]
            processes.append(subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT))
        try:
            await api.wait_for_calls("setWebhook", 2, timeout=30)
            yield api, splitter
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
    for number in range(2):
        output = (folder / f"bot-{number}.log").read_text()
        assert "Traceback" not in output, output[-3000:]


@pytest.mark.slow  # ~9 s per database, up to 25 s when the two processes start on a busy machine
async def test_two_running_bot_processes_each_serve_an_imported_offer_within_5_seconds(
    live_app: App, tmp_path: Path
) -> None:
    async with two_bot_processes(live_app.settings.database_url, tmp_path) as (api, splitter):
        # two families of opposite chat parity: the splitter sends their same-numbered steps to different
        # processes, so each process answers one family's offer question
        families = [Family(api, 4711), Family(api, 4712)]
        for family in families:
            await family.says("/start")
            assert "Kita Sonnenschein" not in await childcare_in_eglosheim(family)

        done = import_sheet(live_app.settings.database_url, tmp_path)
        assert done.returncode == 0 and "1 neu" in done.stdout, done.stderr
        imported = time.monotonic()

        served_by: set[int] = set()
        for family in families:
            while True:
                await family.taps("other_need")
                before = list(splitter.forwarded)
                answer = await offers_for(family, "need:childcare")
                process = next(i for i, (a, b) in enumerate(zip(before, splitter.forwarded, strict=True)) if b > a)
                if "Kita Sonnenschein Eglosheim" in answer or time.monotonic() - imported > LIVE_WITHIN:
                    break
                await asyncio.sleep(ASK_AGAIN_AFTER)
            assert "Kita Sonnenschein Eglosheim" in answer, answer
            served_by.add(process)
        assert time.monotonic() - imported <= LIVE_WITHIN + 2  # plus one round of answers
        assert served_by == {0, 1}  # each process served the new offer
