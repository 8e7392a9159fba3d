"""Opening hours (OPENING_HOURS, bank holidays, CLOSED_DATES) and the call-back times they give."""

from __future__ import annotations

from datetime import datetime

import pytest

from api.config import Settings
from api.kit.calendar import OpeningHours, OpeningHoursError, parse_weekly
from api.kit.time import LONDON

WEEKDAYS = OpeningHours.from_settings("Mon-Fri 09:00-17:00")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


class TestTheSetting:
    def test_days_ranges_lists_and_split_days(self) -> None:
        weekly = parse_weekly("Mon-Thu 09:00-17:00; Fri 09:00-12:30,13:30-16:30; Sat,Sun 10:00-13:00")
        assert weekly[0] == weekly[3] == ((540, 1020),)
        assert weekly[4] == ((540, 750), (810, 990))
        assert weekly[5] == weekly[6] == ((600, 780),)

    def test_none_is_never_open(self) -> None:
        hours = OpeningHours.from_settings("none")
        assert not hours.is_open(at("2026-11-24 10:00"))
        assert hours.next_opening(at("2026-11-24 10:00")) is None

    @pytest.mark.parametrize(
        ("spec", "says"),
        [
            ("", "no opening hours"),
            ("Mon-Fri", "write the days"),
            ("Fri-Mon 09:00-17:00", "runs forwards"),
            ("Funday 09:00-17:00", "days are"),
            ("Mon 9-5", "HH:MM-HH:MM"),
            ("Mon 17:00-09:00", "closes before it opens"),
            ("Mon 25:00-26:00", "not a time of day"),
            ("Mon 09:00-13:00,12:00-17:00", "overlap"),
        ],
    )
    def test_a_mistyped_setting_is_refused_with_the_reason(self, spec: str, says: str) -> None:
        with pytest.raises(OpeningHoursError, match=says):
            parse_weekly(spec)

    def test_the_service_does_not_start_with_a_bad_setting(self) -> None:
        with pytest.raises(ValueError, match="OPENING_HOURS"):
            Settings(app_env="test", opening_hours="Mon-Fri 9am-5pm")
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            Settings(app_env="test", closed_dates="24/12/2026")


class TestOpenOrClosed:
    @pytest.mark.parametrize(
        ("moment", "open_"),
        [
            ("2026-11-24 10:00", True),  # Tuesday morning
            ("2026-11-24 08:59", False),
            ("2026-11-24 17:00", False),  # closing time is closed
            ("2026-11-28 11:00", False),  # Saturday
            ("2026-12-25 11:00", False),  # Christmas Day
            ("2026-12-28 11:00", False),  # Boxing Day falls on a Saturday: the Monday is the holiday
            ("2027-05-31 11:00", False),  # Spring bank holiday
            ("2027-06-01 16:30", True),  # British Summer Time, London's clock
        ],
    )
    def test_weekdays_nine_to_five_except_bank_holidays(self, moment: str, open_: bool) -> None:
        assert WEEKDAYS.is_open(at(moment)) is open_

    def test_utc_moments_are_read_on_londons_clock(self) -> None:
        assert not WEEKDAYS.is_open(datetime.fromisoformat("2027-06-01T16:30:00+00:00"))  # 17:30 BST

    def test_bank_holidays_can_be_working_days_and_other_days_closed(self) -> None:
        hours = OpeningHours.from_settings("Mon-Fri 09:00-17:00", "2026-12-24", closed_on_bank_holidays=False)
        assert hours.is_open(at("2026-12-25 10:00"))
        assert not hours.is_open(at("2026-12-24 10:00"))

    @pytest.mark.parametrize(
        ("moment", "opens"),
        [
            ("2026-11-20 18:00", "2026-11-23 09:00"),  # Friday evening → Monday
            ("2026-11-24 07:00", "2026-11-24 09:00"),  # early morning → the same day
            ("2026-12-24 18:00", "2026-12-29 09:00"),  # Christmas: 25th, weekend, 28th (substitute)
        ],
    )
    def test_when_it_opens_again(self, moment: str, opens: str) -> None:
        assert WEEKDAYS.next_opening(at(moment)) == at(opens)

    def test_a_lunch_break_is_closed_and_opens_after_it(self) -> None:
        hours = OpeningHours.from_settings("Mon-Fri 09:00-12:30,13:30-17:00")
        assert not hours.is_open(at("2026-11-24 13:00"))
        assert hours.next_opening(at("2026-11-24 13:00")) == at("2026-11-24 13:30")


class TestCallbackWindows:
    def ids(self, hours: OpeningHours, moment: str) -> list[str]:
        return [w.id for w in hours.callback_windows(at(moment), 30, 120)]

    def test_as_soon_as_possible_then_the_rest_of_the_day_in_blocks_on_the_hour(self) -> None:
        assert self.ids(WEEKDAYS, "2026-11-24 10:20") == ["asap", "1200-1400", "1400-1600", "1600-1700"]
        [asap, *_] = WEEKDAYS.callback_windows(at("2026-11-24 10:20"), 30, 120)
        assert (asap.starts_at, asap.ends_at) == (at("2026-11-24 10:20"), at("2026-11-24 11:20"))

    def test_near_closing_only_as_soon_as_possible_then_nothing(self) -> None:
        assert self.ids(WEEKDAYS, "2026-11-24 16:20") == ["asap"]
        [asap] = WEEKDAYS.callback_windows(at("2026-11-24 16:20"), 30, 120)
        assert asap.ends_at == at("2026-11-24 17:00")
        assert self.ids(WEEKDAYS, "2026-11-24 16:40") == []

    def test_nothing_when_closed(self) -> None:
        assert self.ids(WEEKDAYS, "2026-11-28 11:00") == []
        assert self.ids(WEEKDAYS, "2026-12-25 11:00") == []

    def test_a_split_day_offers_times_in_both_parts_never_in_the_break(self) -> None:
        hours = OpeningHours.from_settings("Mon-Fri 09:00-12:30,13:30-17:00")
        assert self.ids(hours, "2026-11-24 09:10") == ["asap", "1100-1230", "1330-1530", "1530-1700"]

    def test_at_most_five_times(self) -> None:
        hours = OpeningHours.from_settings("Mon-Sun 00:00-24:00", closed_on_bank_holidays=False)
        windows = hours.callback_windows(at("2026-11-24 00:30"), 30, 60)
        assert len(windows) == 5
