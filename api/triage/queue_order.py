"""Order of cases in a provider's queue: priority (emergency, high, normal), deadline, time received."""

from __future__ import annotations

from datetime import UTC, datetime

from api.triage.schemas import Priority

# A priority's place in a queue: 0 is the most urgent. The one table of it (queue entries keep it too).
PRIORITY_RANK: dict[str, int] = {priority: rank for rank, priority in enumerate(Priority)}
# A case without a deadline (nothing referred) sorts after every case that has one.
_NO_DEADLINE = datetime.max.replace(tzinfo=UTC)


def queue_sort_key(
    priority: Priority | str, deadline: datetime | None, received_at: datetime
) -> tuple[int, datetime, datetime]:
    """Sort key for `sorted(cases, key=...)`: most urgent first. Datetimes must be timezone-aware."""
    return (PRIORITY_RANK[Priority(priority)], _NO_DEADLINE if deadline is None else deadline, received_at)
