"""Contact deadlines in working days (ours, not the Victims' Code's).

A working day is Monday to Friday and not a bank holiday in England (the shared calendar,
api/kit/calendar.py: substitute days included, so Monday 28 December 2026 is the Boxing Day holiday). Close
of day is 17:00 Europe/London, so a deadline reads `+00:00` in winter and `+01:00` in summer. Days are
counted on the London calendar: 23:30 UTC on a summer Friday is already Saturday here.

- `same_working_day` (priority emergency or high): 17:00 on the day received if that is a working day and
  it is before 17:00, otherwise 17:00 on the next working day.
- `next_working_day` (enhanced tier): 17:00 on the 1st working day after the day received.
- `second_working_day` (standard tier): 17:00 on the 2nd working day after the day received.
- `fifth_working_day` (adult perpetrator, early intervention): 17:00 on the 5th working day after.
"""

from __future__ import annotations

import enum
import functools
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from api.kit.calendar import bank_holidays, is_working_day, working_days_after

LONDON = ZoneInfo("Europe/London")
CLOSE_OF_DAY = time(17, 0)


__all__ = [
    "CLOSE_OF_DAY",
    "LONDON",
    "DeadlineKind",
    "bank_holidays",
    "contact_deadline",
    "is_working_day",
    "working_days_after",
]


class DeadlineKind(enum.StrEnum):
    SAME_WORKING_DAY = "same_working_day"
    NEXT_WORKING_DAY = "next_working_day"
    SECOND_WORKING_DAY = "second_working_day"
    FIFTH_WORKING_DAY = "fifth_working_day"


_WORKING_DAYS_AFTER = {
    DeadlineKind.NEXT_WORKING_DAY: 1,
    DeadlineKind.SECOND_WORKING_DAY: 2,
    DeadlineKind.FIFTH_WORKING_DAY: 5,
}


@functools.lru_cache(maxsize=8192)
def _deadline_day(received_day: date, before_close: bool, kind: DeadlineKind) -> date:
    if kind is DeadlineKind.SAME_WORKING_DAY:
        if before_close and is_working_day(received_day):
            return received_day
        return working_days_after(received_day, 1)
    return working_days_after(received_day, _WORKING_DAYS_AFTER[kind])


def contact_deadline(received_at: datetime, kind: DeadlineKind) -> datetime:
    """17:00 Europe/London on the day `kind` gives for a case received at `received_at` (timezone-aware)."""
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware")
    local = received_at.astimezone(LONDON)
    day = _deadline_day(local.date(), local.time() < CLOSE_OF_DAY, kind)
    return datetime.combine(day, CLOSE_OF_DAY, tzinfo=LONDON)
