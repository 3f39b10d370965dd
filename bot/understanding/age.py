"""The child's age from a message: digits of any script, number words, halves, months, weeks.

Why rules and not a model: ages come in a handful of shapes ("3 Jahre", "٣ سنوات", "zweieinhalb",
"iki buçuk yaşında", "18 ماهشه", "4 1/2") that the lexicons describe per language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.understanding.normalize import fold_text, tokenize

# Weeks are not part of the lexicon format; a few unit words per language suffice.
_WEEKS = {
    "woche",
    "wochen",
    "wo",
    "week",
    "weeks",
    "wk",
    "wks",
    "hafta",
    "haftalik",
    "اسبوع",
    "اسابيع",
    "اسبوعين",
    "тиждень",
    "тижні",
    "тижнів",
    "тижня",
    "неделя",
    "недели",
    "недель",
    "неделю",
    "هفته",
    "saptamani",
    "saptamana",
    "tydzien",
    "tygodnie",
    "tygodni",
    "settimana",
    "settimane",
    "tjedan",
    "tjedna",
    "tjedana",
    "jave",
    "java",
    "hefte",
    "hefteyi",
    "ssw",
}
# Days, too, are an age only when said of the child ("maly ma 10 dni", "10 Tage alt"); else a duration.
_DAYS = {
    "tag",
    "tage",
    "tagen",
    "day",
    "days",
    "gun",
    "gunluk",
    "يوم",
    "ايام",
    "أيام",
    "день",
    "дня",
    "дней",
    "днів",
    "дні",
    "روز",
    "روزه",
    "روزشه",
    "zile",
    "zi",
    "dni",
    "dzien",
    "dana",
    "dan",
    "giorni",
    "giorno",
    "dite",
    "dit",
    "roj",
    "rojan",
    "rojî",
}
# Connectors between a number and "and a half" ("zwei und ein halb", "два з половиною").
_CONNECTORS = {"und", "and", "a", "ve", "و", "i", "e", "si", "и", "з", "с", "u", "ile"}
# Words that put an age on the writer, not the child ("ich bin 17 und schwanger").
_FIRST_PERSON = {"bin", "am", "m", "ben", "я", "انا", "من", "sunt", "jestem", "sono", "ho", "jam", "ez", "imam"}
# Words after which a bare number is a child's age ("Sohn (9)", "сину 13", "he's 4").
_CHILD_WORDS = {
    "sohn",
    "tochter",
    "kind",
    "kleiner",
    "kleine",
    "junge",
    "madchen",
    "er",
    "sie",
    "son",
    "daughter",
    "kid",
    "child",
    "he",
    "she",
    "hes",
    "shes",
    "s",
    "they",
    "oglum",
    "kizim",
    "cocugum",
    "сину",
    "синові",
    "доньці",
    "дитині",
    "йому",
    "іи",
    "сыну",
    "дочке",
    "дочери",
    "ребенку",
    "ему",
    "еи",
    "ابني",
    "بنتي",
    "ibni",
    "ebni",
    "binti",
    "bnti",
    "3mro",
    "3omro",
    "3mra",
    "3omra",
    "pesaram",
    "dokhtaram",
    "bacham",
    "ابنتي",
    "عمره",
    "عمرها",
    "پسرم",
    "دخترم",
    "fiul",
    "fiica",
    "syn",
    "corka",
    "figlio",
    "figlia",
    "sin",
    "kcer",
    "djali",
    "vajza",
    "kure",
    "keca",
    "ist",
    "is",
    "are",
    "ima",
    "ma",
    "ha",
    "kinder",
    "kids",
    "kinderwagen",
}


def _folded(words: set[str]) -> frozenset[str]:
    return frozenset(fold_text(w) for w in words)


_WEEKS, _DAYS, _CONNECTORS, _FIRST_PERSON, _CHILD_WORDS = map(
    _folded, (_WEEKS, _DAYS, _CONNECTORS, _FIRST_PERSON, _CHILD_WORDS)
)
# "дитині тільки рік", "she is only 2": a word between the child and its age
_ONLY = _folded(
    {"nur", "only", "just", "sadece", "فقط", "только", "тільки", "лише", "doar", "tylko", "solo", "samo", "vetem"}
    | {"tene"}
)
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
_STOP_AFTER = {
    "kinder",
    "kindern",
    "kids",
    "children",
    "klasse",
    "uhr",
    "euro",
    "eur",
    "cocuk",
    "cocugum",
    "детей",
    "дітей",
    "дитини",
    "اطفال",
    "ولاد",
    "اولاد",
    "أولاد",
    "wlad",
    "بچه",
    "bache",
    "bacheha",
    "copii",
    "copiii",
    "dzieci",
    "dzieciaki",
    "dzieciakow",
    "bambini",
    "figli",
    "djece",
    "djeca",
    "femije",
    "femijet",
    "zarok",
    "zarokan",
    "zarokên",
    "grad",
    "degrees",
    "zimmer",
    "stunden",
    "hours",
    "mal",
    "times",
    "km",
    "m",
    "meter",
    "minuten",
    "min",
    "minutes",
    "std",
    "prozent",
    "percent",
}
_STOP_AFTER = {fold_text(w) for w in _STOP_AFTER}
# A number right after these is a class, a check-up or a count, never an age ("Klasse 3", "U 7").
_NOT_AGE_BEFORE = _folded(
    {
        "خبرة",  # ar: "خبرة ١٠ سنين" (ten years of experience)
        "klasse",
        "class",
        "grade",
        "year",
        "jahrgangsstufe",
        "stufe",
        "ab",
        "sinif",
        "sınıf",
        "класс",
        "клас",
        "صف",
        "الصف",
        "کلاس",
        "clasa",
        "klasa",
        "classe",
        "razred",
        "klasen",
        "u",
        "nr",
        "no",
        "nummer",
        "number",
        "zimmer",
        "bus",
        "linie",
        "seite",
        "page",
    }
)
# Durations and points in time: "seit zwei Wochen", "for 2 years", "vor 3 Jahren", "منذ سنتين" are no age.
_DURATION_BEFORE = _folded(
    {
        "seit",
        "since",
        "for",
        "vor",
        "منذ",
        "da",
        "prije",
        "para",
        "berî",
        "depuis",
        "через",
        "acum",
        "once",
        "twice",
        "in",
        "nach",
        "after",
        "بعد",
        "خلال",
        "within",
        "innerhalb",
        "alle",
        "every",
        "jede",
        "jeden",
        "jedes",
        "pro",
        "per",
        "prej",  # sq: "prej 3 vitesh" (for 3 years)
    }
)
_DURATION_AFTER = _folded(
    {
        "ago",
        "lang",
        "назад",
        "тому",
        "پیش",
        "قبل",
        "temu",
        "fa",
        "گذشته",  # fa: "۳ سال گذشته" (three years have passed)
        "zurück",
        "yildir",
        "aydir",
        "haftadir",
        "gundur",
        "later",
        "spater",
        "später",
        "danach",
        "sonra",
        "icinde",
        "içinde",
        "önce",
        "evvel",
    }
)
# Weeks are an age only when said of the child ("6 Wochen alt", "Baby ist 6 Wochen"); else a duration.
_OLD = _folded(
    {"alt", "old", "altes", "alter", "alte", "jung", "haftalik", "vjec", "star", "stara", "stary", "vecchio"}
)
_BABY = _folded(
    {
        "baby",
        "bebe",
        "bebek",
        "bebegim",
        "бебе",
        "малыш",
        "малюк",
        "رضيع",
        "نوزاد",
        "niemowle",
        "neonato",
        "beba",
        "pitik",
        "säugling",
        "saugling",
        "sohn",
        "tochter",
        "son",
        "daughter",
    }
)
# Several children of the same age: twins, triplets.
_TWINS = {
    w: n
    for words, n in (
        (
            {
                "zwillinge",
                "zwillingen",
                "twins",
                "ikiz",
                "ikizler",
                "ikizlerim",
                "توأم",
                "توام",
                "توائم",
                "близнюки",
                "близнята",
                "близнецы",
                "دوقلو",
                "دوقلوها",
                "gemeni",
                "gemenii",
                "bliźniaki",
                "blizniaki",
                "bliźnięta",
                "blizneta",
                "gemelli",
                "gemelle",
                "blizanci",
                "blizanke",
                "binjakë",
                "binjake",
                "binjaket",
                "cêwî",
                "cewi",
            },
            2,
        ),
        ({"drillinge", "triplets", "трійня", "тройня", "trigemeni", "trojaczki", "tre gemelli", "trojke"}, 3),
    )
    for w in _folded(words)
}
# "turns 5 next month": the child is 4 years and 11 months today.
_TURNS = _folded(
    {
        "turns",
        "turn",
        "turning",
        "wird",
        "werden",
        "olacak",
        "olur",
        "исполнится",
        "виповниться",
        "تصير",
        "يصير",
        "میشه",
        "face",
        "skończy",
        "skonczy",
        "compie",
        "compirà",
        "compira",
        "napuni",
        "mbush",
        "dibe",
    }
)
_TURNED = _folded(
    {
        "turned",
        "geworden",
        "doldu",
        "исполнилось",
        "виповнилось",
        "صار",
        "صارت",
        "شد",
        "împlinit",
        "implinit",
        "skończył",
        "skonczyl",
        "skończyła",
        "skonczyla",
        "compiuto",
        "napunio",
        "napunila",
        "mbushi",
    }
)
_NEXT_MONTH = tuple(
    tuple(tokenize(p))
    for p in (
        "nächsten monat",
        "naechsten monat",
        "next month",
        "gelecek ay",
        "önümüzdeki ay",
        "الشهر القادم",
        "الشهر الجاي",
        "наступного місяця",
        "в следующем месяце",
        "ماه آینده",
        "ماه بعد",
        "luna viitoare",
        "w przyszłym miesiącu",
        "il mese prossimo",
        "il prossimo mese",
        "sljedeći mjesec",
        "idući mjesec",
        "muajin e ardhshëm",
        "meha bê",
    )
)


@dataclass(frozen=True, slots=True)
class AgeVocabulary:
    numbers: dict[tuple[str, ...], float]
    half: set[tuple[str, ...]]
    years: set[str]
    months: set[str]
    max_number_len: int


def merge_age_data(age: Mapping[str, Mapping[str, Any]], prefer: Sequence[str] = ()) -> AgeVocabulary:
    """All languages together (messages mix them); preferred languages win on conflicting words."""
    numbers: dict[tuple[str, ...], float] = {}
    half: set[tuple[str, ...]] = set()
    years: set[str] = set()
    months: set[str] = set()
    order = [lang for lang in age if lang not in prefer] + [lang for lang in prefer if lang in age]
    for lang in order:
        data = age[lang]
        numbers.update(data["numbers"])
        half |= data["half"]
        years |= {t[0] for t in data["years"] if len(t) == 1}
        months |= {t[0] for t in data["months"] if len(t) == 1}
    # a few unit spellings families use that lexicons may miss
    years |= {"y", "yo", "yrs", "yr", "j", "jr", "jahrig", "jahriger", "jahrige", "jahrigen", "سال", "vjec"}
    months |= {"ماه", "mo", "mon", "mths"}
    return AgeVocabulary(numbers, half, years, months, max((len(k) for k in numbers), default=1))


def _unit(tok: str, vocab: AgeVocabulary) -> str | None:
    """'years' | 'months' | 'weeks' for a unit word, allowing short endings (سالشه, yaşındayım, 5jährigen)."""
    for unit, words in (("months", vocab.months), ("years", vocab.years), ("weeks", _WEEKS), ("days", _DAYS)):
        if tok in words:
            return unit
    for cut in range(1, 5):
        stem = tok[:-cut]
        if len(stem) < 3:
            break
        for unit, words in (("months", vocab.months), ("years", vocab.years), ("weeks", _WEEKS)):
            if stem in words:
                return unit
    return None


def _number_at(toks: Sequence[str], i: int, vocab: AgeVocabulary) -> tuple[float, int, str | None] | None:
    """(value, next index, implied unit) for a number starting at token i."""
    tok = toks[i]
    if _NUMBER.match(tok):
        try:
            return float(tok.replace(",", ".")), i + 1, None
        except ValueError:
            return None
    for size in range(min(vocab.max_number_len, len(toks) - i), 0, -1):
        key = tuple(toks[i : i + size])
        if key in vocab.numbers:
            implied = _unit(key[-1], vocab) if size == 1 and not key[-1].isdigit() else None
            return vocab.numbers[key], i + size, implied
    # glued number word + unit: dreijährig, zweieinhalbjährige
    if len(tok) >= 6:
        for k in range(len(tok) - 2, 2, -1):
            head = (tok[:k],)
            if head in vocab.numbers and (unit := _unit(tok[k:], vocab)):
                return vocab.numbers[head], i + 1, unit
    return None


def _half_at(toks: Sequence[str], i: int, vocab: AgeVocabulary) -> int | None:
    """Index after an 'and a half' phrase starting at i (optionally after a connector), else None."""
    for start in (i, i + 1):
        if start > i and (i >= len(toks) or toks[i] not in _CONNECTORS):
            break
        for size in (3, 2, 1):
            if tuple(toks[start : start + size]) in vocab.half:
                return start + size
        # glued Arabic "ونصف" is in the lexicon; glued "ونص" variants after fold
    return None


@dataclass(frozen=True, slots=True)
class BirthVocabulary:
    """Words for "born" and the calendar months of every lexicon, read to turn a birth date into an age."""

    born: tuple[tuple[str, ...], ...]
    months: dict[str, tuple[tuple[str, bool, int], ...]] = field(default_factory=dict)  # lang -> (stem, prefix, 1..12)

    def month_of(self, tok: str, lang: str | None) -> int | None:
        """The month a token names, the message's own language first ("listopad" is November in Polish)."""
        order = ([lang] if lang in self.months else []) + sorted(self.months)
        for code in order:
            for stem, prefix, month in self.months[code]:
                if tok == stem or (prefix and len(tok) > len(stem) and tok.startswith(stem)):
                    return month
        return None


