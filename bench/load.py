"""Load benchmark: hundreds to thousands of families at once against real bot processes in webhook mode.

    .venv/bin/python -m bench.load [--families 1000] [--db sqlite|postgres|both] [--processes 1|2]
                                   [--rate-limiter on|off] [--arrival-rate 100] [--think 0]

One process (this one) runs the FakeBotApi (tests/fakes) on loopback, for 2+ bot processes a small splitter
standing in for nginx (tests/fakes/splitter.py), and the simulated families; the bot runs as real
`python -m bot run` subprocesses in webhook mode on a fresh database. Families arrive at --arrival-rate per
second, each plays a whole scripted conversation (de/tr/ar/uk/ru/en, buttons and free text, ~10 % ask for a
Lotse), sending each step once the previous step's replies arrived (plus --think seconds).

Measured: updates per second, latency from an update's creation at the fake Bot API to the first and to the
last reply of that step (p50/p95/p99), peak RSS of the bot processes and RSS growth per open conversation,
bot CPU seconds per update; with the rate limiter on, the bot's outgoing traffic against Telegram's limits
(30/s per bot, 20/min per group, ~1/s per chat) and how long the last family waited. Every reply is checked
against a dry run of the same scripts through ConversationService (none lost, none doubled, same texts),
every case's note reaches the group exactly once, and no outbox row is left unsent.

Prints a Markdown table and writes all figures to bench/results/load-<db>-<processes>p-<limiter>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from bot.adapters.telegram.rendering import split_text
from bot.bootstrap import bootstrap, conversation_service
from bot.conversation import ButtonPressed, Command, Event, Text
from bot.db.engine import normalize_url
from bot.db.orm import CaseRow, ConversationRow, OutboxRow
from bot.settings import Settings
from tests.fakes import FakeBotApi
from tests.fakes.splitter import WebhookSplitter

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_POSTGRES = "postgresql://familienlotse:familienlotse@localhost/familienlotse_load"
LOTSEN_GROUP = -1009999
SECRET = "load-benchmark-secret"
FIRST_CHAT = 7_000_000
WARMUP_FAMILIES = 20
STEP_TIMEOUT = 600.0  # a step may wait this long behind Telegram's limits before the family gives up
TARGET_UPDATES_PER_S = 300
TARGET_P99_MS = 100
TARGET_BYTES_PER_CONVERSATION = 50 * 1024

# A step: ("cmd" | "text", what the family writes) or ("btn", the callback data of a button on the last message).
Step = tuple[str, str]
SCRIPTS: dict[str, tuple[str, list[Step]]] = {
    "de-buttons": (
        "de",
        [
            ("cmd", "/start"),
            ("btn", "lang:de"),
            ("btn", "consent:yes"),
            ("btn", "age:3"),
            ("btn", "net:ludwigsburg"),
            ("btn", "d:lb-eglosheim"),
            ("btn", "need:childcare"),
        ],
    ),
    "de-text": (
        "de",
        [
            ("cmd", "/start"),
            ("btn", "lang:de"),
            ("btn", "consent:yes"),
            ("text", "mein 4-jähriger in Eglosheim braucht Kita"),
        ],
    ),
    "tr-deeplink": (
        "de",
        [("cmd", "/start d-eglosheim_l-tr"), ("btn", "consent:yes"), ("btn", "age:1"), ("btn", "need:childcare")],
    ),
    "tr-buttons": (
        "tr",
        [
            ("cmd", "/start"),
            ("btn", "lang:tr"),
            ("btn", "consent:yes"),
            ("btn", "age:6"),
            ("btn", "net:esslingen"),
            ("text", "Esslingen"),
            ("btn", "need:school"),
        ],
    ),
    "ar-text": (
        "ar",
        [("cmd", "/start"), ("text", "ابني عمره ٤ سنوات ونحن في إيغلوسهايم ونحتاج روضة"), ("btn", "consent:yes")],
    ),
    "uk-text": (
        "uk",
        [
            ("cmd", "/start"),
            ("btn", "lang:uk"),
            ("btn", "consent:yes"),
            ("text", "Моїй доньці 2 роки, ми живемо в Есслінгені, потрібен дитячий садок"),
        ],
    ),
    "ru-mixed": (
        "ru",
        [
            ("cmd", "/start"),
            ("btn", "lang:ru"),
            ("btn", "consent:yes"),
            ("text", "сыну 5 лет, Веймар, нужна помощь с деньгами"),
            ("btn", "net:weimar"),
        ],
    ),
    "en-text": (
        "en",
        [("cmd", "/start"), ("btn", "lang:en"), ("btn", "consent:yes"), ("text", "my son is 3, Oststadt, daycare")],
    ),
}
HANDOVER_STEPS: list[Step] = [("cmd", "/lotse"), ("btn", "handover:yes"), ("btn", "when:evening")]


@dataclass(frozen=True)
class Plan:
    """One family: which script, whether it asks for a Lotse, and the texts it must receive per step."""

    chat_id: int
    language: str
    steps: list[Step]
    expected: list[list[str]]  # per step, the texts of the bot's messages, in order
    handover: bool


def event_of(step: Step, language: str) -> Event:
    kind, value = step
    if kind == "cmd":
        name, _, payload = value.removeprefix("/").partition(" ")
        return Command(name, payload, language)
    return ButtonPressed(value) if kind == "btn" else Text(value)


def dry_run(workdir: Path) -> dict[tuple[str, bool], list[list[str]]]:
    """Every script once through ConversationService in this process: the texts each step must produce."""
    app = bootstrap(Settings(database_url=f"sqlite:///{workdir / 'dry.db'}", lotsen_chat_id=LOTSEN_GROUP))
    service = conversation_service(app)
    expected: dict[tuple[str, bool], list[list[str]]] = {}
    for number, (name, (language, steps)) in enumerate(SCRIPTS.items()):
        for handover in (False, True):
            key = f"telegram:{number * 2 + handover + 1}"
            texts_per_step = []
            for step in steps + (HANDOVER_STEPS if handover else []):
                outcome = service.handle(key, event_of(step, language))
                texts_per_step.append([part for reply in outcome.replies for part in split_text(reply.text or "…")])
            expected[(name, handover)] = texts_per_step
    app.engine.dispose()
    return expected


def plans(count: int, handover_share: float, expected: dict[tuple[str, bool], list[list[str]]]) -> list[Plan]:
    rng = random.Random(20261121)
    names = list(SCRIPTS)
    result = []
    for number in range(count):
        name = names[number % len(names)]
        language, steps = SCRIPTS[name]
        handover = rng.random() < handover_share
        all_steps = steps + (HANDOVER_STEPS if handover else [])
        result.append(Plan(FIRST_CHAT + number, language, all_steps, expected[(name, handover)], handover))
    return result


# ---------------------------------------------------------------- database and bot processes


def fresh_database(kind: str, workdir: Path, postgres_url: str) -> str:
    """A new database with the migrations and the example offers, ready before any bot process starts."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'load.db'}"
    else:
        url = postgres_url
        engine = create_engine(normalize_url(url))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    bootstrap(Settings(database_url=url)).engine.dispose()
    return url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    def status(self, field_name: str) -> int:
        """A /proc/<pid>/status memory figure in bytes (VmRSS now, VmHWM the peak)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024
        return 0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def start_bot(api: FakeBotApi, database_url: str, webhook_url: str, port: int, processes: int, limiter: bool,
              workdir: Path, number: int) -> BotProcess:  # fmt: skip
    """One `python -m bot run` in webhook mode; WEBHOOK_URL is the splitter's when there is one."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": database_url,
        "WEBHOOK_URL": webhook_url or f"http://127.0.0.1:{port}/telegram",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_PORT": str(port),
        "LOTSEN_CHAT_ID": str(LOTSEN_GROUP),
        "BOT_PROCESSES": str(processes),
        "RATE_LIMITER": "on" if limiter else "off",
        "PYTHONPATH": str(ROOT),
    }
    log = workdir / f"bot-{number}.log"
    process = subprocess.Popen(  # the working directory has no .env, so only these settings count
        [sys.executable, "-m", "bot", "run"], cwd=workdir, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    return BotProcess(process, port, log)


def stop_bots(bots: list[BotProcess]) -> None:
    for bot in bots:
        if bot.process.poll() is None:
            bot.process.send_signal(signal.SIGTERM)
    for bot in bots:
        try:
            bot.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            bot.process.kill()


# ---------------------------------------------------------------- the families


@dataclass
class Run:
    api: FakeBotApi
    think: float
    first_latency: list[float] = field(default_factory=list)  # seconds, per step
    last_latency: list[float] = field(default_factory=list)
    family_wait: dict[int, float] = field(default_factory=dict)  # chat -> summed waiting over its steps
    family_span: dict[int, tuple[float, float]] = field(default_factory=dict)  # chat -> (first update, last reply)
    failures: list[str] = field(default_factory=list)
    open_now: int = 0
    open_peak: int = 0
    updates: int = 0


async def family(run: Run, plan: Plan, start_at: float, record: bool) -> None:
    api = run.api
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    run.open_now += 1
    run.open_peak = max(run.open_peak, run.open_now)
    waited = 0.0
    first = last = 0.0
    try:
        for number, (step, texts) in enumerate(zip(plan.steps, plan.expected, strict=True)):
            before = api.sent_count(plan.chat_id)
            kind, value = step
            if kind == "btn":
                message_id = api.last_message(plan.chat_id)["message_id"]
                update = api.user_presses(plan.chat_id, value, message_id, plan.language)
            else:
                update = api.user_sends_text(plan.chat_id, value, plan.language)
            run.updates += 1
            made = api.received_at[update["update_id"]]
            first = first or made
            try:
                await api.wait_for_count(plan.chat_id, before + len(texts), STEP_TIMEOUT)
            except AssertionError:
                run.failures.append(f"chat {plan.chat_id}: step {number} {step} got no (complete) answer")
                return
            times = api.sent_times(plan.chat_id)
            last = times[before + len(texts) - 1]
            waited += last - made
            if record:
                run.first_latency.append(times[before] - made)
                run.last_latency.append(last - made)
            if run.think:
                await asyncio.sleep(run.think)
        if record:
            run.family_wait[plan.chat_id] = waited
            run.family_span[plan.chat_id] = (first, last)
    finally:
        run.open_now -= 1


def check_replies(api: FakeBotApi, plans_: list[Plan], outbox_to: dict[int, int]) -> list[str]:
    """Every expected text arrived, in order, and nothing else but the outbox's own messages to the family."""
    problems = []
    for plan in plans_:
        got = [m.get("text", "") for m in api.sent_to(plan.chat_id)]
        want = [t for step in plan.expected for t in step]
        position = 0
        for message in got:
            if position < len(want) and message == want[position]:
                position += 1
        if position < len(want):
            problems.append(f"chat {plan.chat_id}: expected reply {position} missing or out of order")
        elif len(got) != len(want) + outbox_to.get(plan.chat_id, 0):
            problems.append(f"chat {plan.chat_id}: {len(got)} messages, expected {len(want)} + outbox")
    return problems


# ---------------------------------------------------------------- figures


def percentiles_ms(samples: list[float]) -> dict[str, float]:
    if len(samples) < 2:
        return {"n": len(samples)}
    cuts = statistics.quantiles([s * 1000 for s in samples], n=100, method="inclusive")
    return {"n": len(samples), "p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(samples) * 1000}


def max_in_window(times: list[float], window: float) -> int:
    """The most events in any window of `window` seconds (sliding; times sorted)."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


# Requests that put something into a chat; answerCallbackQuery and the like carry no chat_id.
MESSAGE_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendVoice", "sendChatAction"})


def traffic(api: FakeBotApi, since: float) -> dict[str, Any]:
    sends = [(t, chat) for t, method, chat in api.requests if method in MESSAGE_METHODS and t >= since and chat]
    all_times = sorted(t for t, _ in sends)
    per_chat: dict[int, list[float]] = defaultdict(list)
    for t, chat in sends:
        per_chat[chat].append(t)
    private = [sorted(times) for chat, times in per_chat.items() if chat > 0]
    groups = {chat: sorted(times) for chat, times in per_chat.items() if chat < 0}
    return {
        "messages": len(sends),
        "global_max_per_1s": max_in_window(all_times, 1.0),
        "global_max_per_10s_avg": max_in_window(all_times, 10.0) / 10,
        "chat_max_per_1s": max((max_in_window(t, 1.0) for t in private), default=0),
        "chat_max_per_10s_avg": max((max_in_window(t, 10.0) for t in private), default=0) / 10,
        "group_max_per_60s": max((max_in_window(t, 60.0) for t in groups.values()), default=0),
        "group_messages": sum(len(t) for t in groups.values()),
    }


def database_checks(url: str, plans_: list[Plan]) -> tuple[dict[str, Any], dict[int, int]]:
    engine = create_engine(normalize_url(url))
    with engine.connect() as connection:
        conversations = connection.scalar(select(func.count()).select_from(ConversationRow))
        cases = connection.execute(select(CaseRow.id)).scalars().all()
        unsent = connection.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.sent_at.is_(None)))
        to_families = connection.execute(
            select(OutboxRow.chat_id, func.count()).where(OutboxRow.chat_id > 0).group_by(OutboxRow.chat_id)
        ).all()
    engine.dispose()
    return (
        {
            "conversations": conversations,
            "cases": len(cases),
            "expected_cases": sum(p.handover for p in plans_),
            "case_ids": sorted(cases),
            "outbox_unsent": unsent,
        },
        {chat: count for chat, count in to_families},
    )


def notes_per_case(api: FakeBotApi) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for call in api.calls_to("sendMessage"):
        if call.status == 200 and int(call.params.get("chat_id", 0)) == LOTSEN_GROUP:
            for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if str(button.get("callback_data", "")).startswith("claim:"):
                        counts[int(button["callback_data"].split(":")[1])] += 1
    return counts


# ---------------------------------------------------------------- one run


async def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def run_once(args: argparse.Namespace, db: str, workdir: Path) -> dict[str, Any]:
    limiter = args.rate_limiter == "on"
    expected = dry_run(workdir)
    url = fresh_database(db, workdir, args.postgres_url)
    family_plans = plans(args.families + WARMUP_FAMILIES, args.handover_share, expected)
    warmup, measured = family_plans[:WARMUP_FAMILIES], family_plans[WARMUP_FAMILIES:]
    bots: list[BotProcess] = []
    async with contextlib.AsyncExitStack() as stack:
        api = await stack.enter_async_context(FakeBotApi(webhook_connections=args.webhook_connections))
        ports = [free_port() for _ in range(args.processes)]
        splitter = None
        if args.processes > 1:
            splitter = await stack.enter_async_context(
                WebhookSplitter([f"http://127.0.0.1:{port}/telegram" for port in ports])
            )
        try:
            for number, port in enumerate(ports):
                webhook = splitter.url if splitter else ""
                bots.append(start_bot(api, url, webhook, port, args.processes, limiter, workdir, number))
            await wait_until(lambda: len(api.calls_to("setWebhook")) >= args.processes, 60, "the bots' setWebhook")
            for bot in bots:
                if bot.process.poll() is not None:
                    raise RuntimeError(f"bot process ended at start; see {bot.log}")

            run = Run(api, args.think)
            await asyncio.gather(*(family(run, p, time.monotonic() + i * 0.02, False) for i, p in enumerate(warmup)))
            await asyncio.sleep(1.0)
            baseline_rss = sum(bot.status("VmRSS") for bot in bots)
            cpu_before = sum(bot.cpu_seconds() for bot in bots)
            run.updates = 0
            rss_peak = baseline_rss

            async def sample_memory() -> None:
                nonlocal rss_peak
                while True:
                    rss_peak = max(rss_peak, sum(bot.status("VmRSS") for bot in bots))
                    await asyncio.sleep(0.2)

            sampler = asyncio.create_task(sample_memory())
            started = time.monotonic()
            spacing = 1.0 / args.arrival_rate if args.arrival_rate > 0 else 0.0
            await asyncio.gather(*(family(run, p, started + i * spacing, True) for i, p in enumerate(measured)))
            finished = time.monotonic()
            sampler.cancel()
            cpu_used = sum(bot.cpu_seconds() for bot in bots) - cpu_before
            peak_hwm = sum(bot.status("VmHWM") for bot in bots)
            # The outbox (notes to the group) may still be draining at Telegram's 20 per minute.
            handovers = sum(p.handover for p in family_plans)
            drain = 60 + (handovers * 3 * args.processes if limiter else 0)
            with contextlib.suppress(RuntimeError):
                await wait_until(lambda: sum(notes_per_case(api).values()) >= handovers, drain, "the notes")
            await asyncio.sleep(1.5)  # a last outbox round (and any double send) has time to show
            notes_done = time.monotonic()
        finally:
            stop_bots(bots)
        checks, outbox_to = database_checks(url, family_plans)
        problems = run.failures + check_replies(api, family_plans, outbox_to)
        notes = notes_per_case(api)
        note_counts = [notes.get(case, 0) for case in checks.pop("case_ids")]
        spans = list(run.family_span.values())
        last_family = max(run.family_span, key=lambda chat: run.family_span[chat][0]) if spans else None
        result = {
            "db": db,
            "processes": args.processes,
            "rate_limiter": args.rate_limiter,
            "families": args.families,
            "arrival_rate": args.arrival_rate,
            "think_s": args.think,
            "webhook_connections": args.webhook_connections,
            "updates": run.updates,
            "duration_s": finished - started,
            "updates_per_s": run.updates / (finished - started),
            "latency_first_ms": percentiles_ms(run.first_latency),
            "latency_last_ms": percentiles_ms(run.last_latency),
            "open_conversations_peak": run.open_peak,
            "bot_rss_baseline_mb": baseline_rss / 2**20,
            "bot_rss_peak_mb": rss_peak / 2**20,
            "bot_vmhwm_mb": peak_hwm / 2**20,
            "bytes_per_open_conversation": max(0, rss_peak - baseline_rss) / max(1, run.open_peak),
            "bot_cpu_s": cpu_used,
            "bot_cpu_ms_per_update": 1000 * cpu_used / max(1, run.updates),
            "last_family_wait_s": run.family_wait.get(last_family, 0.0) if last_family else None,
            "last_family_done_after_s": (run.family_span[last_family][1] - started) if last_family else None,
            "longest_family_wait_s": max(run.family_wait.values(), default=0.0),
            "notes_done_after_s": notes_done - started,
            "traffic": traffic(api, started),
            "cases": checks["cases"],
            "expected_cases": checks["expected_cases"],
            "notes_exactly_once": all(count == 1 for count in note_counts),
            "notes_doubled": sum(count > 1 for count in note_counts),
            "notes_missing": sum(count == 0 for count in note_counts),
            "outbox_unsent": checks["outbox_unsent"],
            "conversations": checks["conversations"],
            "problems": len(problems),
            "problem_examples": problems[:10],
            "webhook_deliveries_not_200": sum(s != 200 for s in (api.webhook.deliveries if api.webhook else [])),
            "splitter_forwarded": splitter.forwarded if splitter else None,
        }
    return result


# ---------------------------------------------------------------- output


def row(r: dict[str, Any]) -> str:
    first, last, t = r["latency_first_ms"], r["latency_last_ms"], r["traffic"]
    ok = "yes" if r["problems"] == 0 and r["notes_exactly_once"] and r["outbox_unsent"] == 0 else "**NO**"
    return (
        f"| {r['db']} | {r['processes']} | {r['rate_limiter']} | {r['families']:,} | {r['arrival_rate']:g}/s "
        f"| {r['updates_per_s']:.0f} | {first.get('p50', 0):.0f} / {first.get('p95', 0):.0f} / "
        f"{first.get('p99', 0):.0f} | {last.get('p99', 0):.0f} | {r['bot_rss_peak_mb']:.0f} "
        f"| {r['bytes_per_open_conversation'] / 1024:.1f} ({r['open_conversations_peak']:,}) "
        f"| {r['bot_cpu_ms_per_update']:.2f} | {t['global_max_per_1s']} / {t['group_max_per_60s']} "
        f"| {r['last_family_wait_s'] or 0:.1f} | {ok} |"
    )


HEADER = (
    "| db | proc | limiter | families | arrival | updates/s | reply p50 / p95 / p99 ms | last reply p99 ms "
    "| bot RSS MB | KB per open conv. (peak open) | CPU ms/update | max msgs 1 s / group 60 s "
    "| last family waits s | all replies, notes once, outbox empty |\n"
    "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
)


def machine() -> dict[str, Any]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "commit": commit.stdout.strip(),
        "when": time.strftime("%Y-%m-%d %H:%M"),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0] if __doc__ else "")
    p.add_argument("--families", type=int, default=1000, help="simulated families (up to 10,000)")
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--processes", type=int, default=1, help="bot processes (2+: behind the splitter)")
    p.add_argument("--rate-limiter", choices=("on", "off"), default="off")
    p.add_argument("--arrival-rate", type=float, default=100, help="new families per second (0: all at once)")
    p.add_argument("--think", type=float, default=0.0, help="seconds a family takes before each next step")
    p.add_argument("--handover-share", type=float, default=0.1)
    p.add_argument("--webhook-connections", type=int, default=40, help="Telegram's max_connections (default 40)")
    p.add_argument("--postgres-url", default=os.environ.get("LOAD_POSTGRES_URL", DEFAULT_POSTGRES))
    p.add_argument("--out", type=Path, help="JSON file (default bench/results/load-<db>-<n>p-<limiter>.json)")
    args = p.parse_args(argv)
    results = []
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        with tempfile.TemporaryDirectory(prefix="familienlotse-load-") as workdir:
            print(f"{db}: {args.families} families, {args.processes} process(es), limiter {args.rate_limiter} …",
                  file=sys.stderr)  # fmt: skip
            result = asyncio.run(run_once(args, db, Path(workdir)))
        result["machine"] = machine()
        results.append(result)
        out = args.out or RESULTS / f"load-{db}-{args.processes}p-{args.rate_limiter}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
        for problem in result["problem_examples"]:
            print("  problem:", problem, file=sys.stderr)
    print(HEADER)
    for result in results:
        print(row(result))
    return 0 if all(r["problems"] == 0 and r["notes_exactly_once"] and r["outbox_unsent"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
