"""Chaos benchmark: the real bot process, killed with SIGKILL again and again while Telegram misbehaves.

    .venv/bin/python -m bench.chaos [--small] [--mode polling|webhook|both] [--db sqlite|postgres|both]
                                    [--kills 40] [--families 6] [--seed 14]

This process runs the FakeBotApi (tests/fakes) on loopback, simulated families and two simulated Lotsen;
the bot runs as `python -m bot run` (long polling, or webhook mode with Telegram's redelivery: an update
not answered with 200 is pushed again a second later) on a fresh database. While the families talk, the
bot is killed with SIGKILL at random moments (every 1.5–6 s of its running time; `--kills` times) and
restarted at once, and Telegram answers in stretches with 429 (with its retry_after), 500, or late (1–6 s,
carried out at once as Telegram does). Each family plays a whole conversation (de/tr/ar/uk/ru/en, buttons
and typed text); half of them ask for a Lotse, wait for the claim, write three messages, get an answer to
each, and are closed with the outcome.

At the end every chat is counted against what it should show:
- family replies: the texts each step must produce (a dry run of the same scripts), as a multiset;
- relays: every family message in the Lotsen group once; Lotse replies: every answer in the family's chat
  once; notes: one per case (a second copy that was marked "Doppelt" counts as marked, not as a double);
  claim and closing notices: once per case.
`lost` is what is missing, `doubled` what is there more often than it should be. Prints a Markdown table
and writes the figures to bench/results/chaos-<mode>-<db>.json; exits 1 when anything was lost or doubled.
`--small` (CI: tests/e2e/test_chaos.py) makes two kills on SQLite in both modes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select

from bench.load import (
    DEFAULT_POSTGRES,
    HANDOVER_STEPS,
    ROOT,
    SCRIPTS,
    Step,
    event_of,
    free_port,
    fresh_database,
    machine,
)
from bot.adapters.telegram.rendering import VENUE_TITLE_LIMIT, split_text
from bot.bootstrap import bootstrap, conversation_service
from bot.conversation import Reply, Text, notices
from bot.db.engine import UnitOfWork, normalize_url
from bot.db.orm import CaseRow, LotseRow, OutboxRow
from bot.i18n import SUPPORTED, texts
from bot.settings import Settings
from tests.fakes import FakeBotApi, buttons_of

RESULTS = ROOT / "bench" / "results"
GROUP = -1009988
SECRET = "chaos-benchmark-secret"
FIRST_CHAT = 8_100_000
LOTSEN = {9101: "Aylin (Beispiel)", 9102: "Jonas (Beispiel)"}
RELAYS = 3  # messages a handed-over family writes to its Lotse
RELAY = "Rückfrage qx{chat}k{number}"  # letters and digits the understanding reads as nothing in particular
ANSWER = "Antwort lq{chat}k{number}"
TOKEN = re.compile(r"(?:qx|lq)\d+k\d+")
COPY_MARK = "🔁 Doppelt"
SMALL_KILLS = 2
NOTE_HEAD = re.compile(r"^(?:🆘[^\n]*\n)?Fall #(\d+) · ", re.M)


@dataclass(frozen=True)
class Plan:
    chat_id: int
    language: str
    steps: list[Step]
    expected: list[list[str]]  # per step, the texts of the bot's messages (a venue as "[venue] <title>")
    handover: bool


@dataclass
class Figures:
    """Per kind of message: expected, lost, doubled; a copy sent again because the bot was killed between
    Telegram's acceptance and its record (within KILL_WINDOW) is counted apart, as is a note copy marked
    "Doppelt"."""

    kills: list[float]
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, kind: str, expected: int, sent: list[tuple[float, float]], where: str, marked: int = 0) -> None:
        """`sent`: (accepted, answered) of every copy Telegram took."""
        counter = self.counts.setdefault(kind, Counter())
        counter["expected"] += expected
        counter["lost"] += max(0, expected - len(sent))
        times = sorted(sent)
        for extra in range(expected, len(times)):
            in_flight = [(accepted - KILL_LAG, answered + KILL_WINDOW) for accepted, answered in times[:extra]]
            if marked:
                marked -= 1
                counter["marked copies"] += 1
            elif any(start < kill <= end for start, end in in_flight for kill in self.kills):
                counter["copies after a kill"] += 1
            else:
                counter["doubled"] += 1
        if len(times) != expected and len(self.problems) < 40:
            self.problems.append(f"{where}: {kind} expected {expected}, sent {len(times)}")


# A send Telegram accepted and the bot had not recorded when SIGKILL came — its answer still on the way (a
# slow answer takes seconds) or just arrived — is sent again after the restart: the Bot API cannot be asked
# whether a message arrived. Such copies are counted apart when the kill came while the first copy's send
# was in flight or this soon after its answer (recording takes milliseconds; under load on 2 cores, more).
KILL_WINDOW = 0.5
# The fake runs in this process: a send the bot made just before the kill may be read a moment after it.
KILL_LAG = 0.1


def shown(message: dict[str, Any]) -> str:
    """A message as counted: its text, or "[venue] <title>" for a map pin."""
    if "venue" in message:
        return f"[venue] {message['venue']['title']}"
    return str(message.get("text", ""))


def reply_texts(replies: tuple[Reply, ...]) -> list[str]:
    said: list[str] = []
    for reply in replies:
        said += split_text(reply.text or "…")
        if reply.venue is not None:
            said.append(f"[venue] {reply.venue.title[:VENUE_TITLE_LIMIT]}")
    return said


def dry_run(workdir: Path) -> dict[tuple[str, bool], list[list[str]]]:
    """Every script once through ConversationService here: what each step must produce (relays included)."""
    app = bootstrap(Settings(database_url=f"sqlite:///{workdir / 'dry.db'}", lotsen_chat_id=GROUP))
    service = conversation_service(app)
    expected: dict[tuple[str, bool], list[list[str]]] = {}
    for number, (name, (language, steps)) in enumerate(SCRIPTS.items()):
        for handover in (False, True):
            chat = number * 2 + handover + 1
            per_step = [reply_texts(service.handle(f"telegram:{chat}", event_of(s, language)).replies) for s in steps]
            if handover:
                per_step += [reply_texts(service.handle(f"telegram:{chat}", event_of(s, language)).replies)
                             for s in HANDOVER_STEPS]  # fmt: skip
                for relay in range(RELAYS):
                    text = RELAY.format(chat=chat, number=relay)
                    per_step.append(reply_texts(service.handle(f"telegram:{chat}", Text(text)).replies))
            expected[(name, handover)] = per_step
    app.engine.dispose()
    return expected


def make_plan(number: int, rng: random.Random, expected: dict[tuple[str, bool], list[list[str]]]) -> Plan:
    """The `number`th family: the scripts in turn; every other one (and a fifth of the rest) hands over."""
    names = list(SCRIPTS)
    name = names[number % len(names)]
    language, steps = SCRIPTS[name]
    handover = number % 2 == 0 or rng.random() < 0.2
    chat = FIRST_CHAT + number
    relays: list[Step] = [("text", RELAY.format(chat=chat, number=k)) for k in range(RELAYS)]
    return Plan(
        chat, language, steps + (HANDOVER_STEPS + relays if handover else []), expected[(name, handover)], handover
    )


# ---------------------------------------------------------------- the bot process, killed and restarted


class Bot:
    """`python -m bot run`, started, killed with SIGKILL and started again; one log for all its lives."""

    def __init__(self, api: FakeBotApi, database_url: str, mode: str, workdir: Path) -> None:
        self.api, self.mode, self.workdir = api, mode, workdir
        self.port = free_port()
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATABASE_URL": database_url,
            "LOTSEN_CHAT_ID": str(GROUP),
            "RATE_LIMITER": "off",  # the fake has no limits; its injected 429s are what the bot must honour
            "PYTHONPATH": str(ROOT),
        }
        self.env.pop("WEBHOOK_URL", None)
        if mode == "webhook":
            self.env |= {
                "WEBHOOK_URL": f"http://127.0.0.1:{self.port}/telegram",
                "WEBHOOK_SECRET": SECRET,
                "WEBHOOK_PORT": str(self.port),
            }
        self.log = workdir / f"bot-{mode}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self.kill_times: list[float] = []
        self.starts = 0
        self._ready_mark = 0

    def start(self) -> None:
        self._ready_mark = len(self.api.calls)
        with self.log.open("ab") as log:  # the working directory has no .env: only these settings count
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"], cwd=self.workdir, env=self.env, stdout=log, stderr=log
            )
        self.starts += 1

    def ready(self) -> bool:
        """Serving: polling asked for updates, or the webhook was set, since this start."""
        wanted = "getUpdates" if self.mode == "polling" else "setWebhook"
        return any(call.method == wanted for call in self.api.calls[self._ready_mark :])

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.kills += 1
            self.kill_times.append(time.monotonic())

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.returncode

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


async def chaos_monkey(bot: Bot, kills: int, rng: random.Random, done: asyncio.Event) -> None:
    """Kills the bot at random moments of its running time and starts it again at once."""
    while bot.kills < kills:
        started = time.monotonic()
        while not bot.ready():
            if not bot.alive():
                raise RuntimeError(f"the bot process ended by itself; see {bot.log}")
            if time.monotonic() - started > 60:
                raise RuntimeError(f"the bot did not start within 60 s; see {bot.log}")
            await asyncio.sleep(0.05)
        # a third of the kills come soon after the start (catching restarts and the messages left over)
        await asyncio.sleep(rng.uniform(0.3, 1.5) if rng.random() < 0.33 else rng.uniform(1.5, 6.0))
        bot.kill()
        bot.start()
    done.set()


async def bad_telegram(api: FakeBotApi, rng: random.Random, until: asyncio.Event, mode: str) -> dict[str, int]:
    """Stretches of 429 (with retry_after), 500 and late answers, now and then, on the calls the bot makes."""
    made: Counter[str] = Counter()
    methods = ["sendMessage", "sendMessage", "sendMessage", "editMessageText", "answerCallbackQuery"]
    if mode == "polling":
        methods.append("getUpdates")
    while not until.is_set():
        await asyncio.sleep(rng.uniform(2.0, 6.0))
        method, kind = rng.choice(methods), rng.random()
        if kind < 0.35:
            api.fail_for(method, rng.uniform(1.0, 5.0), status=500)
            made["500"] += 1
        elif kind < 0.7 and method != "getUpdates":
            api.fail_for(method, rng.uniform(1.0, 4.0), status=429, retry_after=rng.randint(1, 3))
            made["429"] += 1
        elif method != "getUpdates":
            api.slow_next(method, rng.uniform(1.0, 6.0), times=rng.randint(1, 4))
            made["slow"] += 1
    return dict(made)


# ---------------------------------------------------------------- families and Lotsen


@dataclass
class World:
    api: FakeBotApi
    step_timeout: float
    stuck: list[str] = field(default_factory=list)
    claimed: set[int] = field(default_factory=set)  # cases a Lotse pressed "Übernehmen" for
    answered: set[str] = field(default_factory=set)  # relay tokens a Lotse answered
    closing: set[int] = field(default_factory=set)


def chat_texts(api: FakeBotApi, chat_id: int) -> Counter[str]:
    return Counter(shown(m) for m in api.sent_to(chat_id))


async def wait_for(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


# The family's language is not always its script's (a deep link sets it): the notices in every language.
CLAIM_NOTICES = {texts(code)._(notices.CLAIMED, name=name) for code in SUPPORTED for name in LOTSEN.values()}
CLOSING_NOTICES = {texts(code)._(notices.CLOSED) for code in SUPPORTED}


async def family(world: World, plan: Plan) -> None:
    """Plays one family: each step once the replies to everything before it arrived."""
    api, wanted = world.api, Counter[str]()
    for number, (step, replies) in enumerate(zip(plan.steps, plan.expected, strict=True)):
        first_relay = step == ("text", RELAY.format(chat=plan.chat_id, number=0))
        if first_relay and not await wait_for(  # after the handover: the family waits for its Lotse
            lambda: any(chat_texts(api, plan.chat_id)[n] for n in CLAIM_NOTICES), world.step_timeout
        ):
            world.stuck.append(f"chat {plan.chat_id}: no claim notice")
            return
        kind, value = step
        if kind == "btn":
            messages = api.sent_to(plan.chat_id)
            with_button = [m for m in messages if any(b["callback_data"] == value for b in buttons_of(m))]
            target = (with_button or messages)[-1]["message_id"] if messages else 1
            api.user_presses(plan.chat_id, value, target, plan.language)
        else:
            api.user_sends_text(plan.chat_id, value, plan.language)
        wanted += Counter(replies)
        if not await wait_for(lambda w=wanted: not (w - chat_texts(api, plan.chat_id)), world.step_timeout):
            world.stuck.append(f"chat {plan.chat_id}: step {number} {step} got no (complete) answer")
            return
        await asyncio.sleep(random.uniform(0.0, 0.3))


def case_of_relay(text: str) -> int | None:
    match = re.match(r"^Fall #(\d+) – die Familie schreibt:", text)
    return int(match.group(1)) if match else None


async def lotsen(world: World, stop: asyncio.Event) -> None:
    """Two Lotsen in the group: each note is claimed once, each relayed message answered, each case closed
    after its family's last message was answered."""
    api = world.api
    owner: dict[int, int] = {}
    while not stop.is_set():
        for message in api.sent_to(GROUP):
            text = message.get("text", "")
            if text.startswith(COPY_MARK):
                continue
            data = [b["callback_data"] for b in buttons_of(message)]
            note = NOTE_HEAD.match(text)
            if note and f"claim:{note.group(1)}" in data and int(note.group(1)) not in world.claimed:
                case = int(note.group(1))
                world.claimed.add(case)
                owner[case] = list(LOTSEN)[case % 2]
                api.user_presses_in_group(GROUP, f"claim:{case}", message["message_id"], owner[case])
            case = case_of_relay(text)
            token = TOKEN.search(text)
            if case is not None and token and token.group() not in world.answered and case in owner:
                world.answered.add(token.group())
                chat, number = token.group()[2:].split("k")
                answer = ANSWER.format(chat=chat, number=number)
                api.user_replies(GROUP, answer, message["message_id"], owner[case])
                if int(number) == RELAYS - 1:
                    world.closing.add(case)
            if note and int(note.group(1)) in world.closing and f"close:{note.group(1)}" in data:
                case = int(note.group(1))
                world.closing.discard(case)
                await asyncio.sleep(1.0)  # the last answer first (it is queued before the close)
                api.user_presses_in_group(GROUP, f"close:{case}", message["message_id"], owner[case])
                api.user_presses_in_group(GROUP, f"out:{case}:arranged", message["message_id"], owner[case])
        await asyncio.sleep(0.1)


