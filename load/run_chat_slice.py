"""Benchmark (not a test): chat turn latency through the real stack, at 1 and then 10 concurrent people.

Run from the repository root:

    .venvs/api/bin/python load/run_chat_slice.py [--seconds 60] [--users 1,10] [--baseline-seconds 20]

It starts the whole service (api, worker, action server, Rasa) on free 127.0.0.1 ports with a temporary
SQLite database and fresh development secrets, plays the hate crime slice twice as a warm-up and a check,
then runs locust headless:

- a baseline: a bare `GET /healthz` on the same api, 1 user (load/scenarios/healthz.py);
- the chat slice (load/locustfile.py, ChatSliceUser) at each concurrency level in turn, no think time.

It prints, per level, the p50 and p95 of a chat turn (all ten turns together), requests, failures and
throughput; the p50 ratio between the last and first level; the ratio of a chat turn's p50 to the bare
`/healthz` p50 (the numbers to compare between machines and runs); and each turn's own p50 and p95.
The stack is stopped however the run ends, Ctrl-C included. Synthetic data only; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tools.*; load/ is [0]

import runkit
from runkit import (
    Entry,
    RunError,
    bounded,
    cpu_model,
    interrupt_on_signals,
    percentile,
    ratio,
    stack_log_problems,
    table,
)
from scenarios.conversation import END_NAME, SLICE, START_NAME, TURN_NAMES, TURN_PREFIX

from tools.model import ensure_model
from tools.paths import API_PYTHON, DATA
from tools.secrets import generate
from tools.stack import Ports, Stack, StackError

LOAD = Path(__file__).resolve().parent
LOCUST = API_PYTHON.parent / "locust"
MAX_LEVELS = 4
MAX_USERS = 50
WARM_UP_CONVERSATIONS = 2


@dataclass
class Level:
    users: int
    seconds: float
    entries: dict[str, Entry]
    failure_messages: list[tuple[str, str, int]]
    warnings: list[str]

    def turns(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.name.startswith(TURN_PREFIX)]

    def requests(self) -> int:
        return sum(e.requests for e in self.entries.values())

    def failures(self) -> int:
        return sum(e.failures for e in self.entries.values())

    def turn_percentile(self, percent: float) -> int:
        merged: Counter[int] = Counter()
        for entry in self.turns():
            merged.update(entry.response_times)
        return percentile(merged, percent)

    def per_second(self, count: int) -> float:
        return count / self.seconds if self.seconds > 0 else 0.0

    def completed_slices(self) -> int:
        last = self.entries.get(TURN_NAMES[-1])
        return 0 if last is None else last.requests - last.failures


def parse_levels(value: str) -> list[int]:
    levels = [int(part) for part in value.split(",") if part.strip()]
    if not 1 <= len(levels) <= MAX_LEVELS or any(not 1 <= n <= MAX_USERS for n in levels):
        raise argparse.ArgumentTypeError(f"1 to {MAX_LEVELS} levels, each 1 to {MAX_USERS} users")
    return levels


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--seconds",
        type=lambda v: bounded(v, 5, 600, "--seconds"),
        default=os.environ.get("CHAT_SLICE_SECONDS", "60"),
        help="run time per concurrency level (5-600; env CHAT_SLICE_SECONDS; default 60)",
    )
    parser.add_argument(
        "--users",
        type=parse_levels,
        default=os.environ.get("CHAT_SLICE_USERS", "1,10"),
        help=f"comma-separated concurrency levels (env CHAT_SLICE_USERS; default 1,10; max {MAX_USERS})",
    )
    parser.add_argument(
        "--baseline-seconds",
        type=lambda v: bounded(v, 5, 120, "--baseline-seconds"),
        default=os.environ.get("CHAT_SLICE_BASELINE_SECONDS", "20"),
        help="run time of the GET /healthz baseline (5-120; env CHAT_SLICE_BASELINE_SECONDS; default 20)",
    )
    parser.add_argument(
        "--out", type=Path, help="keep locust's CSV/JSON files and the stack's logs here (default: deleted)"
    )
    return parser.parse_args(argv)


def warm_up(api_url: str) -> None:
    """Play the slice a few times outside the measurement: loads Rasa's lazy parts and checks the script."""
    with httpx.Client(base_url=api_url, timeout=60) as http:
        for _ in range(WARM_UP_CONVERSATIONS):
            started = http.post("/v1/chat/conversations", json={"language": "en"})
            if started.status_code != 201:
                raise RunError(f"warm-up: {START_NAME} answered {started.status_code}")
            conversation_id = started.json()["id"]
            for number, turn in enumerate(SLICE, start=1):
                reply = http.post(
                    f"/v1/chat/conversations/{conversation_id}/messages", json={"text": turn.text}
                )
                problem = (
                    f"status {reply.status_code}"
                    if reply.status_code != 200
                    else turn.problem(reply.json().get("messages"))
                )
                if problem is not None:
                    raise RunError(f"warm-up: {turn.name(number)}: {problem}")
            ended = http.delete(f"/v1/chat/conversations/{conversation_id}")
            if ended.status_code != 204:
                raise RunError(f"warm-up: {END_NAME} answered {ended.status_code}")


def run_locust(
    locustfile: Path, user_class: str, users: int, seconds: float, api_url: str, out: Path, tag: str
) -> Level:
    run = runkit.run_locust(locustfile, [user_class], users, seconds, api_url, out, tag)
    return Level(run.users, run.seconds, run.entries, run.failure_messages, run.warnings)


