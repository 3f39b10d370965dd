"""Offers: what a local provider offers families, when, where and for whom (modelled on Open Referral HSDS)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum

WHOLE_NETWORK = "*"


class Cost(StrEnum):
    FREE = "free"
    REDUCED = "reduced"
    PAID = "paid"


class Access(StrEnum):
    WALK_IN = "walk_in"
    APPOINTMENT = "appointment"
    REFERRAL = "referral"


class Status(StrEnum):
    """HSDS 3 `service.status`: an offer may pause (holidays, renovation) or end without being deleted."""

    ACTIVE = "active"
    TEMPORARILY_CLOSED = "temporarily_closed"  # with `closed_until` and a short `alert` for families
    ENDED = "ended"  # HSDS "defunct": kept for the record, never shown


@dataclass(frozen=True, slots=True)
class Translation:
    title: str
    summary: str
    # fingerprint of the German title and description the translation was made from ("" = unknown);
    # when the German changes, the translation is stale and families see the German text with a note.
    # Not part of equality: the words are the translation; the fingerprint is bookkeeping about them.
    source: str = field(default="", compare=False)


def source_fingerprint(title: str, description: str) -> str:
    """A short, stable fingerprint of the German text a translation is made from (whitespace-insensitive)."""
    text = " ".join(f"{title}\n{description}".split())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


SAFE_URL_SCHEMES = ("http", "https")
_URL = re.compile(r"^(https?)://[^\s/?#@]+(?:[/?#][^\s]*)?$", re.IGNORECASE)


def safe_url(url: str, schemes: tuple[str, ...] = SAFE_URL_SCHEMES) -> str | None:
    """The URL when it may become a link (http/https with a host, no spaces or control characters), else None.

    Browsers ignore leading spaces and control characters and accept any letter case in the scheme, so
    ` JaVaScRiPt:`, `java\tscript:` and `data:` are refused here rather than trusted to an escaper.
    `schemes` may add `tel`/`mailto` for contact links.
    """
    text = url.strip()
    if not text or any(unicodedata.category(ch)[0] == "C" for ch in text):
        return None
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme not in schemes:
        return None
    if scheme in ("http", "https"):
        return text if _URL.match(text) else None
    return text if len(text) > len(scheme) + 1 else None


@dataclass(frozen=True, slots=True, order=True)
class OpeningSlot:
    weekday: int  # 0 = Monday, as in datetime.weekday()
    opens: time
    closes: time


@dataclass(frozen=True, slots=True)
class Offer:
    external_id: str
    network: str
    title: str
    organization: str
    description: str
    needs: tuple[str, ...]
    age_min_months: int
    age_max_months: int
    pregnancy: bool
    cost: Cost
    cost_note: str
    languages: tuple[str, ...]
    step_free: bool
    childcare: bool
    access: Access
    phone: str
    email: str
    website: str
    address: str
    district: str  # district id, e.g. "lb-eglosheim"
    latitude: float | None
    longitude: float | None
    districts_served: tuple[str, ...]  # district ids, or (WHOLE_NETWORK,)
    opening_hours: tuple[OpeningSlot, ...]
    valid_from: date | None
    valid_until: date | None
    last_verified: date | None
    source: str
    example: bool
    translations: Mapping[str, Translation] = field(default_factory=dict)
    # HSDS 3 fields (all optional, appended so the constructor stays compatible)
    eligibility_description: str = ""  # who may come, in plain words
    application_process: str = ""  # how to apply / the next step
    required_documents: str = ""  # what to bring
    interpretation_services: str = ""  # e.g. "Dolmetscherin auf Anfrage"
    status: Status = Status.ACTIVE
    closed_until: date | None = None  # with TEMPORARILY_CLOSED: when it opens again
    alert: str = ""  # a short note for families ("Sommerpause bis 1.9.")
    free_places: int | None = None  # service_capacity: free places ...
    free_places_counted: date | None = None  # ... and when they were counted
    assured_date: date | None = None  # when someone confirmed the entry is still right ...
    assurer_email: str = ""  # ... and who (a role address, never a private one)
    phone_around_the_clock: bool = False  # reachable by phone day and night (Frauenhaus, Notdienst)

    @property
    def serves_whole_network(self) -> bool:
        return WHOLE_NETWORK in self.districts_served

    def serves(self, district_id: str) -> bool:
        return self.serves_whole_network or district_id in self.districts_served

    def fits_age(self, age_months: int | None, pregnant: bool) -> bool:
        if pregnant and self.pregnancy:
            return True
        if age_months is None:
            return not pregnant
        return self.age_min_months <= age_months <= self.age_max_months

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )

    def is_open_at(self, weekday: int, at: time) -> bool:
        return any(s.weekday == weekday and s.opens <= at < s.closes for s in self.opening_hours)

    def text_in(self, lang: str) -> Translation | None:
        """Title and summary in `lang`, or None when the data has them only in German or the translation
        was made from an older German text (the family then reads the German, see `stale_translations`)."""
        if lang.startswith("de"):
            return Translation(self.title, self.description)
        translation = self.translations.get(lang)
        if translation is not None and self.translation_is_stale(lang):
            return None
        return translation

    @property
    def german_fingerprint(self) -> str:
        return source_fingerprint(self.title, self.description)

    def translation_is_stale(self, lang: str) -> bool:
        """Whether the `lang` translation was made from another German text than the current one."""
        translation = self.translations.get(lang)
        return bool(translation and translation.source and translation.source != self.german_fingerprint)

    @property
    def stale_translations(self) -> tuple[str, ...]:
        return tuple(lang for lang in sorted(self.translations) if self.translation_is_stale(lang))

    def closed_on(self, day: date) -> bool:
        """Temporarily closed on `day`: without a date until further notice, with one up to and including it
        ("Geschlossen bis 1.9."); afterwards the offer counts as open again without anyone editing the sheet."""
        return self.status is Status.TEMPORARILY_CLOSED and (self.closed_until is None or day <= self.closed_until)

    def is_shown_on(self, day: date) -> bool:
        """Ended offers and offers outside their validity are never shown; a temporary closure is (with alert)."""
        return self.status is not Status.ENDED and self.is_valid_on(day)


# --- opening hours as coordinators write them: "Mo-Fr 09:00-12:00, 14:00-16:00; Sa 10:00-12:00" ---

WEEKDAYS_DE = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
_WEEKDAY_WORDS = {
    **{d.lower(): i for i, d in enumerate(WEEKDAYS_DE)},
    **{d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{d: i for i, d in enumerate(("mo", "tu", "we", "th", "fr", "sa", "su"))},
}
_TIME = r"(\d{1,2})(?:[:.](\d{2}))?"
_RANGE = re.compile(rf"^{_TIME}\s*[-–]\s*{_TIME}$")


class OpeningHoursError(ValueError):
    """Opening hours text that cannot be read; the message says why, in one line."""


def _weekday(word: str) -> int:
    key = word.strip().rstrip(".").lower()[:3]
    for candidate in (key, key[:2]):
        if candidate in _WEEKDAY_WORDS:
            return _WEEKDAY_WORDS[candidate]
    raise OpeningHoursError(f"unbekannter Wochentag '{word.strip()}' (erlaubt: Mo Di Mi Do Fr Sa So)")


def _clock(hours: str, minutes: str | None, original: str) -> time:
    h, m = int(hours), int(minutes or 0)
    if h == 24 and m == 0:
        return time(23, 59)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise OpeningHoursError(f"ungültige Uhrzeit in '{original}'")
    return time(h, m)


def parse_opening_hours(text: str) -> tuple[OpeningSlot, ...]:
    """Parse 'Mo-Fr 09:00-12:00, 14:00-16:00; Sa 10-12' into sorted slots; raises OpeningHoursError."""
    slots: set[OpeningSlot] = set()
    for part in (p.strip() for p in text.replace("\n", ";").split(";")):
        if not part:
            continue
        match = re.match(r"^([A-Za-zÄÖÜäöü.]+)(?:\s*[-–]\s*([A-Za-zÄÖÜäöü.]+))?\s+(.+)$", part)
        if not match:
            raise OpeningHoursError(f"'{part}' ist nicht im Format 'Mo 09:00-12:00'")
        first = _weekday(match.group(1))
        last = _weekday(match.group(2)) if match.group(2) else first
        if last < first:
            raise OpeningHoursError(f"Wochentage in '{part}' sind rückwärts")
        for span in (s.strip() for s in match.group(3).split(",")):
            times = _RANGE.match(span)
            if not times:
                raise OpeningHoursError(f"'{span}' ist keine Zeitspanne wie 09:00-12:00")
            opens = _clock(times.group(1), times.group(2), span)
            closes = _clock(times.group(3), times.group(4), span)
            if closes <= opens:
                raise OpeningHoursError(f"in '{span}' endet die Zeit vor dem Beginn")
            slots.update(OpeningSlot(day, opens, closes) for day in range(first, last + 1))
    return tuple(sorted(slots))


def format_opening_hours(slots: tuple[OpeningSlot, ...]) -> str:
    """The canonical text for slots; consecutive days with the same times become a range ('Mo-Fr')."""
    by_day: dict[int, str] = {}
    for slot in sorted(slots):
        span = f"{slot.opens:%H:%M}-{slot.closes:%H:%M}"
        by_day[slot.weekday] = f"{by_day[slot.weekday]}, {span}" if slot.weekday in by_day else span
    parts: list[str] = []
    days = sorted(by_day)
    i = 0
    while i < len(days):
        j = i
        while j + 1 < len(days) and days[j + 1] == days[j] + 1 and by_day[days[j + 1]] == by_day[days[i]]:
            j += 1
        label = WEEKDAYS_DE[days[i]] if i == j else f"{WEEKDAYS_DE[days[i]]}-{WEEKDAYS_DE[days[j]]}"
        parts.append(f"{label} {by_day[days[i]]}")
        i = j + 1
    return "; ".join(parts)


# --- opening hours as people write them: "Mo–Fr 9–12 Uhr, Do auch 14–18 Uhr", "rund um die Uhr" ---

_DAY_FORMS: dict[str, int] = {}
for _i, _names in enumerate(
    (
        ("mo", "mon", "montag", "montags", "monday"),
        ("di", "die", "tu", "tue", "dienstag", "dienstags", "tuesday"),
        ("mi", "mit", "we", "wed", "mittwoch", "mittwochs", "wednesday"),
        ("do", "don", "th", "thu", "donnerstag", "donnerstags", "thursday"),
        ("fr", "fre", "fri", "freitag", "freitags", "friday"),
        ("sa", "sam", "sat", "samstag", "samstags", "sonnabend", "saturday"),
        ("so", "son", "su", "sun", "sonntag", "sonntags", "sunday"),
    )
):
    for _name in _names:
        _DAY_FORMS[_name] = _i
DAY_NAMES_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")

# phrases first (longest first), each replaced by a canonical form the scanner reads
_PHRASES: tuple[tuple[str, str], ...] = (
    (r"rund um die uhr|24\s*/\s*7|tag und nacht|24 stunden(?: am tag)?|durchgehend erreichbar", " mo-so 0-24 "),
    (r"(?:termine?\s+)?(?:nur\s+)?(?:nach|mit)\s+(?:vereinbarung|absprache|termin(?:vereinbarung)?)|auf anfrage",
     " @appointment "),
    (r"\btäglich\b|\bjeden tag\b|\bdaily\b", " mo-so "),
    (r"\bwerktags\b|\bwochentags\b", " mo-fr "),
    (r"\bam wochenende\b|\bwochenende\b", " sa-so "),
    (r"\s+bis\s+|\s*[–—−]\s*", "-"),
    (r"\b(?:uhr|h|auch|sonst|außerdem|sowie|und|von|jeweils|zusätzlich|am)\b|\bab\b(?=\s*\d+\s*-)", " "),
)
_TOKEN = re.compile(
    r"(?P<appointment>@appointment)"
    rf"|(?P<times>{_TIME}\s*-\s*{_TIME})"
    r"|(?P<days>[a-zäöüß]+\.?(?:\s*-\s*[a-zäöüß]+\.?)?)"
    r"|(?P<sep>[\s,;/&+|]+)"
)


@dataclass(frozen=True, slots=True)
class OpeningHoursReading:
    """What a written opening-hours text says: the weekly slots, and what else it said in words."""

    slots: tuple[OpeningSlot, ...]
    by_appointment: bool = False  # "nach Vereinbarung": no fixed hours (or more than the fixed ones)
    around_the_clock: bool = False  # "rund um die Uhr"
    notes: tuple[str, ...] = ()  # how something was read, for a warning ("ohne Wochentag: Mo–Fr")


def _day_word(word: str) -> int:
    key = word.strip().rstrip(".").lower()
    if key in _DAY_FORMS:
        return _DAY_FORMS[key]
    from rapidfuzz import fuzz, process  # only on a miss: the suggestion costs nothing on good data

    best = process.extractOne(key, [n.lower() for n in DAY_NAMES_DE], scorer=fuzz.ratio, score_cutoff=70)
    if best:
        raise OpeningHoursError(f"unbekannter Wochentag '{word.strip()}' — meinten Sie '{DAY_NAMES_DE[best[2]]}'?")
    raise OpeningHoursError(
        f"'{word.strip()}' ist weder Wochentag noch Uhrzeit (so geht es: Mo-Fr 09:00-12:00, nach Vereinbarung)"
    )


def read_opening_hours(text: str) -> OpeningHoursReading:
    """Read opening hours as coordinators write them; raises OpeningHoursError naming what it cannot read.

    Accepts everything `parse_opening_hours` does, and: German day names and lists ("Mo, Mi und Fr"),
    en dashes and "bis", "Uhr", commas between day groups ("Mo 9-12, Di 14-16"), "auch", times without
    a day ("9-12", read as Mo–Fr and said so), "täglich", "werktags", "rund um die Uhr" and
    "nach Vereinbarung" (= by appointment).
    """
    source = " ".join(text.split())
    work = source.lower()
    for pattern, replacement in _PHRASES:
        work = re.sub(pattern, replacement, work)
    slots: set[OpeningSlot] = set()
    notes: list[str] = []
    by_appointment = around = False
    days: list[int] = []  # the days the next time spans belong to
    days_have_times = False  # a day word after times starts a new group ("Mo 9-12, Di 14-16")
    position = 0
    while position < len(work):
        token = _TOKEN.match(work, position)
        if token is None or token.end() == position:
            rest = source[position:].strip() if len(source) == len(work) else work[position:].strip()
            raise OpeningHoursError(f"'{rest[:30]}' in '{source}' ist keine Zeitspanne wie 09:00-12:00")
        position = token.end()
        if token.group("appointment"):
            by_appointment = True
        elif span := token.group("times"):
            times = _RANGE.match(span.replace(" ", ""))
            assert times is not None  # the token pattern is the range pattern
            opens = _clock(times.group(1), times.group(2), span)
            closes = _clock(times.group(3), times.group(4), span)
            if (opens, closes) == (time(0), time(23, 59)) and len(days) == 7:
                around = True
            if closes <= opens:
                raise OpeningHoursError(f"in '{span}' endet die Zeit vor dem Beginn")
            if not days:
                days = list(range(5))
                notes.append(f"'{span}' ohne Wochentag als Mo–Fr gelesen")
            slots.update(OpeningSlot(day, opens, closes) for day in days)
            days_have_times = True
        elif word := token.group("days"):
            if days_have_times:
                days, days_have_times = [], False
            first, _, last = word.partition("-")
            start = _day_word(first)
            end = _day_word(last) if last else start
            if end < start:
                raise OpeningHoursError(f"Wochentage in '{word}' sind rückwärts")
            days += [d for d in range(start, end + 1) if d not in days]
    if days and not days_have_times:
        raise OpeningHoursError(f"in '{source}' fehlt zu den Wochentagen die Uhrzeit (z. B. 09:00-12:00)")
    return OpeningHoursReading(tuple(sorted(slots)), by_appointment, around, tuple(notes))
