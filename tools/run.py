"""`make run`: the whole service on this machine, with embedded SQLite and nothing else to install.

Migrates, trains the bot only if its data changed, starts the api, worker, action server, Rasa and the
local fake of Twilio (the SMS helpline sends there; nothing reaches Twilio), waits
until each is healthy, prints the web chat address, and stops every child cleanly on Ctrl-C.

A child that dies (crashes, is killed, runs out of memory) is started again by the supervisor below, with
exponential back-off (1 s, 2 s, 4 s… at most 30 s; back to 1 s once it has stayed up for a minute), while
the others keep serving: the queues are durable, so nothing is lost, and the worker, the api and Rasa pick
up where they were. Each restart is printed with the child's name and exit code.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

from tools.model import ensure_model, rasa_env
from tools.paths import DATA
from tools.secrets import load_or_create
from tools.stack import Ports, Stack, StackError


@dataclass
class _Child:
    started_at: float
    failures: int = 0  # crashes in a row (reset once it stays up for `stable` seconds)
    restart_at: float | None = None  # when a dead child is due to be started again


@dataclass
class Supervisor:
    """Restarts dead children with back-off. `spawn(name)` starts one and returns its process; `check`
    is called from the main loop and never blocks."""

    processes: dict[str, subprocess.Popen[bytes]]
    spawn: Callable[[str], subprocess.Popen[bytes]]
    base: float = 1.0
    cap: float = 30.0
    stable: float = 60.0
    say: Callable[[str], None] = print
    children: dict[str, _Child] = field(default_factory=dict)
    restarts: int = 0

    def delay(self, failures: int) -> float:
        return float(min(self.cap, self.base * 2 ** max(failures - 1, 0)))

    def check(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for name, proc in list(self.processes.items()):
            child = self.children.setdefault(name, _Child(started_at=now))
            if proc.poll() is None:
                if child.failures and now - child.started_at >= self.stable:
                    child.failures = 0
                continue
            if child.restart_at is None:
                child.failures += 1
                child.restart_at = now + self.delay(child.failures)
                self.say(
                    f"{name} stopped with {proc.returncode}; restarting in "
                    f"{child.restart_at - now:.0f} s (crash {child.failures} in a row)"
                )
            elif now >= child.restart_at:
                self.processes[name] = self.spawn(name)
                child.started_at, child.restart_at = now, None
                self.restarts += 1
                self.say(f"{name} restarted")


def main() -> int:
    started = time.monotonic()
    secrets = load_or_create(DATA / "secrets.env")
    model = ensure_model(DATA / "models")
    # Development, said explicitly: the api's own default (production) refuses stand-in secrets.
    stack = Stack(data_dir=DATA, model=model, ports=Ports(), secrets=secrets, app_env="development")
    stack.migrate()
    stopping = False

    def _stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.start()
        env = stack.env()
        envs = {name: env for name in stack.processes} | {
            name: {**rasa_env(), **env} for name in ("actions", "rasa")
        }
        commands = {name: [str(arg) for arg in proc.args] for name, proc in stack.processes.items()}  # type: ignore[union-attr]

        def spawn(name: str) -> subprocess.Popen[bytes]:
            stack._spawn(name, commands[name], envs[name])
            return stack.processes[name]

        supervisor = Supervisor(stack.processes, spawn, say=lambda line: print(line, flush=True))
        print(f"\nReady in {time.monotonic() - started:.0f} s.", flush=True)
        print(f"  Web chat:      {stack.api_url}/chat", flush=True)
        print(f"  Web chat API:  POST {stack.api_url}/v1/chat/conversations", flush=True)
        print(f"  API docs:      {stack.api_url}/docs", flush=True)
        print(f"  SMS (fake):    {stack.twilio_url}/_fake/messages (see README, SMS helpline)", flush=True)
        print(f"  Logs:          {stack.log_dir}\nPress Ctrl-C to stop.", flush=True)
        while not stopping:
            supervisor.check()
            time.sleep(0.5)
    except StackError as exc:
        print(f"error: {exc}\n{stack.log_tail()}", file=sys.stderr)
        return 1
    finally:
        print("Stopping…", flush=True)
        stack.stop()
        print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