# ---------------------------------------------------------------- counting


Sent = tuple[float, float, str]  # accepted, answered, what it showed then


def sends(api: FakeBotApi) -> dict[int, list[Sent]]:
    """Every message Telegram accepted, per chat (later edits aside)."""
    accepted: dict[int, list[Sent]] = {}
    for (at, method, chat), call in zip(api.requests, api.calls, strict=True):
        if call.status == 200 and method in ("sendMessage", "sendVenue") and chat is not None:
            shown_as = f"[venue] {call.params.get('title')}" if method == "sendVenue" else str(call.params["text"])
            accepted.setdefault(chat, []).append((at, call.answered_at or at, shown_as))
    return accepted


def count(api: FakeBotApi, plans: list[Plan], cases: dict[int, int], kills: list[float]) -> Figures:
    """Every chat against what it should show (see the module's docstring)."""
    figures, sent = Figures(kills), sends(api)
    group = sent.get(GROUP, [])
    now_in_group = [str(m.get("text", "")) for m in api.sent_to(GROUP)]

    def times(chat: list[Sent], wanted: Any) -> list[tuple[float, float]]:
        return [(at, answered) for at, answered, text in chat if wanted(text)]

    for plan in plans:
        family = sent.get(plan.chat_id, [])
        for text, expected in Counter(t for step in plan.expected for t in step).items():
            figures.add("family replies", expected, times(family, text.__eq__), f"chat {plan.chat_id} {text[:30]!r}")
        if not plan.handover:
            continue
        where = f"chat {plan.chat_id}"
        for number in range(RELAYS):
            relay, answer = f"qx{plan.chat_id}k{number}", f"lq{plan.chat_id}k{number}"
            figures.add("relays to Lotsen", 1, times(group, lambda t, r=relay: r in t), where)
            figures.add("Lotse replies", 1, times(family, lambda t, a=answer: a in t), where)
        figures.add("claim notices", 1, times(family, CLAIM_NOTICES.__contains__), where)
        closing = times(family, lambda t: any(n in t for n in CLOSING_NOTICES))
        figures.add("closing notices", 1, closing, where)
        case = cases.get(plan.chat_id)
        if case is None:
            figures.add("notes", 1, [], f"{where} (no case)")
            continue
        head = re.compile(rf"^(?:🆘[^\n]*\n)?Fall #{case} · ", re.M)
        marked = sum(t.startswith(COPY_MARK) and f"Fall #{case} " in t for t in now_in_group)
        figures.add("notes", 1, times(group, lambda t, h=head: h.match(t) is not None), f"case {case}", marked)
    return figures


