"""Time helpers. Stored times are UTC; SQLite returns them naive, so reads go through `as_utc`."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def as_london(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(LONDON)
