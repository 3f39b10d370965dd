"""What a message wants from the conversation, apart from facts: yes, no, a person, a question about an offer.

The conversation reads these at every step, so a typed "ja bitte" works where a button offers "Yes".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.understanding.normalize import fold_text, tokenize

INTENTS: tuple[str, ...] = (
    "yes",  # agreement: "ja bitte", "evet", "نعم", "ok"
    "no",  # refusal: "nein danke", "hayır", "не надо"
    "person",  # wants a human: "kann ich mit jemandem sprechen"
    "ask_cost",  # a question about a shown offer: what it costs
    "ask_hours",  # ... when it is open ("open on Saturday?")
    "ask_place",  # ... where it is
    "ask_appointment",  # ... whether one needs an appointment or can walk in
    "ask_languages",  # ... which languages are spoken there
    "ask_documents",  # ... what to bring
    "correction",  # "no, I meant ...", "not 6, he is 10"
    "thanks",  # thanks or goodbye
    "greeting",  # hello
    "dont_know",  # "I don't know", "keine Ahnung"
)

QUESTION_INTENTS: frozenset[str] = frozenset(i for i in INTENTS if i.startswith("ask_"))

# ---------------------------------------------------------------------------------------------------------
# The lexical matcher over knowledge/intents.yaml. Rules that the words alone cannot say live here:
# - yes / no only open a message (after greetings, thanks and fillers): "ja" deep inside a sentence about
#   something else is a particle, not an answer; a long message must also set the answer apart ("Ja, ...").
# - ask_* entries marked "?" need a question (a question mark, a question word, or a question verb first);
#   the others are clear on their own ("was kostet", "ohne Termin", "spricht man arabisch").
# - short words (< 4 letters) count only in the message's language or the family's: "da", "po", "jo", "ne"
#   mean different things in different languages. German and English words count everywhere (families in
#   Germany mix them in), the longer ones only.
# - where two entries overlap, the longer one wins ("nein danke" is a refusal, not thanks; "sonntag" inside
#   "guten morgen" never happens, "morgen" in "guten morgen" is not tomorrow).

SHORT_MESSAGE_TOKENS = 6  # up to this many tokens a message may be a bare answer ("ja bitte gerne, das passt")
FALLBACK_LANGUAGES: tuple[str, ...] = ("de", "en")
# Best first: a correction or a wish for a person changes what the conversation does next; greetings never do.
_RANK = {name: rank for rank, name in enumerate(("correction", "person", "no", "yes", "dont_know"))}
_ASK_RANK = len(_RANK)
_RANK.update({"thanks": _ASK_RANK + 1, "greeting": _ASK_RANK + 2})
_QUESTION_MARKS = ("?", "؟", "？", "¿")
_OK_EMOJI = ("👍", "👌", "✅", "🙏🏻👍")
_BOUNDARY = re.compile(r"[,.!;:\-–—)]")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+")  # the same token shape as normalize.tokens
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
_WEEKDAY_KINDS = ("weekday", "today", "tomorrow", "not_weekday")


@dataclass(frozen=True, slots=True)
class _Entry:
    toks: tuple[str, ...]
    prefix: bool  # the last token may go on ("samstag*" reads "samstags")
    kind: str  # an intent, "weekday", "today", "tomorrow", "not_weekday", "question", "question_start", "filler"
    lang: str
    needs_question: bool
    day: int = -1  # 0 = Monday, for kind "weekday"
    order: int = 0  # position in the file: the last tie-break, so results never depend on hashing


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    entry: _Entry


def _strings(value: Any) -> list[str]:
    # YAML 1.1 reads a bare yes / no as a boolean; the file quotes them, this keeps an edit from breaking it
    if isinstance(value, bool):
        return ["yes" if value else "no"]
    if isinstance(value, str | int | float):
        return [str(value)]
    if isinstance(value, Sequence):
        return [s for v in value for s in _strings(v)]
    return []


class IntentLexicon:
    """Compiled once from knowledge/intents.yaml; intents() and weekday() are dict look-ups."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.aliases: dict[str, str] = {str(k): str(v) for k, v in (data.get("aliases") or {}).items()}
        self._exact: dict[str, list[_Entry]] = {}  # first token -> entries
        self._stems: dict[str, list[_Entry]] = {}  # one-token prefix entries: stem -> entries
        self._max_stem = 0
        self.languages: tuple[str, ...] = ()
        order = 0
        langs: list[str] = []
        for lang, table in (data.get("languages") or {}).items():
            if not isinstance(table, Mapping):
                continue
            lang = str(lang)
            langs.append(lang)
            for key, value in table.items():
                kind = "yes" if key is True else "no" if key is False else str(key)
                if kind == "weekdays":
                    for day, names in enumerate(value or ()):
                        for phrase in _strings(names):
                            order += 1
                            self._add(phrase, "weekday", lang, order, day)
                    continue
                if kind not in INTENTS and kind not in (*_WEEKDAY_KINDS, "question", "question_start", "filler"):
                    continue
                for phrase in _strings(value):
                    order += 1
                    self._add(phrase, kind, lang, order)
        self.languages = tuple(langs)

    def _add(self, phrase: str, kind: str, lang: str, order: int, day: int = -1) -> None:
        text = phrase.strip()
        needs_question = text.endswith("?")
        text = text.rstrip("?").strip()
        prefix = text.endswith("*")
        toks = tuple(tokenize(text.rstrip("*")))
        if not toks:
            return
        entry = _Entry(toks, prefix, kind, lang, needs_question, day, order)
        if prefix and len(toks) == 1:
            self._stems.setdefault(toks[0], []).append(entry)
            self._max_stem = max(self._max_stem, len(toks[0]))
        else:
            self._exact.setdefault(toks[0], []).append(entry)

    # ------------------------------------------------------------------------------------------ matching

    def _languages(self, lang: str | None, hint: str | None, toks: Sequence[str] = ()) -> tuple[list[str], set[str]]:
        primary = []
        # a word in a script of its own ("نعم", "так") counts even where the family chose a Latin-script language:
        # those scripts' short words cannot be mistaken for German or Turkish ones
        scripts = {_SCRIPT_LANGUAGES.get(_script(t), ()) for t in toks}
        for code in (hint, lang, *(c for group in sorted(scripts) for c in group)):
            code = self.aliases.get(code or "", code)
            if code and code not in primary:
                primary.append(code)
        ordered = primary + [c for c in FALLBACK_LANGUAGES if c not in primary]
        return ordered, set(primary)

    def _hits(self, toks: Sequence[str], ordered: list[str], primary: set[str]) -> list[_Hit]:
        allowed = set(ordered)
        hits: list[_Hit] = []
        n = len(toks)
        for i, tok in enumerate(toks):
            forms = [tok]
            if len(tok) > 3 and tok[0] == "و" and tok not in self._exact:  # Arabic "and" glued on: وشكرا
                forms.append(tok[1:])
            for form in forms:
                entries = list(self._exact.get(form, ()))
                for k in range(min(len(form), self._max_stem), 2, -1):
                    entries.extend(self._stems.get(form[:k], ()))
                for e in entries:
                    if e.lang not in allowed:
                        continue
                    end = i + len(e.toks)
                    if end > n or not _tail_matches(e, toks, i):
                        continue
                    if e.lang not in primary and len(e.toks) == 1 and len(e.toks[0]) < 4:
                        continue  # a short word of a language the family does not use ("ja" = "I" in Polish)
                    hits.append(_Hit(i, end, e))
        return hits

    @staticmethod
    def _resolve(hits: list[_Hit], ordered: list[str]) -> list[_Hit]:
        """Longest first, then the family's language first; overlapping shorter hits are dropped."""
        rank = {code: r for r, code in enumerate(ordered)}
        hits = sorted(hits, key=lambda h: (h.start - h.end, rank.get(h.entry.lang, 99), h.start, h.entry.order))
        kept: list[_Hit] = []
        for h in hits:
            clash = False
            for k in kept:
                if h.start < k.end and k.start < h.end:
                    same = (h.start, h.end) == (k.start, k.end) and h.entry.lang == k.entry.lang
                    if not same:
                        clash = True
                        break
            if not clash:
                kept.append(h)
        return sorted(kept, key=lambda h: (h.start, h.entry.order))

    def intents(self, toks: Sequence[str], lang: str | None, hint: str | None = None, raw: str = "") -> tuple[str, ...]:
        """The message's intents, best first (see INTENTS). `toks` are the folded tokens of `raw`."""
        ordered, primary = self._languages(lang, hint, toks)
        all_hits = self._hits(toks, ordered, primary)
        hits = self._resolve([h for h in all_hits if h.entry.kind in INTENTS], ordered)
        helpers = [h for h in all_hits if h.entry.kind in ("filler", "question", "question_start")]
        n = len(toks)
        lead = _lead(n, hits, helpers)
        question = any(m in raw for m in _QUESTION_MARKS) or any(
            h.entry.kind == "question" or (h.entry.kind == "question_start" and h.start == lead) for h in helpers
        )
        found: dict[str, int] = {}
        for h in hits:
            kind = h.entry.kind
            if h.entry.needs_question and not question:
                continue
            answer_misplaced = h.start != lead or (n > SHORT_MESSAGE_TOKENS and not _set_apart(raw, h.end))
            if kind in ("yes", "no") and answer_misplaced:
                continue
            found.setdefault(kind, h.start)
        if not found.get("yes") and n <= 3 and any(e in raw for e in _OK_EMOJI) and "no" not in found:
            found.setdefault("yes", 0)  # 👍 alone (or "👍 danke") agrees
        if question and not any(k.startswith("ask_") for k in found):
            day = self._weekday_hit(toks, ordered, primary)
            if day is not None and day[1] == "weekday":
                found["ask_hours"] = day[0]  # "am Samstag?" asks when it is open
        return tuple(sorted(found, key=lambda k: (_RANK.get(k, _ASK_RANK), found[k], INTENTS.index(k))))

    def _weekday_hit(self, toks: Sequence[str], ordered: list[str], primary: set[str]) -> tuple[int, str, int] | None:
        hits = self._resolve([h for h in self._hits(toks, ordered, primary) if h.entry.kind in _WEEKDAY_KINDS], ordered)
        for h in hits:
            if h.entry.kind == "not_weekday":
                continue
            if h.start > 0 and _NUMBER.match(toks[h.start - 1]):
                continue  # "3 luni" is three months in Romanian, not Monday
            return h.start, h.entry.kind, h.entry.day
        return None

    def weekday(
        self,
        toks: Sequence[str],
        lang: str | None,
        hint: str | None = None,
        today: Callable[[], date] = date.today,
    ) -> int | None:
        """The day (0 = Monday) the message is about: a weekday's name, or today / tomorrow."""
        ordered, primary = self._languages(lang, hint, toks)
        hit = self._weekday_hit(toks, ordered, primary)
        if hit is None:
            return None
        _, kind, day = hit
        if kind == "weekday":
            return day
        return (today() + timedelta(days=1 if kind == "tomorrow" else 0)).weekday()


