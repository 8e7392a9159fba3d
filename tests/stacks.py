"""The real stack for tests that need every process (tests/e2e, tests/browser): api, worker, Rasa and the
action server on free loopback ports, with a temporary SQLite database; stopped (every process) even when
the tests using it fail. Closed (out of hours) unless the test asks otherwise: see `closed_now`.

Booting Rasa is the slow part, so the end-to-end and browser modules share one stack per session (the
`shared_stack` fixture of tests/conftest.py) with the settings they all agree on: out of hours, and the
quick exit going to `neutral_site`. A module that needs other settings (the team on duty, say) defines its
own module-scoped `stack` with `running_stack(tmp_path_factory, {...})`. On the shared stack every test
keeps to its own conversations, cases and phone numbers: it finds its case by reference, never by being
the only one in a queue.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest

from tools.model import ensure_model
from tools.paths import RASA
from tools.secrets import generate
from tools.stack import Ports, Stack, free_port

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
    tmp_path_factory: pytest.TempPathFactory,
    extra_env: dict[str, str] | None = None,
    *,
    database_url: str | None = None,
) -> Iterator[Stack]:
    assert RASA.exists(), "the bot environment is missing: run `make env`"
    data_dir = tmp_path_factory.mktemp("stack")
    running = Stack(
        data_dir=data_dir,
        model=ensure_model(quiet=True),
        ports=Ports.free(),
        secrets=generate(),
        database_url=database_url,
        app_env="test",  # said explicitly: the api's own default is production
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


NEUTRAL_PAGE = (
    b"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Weather forecast</title></head>"
    b"<body><h1>Weather forecast</h1><p>Sunny spells, light winds.</p></body></html>"
)


class _Neutral(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(NEUTRAL_PAGE)))
        self.end_headers()
        self.wfile.write(NEUTRAL_PAGE)

    def log_message(self, format: str, *args: object) -> None:
        return None


@contextmanager
def serving_neutral_site() -> Iterator[str]:
    """A stand-in for the neutral public site of QUICK_EXIT_URL (the tests have no internet): its address."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Neutral)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/weather"
    finally:
        server.shutdown()
        server.server_close()
