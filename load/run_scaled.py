"""Benchmark (not a test): chat turns per second on the scaled-out stack against the embedded stack, one run.

Run from the repository root:

    .venvs/api/bin/python load/run_scaled.py [--users 10] [--seconds 60] [--api 2] [--rasa 2] [--actions 2]

One after the other on this machine, never both at once: the embedded stack of `make run` (one api, Rasa,
action server and worker; SQLite), then the scaled-out stack of `make run-scaled` (tools/scaled.py: N api,
M Rasa, K action servers and the worker behind nginx; a throwaway PostgreSQL and Redis). Each is warmed up
with the hate crime slice (load/scenarios/conversation.py) twice, then `--users` people play it, closed loop
(each sends its next message when the reply arrives, whole journeys, no think time), for `--seconds`; every
reply is checked against its own message. Printed: turns/s, the turn p50 and p95, failures, and the scaled
stack's turns/s as a ratio of the embedded one's, measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tools.*; load/ is [0]

from runkit import RunError, cpu_model, interrupt_on_signals, table
from scenarios.conversation import SLICE, Turn

from tools.model import ensure_model
from tools.paths import DATA
from tools.run_scaled import TRACKER_DATABASE, local_postgres, local_redis
from tools.scaled import Scale, ScaledStack
from tools.secrets import generate
from tools.stack import Ports, Stack, StackError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=10, help="concurrent people (1-50; default 10)")
    parser.add_argument("--seconds", type=float, default=60, help="run time per stack (10-600; default 60)")
    for kind in ("api", "rasa", "actions"):
        parser.add_argument(
            f"--{kind}", type=int, default=2, help=f"{kind} processes when scaled (default 2)"
        )
    parser.add_argument("--out", type=Path, help="keep the stacks' logs here (default: deleted)")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 50 or not 10 <= args.seconds <= 600:
        parser.error("--users 1-50, --seconds 10-600")
    return args


@contextmanager
def embedded(out: Path) -> Iterator[Stack]:
    stack = Stack(
        data_dir=out / "embedded", model=ensure_model(quiet=True), ports=Ports.free(), secrets=generate()
    )
    try:
        stack.migrate()
        stack.start()
        yield stack
    finally:
        stack.stop()


@contextmanager
def scaled(out: Path, scale: Scale) -> Iterator[Stack]:
    with ExitStack() as services:
        # PostgreSQL's own user must reach its folder: a private temporary one of its own, removed after.
        base = Path(tempfile.mkdtemp(prefix="scaled-bench-pg-"))
        services.callback(shutil.rmtree, base, ignore_errors=True)
        postgres = services.enter_context(local_postgres(base, fresh=False))
        redis_url = services.enter_context(local_redis(out / "redis"))
        stack = ScaledStack(
            data_dir=out / "scaled",
            model=ensure_model(quiet=True),
            ports=Ports.free(),
            secrets=generate(),
            database_url=postgres.url("referrals"),
            tracker_url=postgres.url(TRACKER_DATABASE, driver="postgresql"),
            redis_url=redis_url,
            scale=scale,
        )
        services.callback(stack.stop)
        stack.migrate()
        stack.start()
        yield stack


def problem(turn: Turn, messages: Any) -> str | None:
    """Why a reply is not this turn's: its words, and the button it must offer (`offers`)."""
    if not isinstance(messages, list):
        return "messages is not a list"
    joined = " ".join(str(m.get("text", "")) for m in messages if isinstance(m, dict))
    missing = [words for words in turn.expect_text if words not in joined]
    if missing:
        return f"missing {missing[0]!r}"
    payloads = [str(b.get("payload", "")) for m in messages for b in (m.get("buttons") or [])]
    if turn.expect_button is not None and not any(offers(turn.expect_button, p) for p in payloads):
        return f"no {turn.expect_button!r} button"
    return None


def offers(expected: str, payload: str) -> bool:
    """A button payload `/intent{…}` is the expected one: the same intent, and every expected entity in it
    (the bot adds the question asked: `/affirm{"asked":"safe_to_talk"}` offers `/affirm`)."""
    want_intent, _, want = expected.partition("{")
    got_intent, _, got = payload.partition("{")
    if want_intent != got_intent:
        return False
    try:
        wanted = json.loads("{" + want) if want else {}
        given = json.loads("{" + got) if got else {}
    except ValueError:
        return False
    return all(given.get(key) == value for key, value in wanted.items())