def database_state(url: str) -> tuple[dict[int, int], int]:
    """chat id -> case id, and how many outbox rows are still unsent."""
    engine = create_engine(normalize_url(url))
    with engine.connect() as connection:
        rows = connection.execute(select(CaseRow.chat_key, CaseRow.id)).all()
        unsent = connection.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.sent_at.is_(None)))
    engine.dispose()
    return {int(key.split(":")[1]): case for key, case in rows}, int(unsent or 0)


def prepare(url: str) -> None:
    """The two Lotsen, registered as `admin_scripts.lotsen add` would."""
    engine = create_engine(normalize_url(url))
    uow = UnitOfWork(engine)
    with uow() as session:
        session.add_all(LotseRow(telegram_user_id=i, name=name, languages="de") for i, name in LOTSEN.items())
    engine.dispose()


# ---------------------------------------------------------------- one run


async def run_once(args: argparse.Namespace, mode: str, db: str, workdir: Path) -> dict[str, Any]:
    """One run with the bot's ENCODER set for it; restored after, since tests call this in their own process
    (a leftover ENCODER=none switched the semantic layer off for every later test)."""
    previous = os.environ.get("ENCODER")
    os.environ.setdefault("ENCODER", args.encoder)
    try:
        return await _run_once(args, mode, db, workdir)
    finally:
        if previous is None:
            os.environ.pop("ENCODER", None)


