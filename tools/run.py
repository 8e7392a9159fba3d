"""`make run`: the whole service on this machine, with embedded SQLite and nothing else to install.

Migrates, trains the bot only if its data changed, starts the api, worker, action server, Rasa and the
local fake of Twilio (the SMS helpline sends there; nothing reaches Twilio), waits
until each is healthy, prints the web chat address, and stops every child cleanly on Ctrl-C.
"""

from __future__ import annotations

import signal
import sys
import time
from types import FrameType

from tools.model import ensure_model
from tools.paths import DATA
from tools.secrets import load_or_create
from tools.stack import Ports, Stack, StackError


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
        print(f"\nReady in {time.monotonic() - started:.0f} s.", flush=True)
        print(f"  Web chat:      {stack.api_url}/chat", flush=True)
        print(f"  Web chat API:  POST {stack.api_url}/v1/chat/conversations", flush=True)
        print(f"  API docs:      {stack.api_url}/docs", flush=True)
        print(f"  SMS (fake):    {stack.twilio_url}/_fake/messages (see README, SMS helpline)", flush=True)
        print(f"  Logs:          {stack.log_dir}\nPress Ctrl-C to stop.", flush=True)
        while not stopping:
            for name, proc in stack.processes.items():
                if proc.poll() is not None:
                    raise StackError(f"{name} stopped unexpectedly with {proc.returncode}")
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
