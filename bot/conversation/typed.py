"""Reading typed answers the way the buttons would: labels typed in any locale, yes/no words, a bare age.

Why: families type instead of tapping ("evet", "بعد الظهر", "sibê", "2 bucuk yasinda"). Every step's buttons
are compared with the typed text in all 14 catalogs, so a button is a shortcut and never the only way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from rapidfuzz import fuzz

from bot.conversation.model import Button
from bot.i18n import SUPPORTED, texts
from bot.understanding.normalize import fold_text, tokens

# A typed label counts when it is (nearly) the label: typos tolerated, but only for words long enough to be safe.
FUZZY_MIN = 88
FUZZY_MIN_CHARS = 5
SHORT_ANSWER_TOKENS = 4  # "ja bitte gerne", "evet lütfen": longer messages are read as text, not as a tap

_NOT_WORD = re.compile(r"[^\w\s]+")


def word_set(words: str) -> frozenset[str]:
    """Folded words of a space-separated list (kept as one readable string per group of languages)."""
    return frozenset(fold_label(w) for w in words.split())


def fold_label(text: str) -> str:
    """Folded text without emoji and punctuation: '🙋 Talk to a person' -> 'talk to a person'."""
    return " ".join(tokens(_NOT_WORD.sub(" ", fold_text(text))))


def label_matches(typed: str, label: str) -> bool:
    """The typed text is this label (or its distinctive first part: 'Yes, pass it on' -> 'yes')."""
    want = fold_label(label)
    if not typed or not want:
        return False
    if typed == want:
        return True
    if len(typed) >= FUZZY_MIN_CHARS and len(want) >= FUZZY_MIN_CHARS and fuzz.ratio(typed, want) >= FUZZY_MIN:
        return True
    # the part before a comma or '&' stands for the label ('Evet, iletin' <- 'evet'; 'Kita & childcare' <- 'kita')
    head = fold_label(re.split(r"[,&·(/]", label, maxsplit=1)[0])
    return bool(head) and head != want and typed == head


def typed_button(text: str, rows_by_locale: Iterable[tuple[tuple[Button, ...], ...]]) -> str | None:
    """The data of the one button whose label (in any locale) the text is; None if none or several differ."""
    typed = fold_label(text)
    if not typed or len(typed.split()) > 8:
        return None
    found: set[str] = set()
    for rows in rows_by_locale:
        for row in rows:
            for button in row:
                if label_matches(typed, button.label):
                    found.add(button.data)
    return found.pop() if len(found) == 1 else None


# ------------------------------------------------------------------ yes and no


@cache
def squeezed(word: str) -> str:
    """A word with a letter held at its end typed once: "jaaa" -> "ja", "yesss" -> "yes", "nooo" -> "no"."""
    return re.sub(r"(\w)\1+$", r"\1", word)


def _answer_words() -> tuple[frozenset[str], frozenset[str]]:
    """Yes and no words from the catalogs themselves (the translated 'Yes' / 'No' and the yes-buttons' first
    word), plus the few that every language borrows. The understanding's intents add the rest."""
    yes: set[str] = {"ok", "okay", "okey", "oke", "yes", "ja", "si", "da", "tak", "po", "evet", "erê", "ere"}
    no: set[str] = {"no", "nein", "nee", "hayir", "net", "nu", "jo", "na", "ne", "nie"}
    for code in SUPPORTED:
        t = texts(code)
        for msgid in ("Yes", "Yes, pass it on", "Yes, let's start"):
            word = fold_label(re.split(r"[,!]", t._(msgid), maxsplit=1)[0])
            if word and len(word.split()) <= 2:
                yes.add(word)
        word = fold_label(t._("No"))
        if word:
            no.add(word)
    yes = {squeezed(fold_label(w)) for w in yes}
    no = {squeezed(fold_label(w)) for w in no}
    return frozenset(yes - no), frozenset(no - yes)


# Words that only soften an answer ("ja bitte", "evet lütfen", "no thanks"): ignored when reading yes/no.
_SOFTENERS = word_set(
    "bitte gerne danke doch klar natürlich please sure thanks thank you lütfen tabii olur tamam "
    "من فضلك شكرا ممكن пожалуйста спасибо конечно будь ласка дякую звичайно لطفا ممنون خواهش "
    "vă rog va mulțumesc multumesc proszę dziękuję dziekuje oczywiście per favore grazie certo "
    "molim hvala naravno ju lutem faleminderit sigurisht ji kerema xwe spas belê bele"
)