async def _run_once(args: argparse.Namespace, mode: str, db: str, workdir: Path) -> dict[str, Any]:
    rng = random.Random(args.seed)
    random.seed(args.seed)
    expected = dry_run(workdir)
    url = fresh_database(db, workdir, args.postgres_url)
    prepare(url)
    async with FakeBotApi(webhook_connections=8) as api:
        api.webhook_retry_after = 1.0  # Telegram pushes an update again when the webhook did not take it
        world = World(api, args.step_timeout)
        bot = Bot(api, url, mode, workdir)
        bot.start()
        if not await wait_for(bot.ready, 60):  # the fake pushes to a webhook only once one is set
            raise RuntimeError(f"the bot did not start within 60 s; see {bot.log}")
        killed, faults_over, lotsen_stop = asyncio.Event(), asyncio.Event(), asyncio.Event()
        monkey = asyncio.create_task(chaos_monkey(bot, args.kills, rng, killed))
        faults = asyncio.create_task(bad_telegram(api, rng, faults_over, mode))
        lotsen_task = asyncio.create_task(lotsen(world, lotsen_stop))
        started = time.monotonic()
        plans: list[Plan] = []
        running: set[asyncio.Task[None]] = set()
        try:
            # families keep coming while the bot is being killed; the last ones finish in calm weather
            while not killed.is_set() or len(plans) < args.families:
                if monkey.done():
                    monkey.result()  # raises what ended it
                while len(running) < args.families and (not killed.is_set() or len(plans) < args.families):
                    plan = make_plan(len(plans), rng, expected)
                    plans.append(plan)
                    task = asyncio.create_task(family(world, plan))
                    running.add(task)
                    task.add_done_callback(running.discard)
                await asyncio.sleep(0.2)
            faults_over.set()
            made = await faults
            await asyncio.gather(*running)

            def settled_now() -> bool:  # every case closed and its family told (the Lotsen act after the families)
                return world.closing == set() and all(
                    any(any(n in shown(m) for n in CLOSING_NOTICES) for m in api.sent_to(p.chat_id))
                    for p in plans
                    if p.handover and not any(str(p.chat_id) in stuck for stuck in world.stuck)
                )

            settled = await wait_for(settled_now, 120)
            await asyncio.sleep(3.0)  # the outbox's last messages (and any double) have time to show
            _cases, unsent = database_state(url)
            await wait_for(lambda: database_state(url)[1] == 0, 60)
            await asyncio.sleep(1.0)
        finally:
            lotsen_stop.set()
            faults_over.set()
            monkey.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await lotsen_task
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await monkey
            returncode = bot.stop()
        cases, unsent = database_state(url)
        figures = count(api, plans, cases, bot.kill_times)
        duration = time.monotonic() - started
        if args.debug_dir:  # every call the bot made and what each chat shows, to find what went wrong
            args.debug_dir.mkdir(parents=True, exist_ok=True)
            calls = [{"method": c.method, "status": c.status, **{k: str(v)[:300] for k, v in c.params.items()}}
                     for c in api.calls]  # fmt: skip
            chats = {str(chat): api.sent_to(chat) for chat in [GROUP, *(p.chat_id for p in plans)]}
            timeline = [(t, method, chat) for t, method, chat in api.requests]
            deliveries = api.webhook.deliveries if api.webhook else []
            dump = {"calls": calls, "chats": chats, "cases": cases, "kills": bot.kill_times, "requests": timeline,
                    "received_at": api.received_at, "deliveries": deliveries}  # fmt: skip
            (args.debug_dir / f"{mode}-{db}.json").write_text(json.dumps(dump, ensure_ascii=False, default=str))
    totals = {kind: dict(counter) for kind, counter in figures.counts.items()}
    lost = sum(c["lost"] for c in figures.counts.values())
    doubled = sum(c["doubled"] for c in figures.counts.values())
    after_kills = sum(c["copies after a kill"] for c in figures.counts.values())
    return {
        "mode": mode,
        "db": db,
        "kills": bot.kills,
        "starts": bot.starts,
        "families": len(plans),
        "handovers": sum(p.handover for p in plans),
        "faults": made,
        "duration_s": round(duration, 1),
        "counts": totals,
        "lost": lost,
        "doubled": doubled,
        "copies_after_a_kill": after_kills,
        "stuck": world.stuck,
        "outbox_unsent": unsent,
        "settled": settled,
        "exit_code_after_sigterm": returncode,
        "problems": figures.problems,
        "log": str(bot.log),
    }


