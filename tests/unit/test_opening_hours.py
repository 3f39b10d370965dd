from datetime import time

import pytest

from bot.domain.offers import OpeningHoursError, OpeningSlot, format_opening_hours, parse_opening_hours


def test_weekday_ranges_and_several_spans_are_read():
    slots = parse_opening_hours("Mo-Mi 9-12, 14:00-16:30; Fr 08.30-12")
    assert OpeningSlot(0, time(9), time(12)) in slots
    assert OpeningSlot(2, time(14), time(16, 30)) in slots
    assert OpeningSlot(4, time(8, 30), time(12)) in slots
    assert len(slots) == 7


def test_canonical_text_groups_days_with_the_same_times():
    slots = parse_opening_hours("Mo 09:00-12:00; Di 09:00-12:00; Mi 09:00-12:00; Fr 10:00-11:00")
    assert format_opening_hours(slots) == "Mo-Mi 09:00-12:00; Fr 10:00-11:00"
    assert parse_opening_hours(format_opening_hours(slots)) == slots


def test_english_weekdays_are_accepted():
    assert parse_opening_hours("Tue 10:00-12:00") == (OpeningSlot(1, time(10), time(12)),)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Xy 09:00-12:00", "unbekannter Wochentag"),
        ("Mo 12:00-09:00", "endet die Zeit vor dem Beginn"),
        ("Mo 25:00-26:00", "ungültige Uhrzeit"),
        ("Mo morgens", "keine Zeitspanne"),
        ("09:00-12:00", "nicht im Format"),
        ("Fr-Mo 09:00-12:00", "rückwärts"),
    ],
)
def test_malformed_opening_hours_say_why(text: str, reason: str):
    with pytest.raises(OpeningHoursError, match=reason):
        parse_opening_hours(text)


def test_empty_text_means_by_appointment_only():
    assert parse_opening_hours("") == ()
