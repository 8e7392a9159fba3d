"""What the locust runners share: running locust headless as a subprocess, reading its JSON stats (full
response time histograms, so request names can be pooled into exact percentiles with locust's own rule),
its failures, and printing aligned tables. Standard library only, plus the repository's tools.

Imported by load/run_*.py (run as scripts from the repository root, so load/ is on sys.path).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from tools.paths import API_PYTHON, ROOT

LOCUST = API_PYTHON.parent / "locust"
# Locust drops the users' in-flight requests when the run time is up, but the stack finishes that work;
# wait for it before the next measurement, so no measurement sees the previous one's tail.
SETTLE_SECONDS = 5.0


class RunError(RuntimeError):
    pass


@dataclass
class Entry:
    """One locust stats entry (a request name), from the run's JSON file."""

    name: str
    requests: int
    failures: int
    response_times: Counter[int]
    start_time: float
    last_request: float | None
    total_response_time: float


@dataclass
class Level:
    """One locust run: its users, measured seconds, entries by name, failures and CPU warnings."""

    users: int
    seconds: float
    entries: dict[str, Entry]
    failure_messages: list[tuple[str, str, int]]
    warnings: list[str]

    def matching(self, prefix: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.name.startswith(prefix)]

    def requests(self, prefix: str = "") -> int:
        return sum(e.requests for e in self.matching(prefix))

    def failures(self, prefix: str = "") -> int:
        return sum(e.failures for e in self.matching(prefix))

    def pooled(self, prefix: str = "") -> Counter[int]:
        merged: Counter[int] = Counter()
        for entry in self.matching(prefix):
            merged.update(entry.response_times)
        return merged

    def percentile(self, percent: float, prefix: str = "") -> int:
        return percentile(self.pooled(prefix), percent)

    def per_second(self, count: int) -> float:
        return count / self.seconds if self.seconds > 0 else 0.0


def percentile(response_times: Counter[int], percent: float) -> int:
    """Locust's own rule (stats.calculate_response_time_percentile), over a merged histogram."""
    total = sum(response_times.values())
    if total == 0:
        return 0
    wanted = int(total * percent)
    processed = 0
    for value in sorted(response_times, reverse=True):
        processed += response_times[value]
        if total - processed <= wanted:
            return value
    return 0


def bounded(value: str, low: float, high: float, what: str) -> float:
    number = float(value)
    if not low <= number <= high:
        raise argparse.ArgumentTypeError(f"{what} must be between {low:g} and {high:g}")
    return number


def parse_levels(value: str, max_levels: int = 4, max_users: int = 50) -> list[int]:
    """Comma-separated concurrency levels ("1,10")."""
    levels = [int(part) for part in value.split(",") if part.strip()]
    if not 1 <= len(levels) <= max_levels or any(not 1 <= n <= max_users for n in levels):
        raise argparse.ArgumentTypeError(f"1 to {max_levels} levels, each 1 to {max_users} users")
    return levels


def interrupt_on_signals() -> None:
    def _interrupt(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored


def run_locust(
    locustfile: Path,
    user_classes: list[str],
    users: int,
    seconds: float,
    host: str,
    out: Path,
    tag: str,
    env: dict[str, str] | None = None,
) -> Level:
    """Locust headless for `seconds` at `users` (all spawned at once); the stats of the run."""
    prefix = out / tag
    log_path = out / f"{tag}.log"
    command = [
        str(LOCUST), "-f", str(locustfile), *user_classes,
        "--headless", "-u", str(users), "-r", str(users), "--run-time", f"{int(seconds)}s",
        "--host", host, "--csv", str(prefix), "--json-file", str(prefix), "--only-summary",
        "--stop-timeout", "0", "--exit-code-on-error", "0", "--loglevel", "WARNING",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        code = proc.wait(timeout=seconds + 90)
    finally:
        if proc.poll() is None:  # interrupted or hung: SIGTERM makes locust shut down, then force it
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    time.sleep(SETTLE_SECONDS)
    log_text = log_path.read_text(errors="replace")
    if code != 0:
        raise RunError(f"locust ({tag}) exited with {code}:\n{log_text[-3000:]}")
    entries = read_entries(Path(f"{prefix}.json"))
    starts = [e.start_time for e in entries.values()]
    ends = [e.last_request for e in entries.values() if e.last_request is not None]
    measured = max(ends) - min(starts) if starts and ends else seconds
    warnings = sorted({line.split("] ", 1)[-1] for line in log_text.splitlines() if "CPU usage" in line})
    return Level(users, measured, entries, read_failures(Path(f"{prefix}_failures.csv")), warnings)


def read_entries(path: Path) -> dict[str, Entry]:
    raw: list[dict[str, Any]] = json.loads(path.read_text())
    entries = {}
    for item in raw:
        entry = Entry(
            name=item["name"],
            requests=int(item["num_requests"]),
            failures=int(item["num_failures"]),
            response_times=Counter({int(float(k)): int(v) for k, v in item["response_times"].items()}),
            start_time=float(item["start_time"]),
            last_request=item.get("last_request_timestamp"),
            total_response_time=float(item["total_response_time"]),
        )
        entries[entry.name] = entry
    return entries


def read_failures(path: Path) -> list[tuple[str, str, int]]:
    """Locust's failures CSV (written every second, so the last second may be missing)."""
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [(row["Name"], row["Error"], int(row["Occurrences"])) for row in csv.DictReader(handle)]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def stack_log_problems(log_dir: Path, limit: int = 5) -> list[str]:
    """Each log's distinct error messages (timestamps cut, counted) and how many warnings it has."""
    notes = []
    for path in sorted(log_dir.glob("*.log")):
        errors: Counter[str] = Counter()
        warnings = 0
        for line in path.read_text(errors="replace").splitlines():
            if " ERROR " in line or '"level": "error"' in line:
                errors[line.split(" ERROR ", 1)[-1].strip()[:150]] += 1
            elif " WARNING " in line or '"level": "warning"' in line:
                warnings += 1
        if warnings:
            notes.append(f"{path.name}: {warnings} warning lines")
        notes.extend(f"{path.name}: {count} x {message}" for message, count in errors.most_common(limit))
    return notes


def table(rows: Iterable[list[str]], right: set[int]) -> str:
    materialised = list(rows)
    widths = [max(len(row[i]) for row in materialised) for i in range(len(materialised[0]))]
    lines = []
    for row in materialised:
        cells = [
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b > 0 else "n/a"