_SCRIPT_LANGUAGES: dict[str, tuple[str, ...]] = {"arabic": ("ar", "fa"), "cyrillic": ("uk", "ru")}


def _script(tok: str) -> str:
    first = tok[:1]
    if "\u0600" <= first <= "\u06ff":
        return "arabic"
    if "\u0400" <= first <= "\u04ff":
        return "cyrillic"
    return "latin"


def _tail_matches(entry: _Entry, toks: Sequence[str], i: int) -> bool:
    last = len(entry.toks) - 1
    for k, part in enumerate(entry.toks):
        tok = toks[i + k]
        if k == last and entry.prefix:
            if not tok.startswith(part):
                return False
        elif tok != part:
            return False
    return True


def _lead(n: int, hits: Sequence[_Hit], helpers: Sequence[_Hit]) -> int:
    """The first token that is not a greeting, thanks or filler: where an answer must begin."""
    answers = {h.start for h in hits if h.entry.kind in ("yes", "no")}
    skip = [h for h in hits if h.entry.kind in ("greeting", "thanks")]
    # a filler that is itself an answer ("ok", "tamam", "dobra") is the answer
    skip += [h for h in helpers if h.entry.kind == "filler" and h.start not in answers]
    pos = 0
    moved = True
    while moved and pos < n:
        moved = False
        for h in skip:
            if h.start == pos:
                pos, moved = h.end, True
                break
    return pos


def _set_apart(raw: str, end: int) -> bool:
    """In a long message, an answer word must be followed by punctuation ("Ja, wir wohnen in ...")."""
    folded = fold_text(raw)
    spans = [m.span() for m in _TOKEN.finditer(folded)]
    if end >= len(spans) or end == 0:
        return True
    return bool(_BOUNDARY.search(folded[spans[end - 1][1] : spans[end][0]]))
