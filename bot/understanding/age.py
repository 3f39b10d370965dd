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
_CONNECTORS = {"und", "and", "a", "ve", "و", "i", "e", "si", "и", "з", "с", "u", "ile", "w"}  # w: Arabizi "and"
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
    "omro",  # "3omro" splits into "3" + "omro" (Arabizi 3 = ع)
    "omra",
    "omru",
    "ibnti",
    "ebnti",
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
    "malog",  # hr: "za malog od 3" (for the little one of 3)
    "malu",
    "beide",  # "Zwillinge, beide 3"
    "both",
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
    "femijeve",
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
        "minus",  # "minus 5 outside": a temperature
        "plus",
        "минус",
        "eksi",
        "ناقص",
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
        "قبل",  # ar: "قبل خمس سنين" (five years ago); fa puts it after the number
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
        "giriyor",  # tr: "6 yaşına giriyor" (enters her sixth year... turns 6)
        "girecek",
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
# "turns 6 in 3 months", "3 ay sonra 6 yaşına giriyor": a number of months before or after the turning
_IN_TIME = _folded({"in", "через", "بعد", "za", "peste", "tra", "fra", "pas", "در"})
_LATER = _folded({"sonra", "later", "spater", "später", "danach", "بعد", "دیگه", "dige"})
# A number of years or months beside these is how long the family has lived, worked or waited somewhere,
# not a child's age: "jemi këtu 4 vjet", "lucrez in Germania de 2 ani", "не платили 3 месяца".
_HERE = _folded(
    {
        "hier",
        "here",
        "aici",
        "ketu",
        "qui",
        "qua",
        "ovdje",
        "ovde",
        "здесь",
        "тут",
        "هنا",
        "هون",
        "اينجا",
        "اینجا",
        "burada",
        "vir",
        "tutaj",
        "deutschland",
        "germany",
        "germania",
        "gjermani",
        "gjermania",
        "almanya",
        "almanyada",
        "almanyaye",
        "германии",
        "німеччині",
        "المانيا",
        "ألمانيا",
        "آلمان",
        "njemackoj",
        "njemačkoj",
        "niemczech",
    }
)
_STAY_VERBS = _HERE | _folded(
    {
        "arbeite",
        "arbeitet",
        "gearbeitet",
        "work",
        "worked",
        "working",
        "lucrez",
        "lucrat",
        "lucreaza",
        "lucram",
        "punoj",
        "punuar",
        "punon",
        "calisiyorum",
        "calistim",
        "calisiyor",
        "работаю",
        "работал",
        "работала",
        "працюю",
        "працював",
        "працювала",
        "اشتغل",
        "اشتغلت",
        "بشتغل",
        "كنت",  # ar: "كنت خياطة بسوريا ١٥ سنة" (I was a tailor in Syria for 15 years)
        "lavoro",
        "lavorato",
        "radim",
        "radio",
        "radila",
        "pracuje",
        "pracuję",
        "wohne",
        "wohnen",
        "leben",
        "lebe",
        "live",
        "lived",
        "living",
        "yasiyorum",
        "yasiyoruz",
        "живу",
        "живем",
        "живемо",
        "jetojme",
        "jetoj",
        "jemi",
        "locuim",
        "locuiesc",
        "suntem",
        "vivo",
        "viviamo",
        "zivim",
        "zivimo",
        "mieszkam",
        "mieszkamy",
        "ساكنين",
        "عايشين",
        "zahlen",
        "gezahlt",
        "bezahlt",
        "paid",
        "pay",
        "platit",
        "plateste",
        "platesc",
        "платили",
        "платить",
        "платим",
        "заплатили",
        "odemedi",
        "odemiyor",
        "pagato",
        "platio",
        "placa",
        "paguar",
    }
)
# ro "de 2 ani", it "di 8 anni": "of" before the number: an age after a child noun, else a duration
_OF = _folded({"de", "di", "od", "of"})
_CHILD_NOUNS_BEFORE_OF = (
    _CHILD_WORDS
    | _BABY
    | _folded(
        {
            "copil",
            "copilul",
            "copilului",
            "bebelus",
            "bebelusul",
            "nepotul",
            "nepotelul",
            "nepoatei",
            "mic",  # "cel mic de 3 ani", "cea mica de 2 ani"
            "mica",
            "micul",
            "micuta",
            "fetita",
            "fetitei",
            "baietelul",
            "fiica",
            "copii",
            "fetiță",
            "baiat",
            "baiatul",
            "baietel",
            "fata",
            "fiu",
            "nepot",
            "nepoata",
            "bambino",
            "bambina",
            "bimbo",
            "bimba",
            "figli",
            "mali",
            "mala",
            "dijete",
            "dete",
            "sina",
            "kcer",
            "child",
            "boy",
            "girl",
        }
    )
)
_SINCE_OF = {"ro": "de"}  # "lucrez aici de 2 luni" (for two months) unless a child noun comes before
# "maybe 3", "(ca. 4 und 6)": hedges that may stand with an age in parentheses
_HEDGES = _folded(
    {
        "maybe",
        "about",
        "approx",
        "around",
        "probably",
        "ca",
        "circa",
        "etwa",
        "vielleicht",
        "ungefahr",
        "wohl",
        "تقريبا",
        "يمكن",
        "примерно",
        "около",
        "приблизно",
        "мабуть",
        "yaklasik",
        "belki",
        "حدود",
        "شاید",
        "poate",
        "forse",
        "oko",
        "mozda",
        "okolo",
        "rreth",
        "ndoshta",
        "dibe",
    }
)
# "is that normal at 8?", "e normal la 12 ani?": the age a behaviour is asked about
_NORMAL = _folded({"normal", "normale", "normalno", "нормально", "طبيعي", "عادي", "normalny", "normalne", "طبيعيه"})
_AT = _folded({"at", "mit", "with", "a", "la", "u", "в", "у", "sa", "ne", "في", "بعمر", "در", "z", "w", "bei"})
# "2. sınıfta", "4. Stock": a class or floor after the number (any ending)
_CLASS_STEMS = tuple(
    fold_text(w)
    for w in (
        *("sinif", "klass", "klas", "clas", "grade", "razred", "класс", "клас", "كلاس", "صف"),
        *("floor", "etage", "stock", "kat"),
    )
)
# German dates: "das Geld kommt erst am 15.", "bis zum 1."
_DATE_BEFORE = _folded({"am", "zum", "vom", "bis", "ab"})
# "for newborns" (a course, a shop): a baby word right after "for" is no baby of the family's own
_FOR = _folded({"for", "für", "براي", "برای", "لل", "для", "pentru", "per", "için", "icin", "za", "për", "bo"})
# "she has just given birth": a newborn said without the lexicon's newborn words
_JUST_BORN = tuple(
    tuple(tokenize(p))
    for p in ("لسا والدة", "لسه والدة", "توها والدة", "لسا ولدت", "lissa walde", "lessa walde", "lissa wel2it")
)
# Ukrainian and Russian written in Latin letters: "donka narodylas 20.12.2025"
_BORN_LATIN = ("narodylas", "narodylasia", "narodyvsia", "narodyvsya", "narodzhena", "rodilas", "rodilsya", "rodilsia")