def birth_vocabulary(lexicons: Mapping[str, Mapping[str, Any]]) -> BirthVocabulary:
    born: set[tuple[str, ...]] = set()
    months: dict[str, tuple[tuple[str, bool, int], ...]] = {}
    for lang in sorted(lexicons):
        age = (lexicons[lang] or {}).get("age") or {}
        born |= {t for w in age.get("born") or () if (t := tuple(tokenize(str(w))))}
        entries: list[tuple[str, bool, int]] = []
        for month, names in enumerate(age.get("calendar") or (), 1):
            for name in names or ():
                text = str(name)
                toks = tokenize(text.rstrip("*"))
                if len(toks) == 1:  # two-word Levantine names ("كانون الثاني") are read by their first word below
                    entries.append((toks[0], text.endswith("*"), month))
        months[lang] = tuple(entries)
    return BirthVocabulary(tuple(sorted(born, key=lambda t: (-len(t), t))), months)


_TOKEN_SPAN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+")  # the same tokens as normalize.tokens
_NUMERIC_DATE = re.compile(r"(?<!\d)(?:(\d{1,2})[./-])?(\d{1,2})[./-]((?:19|20)\d{2})(?!\d)")


@dataclass(frozen=True, slots=True)
class _Layout:
    """What the raw text says around each token that the tokens themselves lose."""

    parenthesised: frozenset[int]  # "Sohn (9)": the token stood alone in parentheses
    glued: frozenset[int]  # "U7", "J1": a number glued to letters (a check-up, not an age)
    letters_after: frozenset[int]  # "3omro", "ma3": Arabizi writes letters as digits (unless a unit follows)