@dataclass
class Result:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # every answered turn, seconds
    failures: dict[str, int] = field(default_factory=dict)

    def fail(self, why: str) -> None:
        self.failures[why] = self.failures.get(why, 0) + 1

    def percentile(self, share: float) -> int:
        ordered = sorted(self.latencies)
        return round(1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]) if ordered else 0

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


async def journeys(http: httpx.AsyncClient, until: float, result: Result | None) -> None:
    """One person, closed loop: whole journeys one after the other until `until` (the turn under way ends);
    without a `result`, one whole journey, every reply checked (the warm-up)."""
    while time.monotonic() < until:
        started = await http.post("/v1/chat/conversations", json={"language": "en"})
        if started.status_code != 201:
            raise RunError(f"starting a conversation answered {started.status_code}")
        path = f"/v1/chat/conversations/{started.json()['id']}/messages"
        for turn in SLICE:
            if time.monotonic() >= until:
                return
            sent = time.monotonic()
            try:
                reply = await http.post(path, json={"text": turn.text})
            except httpx.HTTPError as exc:
                why: str | None = type(exc).__name__
            else:
                why = f"status {reply.status_code}" if reply.status_code != 200 else None
                why = why or problem(turn, reply.json().get("messages"))
            if why is not None:
                if result is None:
                    raise RunError(f"warm-up: {turn.label}: {why}")
                result.fail(f"{turn.label}: {why}")
                break  # the rest of this journey would only fail too
            if result is not None:
                result.latencies.append(time.monotonic() - sent)
        await http.delete(path.removesuffix("/messages"))
        if result is None:
            return


async def drive(api_url: str, users: int, seconds: float) -> Result:
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=api_url, timeout=120, limits=limits) as http:
        for _ in range(2):  # warm-up: Rasa's lazy parts, every process of each kind; checks the script
            await journeys(http, float("inf"), None)
        result = Result()
        began = time.monotonic()
        await asyncio.gather(*(journeys(http, began + seconds, result) for _ in range(users)))
        result.seconds = time.monotonic() - began
    return result


def measure(stack: Stack, name: str, args: argparse.Namespace) -> Result:
    print(f"{name}: the slice at {args.users} users for {args.seconds:g} s …", file=sys.stderr, flush=True)
    return asyncio.run(drive(stack.api_url, args.users, args.seconds))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    interrupt_on_signals()
    out = args.out.resolve() if args.out else Path(tempfile.mkdtemp(prefix="run-scaled-"))
    out.mkdir(parents=True, exist_ok=True)
    scale = Scale(api=args.api, rasa=args.rasa, actions=args.actions, workers=1)
    ensure_model(DATA / "models", quiet=True)
    results: dict[str, Result] = {}
    try:
        print("starting the embedded stack …", file=sys.stderr, flush=True)
        with embedded(out) as stack:
            results["embedded"] = measure(stack, "embedded", args)
        print("starting the scaled-out stack …", file=sys.stderr, flush=True)
        with scaled(out, scale) as stack:
            results["scaled"] = measure(stack, "scaled", args)
    except (StackError, RunError, httpx.HTTPError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}; files in {out}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    base = results["embedded"].per_second
    rows = [["stack", "turns", "failures", "turns/s", "turn p50 ms", "turn p95 ms", "turns/s vs embedded"]]
    for name, result in results.items():
        rows.append(
            [
                name,
                str(len(result.latencies)),
                str(sum(result.failures.values())),
                f"{result.per_second:.2f}",
                str(result.percentile(0.5)),
                str(result.percentile(0.95)),
                f"{result.per_second / base:.2f}x" if base else "n/a",
            ]
        )
    print(
        f"Chat slice, {args.users} users, {args.seconds:g} s each; {os.cpu_count()} CPUs ({cpu_model()}); "
        f"scaled: {scale.api} api, {scale.rasa} Rasa, {scale.actions} action servers, 1 worker behind nginx, "
        "PostgreSQL, Redis"
    )
    print(table(rows, right=set(range(1, 7))))
    for name, result in results.items():
        for why, count in result.failures.items():
            print(f"failure ({name}): {why} (x{count})")
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
