"""Benchmark: simulated families typing their way through the real conversation core.

    .venv/bin/python -m bench.dialogues [--personas bench/personas.yaml] [--out bench/results/dialogues.json] [-v]

Each persona (bench/personas.yaml: locale, network, need, and how it types each fact in its language) answers
every question of the bot by typing — never by tapping a button — one fact per question, sometimes all in its
first message, sometimes with typos; some ask a question about the offers, some ask for a person, some start
with a crisis. The core is `bot.conversation.handle` with real Services (bundled knowledge and offers, the
Understander as the bot builds it, i.e. with the encoder $ENCODER names; ENCODER=none for the lexicon alone), as
in tests/unit/test_conversation.py; no database, no Telegram.

Reported (markdown table):
  - reached: share of non-crisis personas shown a fitting offer (an offer for the persona's need in its network);
  - turns: typed messages until then (median, and the 90th percentile);
  - dead ends: the same question three times in a row, or a message without any reply;
  - lost handovers: the persona asked for a person and agreed, but no RequestHandover effect came;
  - crisis: crisis personas whose request reached the Lotsen marked urgent;
  - questions: questions about shown offers that got an answer from the offer data (not the "can't answer" line).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.conversation import Command, State, Step, Text, handle
from bot.conversation.flow import Services
from bot.conversation.model import Outcome, RequestHandover
from bot.domain.matching import OfferIndex
from bot.i18n import native_name, texts
from bot.knowledge import bundled_knowledge
from bot.offer_files import read_offers
from bot.understanding import Understander

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = ROOT / "bench" / "personas.yaml"
DEFAULT_OUT = ROOT / "bench" / "results" / "dialogues.json"
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
MAX_TURNS = 20

YES = {
    "de": "ja",
    "de@simple": "ja",
    "en": "yes",
    "tr": "evet",
    "ar": "نعم",
    "uk": "так",
    "ru": "да",
    "fa": "بله",
    "ro": "da",
    "pl": "tak",
    "it": "sì",
    "hr": "da",
    "sq": "po",
    "ku": "erê",
}
NO = {
    "de": "nein",
    "de@simple": "nein",
    "en": "no",
    "tr": "hayır",
    "ar": "لا",
    "uk": "ні",
    "ru": "нет",
    "fa": "نه",
    "ro": "nu",
    "pl": "nie",
    "it": "no",
    "hr": "ne",
    "sq": "jo",
    "ku": "na",
}
AFTERNOON = {
    "de": "nachmittags",
    "de@simple": "am Nachmittag",
    "en": "in the afternoon",
    "tr": "öğleden sonra",
    "ar": "بعد الظهر",
    "uk": "після обіду",
    "ru": "после обеда",
    "fa": "بعد از ظهر",
    "ro": "după-amiaza",
    "pl": "po południu",
    "it": "nel pomeriggio",
    "hr": "poslijepodne",
    "sq": "pasdite",
    "ku": "piştî nîvro",
}
CANT_ANSWER = "I can't answer that myself. The phone number is in the offer, or a Lotse can find out for you."
QUESTION_STEPS = frozenset(
    {
        Step.CHOOSING_LANGUAGE,
        Step.ASKING_CONSENT,
        Step.ASKING_AGE,
        Step.CHOOSING_NETWORK,
        Step.ASKING_DISTRICT,
        Step.CHOOSING_NEED,
        Step.CONFIRMING_HANDOVER,
        Step.ASKING_DANGER,
        Step.CHOOSING_AFTER_CRISIS,
        Step.CONFIRMING_FACT,
    }
)


@dataclass(frozen=True)
class Persona:
    id: str
    locale: str
    network: str
    need: str
    age: str
    place: str
    topic: str
    town: str | None = None
    first: str | None = None
    question: str | None = None
    person: str | None = None
    crisis: str | None = None


@dataclass
class Run:
    persona: Persona
    typed: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    reached_after: int | None = None  # typed messages until a fitting offer was shown
    dead_end: str | None = None
    agreed_to_handover: bool = False
    handover: RequestHandover | None = None
    question_answered: bool | None = None


def load_personas(path: Path) -> list[Persona]:
    with path.open(encoding="utf-8") as handle:
        return [Persona(**{k: str(v) for k, v in item.items()}) for item in yaml.safe_load(handle)]


def build_services() -> Services:
    """The core's services as the tests build them: bundled knowledge and offers, a fixed Tuesday morning."""
    knowledge = bundled_knowledge()
    offers = [o for path in knowledge.offer_files for o in read_offers(path, knowledge.places).offers]
    return Services(knowledge, Understander(knowledge), OfferIndex(offers), now=lambda: TUESDAY_MORNING)