@dataclass(frozen=True, slots=True)
class AgeVocabulary:
    numbers: dict[tuple[str, ...], float]
    half: set[tuple[str, ...]]
    years: set[str]
    months: set[str]
    max_number_len: int
    # number word -> languages whose lexicon has it: "on" (tr 10), "se" (ku 3), "car" (ku 4) are words elsewhere
    number_languages: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict)


def merge_age_data(age: Mapping[str, Mapping[str, Any]], prefer: Sequence[str] = ()) -> AgeVocabulary:
    """All languages together (messages mix them); preferred languages win on conflicting words."""
    numbers: dict[tuple[str, ...], float] = {}
    half: set[tuple[str, ...]] = set()
    years: set[str] = set()
    months: set[str] = set()
    number_languages: dict[tuple[str, ...], set[str]] = {}
    order = [lang for lang in age if lang not in prefer] + [lang for lang in prefer if lang in age]
    for lang in order:
        data = age[lang]
        numbers.update(data["numbers"])
        for key in data["numbers"]:
            number_languages.setdefault(key, set()).add(lang)
        half |= data["half"]
        years |= {t[0] for t in data["years"] if len(t) == 1}
        months |= {t[0] for t in data["months"] if len(t) == 1}
    # a few unit spellings families use that lexicons may miss
    years |= {"y", "yo", "yrs", "yr", "j", "jr", "jahrig", "jahriger", "jahrige", "jahrigen", "سال", "vjec"}
    years |= {"sene", "seneh"}  # Arabizi "3omro sene" (one year)
    months |= {"ماه", "mo", "mon", "mths", "shhor", "ashhor", "shohor", "ash7or"}  # Arabizi "8 shhor"
    half |= {("nos",), ("nus",)}  # Arabizi "sana w nos" (a year and a half)
    return AgeVocabulary(
        numbers,
        half,
        years,
        months,
        max((len(k) for k in numbers), default=1),
        {k: frozenset(v) for k, v in number_languages.items()},
    )


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
    born |= {(w,) for w in _BORN_LATIN}
    return BirthVocabulary(tuple(sorted(born, key=lambda t: (-len(t), t))), months)