def people(count: int) -> str:
    return f"{count} user" if count == 1 else f"{count} users"


def report(levels: list[Level], baseline: Level, args: argparse.Namespace, load_before: float) -> str:
    think = os.environ.get("THINK_SECONDS", "0")
    out = [
        "Chat slice through the real stack (api + worker + action server + Rasa, SQLite, 127.0.0.1)",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs ({cpu_model()}); load average before {load_before:.2f}; "
        f"{args.seconds:g} s per level, think time {think} s",
        "",
    ]
    rows = [["users", "requests", "failures", "turn p50 ms", "turn p95 ms", "turns/s", "slices/min"]]
    for level in levels:
        turn_count = sum(e.requests for e in level.turns())
        rows.append(
            [
                str(level.users),
                str(level.requests()),
                str(level.failures()),
                str(level.turn_percentile(0.50)),
                str(level.turn_percentile(0.95)),
                f"{level.per_second(turn_count):.2f}",
                f"{60 * level.per_second(level.completed_slices()):.1f}",
            ]
        )
    out.append(table(rows, right=set(range(7))))
    out.append(
        "(requests and failures count every request, start and end included; turn percentiles pool all ten "
        "turns; slices/min counts conversations that reached the reference)"
    )
    first, last = levels[0], levels[-1]
    if len(levels) > 1:
        out.append(
            f"p50 at {people(last.users)} / p50 at {people(first.users)}: "
            f"{ratio(last.turn_percentile(0.5), first.turn_percentile(0.5))}"
        )
    health = baseline.entries.get("GET /healthz")
    if health is not None and health.requests:
        health_p50 = percentile(health.response_times, 0.5)
        out.append(
            f"baseline GET /healthz, 1 user, {args.baseline_seconds:g} s: p50 {health_p50} ms "
            f"(mean {health.total_response_time / health.requests:.2f} ms), "
            f"p95 {percentile(health.response_times, 0.95)} ms, {health.requests} requests, "
            f"{health.failures} failures"
        )
        out.append(
            f"chat turn p50 at {people(first.users)} / GET /healthz p50: "
            f"{ratio(first.turn_percentile(0.5), health_p50)}"
        )
    out.append("")
    header = ["request"]
    for level in levels:
        header += [f"{level.users}u p50", f"{level.users}u p95", f"{level.users}u fail"]
    rows = [header]
    for name in (START_NAME, *TURN_NAMES, END_NAME):
        row = [name]
        for level in levels:
            entry = level.entries.get(name)
            if entry is None:
                row += ["-", "-", "-"]
            else:
                p50, p95 = percentile(entry.response_times, 0.5), percentile(entry.response_times, 0.95)
                row += [str(p50), str(p95), str(entry.failures)]
        rows.append(row)
    out.append(table(rows, right=set(range(1, len(header)))))
    for level in levels:
        turns = [e for e in level.turns() if e.requests]
        if not turns:
            continue
        slowest = max(turns, key=lambda e: percentile(e.response_times, 0.5))
        slowest_p50 = percentile(slowest.response_times, 0.5)
        out.append(
            f"slowest turn at {people(level.users)}: {slowest.name}, p50 {slowest_p50} ms "
            f"({ratio(slowest_p50, level.turn_percentile(0.5))} the pooled turn p50)"
        )
    for level in (baseline, *levels):
        for name, error, count in level.failure_messages:
            out.append(f"failure at {people(level.users)}: {name}: {error} (x{count})")
        for warning in level.warnings:
            out.append(f"locust warning at {people(level.users)}: {warning}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    interrupt_on_signals()
    keep = args.out is not None
    out = args.out.resolve() if keep else Path(tempfile.mkdtemp(prefix="chat-slice-"))
    out.mkdir(parents=True, exist_ok=True)
    model = ensure_model(DATA / "models", quiet=True)
    stack = Stack(data_dir=out / "stack", model=model, ports=Ports.free(), secrets=generate())
    failed = True
    try:
        stack.migrate()
        print(f"starting the stack on {stack.api_url} …", file=sys.stderr, flush=True)
        stack.start()
        warm_up(stack.api_url)
        load_before = os.getloadavg()[0]
        print(f"baseline GET /healthz for {args.baseline_seconds:g} s …", file=sys.stderr, flush=True)
        baseline = run_locust(
            LOAD / "scenarios" / "healthz.py",
            "HealthzUser",
            1,
            args.baseline_seconds,
            stack.api_url,
            out,
            "healthz",
        )
        levels = []
        for users in args.users:
            print(f"chat slice at {people(users)} for {args.seconds:g} s …", file=sys.stderr, flush=True)
            levels.append(
                run_locust(
                    LOAD / "locustfile.py",
                    "ChatSliceUser",
                    users,
                    args.seconds,
                    stack.api_url,
                    out,
                    f"u{users}",
                )
            )
        problems = stack_log_problems(stack.log_dir)
        print()
        print(report(levels, baseline, args, load_before))
        for note in problems:
            print(f"stack log {note}")
        failed = False
    except (StackError, httpx.HTTPError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}\n{stack.log_tail()}", file=sys.stderr)
        return 1
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        stack.stop()
        if failed or keep:
            print(f"locust files and stack logs: {out}", file=sys.stderr)
        else:
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
