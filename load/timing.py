"""The one timing helper the micro-benchmarks share (no imports beyond the standard library, so both the api's
and the bot's environments can use it)."""

from __future__ import annotations

import time
from collections.abc import Callable


def per_call(fn: Callable[[], object], calls: int, rounds: int) -> float:
    """Seconds per call of `fn`: the best of `rounds` rounds of `calls` calls (the least disturbed round on a
    shared machine)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best
