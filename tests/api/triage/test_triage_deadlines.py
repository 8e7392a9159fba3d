"""Working days, bank holidays in England (substitute days included), 17:00 Europe/London across GMT/BST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from api.triage.deadlines import (
    DeadlineKind,
    bank_holidays,
    contact_deadline,
    is_working_day,
    working_days_after,
)

LONDON = ZoneInfo("Europe/London")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def london(year: int, month: int, day: int, hour: int = 17, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


class TestBankHolidays:
    @pytest.mark.parametrize(
        "day",
        [
            date(2026, 12, 25),  # Christmas Day, a Friday
            date(2026, 12, 28),  # Boxing Day falls on Saturday: substitute Monday
            date(2027, 1, 1),
            date(2027, 12, 27),  # Christmas Day on Saturday: substitute Monday
            date(2027, 12, 28),  # Boxing Day on Sunday: substitute Tuesday
            date(2022, 1, 3),  # New Year's Day on Saturday: substitute Monday
            date(2022, 12, 26),  # Boxing Day, a Monday
            date(2022, 12, 27),  # Christmas Day on Sunday: substitute Tuesday
            date(2026, 4, 3),  # Good Friday
            date(2026, 4, 6),  # Easter Monday
            date(2026, 5, 4),
            date(2026, 5, 25),
            date(2026, 8, 31),
        ],
    )
    def test_bank_holiday_in_england(self, day: date) -> None:
        assert day in bank_holidays(day.year)
        assert is_working_day(day) is False

    @pytest.mark.parametrize(
        "day",
        [
            date(2026, 12, 24),
            date(2026, 12, 29),
            date(2026, 12, 31),
            date(2027, 1, 4),
            date(2022, 1, 4),
            date(2026, 3, 17),  # St Patrick's Day: a bank holiday in Northern Ireland only
            date(2026, 11, 30),  # St Andrew's Day: Scotland only
            date(2027, 1, 4),
        ],
    )
    def test_working_day(self, day: date) -> None:
        assert is_working_day(day) is True

    @pytest.mark.parametrize("day", [date(2026, 11, 28), date(2026, 11, 29)])
    def test_weekend_is_not_a_working_day(self, day: date) -> None:
        assert is_working_day(day) is False

    def test_calendar_is_cached_per_year(self) -> None:
        bank_holidays(2031)
        hits = bank_holidays.cache_info().hits

        bank_holidays(2031)

        assert bank_holidays.cache_info().hits == hits + 1

    def test_calendar_covers_the_accepted_years(self) -> None:
        # TriageInput accepts received_at in 2000–2099; a deadline can spill into 2100.
        assert date(2000, 12, 25) in bank_holidays(2000)
        assert date(2100, 12, 27) in bank_holidays(2100)  # Christmas 2100 is a Saturday


class TestWorkingDaysAfter:
    @pytest.mark.parametrize(
        ("day", "count", "expected"),
        [
            (date(2026, 11, 24), 1, date(2026, 11, 25)),
            (date(2026, 11, 27), 1, date(2026, 11, 30)),
            (date(2026, 11, 28), 1, date(2026, 11, 30)),
            (date(2026, 12, 18), 2, date(2026, 12, 22)),
            (date(2026, 12, 24), 1, date(2026, 12, 29)),
            (date(2026, 12, 23), 2, date(2026, 12, 29)),
            (date(2026, 12, 21), 5, date(2026, 12, 30)),
            (date(2026, 12, 31), 1, date(2027, 1, 4)),
            (date(2027, 12, 24), 1, date(2027, 12, 29)),
            (date(2022, 12, 23), 2, date(2022, 12, 29)),
            (date(2021, 12, 31), 1, date(2022, 1, 4)),
        ],
    )
    def test_counts_only_working_days(self, day: date, count: int, expected: date) -> None:
        assert working_days_after(day, count) == expected

    def test_count_below_one_is_refused(self) -> None:
        with pytest.raises(ValueError, match="at least 1"):
            working_days_after(date(2026, 11, 24), 0)


class TestSameWorkingDay:
    @pytest.mark.parametrize(
        ("received_at", "deadline"),
        [
            (utc(2026, 11, 24, 16, 59), london(2026, 11, 24)),
            (utc(2026, 11, 24, 17, 0), london(2026, 11, 25)),
            (utc(2026, 11, 24, 0, 0), london(2026, 11, 24)),
            (datetime(2026, 11, 24, 16, 59, 59, 999999, tzinfo=UTC), london(2026, 11, 24)),
            (utc(2026, 11, 27, 16, 59), london(2026, 11, 27)),
            (utc(2026, 11, 27, 17, 0), london(2026, 11, 30)),
            (utc(2026, 11, 27, 21, 30), london(2026, 11, 30)),
            (utc(2026, 11, 28, 10, 0), london(2026, 11, 30)),
            (utc(2026, 11, 29, 23, 59), london(2026, 11, 30)),
            (utc(2026, 7, 1, 15, 59), london(2026, 7, 1)),  # 16:59 BST
            (utc(2026, 7, 1, 16, 0), london(2026, 7, 2)),  # 17:00 BST
            (utc(2026, 7, 5, 23, 30), london(2026, 7, 6)),  # 00:30 BST on Monday
            (utc(2026, 12, 24, 16, 59), london(2026, 12, 24)),
            (utc(2026, 12, 24, 17, 0), london(2026, 12, 29)),
            (utc(2026, 12, 25, 9, 0), london(2026, 12, 29)),
            (utc(2026, 12, 28, 9, 0), london(2026, 12, 29)),
            (utc(2026, 12, 31, 18, 0), london(2027, 1, 4)),
            (utc(2027, 1, 1, 10, 0), london(2027, 1, 4)),
            (utc(2027, 12, 24, 18, 0), london(2027, 12, 29)),
            (utc(2022, 12, 23, 18, 0), london(2022, 12, 28)),
            (utc(2021, 12, 31, 18, 0), london(2022, 1, 4)),
            (utc(2022, 1, 3, 10, 0), london(2022, 1, 4)),
        ],
        ids=[
            "16:59",
            "17:00_exactly",
            "midnight",
            "last_microsecond_before_close",
            "friday_16:59",
            "friday_17:00",
            "friday_evening",
            "saturday",
            "sunday_night",
            "summer_16:59_bst",
            "summer_17:00_bst",
            "monday_00:30_bst_is_sunday_in_utc",
            "christmas_eve_before_close",
            "christmas_eve_after_close_2026",
            "christmas_day_2026",
            "boxing_day_substitute_2026",
            "new_years_eve_2026",
            "new_years_day_2027",
            "christmas_eve_2027",
            "christmas_2022",
            "new_year_2022_substitute",
            "on_the_substitute_day_2022",
        ],
    )
    def test_same_working_day(self, received_at: datetime, deadline: datetime) -> None:
        assert contact_deadline(received_at, DeadlineKind.SAME_WORKING_DAY) == deadline


class TestWorkingDaysAfterReceipt:
    @pytest.mark.parametrize(
        ("received_at", "kind", "deadline"),
        [
            (utc(2026, 11, 24, 10), DeadlineKind.NEXT_WORKING_DAY, london(2026, 11, 25)),
            (utc(2026, 11, 24, 18), DeadlineKind.NEXT_WORKING_DAY, london(2026, 11, 25)),
            (utc(2026, 11, 27, 18), DeadlineKind.NEXT_WORKING_DAY, london(2026, 11, 30)),
            (utc(2026, 11, 28, 12), DeadlineKind.NEXT_WORKING_DAY, london(2026, 11, 30)),
            (utc(2026, 12, 18, 16), DeadlineKind.SECOND_WORKING_DAY, london(2026, 12, 22)),
            (utc(2026, 12, 18, 18), DeadlineKind.SECOND_WORKING_DAY, london(2026, 12, 22)),
            (utc(2026, 12, 24, 10), DeadlineKind.NEXT_WORKING_DAY, london(2026, 12, 29)),
            (utc(2026, 12, 24, 10), DeadlineKind.SECOND_WORKING_DAY, london(2026, 12, 30)),
            (utc(2026, 12, 30, 10), DeadlineKind.SECOND_WORKING_DAY, london(2027, 1, 4)),
            (utc(2026, 11, 23, 9), DeadlineKind.FIFTH_WORKING_DAY, london(2026, 11, 30)),
            (utc(2026, 12, 21, 9), DeadlineKind.FIFTH_WORKING_DAY, london(2026, 12, 30)),
            (utc(2027, 12, 23, 9), DeadlineKind.NEXT_WORKING_DAY, london(2027, 12, 24)),
            (utc(2027, 12, 23, 9), DeadlineKind.SECOND_WORKING_DAY, london(2027, 12, 29)),
            (utc(2022, 12, 23, 9), DeadlineKind.NEXT_WORKING_DAY, london(2022, 12, 28)),
            (utc(2021, 12, 30, 9), DeadlineKind.SECOND_WORKING_DAY, london(2022, 1, 4)),
        ],
        ids=[
            "enhanced_tuesday",
            "enhanced_after_close_counts_from_the_day",
            "enhanced_friday_evening",
            "enhanced_saturday",
            "standard_friday_afternoon",
            "standard_friday_evening",
            "enhanced_christmas_eve_2026",
            "standard_christmas_eve_2026",
            "standard_over_new_year_2027",
            "perpetrator_monday",
            "perpetrator_over_christmas_2026",
            "enhanced_before_christmas_2027",
            "standard_over_christmas_2027",
            "enhanced_christmas_2022",
            "standard_over_new_year_2022",
        ],
    )
    def test_nth_working_day_after_the_day_received(
        self, received_at: datetime, kind: DeadlineKind, deadline: datetime
    ) -> None:
        assert contact_deadline(received_at, kind) == deadline


class TestClockChanges:
    """Clocks go forward on the last Sunday of March (29 March 2026) and back on the last Sunday of October
    (25 October 2026), at 01:00 UTC."""

    @pytest.mark.parametrize(
        ("received_at", "kind", "deadline", "offset"),
        [
            (utc(2026, 3, 27, 16, 59), DeadlineKind.SAME_WORKING_DAY, london(2026, 3, 27), "+00:00"),
            (utc(2026, 3, 28, 23, 30), DeadlineKind.SECOND_WORKING_DAY, london(2026, 3, 31), "+01:00"),
            (utc(2026, 3, 29, 0, 30), DeadlineKind.SAME_WORKING_DAY, london(2026, 3, 30), "+01:00"),
            (utc(2026, 3, 29, 1, 30), DeadlineKind.SAME_WORKING_DAY, london(2026, 3, 30), "+01:00"),
            (utc(2026, 3, 29, 23, 30), DeadlineKind.SAME_WORKING_DAY, london(2026, 3, 30), "+01:00"),
            (utc(2026, 3, 30, 15, 59), DeadlineKind.SAME_WORKING_DAY, london(2026, 3, 30), "+01:00"),
            (utc(2026, 3, 30, 16, 0), DeadlineKind.SAME_WORKING_DAY, london(2026, 3, 31), "+01:00"),
            (utc(2026, 10, 23, 15, 59), DeadlineKind.SAME_WORKING_DAY, london(2026, 10, 23), "+01:00"),
            (utc(2026, 10, 23, 16, 0), DeadlineKind.SAME_WORKING_DAY, london(2026, 10, 26), "+00:00"),
            (utc(2026, 10, 24, 23, 30), DeadlineKind.SAME_WORKING_DAY, london(2026, 10, 26), "+00:00"),
            (utc(2026, 10, 25, 0, 30), DeadlineKind.SAME_WORKING_DAY, london(2026, 10, 26), "+00:00"),
            (utc(2026, 10, 25, 1, 30), DeadlineKind.SAME_WORKING_DAY, london(2026, 10, 26), "+00:00"),
            (utc(2026, 10, 23, 10, 0), DeadlineKind.NEXT_WORKING_DAY, london(2026, 10, 26), "+00:00"),
            (utc(2026, 10, 21, 10, 0), DeadlineKind.FIFTH_WORKING_DAY, london(2026, 10, 28), "+00:00"),
            (utc(2026, 3, 25, 10, 0), DeadlineKind.FIFTH_WORKING_DAY, london(2026, 4, 1), "+01:00"),
        ],
        ids=[
            "friday_before_spring_forward",
            "saturday_night_standard",
            "sunday_00:30_gmt",
            "sunday_02:30_bst",
            "sunday_23:30_utc_is_monday_bst",
            "monday_16:59_bst",
            "monday_17:00_bst",
            "friday_16:59_bst_before_fall_back",
            "friday_17:00_bst_before_fall_back",
            "saturday_23:30_utc_is_sunday_bst",
            "sunday_01:30_bst_first_time",
            "sunday_01:30_gmt_second_time",
            "enhanced_across_fall_back",
            "perpetrator_across_fall_back",
            "perpetrator_across_spring_forward",
        ],
    )
    def test_deadline_offset_follows_the_clocks(
        self, received_at: datetime, kind: DeadlineKind, deadline: datetime, offset: str
    ) -> None:
        result = contact_deadline(received_at, kind)

        assert result == deadline
        assert result.isoformat().endswith(offset)
        assert result.astimezone(LONDON).hour == 17

    def test_summer_close_of_day_is_16_utc(self) -> None:
        result = contact_deadline(utc(2026, 7, 1, 10), DeadlineKind.SAME_WORKING_DAY)

        assert result.astimezone(UTC) == utc(2026, 7, 1, 16)


class TestContactDeadline:
    def test_other_offsets_are_read_on_the_london_calendar(self) -> None:
        # 22:00 in India on Tuesday is 16:30 GMT: still before close in London.
        received_at = datetime(2026, 11, 24, 22, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))

        assert contact_deadline(received_at, DeadlineKind.SAME_WORKING_DAY) == london(2026, 11, 24)

    def test_naive_time_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            contact_deadline(datetime(2026, 11, 24, 10, 0), DeadlineKind.SAME_WORKING_DAY)

    @pytest.mark.parametrize("kind", list(DeadlineKind))
    def test_deadline_is_in_london_at_close_of_day(self, kind: DeadlineKind) -> None:
        result = contact_deadline(utc(2026, 11, 24, 10), kind)

        assert result.tzinfo is LONDON
        assert (result.hour, result.minute, result.second) == (17, 0, 0)