# ---------------------------------------------------------------- output

KINDS = ("family replies", "relays to Lotsen", "Lotse replies", "notes", "claim notices", "closing notices")
HEADER = (
    "| mode | db | kills | faults 429 / 500 / slow | families (handed over) | "
    + " | ".join(f"{kind}: expected / lost / doubled" for kind in KINDS)
    + " | sent again after a kill | note copies marked |\n|"
    + "---|" * (5 + len(KINDS) + 2)
)


def row(r: dict[str, Any]) -> str:
    f, counts = r["faults"], r["counts"]
    cells = [
        f"{counts.get(k, {}).get('expected', 0)} / **{counts.get(k, {}).get('lost', 0)}** / "
        f"**{counts.get(k, {}).get('doubled', 0)}**"
        for k in KINDS
    ]
    marked = counts.get("notes", {}).get("marked copies", 0)
    return (
        f"| {r['mode']} | {r['db']} | {r['kills']} | {f.get('429', 0)} / {f.get('500', 0)} / {f.get('slow', 0)} "
        f"| {r['families']} ({r['handovers']}) | " + " | ".join(cells) + f" | {r['copies_after_a_kill']} | {marked} |"
    )


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__.split("\n")[0] if __doc__ else "")
    p.add_argument("--small", action="store_true", help=f"{SMALL_KILLS} kills on SQLite, both modes (CI)")
    p.add_argument("--mode", choices=("polling", "webhook", "both"), default="both")
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--kills", type=int, default=40, help="SIGKILLs per run (at least 40 in the full mode)")
    p.add_argument("--families", type=int, default=6, help="families talking at the same time")
    p.add_argument("--step-timeout", type=float, default=150.0, help="seconds a family waits for an answer")
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--encoder", default="none", help="ENCODER of the bot (the understanding is not tested here)")
    p.add_argument("--postgres-url", default=os.environ.get("CHAOS_POSTGRES_URL", DEFAULT_POSTGRES + "_chaos"))
    p.add_argument("--out", type=Path, help="directory for the JSON results (default bench/results)")
    p.add_argument("--debug-dir", type=Path, help="also write every Bot API call and chat there")
    args = p.parse_args(argv)
    if args.small:
        args.db, args.kills, args.families, args.step_timeout = "sqlite", SMALL_KILLS, 3, 60.0
    if args.kills < 1 or args.families < 1:
        p.error("--kills and --families must be at least 1")
    return args


async def run_all(args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        for mode in ("polling", "webhook") if args.mode == "both" else (args.mode,):
            with tempfile.TemporaryDirectory(prefix="familienlotse-chaos-") as workdir:
                print(f"{mode} / {db}: {args.kills} kills …", file=sys.stderr)
                result = await run_once(args, mode, db, Path(workdir))
                # the bot's log of all its lives (ids and pseudonyms only), kept with the figures
                keep = (args.out or RESULTS) / f"chaos-{mode}-{db}{'-small' if args.small else ''}.log"
                keep.parent.mkdir(parents=True, exist_ok=True)
                keep.write_bytes(Path(result["log"]).read_bytes())
                result["log"] = str(keep)
            result["machine"] = machine()
            results.append(result)
            out = (args.out or RESULTS) / f"chaos-{mode}-{db}{'-small' if args.small else ''}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
            for problem in [*result["stuck"], *result["problems"]][:20]:
                print("  problem:", problem, file=sys.stderr)
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    results = asyncio.run(run_all(args))
    print(HEADER)
    for result in results:
        print(row(result))
    return 0 if all(not r["lost"] and not r["doubled"] and not r["stuck"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
