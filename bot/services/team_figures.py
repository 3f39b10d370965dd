"""How the Lotsen team is doing, per week: cases, time to claim and to the first answer, outcomes, ratings.

Read from the cases and the outbox as they are now, so the figures cover what retention keeps (RETENTION_DAYS:
closed cases and sent messages older than that are gone; a family's /delete takes its case along). Time to
claim is from the request to the (latest) claim; time to the first answer from the request to the first
message a Lotse wrote to the family. For the team by default; per Lotse only on request — that is staff
data, for the team's own use (README).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from bot.db.engine import UnitOfWork
from bot.db.orm import CaseRow, LotseRow, OutboxRow
from bot.services.handover import OUTCOMES

TEAM = "Team"


@dataclass
class WeekFigures:
    week: str  # ISO week, "2026-W48"
    who: str  # TEAM, or a Lotse's name (--per-lotse)
    cases: int = 0
    claimed: int = 0
    minutes_to_claim: list[float] = field(default_factory=list)
    minutes_to_answer: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    still_open: int = 0
    ratings: list[int] = field(default_factory=list)


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The 90th percentile by nearest rank: a value that really occurred (9 of 10 waited at most this long)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def team_figures(uow: UnitOfWork, since: date | None = None, per_lotse: bool = False) -> list[WeekFigures]:
    """One row per week (and Lotse, with `per_lotse`: the one who has or had the case), oldest first."""
    with uow() as session:
        query = select(CaseRow)
        if since is not None:
            query = query.where(CaseRow.created_at >= datetime(since.year, since.month, since.day, tzinfo=UTC))
        cases = session.scalars(query.order_by(CaseRow.created_at)).all()
        answered = dict(
            session.execute(
                select(OutboxRow.case_id, func.min(OutboxRow.created_at))
                .where(OutboxRow.purpose == "relay_to_family", OutboxRow.case_id.is_not(None))
                .group_by(OutboxRow.case_id)
            )
            .tuples()
            .all()
        )
        names = dict(session.execute(select(LotseRow.id, LotseRow.name)).tuples().all())
    rows: dict[tuple[str, str], WeekFigures] = {}
    for case in cases:
        created = _utc(case.created_at)
        year, week, _ = created.isocalendar()
        label = f"{year}-W{week:02d}"
        who = names.get(case.claimed_by or 0, "nicht übernommen") if per_lotse else TEAM
        row = rows.get((label, who)) or rows.setdefault((label, who), WeekFigures(label, who))
        row.cases += 1
        if case.claimed_at is not None:
            row.claimed += 1
            row.minutes_to_claim.append((_utc(case.claimed_at) - created).total_seconds() / 60)
        if (first := answered.get(case.id)) is not None:
            row.minutes_to_answer.append(max(0.0, (_utc(first) - created).total_seconds() / 60))
        if case.status == "closed" and case.outcome in row.outcomes:
            row.outcomes[case.outcome] += 1
        elif case.status != "closed":
            row.still_open += 1
        if case.rating is not None:
            row.ratings.append(case.rating)
    return sorted(rows.values(), key=lambda r: (r.week, r.who != TEAM, r.who))


def by_week(rows: list[WeekFigures]) -> dict[str, list[WeekFigures]]:
    weeks: dict[str, list[WeekFigures]] = defaultdict(list)
    for row in rows:
        weeks[row.week].append(row)
    return weeks
