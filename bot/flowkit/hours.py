"""Is the service open now? Only to choose the closing words ("We're closed now; ..."): the contact deadline
itself always comes from the api's triage decision.

Open: Monday to Friday, 09:00 to 17:00 Europe/London, except bank holidays in England. The bot runs on a
different Python from the api and has no `holidays` package, so it computes England's regular bank
holidays (a test compares them with the `holidays` calendar the api's deadlines use); a one-off holiday
(a coronation, say) would only make the bot omit "we're closed".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import FrozenSet
from zoneinfo import ZoneInfo

from dateutil.easter import easter

LONDON = ZoneInfo("Europe/London")
OPENS = time(9, 0)
CLOSES = time(17, 0)


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _last_monday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=day.weekday())


@lru_cache(maxsize=64)
def bank_holidays(year: int) -> FrozenSet[date]:
    easter_sunday = easter(year)
    first_may = date(year, 5, 1)
    christmas = date(year, 12, 25)
    if christmas.weekday() == 5:  # Saturday: Monday and Tuesday
        christmas_days = {date(year, 12, 27), date(year, 12, 28)}
    elif christmas.weekday() == 6:  # Sunday: Boxing Day on Monday, Christmas on Tuesday
        christmas_days = {date(year, 12, 26), date(year, 12, 27)}
    else:
        christmas_days = {christmas, _weekday_on_or_after(date(year, 12, 26))}
    return frozenset(
        {
            _weekday_on_or_after(date(year, 1, 1)),
            easter_sunday - timedelta(days=2),
            easter_sunday + timedelta(days=1),
            first_may + timedelta(days=(7 - first_may.weekday()) % 7),
            _last_monday(year, 5),
            _last_monday(year, 8),
            *christmas_days,
        }
    )


def is_open(moment: datetime) -> bool:
    local = moment.astimezone(LONDON)
    day = local.date()
    return day.weekday() < 5 and day not in bank_holidays(day.year) and OPENS <= local.time() < CLOSES