class Family:
    """One persona at the keyboard: reads the bot's step and types the fitting fact, in its language."""

    def __init__(self, persona: Persona) -> None:
        self.p = persona
        self.asked_question = False
        self.asked_person = False
        self.first_sent = False

    def answer(self, state: State) -> str | None:
        """What the family types at this step; None when it is done."""
        p, locale = self.p, self.p.locale
        step = state.step
        # a crisis comes first, whatever the bot asks; other first messages follow the language choice
        if not self.first_sent and (p.crisis or (p.first and step is Step.ASKING_CONSENT)):
            self.first_sent = True
            return p.crisis or p.first
        if step is Step.CHOOSING_LANGUAGE:
            return native_name(locale)
        if step is Step.ASKING_CONSENT:
            return YES[locale]
        if step is Step.ASKING_AGE:
            return p.age
        if step is Step.CHOOSING_NETWORK:
            return p.town or p.place
        if step is Step.ASKING_DISTRICT:  # "which Südstadt?": the family adds its town
            return f"{p.place} {p.town}" if state.district_candidates and p.town else p.place
        if step is Step.CHOOSING_NEED:
            return p.topic
        if step in (Step.CONFIRMING_HANDOVER, Step.CONFIRMING_FACT):
            return YES[locale]
        if step is Step.ASKING_DANGER:
            return YES[locale] if p.crisis else NO[locale]
        if step is Step.CHOOSING_AFTER_CRISIS:
            return YES[locale] if p.crisis else NO[locale]
        if step is Step.ASKING_CONTACT_TIME:
            return AFTERNOON[locale]
        if step is Step.SHOWING_OFFERS:
            if p.question and not self.asked_question:
                self.asked_question = True
                return p.question
            if p.person and not self.asked_person:
                self.asked_person = True
                return p.person
            return None
        if step in (Step.CHOOSING_CHANGE, Step.CONFIRMING_DELETE):
            return NO[locale]
        return None  # handed over, declined: the conversation is over for this benchmark


def fitting(state: State, persona: Persona, services: Services) -> bool:
    for offer_id in state.shown_offer_ids:
        offer = services.offers.get(offer_id)
        if offer is not None and offer.network == persona.network and persona.need in offer.needs:
            return True
    return False


def simulate(persona: Persona, services: Services) -> Run:
    run = Run(persona)
    family = Family(persona)
    outcome: Outcome = handle(State(), Command("start", user_language=persona.locale), services)
    state = outcome.state
    same = 0
    last_question: tuple[str, str] | None = None
    for _turn in range(MAX_TURNS):
        line = family.answer(state)
        if line is None:
            break
        if state.step is Step.CONFIRMING_HANDOVER:
            run.agreed_to_handover = True
        run.typed.append(line)
        outcome = handle(state, Text(line), services)
        state = outcome.state
        run.steps.append(state.step.value)
        if not outcome.replies:
            run.dead_end = f"no reply to {line!r}"
            break
        handovers = [e for e in outcome.effects if isinstance(e, RequestHandover)]
        if handovers:
            run.handover = handovers[0]
        if run.reached_after is None and fitting(state, persona, services):
            run.reached_after = len(run.typed)
        if line == persona.question:
            cant = texts(persona.locale)._(CANT_ANSWER)
            run.question_answered = not any(cant in r.text for r in outcome.replies)
        question = (state.step.value, outcome.replies[-1].text)
        same = same + 1 if question == last_question and state.step in QUESTION_STEPS else 1
        last_question = question
        if same >= 3:
            run.dead_end = f"asked three times at {state.step.value}"
            break
    return run


_SHARED: dict[str, Any] = {}  # set before the worker processes fork: they share the built services


def _simulate_shared(persona: Persona) -> Run:
    return simulate(persona, _SHARED["services"])


