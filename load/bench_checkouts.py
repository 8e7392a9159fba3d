"""Benchmark (not a test): the chat turn measured the same way in several checkouts, one after the other.

Run from the repository root, naming checkouts (git worktrees), each with its own `.venvs` and its trained
model in `data/models/` (a code change is measured with the environment and model it shipped with):

    .venvs/api/bin/python load/bench_checkouts.py [--users 1,20] [--seconds 30] [--rounds 1] DIR [DIR ...]

For example, a step of the hot path against the commit before it:

    git worktree add /tmp/before <commit>   # then give it .venvs and data/models as described above
    .venvs/api/bin/python load/bench_checkouts.py /tmp/before .

For each checkout in turn (`--rounds` times, in order, so drift on a shared machine evens out) it starts that
checkout's whole stack with its own code (tools/stack.py; SQLite; 127.0.0.1 only), warms it up, then plays
whole hate crime journeys in free text, closed loop, at each number of people (load/bench_turns.py's
journey), one long conversation (the journey four times with "start again" between), and reads every
process's resident memory. Printed side by side: turns/s with the ratio to the first checkout, p50, p95,
wrong replies, the CPU each process spent per turn (from /proc: where a turn's time goes), the flatness
(median of turns 44-52 against 2-10) and the memory. The load average is printed with each level: compare
ratios from one run, not numbers between runs. Synthetic data only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MARK = "RESULT "


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(root: Path, users: list[int], seconds: float) -> dict[str, Any]:
    """In the checkout's own api environment, with its own code: one stack, every level, the long
    conversation, the memory."""
    sys.path[:0] = [str(root / "load"), str(root)]
    os.chdir(root)
    import bench_turns as turns  # the checkout's own journey and closed loop

    from tools.model import ensure_model
    from tools.paths import DATA
    from tools.secrets import generate
    from tools.stack import Ports, Stack

    folder = Path(tempfile.mkdtemp(prefix="bench-checkouts-"))
    stack = Stack(
        data_dir=folder / "stack",
        model=ensure_model(DATA / "models", quiet=True),
        ports=Ports.free(),
        secrets=generate(),
        rasa_args=["--endpoints", "bot/endpoints.yml"],
    )
    result: dict[str, Any] = {"levels": []}
    stack.migrate()
    stack.start(timeout=600)
    try:
        asyncio.run(turns.run_level(stack.api_url, 1, 15))  # Rasa's lazy parts
        for count in users:
            before = {name: cpu_seconds(p.pid) for name, p in stack.processes.items()}
            level = asyncio.run(turns.run_level(stack.api_url, count, seconds))
            after = {name: cpu_seconds(p.pid) for name, p in stack.processes.items()}
            done = max(1, len(level.latencies))
            result["levels"].append(
                {
                    "users": count,
                    "turns_per_second": level.turns_per_second(),
                    "p50": level.percentile(0.5),
                    "p95": level.percentile(0.95),
                    "wrong": level.failures,
                    "load": level.load,
                    "cpu_ms": {name: (after[name] - before[name]) / done * 1000 for name in before},
                }
            )
            time.sleep(3)  # the turns still in flight finish
        result["long"], result["long_wrong"] = asyncio.run(turns.long_conversation(stack.api_url, 4))
        result["rss"] = {name: turns.tree_rss_mb(p.pid) for name, p in stack.processes.items()}
    finally:
        stack.stop()
    return result


def measure(root: Path, users: list[int], seconds: float) -> dict[str, Any]:
    python = root / ".venvs" / "api" / "bin" / "python"
    done = subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--child", str(root),
         "--users", ",".join(map(str, users)), "--seconds", str(seconds)],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{root}: the measurement failed ({done.returncode})\n{done.stderr[-3000:]}")
    return dict(json.loads(lines[-1][len(MARK) :]))


def report(results: list[tuple[str, dict[str, Any]]]) -> str:
    first: dict[int, float] = {}
    out = [
        "checkout               people  turns/s  (x first)  p50 ms  p95 ms  wrong  load   CPU ms per turn: "
        "api  rasa  actions  worker  all"
    ]
    for name, result in results:
        for level in result["levels"]:
            tps = level["turns_per_second"]
            first.setdefault(level["users"], tps)
            cpu = level["cpu_ms"]
            out.append(
                f"{name[-22:]:<22} {level['users']:>6} {tps:>8.2f} {tps / first[level['users']]:>9.2f}x "
                f"{level['p50']:>7.0f} {level['p95']:>7.0f} {level['wrong']:>6} {level['load']:>5.1f}   "
                f"{cpu.get('api', 0):>20.1f} {cpu.get('rasa', 0):>5.1f} {cpu.get('actions', 0):>8.1f} "
                f"{cpu.get('worker', 0):>7.1f} {sum(cpu.values()):>4.1f}"
            )
    out += ["", "checkout               turns 2-10 ms  turns 44-52 ms  late/early  wrong   resident MB: "
            "api  rasa  actions  worker  all"]  # fmt: skip
    for name, result in results:
        times = result["long"]
        early = statistics.median(times[1:10]) * 1000
        late = statistics.median(times[43:52]) * 1000
        rss = result["rss"]
        out.append(
            f"{name[-22:]:<22} {early:>14.0f} {late:>15.0f} {late / early:>11.2f} {result['long_wrong']:>6} "
            f"  {rss.get('api', 0):>16.0f} {rss.get('rasa', 0):>5.0f} {rss.get('actions', 0):>8.0f} "
            f"{rss.get('worker', 0):>7.0f} {sum(rss.values()):>4.0f}"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("checkouts", nargs="*", type=Path)
    parser.add_argument("--users", type=lambda v: [int(p) for p in v.split(",")], default=[1, 20])
    parser.add_argument("--seconds", type=float, default=30.0, help="per level (default 30)")
    parser.add_argument("--rounds", type=int, default=1, help="times through the checkouts (default 1)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(MARK + json.dumps(child(args.child.resolve(), args.users, args.seconds)), flush=True)
        return 0
    if not args.checkouts:
        parser.error("name at least one checkout")
    results = []
    for _ in range(args.rounds):
        for checkout in args.checkouts:
            root = checkout.resolve()
            print(f"{root}: measuring …", file=sys.stderr, flush=True)
            results.append((str(root), measure(root, args.users, args.seconds)))
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
