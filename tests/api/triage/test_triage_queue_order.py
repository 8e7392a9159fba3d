"""Provider queue order: priority (emergency, high, normal), then deadline, then time received."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from api.triage import Priority, queue_sort_key

LONDON = ZoneInfo("Europe/London")
EARLY = datetime(2026, 11, 24, 17, 0, tzinfo=LONDON)
LATE = datetime(2026, 11, 25, 17, 0, tzinfo=LONDON)
FIRST = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SECOND = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


class TestQueueSortKey:
    @pytest.mark.parametrize(
        ("ahead", "behind"),
        [
            ((Priority.EMERGENCY, LATE, SECOND), (Priority.HIGH, EARLY, FIRST)),
            ((Priority.HIGH, LATE, SECOND), (Priority.NORMAL, EARLY, FIRST)),
            ((Priority.NORMAL, EARLY, SECOND), (Priority.NORMAL, LATE, FIRST)),
            ((Priority.HIGH, EARLY, FIRST), (Priority.HIGH, EARLY, SECOND)),
            ((Priority.NORMAL, LATE, SECOND), (Priority.NORMAL, None, FIRST)),
        ],
        ids=[
            "emergency_before_high",
            "high_before_normal",
            "earlier_deadline_first",
            "earlier_received_first",
            "no_deadline_last",
        ],
    )
    def test_order(
        self,
        ahead: tuple[Priority, datetime | None, datetime],
        behind: tuple[Priority, datetime | None, datetime],
    ) -> None:
        assert queue_sort_key(*ahead) < queue_sort_key(*behind)

    def test_sorts_a_queue(self) -> None:
        cases = [
            ("c", Priority.NORMAL, EARLY, FIRST),
            ("a", Priority.EMERGENCY, LATE, SECOND),
            ("d", Priority.NORMAL, LATE, FIRST),
            ("b", Priority.HIGH, EARLY, SECOND),
        ]

        ordered = sorted(cases, key=lambda case: queue_sort_key(case[1], case[2], case[3]))

        assert [name for name, *_ in ordered] == ["a", "b", "c", "d"]

    def test_deadlines_in_different_offsets_compare_by_instant(self) -> None:
        summer_utc = datetime(2026, 7, 1, 15, 30, tzinfo=UTC)
        summer_london = datetime(2026, 7, 1, 17, 0, tzinfo=LONDON)  # 16:00 UTC

        assert queue_sort_key("high", summer_utc, FIRST) < queue_sort_key("high", summer_london, FIRST)

    def test_priority_may_be_its_string_value(self) -> None:
        assert queue_sort_key("emergency", EARLY, FIRST) == queue_sort_key(Priority.EMERGENCY, EARLY, FIRST)
