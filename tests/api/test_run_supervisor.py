"""`make run`'s supervisor (tools/run.py, issue 15): a child killed with SIGKILL is started again with
back-off while the others keep running; a child that keeps crashing waits longer each time."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tools.run import Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
CRASHER = [sys.executable, "-c", "import sys; sys.exit(3)"]


@pytest.fixture
def spawned() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def wait_until(supervisor: Supervisor, predicate: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        supervisor.check()
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_a_child_killed_with_sigkill_is_restarted_and_the_others_keep_running(
    spawned: list[subprocess.Popen[bytes]],
) -> None:
    commands = {"api": SLEEPER, "worker": SLEEPER}

    def spawn(name: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(commands[name])
        spawned.append(proc)
        return proc

    said: list[str] = []
    processes = {name: spawn(name) for name in commands}
    supervisor = Supervisor(processes, spawn, base=0.2, say=said.append)
    supervisor.check()
    worker, api = processes["worker"], processes["api"]
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    killed_at = time.monotonic()
    wait_until(supervisor, lambda: processes["worker"] is not worker)
    assert time.monotonic() - killed_at >= 0.2  # after the back-off, not at once
    assert processes["worker"].poll() is None  # the new one is running
    assert processes["api"] is api and api.poll() is None  # the other was never touched
    assert said[0] == f"worker stopped with {-signal.SIGKILL}; restarting in 0 s (crash 1 in a row)"
    assert said[1] == "worker restarted" and supervisor.restarts == 1


def test_a_child_that_keeps_crashing_backs_off_exponentially_up_to_the_cap(
    spawned: list[subprocess.Popen[bytes]],
) -> None:
    def spawn(name: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(CRASHER)
        spawned.append(proc)
        return proc

    processes = {"rasa": spawn("rasa")}
    supervisor = Supervisor(processes, spawn, base=0.05, cap=0.2, say=lambda line: None)
    restarts_at: list[float] = []
    for _ in range(5):
        before = supervisor.restarts
        wait_until(supervisor, lambda before=before: supervisor.restarts > before)
        restarts_at.append(time.monotonic())
    assert supervisor.children["rasa"].failures == 5
    assert [supervisor.delay(n) for n in range(1, 6)] == [0.05, 0.1, 0.2, 0.2, 0.2]
    gaps = [b - a for a, b in itertools.pairwise(restarts_at)]
    assert gaps[1] >= 0.2 - 0.02  # the third crash waited the capped 0.2 s


def test_a_child_that_stayed_up_starts_again_from_the_shortest_delay(
    spawned: list[subprocess.Popen[bytes]],
) -> None:
    def spawn(name: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(SLEEPER)
        spawned.append(proc)
        return proc

    processes = {"actions": spawn("actions")}
    supervisor = Supervisor(processes, spawn, base=0.05, stable=0.3, say=lambda line: None)
    supervisor.check()
    supervisor.children["actions"].failures = 4
    time.sleep(0.35)
    supervisor.check()
    assert supervisor.children["actions"].failures == 0