def yes_or_no(text: str, intents: tuple[str, ...]) -> str | None:
    """'yes' / 'no' when the message is a short agreement or refusal (intents first, then the catalogs' words)."""
    if "yes" in intents and "no" not in intents:
        return "yes"
    if "no" in intents and "yes" not in intents:
        return "no"
    words = [squeezed(w) for w in fold_label(text).split() if w not in _SOFTENERS]
    if not words or len(words) > SHORT_ANSWER_TOKENS:
        return None
    if len(words) > 1 and text.strip().endswith(("?", "؟")):
        return None  # "ne kadar?" (Turkish: how much?), "nein, aber was kostet das?": a question, not a no
    yes, no = _answer_words()
    joined = " ".join(words)
    if joined in yes or words[0] in yes:
        return "yes" if not any(w in no for w in words) else None
    if joined in no or words[0] in no:
        return "no"
    return None


# ------------------------------------------------------------------ an age typed at the age question

# "A baby" as the answer to "how old is your child?" is the youngest age band (no number to read).
_BABY_WORDS = word_set(
    "baby babi babys bebe bebek bebegim säugling saugling newborn infant رضيع رضيعة نوزاد "
    "младенец малыш немовля малюк немовлятко niemowle niemowlak noworodek bebelus bebeluș sugar neonato "
    "neonata beba bebica foshnje foshnjë bebushi pitik"
)
_BABY_FILLERS = word_set(
    "ein eine mein meine es ist a an my it is its bir benim bu هو هي انه طفلي يك من это мой моя це мій "
    "моє moje mój to un una o e mio mia je moj moja është një im ye"
)


# "4, nicht 3" / "not 3 but 4": the number after a negation is the one being corrected away.
_NEGATIONS = word_set("nicht kein keine not no nope ne не ні nie nu jo na نه لا مش مو ni nije nuk")
_NEGATIONS_AFTER = word_set("degil değil")  # Turkish: "3 değil 4" (not 3, 4)


def negated_numbers(text: str) -> frozenset[int]:
    """Numbers the message says are wrong: "sie ist 4 nicht 3" -> {3}; "3 değil 4" -> {3}."""
    words = fold_label(text).split()
    found = set()
    for i, word in enumerate(words):
        if not word.isdigit():
            continue
        if (i > 0 and words[i - 1] in _NEGATIONS) or (i + 1 < len(words) and words[i + 1] in _NEGATIONS_AFTER):
            found.add(int(word))
    return frozenset(found)


def is_baby_answer(text: str) -> bool:
    """Whether a short answer says "a baby" ("ein Baby", "bebek", "رضيع"), with nothing else but fillers."""
    words = fold_label(text).split()
    if not words or len(words) > 4 or any(w.isdigit() for w in words):
        return False
    return any(w in _BABY_WORDS for w in words) and all(w in _BABY_WORDS or w in _BABY_FILLERS for w in words)


_HALF_WORDS = word_set(
    "buçuk bucuk half halb einhalb половиной пів півтора نصف ونصف نیم ونیم jumătate jumatate pół pol mezzo "
    "gjysmë gjysme nîv niv"
)
_MONTH_WORDS = ("mon", "ay", "шах", "мес", "міс", "شهر", "ماه", "lun", "mies", "mes", "mjes", "muaj", "meh")
_NUMBER = re.compile(r"^\d{1,2}(?:[.,]\d)?$")


def age_answer_months(text: str) -> tuple[int, ...]:
    """At the age question a number is an age: '4' -> (48,), '2 bucuk yasinda' -> (30,), '8 ay' -> (8,),
    '5 und 9' -> (60, 108) for two children. Only used when the understanding found no age there."""
    toks = tokens(fold_text(text))
    numbers = [t for t in toks if _NUMBER.match(t)]
    if not numbers or len(toks) > 8 or len(numbers) > 4:
        return ()
    words = [t for t in toks if not _NUMBER.match(t)]
    months = any(w.startswith(_MONTH_WORDS) for w in words)
    if len(numbers) == 1:
        value = float(numbers[0].replace(",", "."))
        if any(t in _HALF_WORDS for t in toks):
            value += 0.5
        if months and value <= 24:
            return (int(value),)
        return (round(value * 12),) if value <= 17 else ()
    values = [float(n.replace(",", ".")) for n in numbers]
    if months or any(v > 17 for v in values):
        return ()
    return tuple(round(v * 12) for v in values)