def simulate_all(personas: Sequence[Persona], services: Services, processes: int) -> list[Run]:
    """Personas one after another, or side by side in forked processes (--processes)."""
    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [simulate(p, services) for p in personas]
    _SHARED["services"] = services
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return pool.map(_simulate_shared, personas, chunksize=1)


def percentile(values: Sequence[int], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))])


def summarize(runs: Sequence[Run]) -> dict[str, Any]:
    searching = [r for r in runs if not r.persona.crisis]
    crisis = [r for r in runs if r.persona.crisis]
    turns = [r.reached_after for r in searching if r.reached_after is not None]
    lost = [r for r in runs if (r.persona.person or r.persona.crisis) and r.agreed_to_handover and not r.handover]
    asked = [r for r in runs if r.question_answered is not None]
    by_locale: dict[str, list[Run]] = {}
    for r in runs:
        by_locale.setdefault(r.persona.locale, []).append(r)
    return {
        "personas": len(runs),
        "searching": len(searching),
        "reached": sum(r.reached_after is not None for r in searching),
        "turns_median": statistics.median(turns) if turns else None,
        "turns_p90": percentile(turns, 0.9),
        "dead_ends": [(r.persona.id, r.dead_end) for r in runs if r.dead_end],
        "asked_for_person": sum(bool(r.persona.person or r.persona.crisis) for r in runs),
        "lost_handovers": [r.persona.id for r in lost],
        "crisis": len(crisis),
        "crisis_urgent": sum(bool(r.handover and r.handover.urgent) for r in crisis),
        "questions": len(asked),
        "questions_answered": sum(bool(r.question_answered) for r in asked),
        "not_reached": [r.persona.id for r in searching if r.reached_after is None],
        "by_locale": {
            code: {
                "personas": len(rs),
                "reached": sum(r.reached_after is not None for r in rs if not r.persona.crisis),
                "searching": sum(not r.persona.crisis for r in rs),
            }
            for code, rs in sorted(by_locale.items())
        },
    }


def markdown(summary: dict[str, Any], seconds: float) -> str:
    s = summary
    share = s["reached"] / s["searching"] if s["searching"] else 0.0
    lines = [
        "| personas | reached a fitting offer | turns (median / p90) | dead ends | lost handovers "
        "| crisis → urgent handover | offer questions answered | run time |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {s['personas']} ({len(s['by_locale'])} languages) | **{share:.0%}** ({s['reached']}/{s['searching']}) "
        f"| {s['turns_median']} / {s['turns_p90']:.0f} | {len(s['dead_ends'])} "
        f"| {len(s['lost_handovers'])} of {s['asked_for_person']} | {s['crisis_urgent']}/{s['crisis']} "
        f"| {s['questions_answered']}/{s['questions']} | {seconds:.1f} s |",
        "",
        "| language | personas | reached |",
        "|---|---:|---:|",
    ]
    for code, row in s["by_locale"].items():
        lines.append(f"| {code} | {row['personas']} | {row['reached']}/{row['searching']} |")
    if s["not_reached"]:
        lines += ["", "Not reached: " + ", ".join(s["not_reached"])]
    if s["dead_ends"]:
        lines += ["", "Dead ends: " + "; ".join(f"{pid} ({why})" for pid, why in s["dead_ends"])]
    if s["lost_handovers"]:
        lines += ["", "Lost handovers: " + ", ".join(s["lost_handovers"])]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dialogues", description=__doc__.split("\n\n")[0])
    parser.add_argument("--personas", type=Path, default=PERSONAS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("-v", "--verbose", action="store_true", help="print each persona's typed lines and steps")
    parser.add_argument("--processes", type=int, default=1, help="forked workers (the encoder uses every core already)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    services = build_services()
    runs = simulate_all(load_personas(args.personas), services, args.processes)
    seconds = time.perf_counter() - start
    summary = summarize(runs)
    if args.verbose:
        for r in runs:
            print(f"{r.persona.id}: reached={r.reached_after} dead={r.dead_end} handover={bool(r.handover)}")
            for line, step in zip(r.typed, r.steps, strict=True):
                print(f"    > {line!r} -> {step}")
    print(markdown(summary, seconds))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**summary, "seconds": seconds}, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