_TOKEN_SPAN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+")  # the same tokens as normalize.tokens
_NUMERIC_DATE = re.compile(r"(?<!\d)(?:(\d{1,2})[./-])?(\d{1,2})[./-]((?:19|20)\d{2})(?!\d)")


@dataclass(frozen=True, slots=True)
class _Layout:
    """What the raw text says around each token that the tokens themselves lose."""

    parenthesised: frozenset[int]  # "Sohn (9)": the token stood alone in parentheses
    glued: frozenset[int]  # "U7", "J1": a number glued to letters (a check-up, not an age)
    letters_after: frozenset[int]  # "3omro", "ma3": Arabizi writes letters as digits (unless a unit follows)
    between_commas: frozenset[int] = frozenset()  # "daughter ran off, 14, phone off": an aside
    dotted: frozenset[int] = frozenset()  # "am 15.", "2. sınıfta": a day or an ordinal


_PARENS = re.compile(r"\(([^()]{1,40})\)")


def _layout(raw: str, n: int) -> _Layout:
    if not raw:
        return _Layout(frozenset(), frozenset(), frozenset())
    folded = fold_text(raw)
    spans = [m.span() for m in _TOKEN_SPAN.finditer(folded)][:n]
    paren, glued, letters_after, commas, dotted = set(), set(), set(), set(), set()
    for i, (a, b) in enumerate(spans):
        before, after = folded[:a].rstrip()[-1:], folded[b:].lstrip()[:1]
        if before == "(" and after == ")":
            paren.add(i)
        if folded[a].isdigit() and before == "," and after in (",", ""):
            commas.add(i)
        if folded[a].isdigit() and folded[b : b + 1] == "." and not folded[b + 1 : b + 2].isdigit():
            dotted.add(i)
        if folded[a].isdigit() and a > 0 and folded[a - 1].isalpha():
            glued.add(i)
        if folded[a].isdigit() and b < len(folded) and folded[b].isalpha():
            letters_after.add(i)
    # "(maybe 4 and 6)", "(ca. 3?)": numbers with only hedges and connectors beside them in parentheses
    for group in _PARENS.finditer(folded):
        inside = [i for i, (a, b) in enumerate(spans) if group.start() < a and b < group.end()]
        words = [folded[spans[i][0] : spans[i][1]] for i in inside]
        numbers = [i for i, w in zip(inside, words, strict=True) if w[0].isdigit()]
        if numbers and all(w[0].isdigit() or w in _HEDGES or w in _CONNECTORS for w in words):
            paren.update(numbers)
    return _Layout(frozenset(paren), frozenset(glued), frozenset(letters_after), frozenset(commas), frozenset(dotted))


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
    birth = birth or _NO_BIRTH
    bare_answer = _is_bare_answer(toks, vocab)
    ages: list[int] = []
    born = _birth_age(toks, raw, birth, lang, today or date.today())
    if born is not None:
        ages.append(born)
    i = 0
    while i < n:
        parsed = _number_at(toks, i, vocab)
        if parsed is None and (alone := _one_unit_alone(toks, i, vocab)):
            parsed = (1.0, i + 1, alone)  # "ima godinu i pol", "عمرها سنة ونصف", "йому рік", "عمرها شهر"
        if parsed is None or (born is not None and _in_date(toks, i)):
            i += 1
            continue
        start = i
        before = toks[start - 1] if start > 0 else ""
        if (
            before in _NOT_AGE_BEFORE
            or start in layout.glued
            or _arabizi_letter(toks, start, layout, vocab, lang)
            or (start in layout.dotted and before in _DATE_BEFORE)  # "das Geld kommt erst am 15."
            or (parsed[1] < n and toks[parsed[1]].startswith(_CLASS_STEMS))  # "2. sınıfta", "4. Stock"
        ):
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
        elif _foreign_number_word(toks, start, parsed[1], vocab, lang):
            pass  # "on" (tr ten) in "open on Sundays", "se" (ku three) in "se chiamo"
        else:
            near = toks[max(0, start - 3) : start]
            after = toks[j] if j < n else ""
            word_one = values[0] == 1 and not _NUMBER.match(toks[start])
            turned = any(t in _TURNS or t in _TURNED for t in near)
            aside = start in layout.between_commas  # "daughter ran off after a fight, 14, phone off"
            cue = (
                any(b in _CHILD_WORDS for b in near)
                or _said_by_writer(toks, start)
                or start in layout.parenthesised
                or (aside and any(b in _CHILD_WORDS for b in toks[max(0, start - 8) : start]))
                or (before in _AT and any(t in _NORMAL for t in near))  # "is that normal at 8?"
                or bare_answer
                or turned
            )
            # "eine" three words after "geworden" is an article; "she turned one" is an age
            one_ok = not word_one or (start > 0 and toks[start - 1] in _TURNS | _TURNED)
            if cue and after not in _STOP_AFTER and one_ok:
                months_list = [v * 12 for v in values if 0 <= v <= 17]
        # "for 5 year old", "figlia di 8 anni fa fatica" (of 8 years), "born 3 months ago" are ages after all
        said_old = (j < n and toks[j] in _OLD) or _of_child(toks, start)
        born_then = unit in ("years", "months", "weeks", "days") and _near_birth(toks, start, j, birth)
        of_since = _SINCE_OF.get(lang or "") == before and not _of_child(toks, start)
        since = before in _DURATION_BEFORE or _SINCE_IN.get(lang or "") == before or of_since
        unit_says_since = start + 1 < j <= n and toks[j - 1] in _DURATION_AFTER  # "1 yıldır": the unit is the suffix
        stay = unit in ("years", "months") and _stay_around(toks, start, j)
        duration = not said_old and not born_then
        duration = duration and (since or unit_says_since or stay or (j < n and toks[j] in _DURATION_AFTER))
        if months_list and not duration:
            if offset := _turn_offset(toks, start, j, vocab):
                months_list = [m - offset for m in months_list]
            self_ref = _is_self(toks, start)
            # "4 Monate", "meha 4an", "Monat 5": while pregnant, months and weeks count the pregnancy
            counts_pregnancy = unit in ("months", "weeks") or _unit(before, vocab) == "months"
            pregnancy_time = pregnant and not newborn and counts_pregnancy
            for months in months_list:
                if months <= 18 * 12 and not (self_ref and pregnant) and not pregnancy_time:
                    ages.append(round(months))
        i = max(j, i + 1)
    if not ages and _is_own_newborn(toks, newborn, birth):
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


