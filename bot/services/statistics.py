"""Anonymous demand statistics, recorded as the bot runs: counts by week, district, need, age band, language."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from bot.db.orm import DemandEventRow

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-2", 0, 35),
    ("3-5", 36, 71),
    ("6-9", 72, 119),
    ("10-13", 120, 167),
    ("14-17", 168, 216),
)


def age_band(age_months: int | None, pregnant: bool) -> str | None:
    if pregnant:
        return "pregnancy"
    if age_months is None:
        return None
    return next((name for name, low, high in AGE_BANDS if low <= age_months <= high), None)


def record(
    session: Session,
    *,
    day: date,
    outcome: str,
    network: str | None = None,
    district: str | None = None,
    need: str | None = None,
    age_months: int | None = None,
    pregnant: bool = False,
    locale: str | None = None,
    channel: str = "telegram",
    entry: str | None = None,
    minutes_to_claim: float | None = None,
) -> None:
    year, week, _ = day.isocalendar()
    session.add(
        DemandEventRow(
            day=day,
            week=f"{year}-W{week:02d}",
            network=network,
            district=district,
            need=need,
            age_band=age_band(age_months, pregnant),
            locale=locale,
            channel=channel,
            entry=entry,
            outcome=outcome,
            minutes_to_claim=minutes_to_claim,
        )
    )
