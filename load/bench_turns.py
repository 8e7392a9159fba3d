"""Benchmark (not a test): chat turns through the real stack, free text, before and after each hot-path step.

Run from the repository root:

    .venvs/api/bin/python load/bench_turns.py [--seconds 30] [--users 1,10,20] [--variants before,tracker,all]
                                              [--long-conversations 2] [--cycles 4] [--action-bytes]

For each variant it starts the whole service (api, worker, action server, Rasa; SQLite; 127.0.0.1 only),
with Rasa's endpoints file written for that variant (the same code, only the configuration differs):

- `before`: Rasa's own SQL tracker store, a new HTTP connection per request, the whole tracker to the NLG
  endpoint, the whole domain with every action call (the reply checks compiled once, session 5, stay on in
  every variant);
- `tracker`: the cached tracker store (bot/server/tracker_store.py), the rest as `before`;
- `whole_domain`: as shipped, but the whole domain with every action call (no selective domain);
- `all`: bot/endpoints.yml as shipped: the cached store, kept-alive connections, the slim NLG tracker, the
  domain only to the actions that read it (`enable_selective_domain`, bot/domain/session.yml).

With `--action-bytes`, Rasa reaches the action server through a byte meter (a TCP relay in its own process,
load/action_meter.py) and a table gives the action calls and the bytes each carried, each way. The relay is
one more hop for every action call: measure turns/s without it.

Then, closed loop (each simulated person sends the next message when the reply arrives, no think time):
whole hate crime journeys in free text (load/scenarios/conversation.py's slice, every button answer typed
as words) at each concurrency level: turns/s, p50, p95, failures; one long conversation per run, the journey
played `--cycles` times with "start again" between (the flatness: turns 44-52 against 2-10, the same
messages); and the resident memory of every process of the stack after the load. It prints one table per
measure with the variants side by side and the ratios to `before`, and the load average (the machine is
shared: compare ratios from one run, not numbers between runs). Synthetic data only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tools.*; load/ is [0]

from action_meter import ByteMeter, Traffic
from scenarios.conversation import SLICE, Turn

from tools.model import ensure_model
from tools.paths import DATA, ROOT
from tools.secrets import generate
from tools.stack import Ports, Stack, StackError

# Every button answer of the slice, typed as a person would.
TYPED = {
    "/affirm": "yes",
    "/deny": "no",
    "/report_hate_crime": "I want to report a hate crime",
    "/skip_question": "no",
}
FREE_TEXT: tuple[Turn, ...] = tuple(
    Turn(t.label, TYPED.get(t.text, t.text), t.expect_text, None) for t in SLICE
)
START_AGAIN = Turn("start_again", "start again", ("are you safe to talk right now?",))

SHIPPED_TRACKER = "bot.server.tracker_store.CachedSQLTrackerStore"
ENDPOINTS: dict[str, dict[str, Any]] = {
    "before": {
        "tracker": "SQL",
        "nlg_options": "  keep_alive: false\n  slim_tracker: false\n",
        "selective_domain": False,
    },
    "tracker": {
        "tracker": SHIPPED_TRACKER,
        "nlg_options": "  keep_alive: false\n  slim_tracker: false\n",
        "selective_domain": False,
    },
    "whole_domain": {"tracker": SHIPPED_TRACKER, "nlg_options": "", "selective_domain": False},
    "all": {"tracker": SHIPPED_TRACKER, "nlg_options": "", "selective_domain": True},
}
ACTION_URL = "  url: ${ACTION_SERVER_URL}\n"
SELECTIVE = "  enable_selective_domain: true\n"
REQUEST_TIMEOUT = 120.0


def endpoints_file(variant: str, folder: Path, action_url: str | None = None) -> Path:
    """bot/endpoints.yml for `all`; for the others, the same file with the tracker store, NLG and action
    endpoint options of the variant; the action server's URL replaced when a byte meter sits in front."""
    shipped = ROOT / "bot" / "endpoints.yml"
    if variant == "all" and action_url is None:
        return shipped
    spec = ENDPOINTS[variant]
    text = shipped.read_text(encoding="utf-8")
    if ACTION_URL not in text or SELECTIVE not in text or f"type: {SHIPPED_TRACKER}" not in text:
        raise SystemExit("bot/endpoints.yml changed shape: update load/bench_turns.py")
    text = text.replace(f"type: {SHIPPED_TRACKER}", f"type: {spec['tracker']}")
    text = text.replace(
        "  type: bot.server.nlg.CallbackNLG\n", "  type: bot.server.nlg.CallbackNLG\n" + spec["nlg_options"]
    )
    if not spec["selective_domain"]:
        text = text.replace(SELECTIVE, "  enable_selective_domain: false\n")
    if action_url is not None:
        text = text.replace(ACTION_URL, f"  url: {action_url}\n")
    path = folder / f"endpoints-{variant}.yml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Level:
    users: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    load: float = 0.0

    def turns_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


