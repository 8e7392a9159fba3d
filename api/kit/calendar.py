"""The shared calendar: England's bank holidays and working days, and weekly opening hours with the
call-back times they give.

Bank holidays come from the maintained `holidays` calendar (substitute days included: Boxing Day 2026 falls
on a Saturday, so Monday 28 December is the holiday). The contact deadlines (api/triage/deadlines.py) count
working days on it; the opening hours (api/hours) close on it; the settings (api/config.py) check
`OPENING_HOURS` with the parser here, so that configuration depends on no feature.

Opening hours are a setting (`OPENING_HOURS`), in Europe/London time, for example

    Mon-Fri 09:00-17:00
    Mon-Thu 09:00-17:00; Fri 09:00-16:30; Sat 10:00-13:00
    Mon-Fri 09:00-12:30, 13:30-17:00

Days are `Mon Tue Wed Thu Fri Sat Sun`, alone, as a range (`Mon-Fri`) or a list (`Mon,Wed`); a day named twice
takes both parts. `24:00` ends a day. `none` means never open (every message is answered out of hours).
Bank holidays in England close the service unless `CLOSED_ON_BANK_HOLIDAYS=false` (the same maintained
calendar as the contact deadlines); `CLOSED_DATES` adds one-off closures (Christmas Eve, a training day).

Opening hours only change what the person is told and whether a call-back is offered: contact deadlines are
TRIAGE.md's working days whatever the hours are.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from api.kit.time import LONDON

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def bank_holidays(year: int) -> frozenset[date]:
    """Bank holidays in England for one year, substitute ("observed") days included."""
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return frozenset(calendar.keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def working_days_after(day: date, count: int) -> date:
    """The `count`-th working day strictly after `day` (count ≥ 1)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    remaining = count
    while remaining:
        day += _ONE_DAY
        if is_working_day(day):
            remaining -= 1
    return day


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
# How far ahead the next opening is looked for (a service closed for longer says "closed", not when).
HORIZON_DAYS = 60
ASAP = "asap"


class OpeningHoursError(ValueError):
    pass


@dataclass(frozen=True)
class Window:
    """A call-back time the person may choose: `asap`, or a part of today's opening hours."""

    id: str
    starts_at: datetime
    ends_at: datetime


def _minutes(hours: str, minutes: str, spec: str) -> int:
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and m):
        raise OpeningHoursError(f"{spec}: not a time of day")
    return h * 60 + m


def _days(part: str) -> list[int]:
    found: list[int] = []
    for item in part.lower().split(","):
        ends = item.strip().split("-")
        if not 1 <= len(ends) <= 2 or any(
            end.strip()[:3] not in DAYS or len(end.strip()) < 3 for end in ends
        ):
            raise OpeningHoursError(f"{item.strip()!r}: days are Mon Tue Wed Thu Fri Sat Sun, or a range")
        first, last = DAYS.index(ends[0].strip()[:3]), DAYS.index(ends[-1].strip()[:3])
        if last < first:
            raise OpeningHoursError(f"{item.strip()!r}: a range runs forwards (Mon-Fri)")
        found.extend(range(first, last + 1))
    return found


def parse_weekly(spec: str) -> dict[int, tuple[tuple[int, int], ...]]:
    """Weekday (0 = Monday) → the open intervals in minutes after midnight, sorted, never overlapping."""
    weekly: dict[int, list[tuple[int, int]]] = {}
    if spec.strip().lower() == "none":
        return {}
    for group in filter(None, (g.strip() for g in spec.split(";"))):
        days, _, intervals = group.partition(" ")
        if not intervals.strip():
            raise OpeningHoursError(
                f"{group!r}: write the days, a space, then the times (Mon-Fri 09:00-17:00)"
            )
        for interval in intervals.split(","):
            match = _INTERVAL.match(interval.strip())
            if match is None:
                raise OpeningHoursError(f"{interval.strip()!r}: times are HH:MM-HH:MM")
            opens = _minutes(match[1], match[2], interval)
            closes = _minutes(match[3], match[4], interval)
            if closes <= opens:
                raise OpeningHoursError(f"{interval.strip()!r}: closes before it opens")
            for day in _days(days):
                weekly.setdefault(day, []).append((opens, closes))
    if not weekly:
        raise OpeningHoursError("no opening hours given (write 'none' for a service that is never open)")
    for day, parts in weekly.items():
        parts.sort()
        for (_, closes), (opens, _) in itertools.pairwise(parts):
            if opens < closes:
                raise OpeningHoursError(f"{DAYS[day].title()}: opening times overlap")
    return {day: tuple(parts) for day, parts in weekly.items()}