def _layout(raw: str, n: int) -> _Layout:
    if not raw:
        return _Layout(frozenset(), frozenset(), frozenset())
    folded = fold_text(raw)
    spans = [m.span() for m in _TOKEN_SPAN.finditer(folded)][:n]
    paren, glued, letters_after = set(), set(), set()
    for i, (a, b) in enumerate(spans):
        before, after = folded[:a].rstrip()[-1:], folded[b:].lstrip()[:1]
        if before == "(" and after == ")":
            paren.add(i)
        if folded[a].isdigit() and a > 0 and folded[a - 1].isalpha():
            glued.add(i)
        if folded[a].isdigit() and b < len(folded) and folded[b].isalpha():
            letters_after.add(i)
    return _Layout(frozenset(paren), frozenset(glued), frozenset(letters_after))


def _months_between(year: int, month: int, today: date, day: int | None = None) -> int | None:
    """Whole months lived; without a day of birth, the middle of the month is the likeliest one."""
    months = (today.year - year) * 12 + today.month - month
    if today.day < (day if day and 1 <= day <= 31 else 15):
        months -= 1
    return months if 0 <= months <= 18 * 12 else None


def _birth_age(
    toks: Sequence[str], raw: str, birth: BirthVocabulary | None, lang: str | None, today: date
) -> int | None:
    """Age in months from "born in March 2024", "geboren 03/2024", "Mart 2024'te doğdu"."""
    if birth is None:
        return None
    n = len(toks)
    if not any(tuple(toks[i : i + len(b)]) == b for b in birth.born for i in range(n)):
        return None
    for m in _NUMERIC_DATE.finditer(fold_text(raw)):
        day, month, year = (int(m.group(1)) if m.group(1) else None), int(m.group(2)), int(m.group(3))
        if 1 <= month <= 12:
            return _months_between(year, month, today, day)
    for i, tok in enumerate(toks):
        if not (len(tok) == 4 and tok.isdigit() and tok[:2] in ("19", "20")):
            continue
        for j in (i - 1, i + 1, i - 2):  # "März 2024", "2024 Martında", "März des Jahres 2024"
            if 0 <= j < n and (month := birth.month_of(toks[j], lang)):
                day = next((int(toks[k]) for k in (j - 1, j + 1) if 0 <= k < n and k != i and toks[k].isdigit()), None)
                return _months_between(int(tok), month, today, day)
    return None


