"""Language of a message: script first, then a statistical guess plus lexicon evidence, the family's choice as prior.

The statistical guess is the semantic layer's language head where the encoder runs (it reads romanized Arabic,
Persian and Russian as what they are, and knows Kurmanji), else lingua. Why lexicon evidence as well: both are
unsure on two-word messages ("Spas", "kerkoj pune"); the lexicons know exactly the words families write.
Why not lingua beside the head: ~50 MB for no gain once the head is there; it is loaded only without it.

Why lingua's low-accuracy mode: its high-accuracy models (1- to 5-grams) of our 15 languages take ~400 MB and
2.5 s to load; the trigram models take ~30 MB and 0.2 s. What they lose on very short texts the script rules,
the lexicons and the family's chosen language make up (eval set: 0.992 -> see bench/understand_match.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from bot.understanding.normalize import fold_text

SUPPORTED: tuple[str, ...] = ("de", "en", "tr", "ar", "uk", "ru", "fa", "ro", "pl", "it", "hr", "sq", "ku")
# lingua codes -> ours (Bosnian and Serbian in Latin script are served as "hr")
_LINGUA_MAP = {"bs": "hr", "sr": "hr"}
_LATIN = ("de", "en", "tr", "ro", "pl", "it", "hr", "sq", "ku")
_PERSIAN_LETTERS = set("پچژگ")
_UK_LETTERS = set("іїєґ")
_RU_LETTERS = set("ыэъё")
# Kurmanji in Latin script: ê and û occur in none of our other Latin languages (Romanian has î, Turkish ş/ç).
_KU_LETTERS = set("êû")
_KU_WORDS = frozenset(
    [
        "ez",
        "min",
        "te",
        "em",
        "hûn",
        "hun",
        "ji",
        "bo",
        "bi",
        "li",
        "ku",
        "heye",
        "tune",
        "dixwazim",
        "dikarim",
        "zarok",
        "zarokê",
        "zaroke",
        "zarokên",
        "zaroken",
        "kurê",
        "kure",
        "keça",
        "keca",
        "alîkarî",
        "alikari",
        "alîkariyê",
        "spas",
        "silav",
        "çawa",
        "cawa",
        "çi",
        "kengê",
        "nizanim",
        "ye",
        "me",
        "in",
        "re",
        "jî",
    ]
)


# Written in Latin letters, these are still Arabic, Persian, Russian or Ukrainian ("ibni 6 snin", "shoharam mano
# zad"): the head may say so when it is this sure and the message has a few words
ROMANIZED = ("ar", "fa", "ru", "uk")
ROMANIZED_SHARE = 0.25
ROMANIZED_MARGIN = 1.3
ROMANIZED_MIN_WORDS = 3


class LanguageGuesser:
    def __init__(self, token_languages: dict[str, set[str]]) -> None:
        self._token_languages = token_languages

    @cached_property
    def _detector(self) -> Any:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        languages = []
        for code in [*SUPPORTED, "bs", "sr"]:
            try:
                languages.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
            except (AttributeError, ValueError):
                continue  # Kurdish: not in lingua, decided by the lexicon alone
        return (
            LanguageDetectorBuilder.from_languages(*languages)
            .with_low_accuracy_mode()
            .with_preloaded_language_models()
            .build()
        )

    def _lingua(self, text: str) -> list[tuple[str, float]]:
        try:
            values = self._detector.compute_language_confidence_values(text)
        except Exception:  # lingua must never take the bot down; the lexicon still decides
            return []
        out = []
        for conf in values:
            code = conf.language.iso_code_639_1.name.lower()
            out.append((_LINGUA_MAP.get(code, code), conf.value))
        return out

    def guess(
        self,
        raw: str,
        toks: Sequence[str],
        hint: str | None = None,
        names: frozenset[str] = frozenset(),
        head: Sequence[tuple[str, float]] = (),
    ) -> str | None:
        """`names`: folded tokens of place names in the message (German in every language: not evidence);
        `head`: the semantic layer's language shares, used instead of lingua when given."""
        letters = [ch for ch in raw.lower() if ch.isalpha()]
        if not letters:
            return None
        arabic = sum(1 for ch in letters if "\u0600" <= ch <= "\u06ff")
        cyrillic = sum(1 for ch in letters if "\u0400" <= ch <= "\u04ff")
        latin = sum(1 for ch in letters if ch.isascii() or "\u00c0" <= ch <= "\u024f")
        if arabic >= max(cyrillic, latin):
            if _PERSIAN_LETTERS & set(letters):
                return "fa"
            candidates: tuple[str, ...] = ("ar", "fa")
        elif cyrillic >= latin:
            if _UK_LETTERS & set(letters):
                return "uk"
            if _RU_LETTERS & set(letters):
                return "ru"
            candidates = ("uk", "ru")
        else:
            candidates = _LATIN
        words = [t for t in toks if t.isalpha()]
        if hint in SUPPORTED and len(words) <= 2:
            # a word or two ("ok", "hallo", "merhaba", "Spas") never flips the family's chosen language
            return hint
        shares = dict(head)
        if candidates is _LATIN and len(words) >= ROMANIZED_MIN_WORDS and head:
            top, share = head[0]
            latin_best = max(shares.get(c, 0.0) for c in _LATIN)
            if top in ROMANIZED and share >= ROMANIZED_SHARE and share >= ROMANIZED_MARGIN * latin_best:
                return top
        scores = dict.fromkeys(candidates, 0.0)
        alpha_all = [t for t in toks if t.isalpha()]
        # Place names and the German terms every lexicon borrows ("Kindergeld", "Kita", "kindergarden") say
        # nothing about the language the sentence is written in: lingua reads the rest
        borrowed = names | {t for t in alpha_all if len(self._token_languages.get(t, ())) >= 3}
        script_text = _without(raw, borrowed) if borrowed else raw
        if len(_WORD.findall(script_text)) < 2:  # too little left: German words in a German message
            script_text = _without(raw, names) if names else raw
        statistical = head if head else self._lingua(script_text)
        for code, value in statistical:
            if code in scores:
                scores[code] += value
        alpha = [t for t in toks if t.isalpha()]
        if alpha:
            for tok in alpha:
                langs = self._token_languages.get(tok, ())
                share = [lang for lang in langs if lang in scores]
                for lang in share:  # on a word or two the lexicon knows more than lingua's trigrams
                    scores[lang] += 1.0 / len(share) / len(alpha) * (1.2 if len(alpha) > 2 else 2.5)
        if "ku" in scores and not head:  # lingua has no Kurdish: its letters and its little words speak for it
            ku_words = sum(1 for t in alpha if t in _KU_WORDS) / max(1, len(alpha))
            scores["ku"] += 0.6 * bool(_KU_LETTERS & set(letters)) + 0.8 * ku_words
        if hint in scores:
            scores[hint] += 0.25
            best_score = max(scores.values())
            if best_score - scores[hint] < 0.15:
                return hint  # a close call: the family's choice decides
        # highest score; ties go to the earlier language in SUPPORTED order (never dict or set order)
        best = max(candidates, key=lambda c: (scores[c], -candidates.index(c)))
        return best if scores[best] > 0 else (hint if hint in candidates else candidates[0])


_WORD = re.compile(r"\w+")


def _without(raw: str, names: frozenset[str]) -> str:
    return _WORD.sub(lambda m: " " if fold_text(m.group(0)) in names else m.group(0), raw)


def _lexicon_supports(token_languages: dict[str, set[str]], toks: Sequence[str], lang: str) -> bool:
    return any(lang in token_languages.get(t, ()) for t in toks)
