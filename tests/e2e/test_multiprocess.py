"""Two real `python -m bot run` processes in webhook mode on one PostgreSQL, a splitter in front (as nginx).

The splitter sends a chat's consecutive updates to different processes, so every step of a family's
conversation is handled by the other process than the step before. Twenty families talk at once, four ask
for a Lotse; two Lotsen press "Übernehmen" at the same moment, each through another process. Nothing may be
lost or doubled: the replies, the claims, the notes, the claim notices, the relayed messages, the outbox.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import create_engine, select, text

from bench.load import event_of  # one way to turn a scripted step into an event, for bench and test
from bot.adapters.telegram.rendering import split_text
from bot.adapters.telegram.webhook import SECRET_HEADER
from bot.bootstrap import bootstrap, conversation_service
from bot.db.engine import normalize_url
from bot.db.orm import CaseRow, LotseRow, OutboxRow
from bot.settings import Settings
from tests.conftest import POSTGRES_URL
from tests.fakes import FakeBotApi, buttons_of
from tests.fakes.splitter import WebhookSplitter

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(POSTGRES_URL is None, reason="set TEST_POSTGRES_URL to run on PostgreSQL (.ci/run does)"),
]

ROOT = Path(__file__).resolve().parents[2]
SECRET = "multiprocess-test-secret"
GROUP = -1005555
AYLIN, JONAS = 901, 902
STEP_TIMEOUT = 15.0

Step = tuple[str, str]  # ("cmd" | "text", what is written) or ("btn", callback data on the newest message)
SCRIPTS: list[tuple[str, list[Step]]] = [
    ("de", [("cmd", "/start"), ("btn", "lang:de"), ("btn", "consent:yes"), ("btn", "age:3"),
            ("btn", "net:ludwigsburg"), ("btn", "d:lb-eglosheim"), ("btn", "need:childcare")]),
    ("ar", [("cmd", "/start"), ("text", "ابني عمره ٤ سنوات ونحن في إيغلوسهايم ونحتاج روضة"), ("btn", "consent:yes")]),
    ("tr", [("cmd", "/start d-eglosheim_l-tr"), ("btn", "consent:yes"), ("btn", "age:1"), ("btn", "need:childcare")]),
    ("uk", [("cmd", "/start"), ("btn", "lang:uk"), ("btn", "consent:yes"),
            ("text", "Моїй доньці 2 роки, ми живемо в Есслінгені, потрібен дитячий садок")]),
]  # fmt: skip
HANDOVER: list[Step] = [("cmd", "/lotse"), ("btn", "handover:yes"), ("btn", "when:evening")]


def expected_texts(tmp: Path, language: str, steps: list[Step]) -> list[list[str]]:
    """The texts each step must bring, from the same steps through ConversationService in this process."""
    app = bootstrap(Settings(database_url=f"sqlite:///{tmp / f'dry-{language}-{len(steps)}.db'}", lotsen_chat_id=GROUP))
    service = conversation_service(app)
    texts = [
        [part for reply in service.handle("telegram:1", event_of(step, language)).replies for part in
         split_text(reply.text or "…")]
        for step in steps
    ]  # fmt: skip
    app.engine.dispose()
    return texts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def database() -> Iterator[str]:
    """The PostgreSQL test database, wiped, migrated, with the example offers and two registered Lotsen."""
    assert POSTGRES_URL
    engine = create_engine(normalize_url(POSTGRES_URL))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    app = bootstrap(Settings(database_url=POSTGRES_URL))  # migrated once, before any bot process starts
    with app.uow() as session:
        session.add_all(
            [LotseRow(telegram_user_id=AYLIN, name="Aylin"), LotseRow(telegram_user_id=JONAS, name="Jonas")]
        )
    app.engine.dispose()
    yield POSTGRES_URL


@pytest.fixture
async def two_bots(database: str, tmp_path: Path) -> AsyncIterator[tuple[FakeBotApi, WebhookSplitter]]:
    ports = [free_port(), free_port()]
    async with (
        FakeBotApi(webhook_connections=20) as api,
        WebhookSplitter([f"http://127.0.0.1:{port}/telegram" for port in ports]) as splitter,
    ):
        processes = []
        for number, port in enumerate(ports):
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": api.token,
                "TELEGRAM_API_BASE_URL": api.base_url,
                "DATABASE_URL": database,
                "WEBHOOK_URL": splitter.url,
                "WEBHOOK_SECRET": SECRET,
                "WEBHOOK_PORT": str(port),
                "LOTSEN_CHAT_ID": str(GROUP),
                "BOT_PROCESSES": "2",
                # Telegram's 20 messages a minute per group would make the notes, note edits and relays to the
                # one Lotsen group take half a minute; bench/load.py measures the limiter, this test consistency.
                "RATE_LIMITER": "off",
                "PYTHONPATH": str(ROOT),
            }
            log = (tmp_path / f"bot-{number}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT
                )
            )
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
        for number in range(2):  # a crash or a traceback in either process fails the test with its log
            output = (tmp_path / f"bot-{number}.log").read_text()
            assert "Traceback" not in output, output[-3000:]


async def family(api: FakeBotApi, chat: int, language: str, steps: list[Step], texts: list[list[str]],
                 quick_start: bool) -> None:  # fmt: skip
    """Plays the steps, each after the previous step's replies; `quick_start` sends the first two at once."""
    index = 0
    if quick_start:  # two updates in a row, handled by different processes: still in order
        api.user_sends_text(chat, steps[0][1], language)
        api.user_sends_text(chat, steps[1][1], language)
        await api.wait_for_count(chat, len(texts[0]) + len(texts[1]), STEP_TIMEOUT)
        index = 2
    for (kind, value), step_texts in zip(steps[index:], texts[index:], strict=True):
        before = api.sent_count(chat)
        if kind == "btn":
            api.user_presses(chat, value, api.last_message(chat)["message_id"], language)
        else:
            api.user_sends_text(chat, value, language)
        await api.wait_for_count(chat, before + len(step_texts), STEP_TIMEOUT)


