"""Understanding a family's message without Telegram: language, needs, age, pregnancy, district, emergency.

    understander = Understander(bundled_knowledge())
    understander.understand("Oßweil'de oturuyoruz, kızım 2 yaşında, kreş arıyorum", lang_hint="tr")

All indexes are built once in Understander(); understand() is pure look-ups (well under 2 ms).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Literal

from bot.domain.needs import NEED_IDS
from bot.knowledge import Knowledge
from bot.understanding.age import birth_vocabulary, find_ages, merge_age_data
from bot.understanding.combine import combine
from bot.understanding.districts import LIVING_WORDS, DistrictFinder
from bot.understanding.emergency import emergency_kinds
from bot.understanding.intents import IntentLexicon
from bot.understanding.language import SUPPORTED, LanguageGuesser
from bot.understanding.lexicon import compile_lexicons
from bot.understanding.needs import ALWAYS_ALLOWED, rank_needs
from bot.understanding.normalize import fold_text, tokens
from bot.understanding.semantic import SemanticLayer, load_semantic_layer

__all__ = ["Understander", "Understanding", "batch_understand", "bundled_understander"]

log = logging.getLogger(__name__)

MAX_CHARS = 4096  # Telegram's message limit; longer input is cut, never rejected
MAX_TOKENS = 600


@dataclass(frozen=True, slots=True)
class Understanding:
    language: str | None  # ISO 639-1 of the message (None if undecidable, e.g. only digits/emoji)
    needs: tuple[str, ...]  # need ids, best first
    age_months: int | None  # child's age in months (round half-years exactly: 2.5 y -> 30)
    pregnant: bool
    district_id: str | None  # e.g. "lb-eglosheim" when unambiguous
    district_candidates: tuple[str, ...]  # >1 ids when the name is ambiguous (Südstadt) -> the bot asks
    emergency: bool
    emergency_kinds: tuple[str, ...]  # see lexicon.EMERGENCY_KINDS
    # ---- read at every step of the conversation (defaults keep older callers working)
    ages_months: tuple[int, ...] = ()  # every child's age the message names, in order ("5 und 9": (60, 108))
    network_id: str | None = None  # a town or county named without a district ("Weimar", "Stadt Ludwigsburg")
    emergency_uncertain: bool = False  # maybe a crisis: numbers first and one gentle question, never silence
    intents: tuple[str, ...] = ()  # see intents.INTENTS, best first: ("yes",), ("ask_hours",), ...
    asked_weekday: int | None = None  # 0 = Monday: the day a question is about ("open on Saturday?")
    likely_needs: tuple[str, ...] = ()  # the heads' guesses below the need threshold: good enough as the answer
    # to "what can I help you with?", never enough to change a need the family named before

    @property
    def age_years(self) -> float | None:
        """Months / 12 to two decimals, as the CLI and batch print it (4 -> 0.33, 30 -> 2.5, 59 -> 4.92)."""
        if self.age_months is None:
            return None
        return round(self.age_months / 12, 2)


EMPTY = Understanding(None, (), None, False, None, (), False, ())


class Understander:
    def __init__(
        self,
        knowledge: Knowledge,
        network_id: str | None = None,
        semantic: SemanticLayer | Literal["auto"] | None = "auto",
        today: Callable[[], date] = date.today,
    ) -> None:
        """`semantic`: the encoder + heads ("auto": as $ENCODER says, None: the lexicon alone)."""
        self.knowledge = knowledge
        self.network_id = network_id
        self.semantic = load_semantic_layer() if semantic == "auto" else semantic
        self._lex = compile_lexicons(knowledge.lexicons, NEED_IDS)
        assert self._lex.vocabulary is not None
        self._vocab = self._lex.vocabulary
        self._age_vocab = merge_age_data(self._lex.age, prefer=("en", "de"))
        self._birth = birth_vocabulary(knowledge.lexicons)
        self._languages = LanguageGuesser(self._lex.token_languages)
        self._districts = DistrictFinder(knowledge.places, network_id, knowledge.network_aliases)
        self._intents = IntentLexicon(knowledge.intents)
        self._today = today  # "tomorrow", "born in March 2024" are read against this day (tests fix it)

    def understand(self, text: str, lang_hint: str | None = None) -> Understanding:
        """Never raises: anything unexpected yields an empty Understanding (and a log line)."""
        try:
            text = text if isinstance(text, str) else str(text)
            scores = self.semantic.score(text[:MAX_CHARS]) if self.semantic is not None and text.strip() else None
            lexical = self._understand(text, lang_hint, scores.languages if scores else ())
            return combine(lexical, scores, words=len(text.split())) if scores else lexical
        except Exception:  # the bot must answer every message, whatever the text
            log.exception("understanding failed")
            return EMPTY

    def _understand(
        self, text: str, lang_hint: str | None, head_languages: Sequence[tuple[str, float]] = ()
    ) -> Understanding:
        raw = text[:MAX_CHARS]
        toks = tokens(fold_text(raw))[:MAX_TOKENS]
        hint = self._intents.aliases.get(lang_hint or "", lang_hint)  # de@simple reads as German
        hint = hint if hint in SUPPORTED else None
        place = self._districts.find(raw, toks)
        names = frozenset(toks[place.span[0] : place.span[1]]) if place.span else frozenset()
        language = self._languages.guess(raw, toks, hint, names, head_languages)
        cands = [self._vocab.candidates(t) for t in toks]
        words = self._vocab.words
        for i in range(len(toks) - 1):  # "kinder garten" written apart still means Kindergarten
            joined = toks[i] + toks[i + 1]
            if joined in words and len(joined) >= 8:
                cands[i] = (*cands[i], (joined, 0.95))
        lex = self._lex
        allowed = ALWAYS_ALLOWED | {x for x in (language, hint) if x}

        # a fuzzy one-word match from a language the family does not write ("grande" ~ Kurmanji "girane") is no
        # pregnancy; exact words and the family's own languages still are
        pregnant = any(
            m.quality >= 0.88 and (m.quality >= 0.95 or m.length > 1 or m.payload[-2] in allowed)  # type: ignore[index]
            for m in lex.pregnancy.match(cands)
        )
        newborn = any(m.quality >= 0.95 for m in lex.newborn.match(cands))
        kinds = emergency_kinds(lex.emergency.match(cands), lex.not_emergency.match(cands))
        need_matches = lex.needs.match(cands)
        if place.district_id or place.network_id:  # the place's own name and "we live in" are no need words
            a, b = place.span or (-1, -1)
            need_matches = [
                m
                for m in need_matches
                if not (a <= m.start and m.end <= b) and not (m.end - m.start == 1 and toks[m.start] in LIVING_WORDS)
            ]
        needs = rank_needs(need_matches, allowed, kinds, pregnant)
        ages = find_ages(
            toks,
            self._age_vocab,
            pregnant=pregnant,
            newborn=newborn,
            raw=raw,
            birth=self._birth,
            lang=language,
            today=self._today(),
        )
        return Understanding(
            language=language,
            needs=needs,
            age_months=ages[0] if ages else None,
            ages_months=tuple(ages),
            pregnant=pregnant,
            district_id=place.district_id,
            district_candidates=place.candidates,
            network_id=place.network_id,
            emergency=bool(kinds),
            emergency_kinds=kinds,
            intents=self._intents.intents(toks, language, hint, raw),
            asked_weekday=self._intents.weekday(toks, language, hint, self._today),
        )


def batch_understand(lines: Iterable[str], understander: Understander) -> Iterator[str]:
    """Reads JSONL lines {"id", "text", "lang"?} and yields JSON lines with exactly id, language, needs,
    age_years, pregnant, district (canonical name or null), emergency; a malformed line yields
    {"id": null, "error": "..."} instead of raising."""
    places = understander.knowledge.places
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError("expected an object with a string 'text'")
            lang = item.get("lang")
            result = understander.understand(item["text"], lang if isinstance(lang, str) else None)
        except (ValueError, TypeError) as exc:
            yield json.dumps({"id": None, "error": f"line {number}: {exc}"}, ensure_ascii=False)
            continue
        district = places.district(result.district_id) if result.district_id else None
        yield json.dumps(
            {
                "id": item.get("id"),
                "language": result.language,
                "needs": list(result.needs),
                "age_years": result.age_years,
                "pregnant": result.pregnant,
                "district": district.name if district else None,
                "emergency": result.emergency,
            },
            ensure_ascii=False,
        )


@cache
def bundled_understander() -> Understander:
    """One Understander over the bundled knowledge per process (indexes take a few seconds to build)."""
    from bot.knowledge import bundled_knowledge

    return Understander(bundled_knowledge())
