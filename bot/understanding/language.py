"""Language of a message: script first, then lingua plus lexicon evidence, the user's choice as prior.

Why both: lingua is strong on full sentences but knows no Kurdish and wavers on two-word
messages ("Spas", "kerkoj pune"); the lexicons know exactly the words families write.
"""

from __future__ import annotations

from collections.abc import Sequence

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

SUPPORTED: tuple[str, ...] = ("de", "en", "tr", "ar", "uk", "ru", "fa", "ro", "pl", "it", "hr", "sq", "ku")
# lingua codes -> ours (Bosnian and Serbian in Latin script are served as "hr")
_LINGUA_MAP = {"bs": "hr", "sr": "hr"}
_LATIN = ("de", "en", "tr", "ro", "pl", "it", "hr", "sq", "ku")
_PERSIAN_LETTERS = set("پچژگ")
_UK_LETTERS = set("іїєґ")
_RU_LETTERS = set("ыэъё")


class LanguageGuesser:
    def __init__(self, token_languages: dict[str, set[str]]) -> None:
        self._token_languages = token_languages
        codes = [*SUPPORTED, "bs", "sr"]
        languages = []
        for code in codes:
            try:
                languages.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
            except (AttributeError, ValueError):
                continue  # Kurdish: not in lingua, decided by the lexicon alone
        self._detector = LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()

    def guess(self, raw: str, toks: Sequence[str], hint: str | None = None) -> str | None:
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
        if hint in candidates and len(toks) <= 2 and _lexicon_supports(self._token_languages, toks, hint):
            return hint  # a short message in the chosen language's own words: trust the choice
        scores = dict.fromkeys(candidates, 0.0)
        script_text = raw
        try:
            for conf in self._detector.compute_language_confidence_values(script_text):
                code = conf.language.iso_code_639_1.name.lower()
                code = _LINGUA_MAP.get(code, code)
                if code in scores:
                    scores[code] += conf.value
        except Exception:  # lingua must never take the bot down; the lexicon still decides
            pass
        alpha = [t for t in toks if t.isalpha()]
        if alpha:
            for tok in alpha:
                langs = self._token_languages.get(tok, ())
                share = [lang for lang in langs if lang in scores]
                for lang in share:
                    scores[lang] += 1.0 / len(share) / len(alpha) * 1.2
        if hint in scores:
            scores[hint] += 0.25
        best = max(scores.items(), key=lambda kv: kv[1])
        return best[0] if best[1] > 0 else (hint if hint in candidates else candidates[0])


def _lexicon_supports(token_languages: dict[str, set[str]], toks: Sequence[str], lang: str) -> bool:
    return any(lang in token_languages.get(t, ()) for t in toks)