def _one_unit_alone(toks: Sequence[str], i: int, vocab: AgeVocabulary) -> str | None:
    """A year or month word with no number, said of the child: "йому рік", "дитині тільки рік", "عمرها شهر".

    Two-letter unit words ("an", Romanian for year) are too common in other languages to stand alone."""
    tok = toks[i]
    unit = "years" if tok in vocab.years else "months" if tok in vocab.months else None
    if unit is None or len(tok) < 3:
        return None
    if i == 0:
        # "лет десять назад", "سال‌ها پیش" (years ago): a unit first is no age when a number, a plural or "ago" follows
        rest = toks[1:3]
        number_next = len(toks) > 1 and _number_at(toks, 1, vocab) is not None
        if unit == "months" or number_next or any(t in _DURATION_AFTER or t == "ها" for t in rest):
            return None
        return unit
    before = toks[i - 1]
    if unit == "months" and before in _VERBISH:
        return None  # "ist Monat 5" counts a pregnancy
    if before in _CHILD_WORDS or (before in _ONLY and i >= 2 and toks[i - 2] in _CHILD_WORDS):
        return unit
    return None


_VERBISH = _folded({"ist", "is", "are", "ima", "ma", "ha", "er", "sie", "he", "she", "they", "hes", "shes"})
_NEWBORN_WORDS = _BABY | _folded(
    {"newborn", "newborns", "neugeborene", "neugeborenen", "نوزاد", "نوزادان", "مولود", "نومولود", "neonati"}
)
_NO_BIRTH = BirthVocabulary(())