def _is_bare_answer(toks: Sequence[str], vocab: AgeVocabulary) -> bool:
    """The whole message is numbers ("4", "4 1/2", "zweieinhalb", "5 und 9"): an answer to "how old?"."""
    if not toks or len(toks) > 6:
        return False
    i, numbers = 0, 0
    while i < len(toks):
        tok = toks[i]
        if tok in _CONNECTORS or any(tuple(toks[i : i + k]) in vocab.half for k in (1, 2, 3)):
            i += 1
            continue
        parsed = _number_at(toks, i, vocab)
        if parsed is None or parsed[2] is not None:
            return False
        if not _NUMBER.match(tok) and parsed[0] == 1:
            return False  # "ein", "one", "a" alone answer nothing
        numbers += 1
        i = parsed[1]
    return numbers > 0


def find_ages(
    toks: Sequence[str],
    vocab: AgeVocabulary,
    pregnant: bool = False,
    newborn: bool = False,
    raw: str = "",
    birth: BirthVocabulary | None = None,
    lang: str | None = None,
    today: date | None = None,
) -> list[int]:
    """Every child's age in months, in the order named; adults' ages, durations and counts are skipped."""
    n = len(toks)
    layout = _layout(raw, n)
    bare_answer = _is_bare_answer(toks, vocab)
    ages: list[int] = []
    born = _birth_age(toks, raw, birth, lang, today or date.today())
    if born is not None:
        ages.append(born)
    i = 0
    while i < n:
        parsed = _number_at(toks, i, vocab)
        if parsed is None and _one_year_alone(toks, i, vocab):
            parsed = (1.0, i + 1, "years")  # "ima godinu i pol", "عمرها سنة ونصف", "йому рік"
        if parsed is None or (born is not None and _in_date(toks, i)):
            i += 1
            continue
        start = i
        before = toks[start - 1] if start > 0 else ""
        if before in _NOT_AGE_BEFORE or start in layout.glued or _arabizi_letter(toks, start, layout, vocab, lang):
            i = parsed[1]
            continue
        if not _NUMBER.match(toks[start]) and start + 1 < n and _NUMBER.match(toks[start + 1]):
            i += 1  # "for a 4 year old", "keça min a 3 salî": the article or particle is no number of its own
            continue
        values, j, unit = _number_list(toks, parsed, vocab)
        months_list: list[float] = []
        if unit == "years":
            months_list = [v * 12 for v in values]
            if len(values) == 1:  # "1 Jahr und 3 Monate"
                k = j + 1 if j < n and toks[j] in _CONNECTORS else j
                more = _number_at(toks, k, vocab) if k < n else None
                if more and more[1] < n and _unit(toks[more[1]], vocab) == "months":
                    months_list = [months_list[0] + more[0]]
                    j = more[1] + 1
        elif unit == "months":
            months_list = list(values)
        elif unit in ("weeks", "days"):
            said_of_child = (j < n and toks[j] in _OLD) or any(
                t in _CHILD_WORDS or t in _BABY for t in toks[max(0, start - 3) : start]
            )
            if said_of_child:  # whole months lived: a three-week-old is 0 months, as a parent would count
                days = 7 if unit == "weeks" else 1
                months_list = [float(int(v * days / 30.44)) for v in values]
        else:
            near = toks[max(0, start - 3) : start]
            after = toks[j] if j < n else ""
            word_one = values[0] == 1 and not _NUMBER.match(toks[start])
            turned = any(t in _TURNS or t in _TURNED for t in near)
            cue = (
                any(b in _CHILD_WORDS or b in _FIRST_PERSON for b in near)
                or start in layout.parenthesised
                or bare_answer
                or turned
            )
            if cue and after not in _STOP_AFTER and not (word_one and not turned):
                months_list = [v * 12 for v in values if 0 <= v <= 17]
        said_old = j < n and toks[j] in _OLD  # "for 5 year old" is an age after all
        since = before in _DURATION_BEFORE or _SINCE_IN.get(lang or "") == before
        unit_says_since = start + 1 < j <= n and toks[j - 1] in _DURATION_AFTER  # "1 yıldır": the unit is the suffix
        duration = not said_old and (since or unit_says_since or (j < n and toks[j] in _DURATION_AFTER))
        if months_list and not duration:
            if _turns_next_month(toks, start, j):
                months_list = [m - 1 for m in months_list]
            self_ref = _is_self(toks, start)
            # "4 Monate", "meha 4an", "Monat 5": while pregnant, months and weeks count the pregnancy
            counts_pregnancy = unit in ("months", "weeks") or _unit(before, vocab) == "months"
            pregnancy_time = pregnant and not newborn and counts_pregnancy
            for months in months_list:
                if months <= 18 * 12 and not (self_ref and pregnant) and not pregnancy_time:
                    ages.append(round(months))
        i = max(j, i + 1)
    if not ages and newborn:
        ages.append(0)
    twins = next((_TWINS[t] for t in toks if t in _TWINS), 1)
    if twins > 1 and len(ages) == 1:
        ages *= twins  # "Zwillinge, 3 Jahre": two children of three
    return ages


