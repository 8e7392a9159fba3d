"""The real stack for tests that need every process (tests/e2e, tests/browser): api, worker, Rasa and the
action server on free loopback ports, with a temporary SQLite database; stopped (every process) even when
the tests using it fail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tools.model import ensure_model
from tools.paths import RASA
from tools.secrets import generate
from tools.stack import Ports, Stack


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
        extra_env=dict(extra_env or {}),
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
