"""Text normalisation shared by every concern: one folding for the lexicon and for messages.

Why: messages come with typos, missing diacritics, zero-width characters, Arabic-Indic digits and
mixed scripts. Folding both sides the same way lets plain dict look-ups do most of the work.
"""

from __future__ import annotations

import re
import unicodedata

from bot.domain.places import fold

# Letters that NFKD does not decompose but people routinely type without their marks.
_EXTRA = str.maketrans(
    {
        "ı": "i",
        "ł": "l",
        "đ": "d",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ħ": "h",
        # Arabic/Persian: unify letter variants so Persian and Arabic keyboards meet.
        "ی": "ي",
        "ى": "ي",
        "ئ": "ي",
        "ک": "ك",
        "ة": "ه",
        "ۀ": "ه",
        "ؤ": "و",
        "ـ": "",
        "’": "'",
        "ʼ": "'",
        "`": "'",
        "´": "'",  # apostrophe look-alikes (Ukrainian б'є, Turkish 'de)
        "\u200c": " ",  # Persian zero-width non-joiner separates word parts: treat as a space
    }
)
_HALF = re.compile(r"(\d)\s*(?:½|1/2)")
_LONE_HALF = re.compile(r"½")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+")


def clean(text: str) -> str:
    """NFKC, digits of any script to ASCII, control and format characters dropped."""
    text = unicodedata.normalize("NFKC", text)
    out: list[str] = []
    for ch in text:
        if ch == "\u200c":
            out.append(" ")
            continue
        cat = unicodedata.category(ch)
        if cat == "Nd":
            out.append(str(unicodedata.decimal(ch, 0)))
        elif cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def fold_text(text: str) -> str:
    """Lower-case, without diacritics and with unified letter variants; digits already ASCII."""
    text = clean(text)
    text = _HALF.sub(r"\1.5", text)
    text = _LONE_HALF.sub(" 0.5 ", text)
    return fold(text).translate(_EXTRA)


def tokens(folded: str) -> list[str]:
    """Word and number tokens of folded text ("2,5" stays one token)."""
    return _TOKEN.findall(folded)


def tokenize(text: str) -> list[str]:
    return tokens(fold_text(text))