@dataclass
class Result:
    variant: str
    levels: list[Level] = field(default_factory=list)
    long_turns: list[list[float]] = field(default_factory=list)
    long_mismatches: int = 0
    rss: dict[str, float] = field(default_factory=dict)
    action_traffic: Traffic | None = None


async def say(http: httpx.AsyncClient, conversation: str, turn: Turn) -> tuple[float, str | None]:
    started = time.perf_counter()
    reply = await http.post(f"/v1/chat/conversations/{conversation}/messages", json={"text": turn.text})
    took = time.perf_counter() - started
    if reply.status_code != 200:
        return took, f"status {reply.status_code}"
    return took, turn.problem(reply.json().get("messages"))


async def start(http: httpx.AsyncClient) -> str:
    started = await http.post("/v1/chat/conversations", json={"language": "en"})
    started.raise_for_status()
    return str(started.json()["id"])


async def person(http: httpx.AsyncClient, level: Level, until: float) -> None:
    """Whole journeys, one after another, until the time is up; a wrong reply ends that journey."""
    while time.monotonic() < until:
        conversation = await start(http)
        for turn in FREE_TEXT:
            took, problem = await say(http, conversation, turn)
            if time.monotonic() > until:
                return  # a turn that ended after the time is not counted
            if problem is not None:
                level.failures += 1
                break
            level.latencies.append(took)
        await http.delete(f"/v1/chat/conversations/{conversation}")


async def run_level(api_url: str, users: int, seconds: float) -> Level:
    level = Level(users, load=os.getloadavg()[0])
    limits = httpx.Limits(max_connections=users + 5, max_keepalive_connections=users + 5)
    async with httpx.AsyncClient(base_url=api_url, timeout=REQUEST_TIMEOUT, limits=limits) as http:
        began = time.monotonic()
        until = began + seconds
        await asyncio.gather(*(person(http, level, until) for _ in range(users)))
        level.seconds = min(time.monotonic(), until) - began
    return level


