"""The real stack for tests that need every process (tests/e2e, tests/browser): api, worker, Rasa and the
action server on free loopback ports, with a temporary SQLite database; stopped (every process) even when
the tests using it fail. Closed (out of hours) unless the test asks otherwise: see `closed_now`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tools.model import ensure_model
from tools.paths import RASA
from tools.secrets import generate
from tools.stack import Ports, Stack

LONDON = ZoneInfo("Europe/London")


def closed_now() -> dict[str, str]:
    """Opening hours that keep the service closed for the next two days (open only on the day after), so a
    journey's hand-off is the out-of-hours one whatever time the tests run. A stack that needs the team on
    duty passes OPEN_ALL_DAY."""
    day = (datetime.now(LONDON) + timedelta(days=3)).strftime("%a")
    return {"OPENING_HOURS": f"{day} 09:00-17:00", "CLOSED_ON_BANK_HOLIDAYS": "false"}


# The team on duty at any time (a call-back is offered unless fewer than 5 minutes are left before midnight).
OPEN_ALL_DAY = {
    "OPENING_HOURS": "Mon-Sun 00:00-24:00",
    "CLOSED_ON_BANK_HOLIDAYS": "false",
    "CALLBACK_MIN_MINUTES": "5",
}


@contextmanager
def running_stack(
    tmp_path_factory: pytest.TempPathFactory, extra_env: dict[str, str] | None = None
) -> Iterator[Stack]:
    assert RASA.exists(), "the bot environment is missing: run `make env`"
    data_dir = tmp_path_factory.mktemp("stack")
    running = Stack(
        data_dir=data_dir,
        model=ensure_model(quiet=True),
        ports=Ports.free(),
        secrets=generate(),
        extra_env={**closed_now(), **(extra_env or {})},
    )
    processes = running.processes
    try:
        running.migrate()
        running.start()
        started = dict(processes)
        yield running
    except Exception:
        print(running.log_tail())
        raise
    finally:
        running.stop()
    assert all(proc.poll() is not None for proc in started.values())
