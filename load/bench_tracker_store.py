"""Benchmark (not a test), bot environment: a turn's tracker store work, Rasa's SQL store beside ours.

Run from the repository root:

    .venvs/bot/bin/python load/bench_tracker_store.py [--turns 60] [--conversations 20] [--postgresql URL]

A turn is what Rasa's processor asks of its tracker store: get the tracker (`get_or_create_tracker`), add
the turn's events (a user message, slots, two actions, a bot message: 7 events, as a form turn makes), save.
Both stores write the same rows to their own fresh SQLite file (or the PostgreSQL database given, emptied
first). Printed: the median time of the store's work per turn at turns 1-10 and at the last ten turns of one
long conversation, and turns/s over `--conversations` conversations played side by side on one event loop
(interleaved, as concurrent people are), with the ratios cached/Rasa's. Synthetic data only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository; load/ is [0]

import sqlalchemy as sa  # type: ignore[import-untyped]
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered

from bot.server.tracker_store import CachedSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, inform]
slots:
  language: {type: text, mappings: [{type: custom}]}
  requested_slot: {type: text, mappings: [{type: custom}]}
  answer: {type: text, mappings: [{type: custom}]}
"""
)


def turn_events(number: int) -> list[Event]:
    text = f"synthetic answer number {number}"
    return [
        UserUttered(text, {"name": "inform", "confidence": 0.9}, parse_data={"text": text}),
        SlotSet("answer", text),
        ActionExecuted("hate_crime_form"),
        SlotSet("requested_slot", f"question_{number}"),
        BotUttered("synthetic question", {"elements": None, "buttons": None}),
        ActionExecuted("action_listen"),
        SlotSet("language", "en"),
    ]


async def one_turn(store: TrackerStore, sender: str, number: int) -> float:
    started = time.perf_counter()
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    events = [SessionStarted(), ActionExecuted("action_listen")] if number == 0 else []
    for event in [*events, *turn_events(number)]:
        tracker.update(event)
    await store.save(tracker)
    return time.perf_counter() - started


async def long_conversation(store: TrackerStore, turns: int) -> list[float]:
    return [await one_turn(store, "long", n) for n in range(turns)]


async def side_by_side(store: TrackerStore, conversations: int, turns: int) -> float:
    """Turns/s with `conversations` conversations taking turns at once."""

    async def person(index: int) -> None:
        for n in range(turns):
            await one_turn(store, f"p{index}", n)

    started = time.perf_counter()
    await asyncio.gather(*(person(i) for i in range(conversations)))
    return conversations * turns / (time.perf_counter() - started)


def store_for(kind: str, arguments: dict[str, Any]) -> TrackerStore:
    if kind == "rasa":
        return SQLTrackerStore(domain=DOMAIN, **arguments)
    return CachedSQLTrackerStore(domain=DOMAIN, **arguments)


def arguments_for(kind: str, folder: Path, postgresql: str | None) -> dict[str, Any]:
    if postgresql:
        engine = sa.create_engine(postgresql)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS events")
        engine.dispose()
        return {"host": postgresql, "dialect": "postgresql", "db": ""}
    return {"host": "", "dialect": "sqlite", "db": str(folder / f"{kind}.db")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--postgresql", help="a PostgreSQL URL (postgresql://...) instead of SQLite files")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-tracker-") as folder:
        for kind in ("rasa", "cached"):
            store = store_for(kind, arguments_for(kind, Path(folder), args.postgresql))
            times = asyncio.run(long_conversation(store, args.turns))
            rate = asyncio.run(side_by_side(store, args.conversations, max(10, args.turns // 3)))
            results[kind] = {
                "early": statistics.median(times[:10]) * 1000,
                "late": statistics.median(times[-10:]) * 1000,
                "rate": rate,
            }
            store.engine.dispose()
    where = "PostgreSQL" if args.postgresql else "SQLite"
    last = f"turns {args.turns - 9}-{args.turns}"
    print(f"tracker store work per turn ({where}; 7 events a turn; median ms)")
    print(f"store    turns 1-10  {last:>12}  late/early  turns/s ({args.conversations} at once)")
    for kind, r in results.items():
        early, late, rate = r["early"], r["late"], r["rate"]
        print(f"{kind:<7} {early:>11.2f}  {late:>12.2f}  {late / early:>9.2f}x  {rate:>10.1f}")
    rasa, cached = results["rasa"], results["cached"]
    print(
        f"cached/rasa: turns 1-10 {cached['early'] / rasa['early']:.2f}x, "
        f"last ten {cached['late'] / rasa['late']:.2f}x, turns/s {cached['rate'] / rasa['rate']:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