def parse_dates(spec: str) -> frozenset[date]:
    found: set[date] = set()
    for item in filter(None, (part.strip() for part in spec.split(","))):
        try:
            found.add(date.fromisoformat(item))
        except ValueError as exc:
            raise OpeningHoursError(f"{item!r}: closed dates are YYYY-MM-DD, separated by commas") from exc
    return frozenset(found)


def _at(day: date, minutes: int) -> datetime:
    if minutes == 24 * 60:
        return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=LONDON)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=LONDON)


@dataclass(frozen=True)
class OpeningHours:
    weekly: dict[int, tuple[tuple[int, int], ...]]
    closed_dates: frozenset[date] = frozenset()
    closed_on_bank_holidays: bool = True

    @classmethod
    @lru_cache(maxsize=16)
    def from_settings(
        cls, weekly: str, closed_dates: str = "", closed_on_bank_holidays: bool = True
    ) -> OpeningHours:
        return cls(parse_weekly(weekly), parse_dates(closed_dates), closed_on_bank_holidays)

    def is_closed_all_day(self, day: date) -> bool:
        return day in self.closed_dates or (self.closed_on_bank_holidays and day in bank_holidays(day.year))

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's open intervals as London date-times (none on a closed day)."""
        if self.is_closed_all_day(day):
            return []
        return [(_at(day, opens), _at(day, closes)) for opens, closes in self.weekly.get(day.weekday(), ())]

    def current(self, moment: datetime) -> tuple[datetime, datetime] | None:
        """The open interval `moment` falls in, or None when the service is closed."""
        local = moment.astimezone(LONDON)
        return next(((s, e) for s, e in self.intervals(local.date()) if s <= local < e), None)

    def is_open(self, moment: datetime) -> bool:
        return self.current(moment) is not None

    def next_opening(self, moment: datetime) -> datetime | None:
        """When the service next opens after `moment` (None if not within HORIZON_DAYS)."""
        local = moment.astimezone(LONDON)
        for offset in range(HORIZON_DAYS + 1):
            for opens, _ in self.intervals(local.date() + timedelta(days=offset)):
                if opens > local:
                    return opens
        return None

    def callback_windows(self, moment: datetime, min_minutes: int, window_minutes: int) -> list[Window]:
        """The call-back times to offer now: "as soon as possible" (the next hour, or until closing), then
        today's later opening time in blocks of `window_minutes` on the hour, starting an hour from now.
        Nothing when closed, or when fewer than `min_minutes` remain before closing."""
        now = moment.astimezone(LONDON).replace(second=0, microsecond=0)
        current = self.current(now)
        if current is None or current[1] - now < timedelta(minutes=min_minutes):
            return []
        windows = [Window(ASAP, now, min(now + timedelta(hours=1), current[1]))]
        later = now + timedelta(hours=1)
        start = later.replace(minute=0) + (timedelta(hours=1) if later.minute else timedelta())
        for opens, closes in self.intervals(now.date()):
            begin = max(opens, start)
            while closes - begin >= timedelta(minutes=min_minutes) and len(windows) < 5:
                end = min(begin + timedelta(minutes=window_minutes), closes)
                windows.append(Window(f"{begin:%H%M}-{end:%H%M}", begin, end))
                begin = end
        return windows