def claim_update(update_id: int, note: dict[str, Any], user_id: int, case_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"claim-{update_id}",
            "from": {"id": user_id, "is_bot": False, "first_name": "Lotse", "language_code": "de"},
            "chat_instance": f"instance-{GROUP}",
            "message": note,
            "data": f"claim:{case_id}",
        },
    }


async def until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_two_processes_keep_every_conversation_claim_and_outbox_message_exactly_once(
    two_bots: tuple[FakeBotApi, WebhookSplitter], database: str, tmp_path: Path
) -> None:
    api, splitter = two_bots
    families = []
    for number in range(20):
        language, steps = SCRIPTS[number % len(SCRIPTS)]
        handover = number % 5 == 0  # four families ask for a Lotse
        steps = steps + (HANDOVER if handover else [])
        families.append((9000 + number, language, steps, handover, number % 4 == 1))  # the Arabic ones: quick start
    expected: dict[tuple[str, int], list[list[str]]] = {}
    for _, lang, steps, _, _ in families:
        if (lang, len(steps)) not in expected:  # each dry run on its own fresh database
            expected[(lang, len(steps))] = expected_texts(tmp_path, lang, steps)

    await asyncio.gather(
        *(
            family(api, chat, lang, steps, expected[(lang, len(steps))], quick)
            for chat, lang, steps, _, quick in families
        )
    )

    # Every family got exactly its replies, in order: no step lost, none doubled, none answered out of turn.
    for chat, lang, steps, _handover, _ in families:
        want = [t for step in expected[(lang, len(steps))] for t in step]
        assert [m["text"] for m in api.sent_to(chat)][: len(want)] == want, f"chat {chat}"
    assert all(count > 0 for count in splitter.forwarded)  # both processes served

    # Each case's note reaches the group once; two Lotsen press "Übernehmen" at once, through both processes.
    handover_chats = [chat for chat, _, _, handover, _ in families if handover]
    await api.wait_for_messages(GROUP, len(handover_chats), timeout=STEP_TIMEOUT)
    notes = {int(buttons_of(m)[0]["callback_data"].split(":")[1]): m for m in api.sent_to(GROUP) if buttons_of(m)}
    assert len(notes) == len(handover_chats) == len(api.sent_to(GROUP))
    async with aiohttp.ClientSession(headers={SECRET_HEADER: SECRET}) as session:

        async def press(backend: str, update: dict[str, Any]) -> int:
            async with session.post(backend, json=update) as response:
                return response.status

        for case_id, note in notes.items():
            statuses = await asyncio.gather(
                press(splitter.backends[0], claim_update(100_000 + 2 * case_id, note, AYLIN, case_id)),
                press(splitter.backends[1], claim_update(100_001 + 2 * case_id, note, JONAS, case_id)),
            )
            assert statuses == [200, 200]

    def claim_answers() -> list[str]:
        calls = api.calls_to("answerCallbackQuery")
        return [c.params.get("text", "") for c in calls if str(c.params.get("callback_query_id")).startswith("claim-")]

    await until(lambda: len(claim_answers()) >= 2 * len(notes), STEP_TIMEOUT, "both answers to every claim")
    claim_texts = claim_answers()
    assert Counter("gehört jetzt dir" in a for a in claim_texts) == {True: len(notes), False: len(notes)}

    # The claim notice reaches each family once; a Lotse's answer and the family's reply are relayed once.
    engine = create_engine(normalize_url(database))
    with engine.connect() as connection:
        cases = connection.execute(select(CaseRow.id, CaseRow.family_chat_id, CaseRow.claimed_by)).all()
    assert sorted(chat for _, chat, _ in cases) == sorted(handover_chats)
    assert all(claimed_by is not None for _, _, claimed_by in cases)
    winners = {}
    for case_id, chat, _ in cases:
        await until(
            lambda chat=chat: any("Aylin" in m["text"] or "Jonas" in m["text"] for m in api.sent_to(chat)),
            STEP_TIMEOUT,
            f"the claim notice to {chat}",
        )
        winners[case_id] = AYLIN if any("Aylin" in m["text"] for m in api.sent_to(chat)) else JONAS
        api.user_replies(GROUP, f"Hallo Familie {case_id}, ich rufe morgen an.", notes[case_id]["message_id"],
                         winners[case_id])  # fmt: skip
    for case_id, chat, _ in cases:
        relayed = f"Hallo Familie {case_id},"
        await until(lambda c=chat, r=relayed: any(r in m["text"] for m in api.sent_to(c)), STEP_TIMEOUT, "the relay")
        api.user_sends_text(chat, f"Danke von Familie {case_id}", "de")
    await until(
        lambda: sum("Danke von Familie" in m["text"] for m in api.sent_to(GROUP)) >= len(cases), STEP_TIMEOUT, "relays"
    )
    await asyncio.sleep(1.5)  # time for a doubled outbox message to show

    for case_id, chat, _ in cases:
        family_texts = [m["text"] for m in api.sent_to(chat)]
        assert sum("Aylin" in t or "Jonas" in t for t in family_texts if "Hallo Familie" not in t) == 1
        assert sum(f"Hallo Familie {case_id}," in t for t in family_texts) == 1
        assert sum(f"Danke von Familie {case_id}" in m["text"] for m in api.sent_to(GROUP)) == 1
    edits: dict[int, list[str]] = {}
    for call in api.calls_to("editMessageText"):
        if call.status == 200:
            edits.setdefault(int(call.params["message_id"]), []).append(call.params["text"])
    assert set(edits) == {note["message_id"] for note in notes.values()}
    for texts in edits.values():
        # the claim, and the family's contact time when it came after the note left: each edit once, none doubled
        assert len(texts) == len(set(texts)) <= 2, texts
        assert sum(("Aylin" in t or "Jonas" in t) and t == texts[-1] for t in texts) == 1, texts  # shows its Lotse
    with engine.connect() as connection:
        unsent = connection.execute(select(OutboxRow.id).where(OutboxRow.sent_at.is_(None))).all()
    engine.dispose()
    assert unsent == []