def _turn_offset(toks: Sequence[str], start: int, end: int, vocab: AgeVocabulary) -> int:
    """Months until the birthday the message names: "turns 5 next month" (1), "3 ay sonra 6 yaşına giriyor" (3)."""
    near_before = toks[max(0, start - 3) : start]
    if not any(t in _TURNS for t in near_before) and not any(t in _TURNS for t in toks[end : end + 2]):
        return 0
    window = toks[max(0, start - 4) : end + 4]
    if any(tuple(window[k : k + len(p)]) == p for p in _NEXT_MONTH for k in range(len(window) - len(p) + 1)):
        return 1
    n = len(toks)
    for k in (*range(max(0, start - 6), start), *range(end, min(n, end + 5))):
        parsed = _number_at(toks, k, vocab)
        if parsed is None or parsed[1] >= n or not 1 <= parsed[0] <= 11:
            continue
        unit_at = parsed[1]
        if _unit(toks[unit_at], vocab) != "months":
            continue
        later = unit_at + 1 < n and toks[unit_at + 1] in _LATER
        if later or (k > 0 and toks[k - 1] in _IN_TIME):
            return int(parsed[0])
    return 0


def _foreign_number_word(toks: Sequence[str], start: int, end: int, vocab: AgeVocabulary, lang: str | None) -> bool:
    """A number word from another language's lexicon only ("on", "se", "car" in an English or Italian message)."""
    if lang is None or _NUMBER.match(toks[start]):
        return False
    langs = vocab.number_languages.get(tuple(toks[start:end]))
    return bool(langs) and lang not in langs


def _said_by_writer(toks: Sequence[str], i: int) -> bool:
    """ "ich bin 17", "I'm only 16": the writer's own age right after "I am" (not "imam tri banke", I have)."""
    if i >= 1 and toks[i - 1] in _FIRST_PERSON:
        return True
    return i >= 2 and toks[i - 1] in _ONLY and toks[i - 2] in _FIRST_PERSON


def _of_child(toks: Sequence[str], i: int) -> bool:
    """ "figlia di 8 anni", "copil de 2 ani", "fetita mea de 3 ani": "of" the child's years, an age."""
    if i < 2 or toks[i - 1] not in _OF:
        return False
    return any(t in _CHILD_NOUNS_BEFORE_OF for t in toks[max(0, i - 3) : i - 1])


def _near_birth(toks: Sequence[str], start: int, end: int, birth: BirthVocabulary) -> bool:
    """ "vor 3 Monaten geboren", "ولدت من ٣ شهور": a time since the birth is the child's age."""
    window = toks[max(0, start - 3) : end + 3]
    return any(tuple(window[k : k + len(b)]) == b for b in birth.born for k in range(len(window)))


def _stay_around(toks: Sequence[str], start: int, end: int) -> bool:
    """ "jemi këtu 4 vjet", "lucrat 10 ani", "em 2 sal in li vir in": how long here, at work or unpaid."""
    before = toks[max(0, start - 3) : start]
    if any(t in _CHILD_WORDS for t in before):
        return False
    return any(t in _STAY_VERBS for t in before) or any(t in _HERE for t in toks[end : end + 3])


def _is_own_newborn(toks: Sequence[str], newborn: bool, birth: BirthVocabulary) -> bool:
    """The family's own newborn, not "a first-aid course for newborns"; "مرتي لسا والدة" (just gave birth) too.

    "for newborns" is generic only when no birth is told as well ("è appena nato ... niente per neonati")."""
    if any(tuple(toks[k : k + len(p)]) == p for p in _JUST_BORN for k in range(len(toks))):
        return True
    if not newborn:
        return False
    generic = any(t in _NEWBORN_WORDS and k > 0 and toks[k - 1] in _FOR for k, t in enumerate(toks))
    return not generic or _near_birth(toks, 0, len(toks), birth)


def _is_self(toks: Sequence[str], i: int) -> bool:
    return any(t in _FIRST_PERSON for t in toks[max(0, i - 2) : i])