def find_age_months(
    toks: Sequence[str], vocab: AgeVocabulary, pregnant: bool = False, newborn: bool = False
) -> int | None:
    """Age of the (first) child in months, or None."""
    ages = find_ages(toks, vocab, pregnant=pregnant, newborn=newborn)
    return ages[0] if ages else None


def _number_list(
    toks: Sequence[str], first: tuple[float, int, str | None], vocab: AgeVocabulary
) -> tuple[list[float], int, str | None]:
    """ "5 und 9 Jahre", "3, 5 und 7": numbers joined by connectors share the unit after the last one."""
    n = len(toks)
    value, j, unit = first
    if (k := _half_at(toks, j, vocab)) is not None and value == int(value):
        # a half phrase may carry the unit itself ("2 buçuk yaşında")
        unit = unit or next((u for t in toks[j:k] if (u := _unit(t, vocab))), None)
        value, j = value + 0.5, k
    values = [value]
    while unit is None and j < n:
        if _next_month_at(toks, j):  # "يصير ٦ الشهر الجاي": "the month" starts "next month", it is no unit
            break
        if (u := _unit(toks[j], vocab)) is not None:
            unit, j = u, j + 1
            break
        k = j + 1 if toks[j] in _CONNECTORS else j
        nxt = _number_at(toks, k, vocab) if k < n else None
        # only digits or number words of two and more join a list: "Sohn 4 und ein Baby" is one age
        if nxt is None or (not _NUMBER.match(toks[k]) and (nxt[0] < 2 or k == j)):
            break
        more, j, unit = nxt
        if (h := _half_at(toks, j, vocab)) is not None and more == int(more):
            more, j = more + 0.5, h
        values.append(more)
    whole = len(values) == 1 and values[0] == int(values[0])
    if unit is not None and whole and (k := _half_at(toks, j, vocab)) is not None:
        values, j = [values[0] + 0.5], k
    return values, j, unit


