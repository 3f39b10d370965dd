"""Offers: what a local provider offers families, when, where and for whom (modelled on Open Referral HSDS)."""

from __future__ import annotations

import re
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


@dataclass(frozen=True, slots=True)
class Translation:
    title: str
    summary: str


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
        """Title and summary in `lang`, or None when the data has them only in German."""
        if lang.startswith("de"):
            return Translation(self.title, self.description)
        return self.translations.get(lang)


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
