"""Time helpers. Columns read back aware in UTC (api/kit/models.py `UtcDateTime`); `as_utc` normalises an
incoming value (a form, a London time) before it is kept or shown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer

LONDON = ZoneInfo("Europe/London")


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def as_london(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(LONDON)


def _london_iso(moment: datetime) -> str:
    return as_london(moment).isoformat()


# A date-time shown in Europe/London with its offset (+00:00 or +01:00), as TRIAGE.md writes deadlines.
LondonDateTime = Annotated[datetime, PlainSerializer(_london_iso, return_type=str, when_used="json")]