def _arabizi_letter(toks: Sequence[str], i: int, layout: _Layout, vocab: AgeVocabulary, lang: str | None) -> bool:
    """ "3omro", "ma3" (3 = ع): a digit glued to the letters after it is a letter, unless they are a unit
    ("5jährig", "3yo"; in Arabizi even "3an" is "about", not Romanian "3 years")."""
    if i not in layout.letters_after or i + 1 >= len(toks):
        return False
    glued_word = toks[i + 1]
    if glued_word in _GLUED_AGE_MARKS or glued_word in _OLD:
        return False
    return lang in ("ar", "fa") or _unit(glued_word, vocab) is None


# "since" where the same word elsewhere means "I" (fa "من") or "of" (hr "sin od 3 godine")
_SINCE_IN = {"ar": "من", "pl": "od"}  # "من ٤ سنين", "od 15 lat": for four, fifteen years
_GLUED_AGE_MARKS = frozenset({"yo", "y", "j", "jr", "yrs", "yr", "m", "mo", "mon", "jahrig", "jahrige", "jahrigen"})


def _in_date(toks: Sequence[str], i: int) -> bool:
    """A year, or a day or month beside other digits: part of the birth date ("01.03.2024"), not an age."""
    if not _NUMBER.match(toks[i]):
        return False
    if len(toks[i]) == 4:
        return True
    return any(0 <= k < len(toks) and toks[k].isdigit() for k in (i - 1, i + 1))


