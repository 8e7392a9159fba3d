"""Counting events into `stats_count` (one upsert that adds one) and reading the totals back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.kit.time import as_london
from api.referral.models import Referral
from api.stats.models import StatsCount

NONE = "-"
# Events after the one that made the case (taken up, closed, withdrawn) are counted from the case's clear
# routing columns only: its age, hate strands and area are sealed with the rest of the triage input, and a
# counter is no reason to open them again.
NOT_RECORDED = "not_recorded"
DIMENSIONS = (
    "source",
    "channel",
    "language",
    "queue",
    "tier",
    "priority",
    "outcome",
    "age_band",
    "hate_strand",
    "area",
)


class Event(StrEnum):
    made = "made"
    taken_up = "taken_up"
    closed = "closed"
    withdrawn = "withdrawn"


def age_band(age: Any) -> str:
    if not isinstance(age, int):
        return "unknown"
    if age < 13:
        return "0-12"
    if age < 18:
        return "13-17"
    if age < 25:
        return "18-24"
    if age < 65:
        return "25-64"
    return "65+"


def categories(
    referral: Referral, outcome: str | None = None, triage_input: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """The referral's categories: no identifier, no free text, nothing finer than an age band. Age band, hate
    strand and area come from the triage input when the caller has it in hand (when the case is made)."""
    if triage_input is None:
        personal = {"age_band": NOT_RECORDED, "hate_strand": NOT_RECORDED, "area": NOT_RECORDED}
    else:
        strands = triage_input.get("hate_strands") or []
        lives_in_area = triage_input.get("lives_in_area")
        personal = {
            "age_band": age_band(triage_input.get("age_years")),
            "hate_strand": "+".join(sorted(str(s) for s in strands))[:120] or NONE,
            "area": NONE if lives_in_area is None else ("in_area" if lives_in_area else "outside_area"),
        }
    return {
        "source": referral.source,
        "channel": referral.source if referral.source in ("web_chat", "sms") else "api",
        "language": referral.language,
        "queue": str(referral.queue) if referral.queue else NONE,
        "tier": str(referral.tier) if referral.tier else NONE,
        "priority": str(referral.priority),
        "outcome": outcome or str(referral.outcome),
        **personal,
    }


async def count(
    session: AsyncSession,
    event: Event,
    referral: Referral,
    at: datetime,
    *,
    outcome: str | None = None,
    triage_input: Mapping[str, Any] | None = None,
) -> None:
    """Add one to the counter of (day, event, categories); flushes nothing else."""
    values = {
        "day": as_london(at).date(),
        "event": str(event),
        **categories(referral, outcome, triage_input),
        "count": 1,
    }
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = module.insert(StatsCount).values(**values)
    keys = [c for c in values if c != "count"]
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=keys, set_={"count": StatsCount.count + stmt.excluded.count}
        )
    )


async def totals(
    session: AsyncSession, *, event: Event, by: str, start: date | None = None, end: date | None = None
) -> dict[str, int]:
    """Counts of `event` by one dimension, between two days inclusive."""
    if by not in DIMENSIONS:
        raise ValueError(f"unknown dimension {by!r}")
    column = getattr(StatsCount, by)
    query = select(column, func.sum(StatsCount.count)).where(StatsCount.event == str(event)).group_by(column)
    if start is not None:
        query = query.where(StatsCount.day >= start)
    if end is not None:
        query = query.where(StatsCount.day <= end)
    return {str(key): int(total) for key, total in (await session.execute(query)).all()}