async def long_conversation(api_url: str, cycles: int) -> tuple[list[float], int]:
    """One conversation: the journey `cycles` times, "start again" before each after the first."""
    latencies: list[float] = []
    mismatches = 0
    async with httpx.AsyncClient(base_url=api_url, timeout=REQUEST_TIMEOUT) as http:
        conversation = await start(http)
        for cycle in range(cycles):
            for number, turn in enumerate(FREE_TEXT):
                sent = START_AGAIN if cycle > 0 and number == 0 else turn
                took, problem = await say(http, conversation, sent)
                latencies.append(took)
                if problem is not None:
                    mismatches += 1
                    print(f"long conversation, turn {len(latencies)}: {problem}", file=sys.stderr)
        await http.delete(f"/v1/chat/conversations/{conversation}")
    return latencies, mismatches


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, in MB (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def measure(variant: str, args: argparse.Namespace, folder: Path, index: int) -> Result:
    model = ensure_model(DATA / "models", quiet=True)
    ports = Ports.free()
    meter = ByteMeter(upstream_port=ports.actions) if args.action_bytes else None
    action_url = f"http://127.0.0.1:{meter.port}/webhook" if meter else None
    endpoints = endpoints_file(variant, folder, action_url)
    stack = Stack(
        data_dir=folder / f"{index}-{variant}",
        model=model,
        ports=ports,
        secrets=generate(),
        rasa_args=["--endpoints", str(endpoints)],
    )
    result = Result(variant)
    try:
        if meter:
            meter.start()
        stack.migrate()
        print(f"[{variant}] starting the stack …", file=sys.stderr, flush=True)
        stack.start(timeout=600)
        warm = asyncio.run(run_level(stack.api_url, 1, 20))  # Rasa's lazy parts; checks the script
        print(f"[{variant}] warm-up: {len(warm.latencies)} turns, {warm.failures} wrong", file=sys.stderr)
        asyncio.run(long_conversation(stack.api_url, 1))
        for users in args.users:
            print(f"[{variant}] {users} users for {args.seconds:g} s …", file=sys.stderr, flush=True)
            result.levels.append(asyncio.run(run_level(stack.api_url, users, args.seconds)))
            time.sleep(3)  # the stack finishes the turns still in flight
        for _ in range(args.long_conversations):
            print(f"[{variant}] one long conversation …", file=sys.stderr, flush=True)
            latencies, mismatches = asyncio.run(long_conversation(stack.api_url, args.cycles))
            result.long_turns.append(latencies)
            result.long_mismatches += mismatches
        result.rss = {name: tree_rss_mb(proc.pid) for name, proc in stack.processes.items()}
        if meter:
            result.action_traffic = meter.traffic()
    except (StackError, httpx.HTTPError) as exc:
        print(f"[{variant}] error: {exc}\n{stack.log_tail()}", file=sys.stderr)
        raise
    finally:
        stack.stop()
        if meter:
            meter.stop()
    return result


def window(result: Result, first: int, last: int) -> float:
    """Median latency (ms) of turns first..last (1-based) over the long conversations."""
    values = [t for run in result.long_turns for t in run[first - 1 : last]]
    return statistics.median(values) * 1000 if values else 0.0


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "n/a"


def report(results: list[Result], args: argparse.Namespace) -> str:
    base = results[0]
    out = [
        f"Chat turns in free text through the real stack (SQLite, 127.0.0.1), {os.cpu_count()} CPUs, "
        f"{args.seconds:g} s per level, closed loop; load average at each level's start in brackets",
        "",
        "clients  variant       turns/s  (x before)  p50 ms  p95 ms  wrong replies  load",
    ]
    for index, users in enumerate(args.users):
        base_level = base.levels[index]
        for result in results:
            level = result.levels[index]
            out.append(
                f"{users:>7}  {result.variant:<12} {level.turns_per_second():>8.2f}  "
                f"{ratio(level.turns_per_second(), base_level.turns_per_second()):>10}  "
                f"{level.percentile(0.5):>6.0f}  {level.percentile(0.95):>6.0f}  {level.failures:>13}  "
                f"[{level.load:.1f}]"
            )
    out += ["", f"flatness: one conversation, the journey {args.cycles} times with 'start again' between "
            f"({args.long_conversations} conversations; median turn ms)"]  # fmt: skip
    out.append("variant       turns 2-10  turns 44-52  late/early  wrong replies")
    for result in results:
        early, late = window(result, 2, 10), window(result, 44, 52)
        wrong = result.long_mismatches
        out.append(
            f"{result.variant:<12} {early:>11.0f}  {late:>11.0f}  {ratio(late, early):>10}  {wrong:>13}"
        )
    out += ["", "resident memory after the load (MB, each process with its children)"]
    names = list(base.rss)
    out.append("variant       " + "  ".join(f"{n:>8}" for n in names) + "     total")
    for result in results:
        cells = "  ".join(f"{result.rss.get(n, 0):>8.0f}" for n in names)
        out.append(f"{result.variant:<12}  {cells}  {sum(result.rss.values()):>8.0f}")
    if any(result.action_traffic for result in results):
        out += ["", "Rasa -> action server, the whole run (through the byte meter: turns/s include its hop)"]
        out.append("variant        calls  bytes/call sent  bytes/call back  MB sent")
        for result in results:
            traffic = result.action_traffic
            if traffic is None:
                continue
            out.append(
                f"{result.variant:<12} {traffic.calls:>7}  {traffic.sent_per_call():>15.0f}  "
                f"{traffic.received_per_call():>15.0f}  {traffic.sent / 1e6:>7.1f}"
            )
    return "\n".join(out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=30.0, help="per concurrency level (default 30)")
    parser.add_argument(
        "--users", type=lambda v: [int(p) for p in v.split(",")], default=[1, 10, 20], help="default 1,10,20"
    )
    parser.add_argument(
        "--variants",
        type=lambda v: v.split(","),
        default=["before", "tracker", "all"],
        help="any of before,tracker,whole_domain,all, in order, repeats allowed (a,b,b,a evens out drift on "
        "a shared machine); the first is the base of the ratios (default before,tracker,all)",
    )
    parser.add_argument(
        "--action-bytes",
        action="store_true",
        help="count the calls and bytes from Rasa to the action server (one more hop: not for turns/s)",
    )
    parser.add_argument("--long-conversations", type=int, default=2, help="long conversations (default 2)")
    parser.add_argument("--cycles", type=int, default=4, help="journeys in a long conversation (default 4)")
    parser.add_argument("--keep", type=Path, help="keep the stacks' data and logs here (default: deleted)")
    args = parser.parse_args(argv)
    unknown = set(args.variants) - set(ENDPOINTS)
    if unknown:
        parser.error(f"unknown variants: {sorted(unknown)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="bench-turns-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        results = [measure(variant, args, folder, i) for i, variant in enumerate(args.variants)]
        print(report(results, args))
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