def _next_month_at(toks: Sequence[str], j: int) -> bool:
    return any(tuple(toks[j : j + len(p)]) == p for p in _NEXT_MONTH)


def _one_year_alone(toks: Sequence[str], i: int, vocab: AgeVocabulary) -> bool:
    """A year word with no number, said of the child: "йому рік", "дитині тільки рік" (one year).

    Two-letter unit words ("an", Romanian for year) are too common in other languages to stand alone."""
    if toks[i] not in vocab.years or len(toks[i]) < 3:
        return False
    if i == 0:
        return True
    before = toks[i - 1]
    return before in _CHILD_WORDS or (before in _ONLY and i >= 2 and toks[i - 2] in _CHILD_WORDS)


def _turns_next_month(toks: Sequence[str], start: int, end: int) -> bool:
    near_before = toks[max(0, start - 3) : start]
    if not any(t in _TURNS for t in near_before) and not any(t in _TURNS for t in toks[end : end + 2]):
        return False
    window = toks[max(0, start - 4) : end + 4]
    return any(tuple(window[k : k + len(p)]) == p for p in _NEXT_MONTH for k in range(len(window) - len(p) + 1))


def _is_self(toks: Sequence[str], i: int) -> bool:
    return any(t in _FIRST_PERSON for t in toks[max(0, i - 2) : i])
