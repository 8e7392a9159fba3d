"""One real stack per test module: api, worker, Rasa and the action server on free loopback ports, with a
temporary SQLite database; stopped (every process) even when the module fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tools.model import ensure_model
from tools.paths import RASA
from tools.secrets import generate
from tools.stack import Ports, Stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    assert RASA.exists(), "the bot environment is missing: run `make env`"
    data_dir = tmp_path_factory.mktemp("stack")
    running = Stack(data_dir=data_dir, model=ensure_model(quiet=True), ports=Ports.free(), secrets=generate())
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
