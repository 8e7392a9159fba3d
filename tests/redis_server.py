"""A throwaway Redis server for the tests that prove what runs on a shared store (rate limits, Rasa's lock
store, sessions shared between api processes).

`redis_server` (session scope) starts Debian's `redis-server` on a free loopback port with a temporary
working directory and no persistence (`save ""`, `appendonly no`: the data is thrown away), waits until it
answers `PING`, and stops it at the end of the session, also when tests fail. Under pytest-xdist each worker
starts its own. `RedisServer.url(db)` names one of its numbered databases; `flush()` empties them between
tests.

When `redis-server` is missing the tests that need it are skipped with the reason, except when `CI` is set:
then they fail, so CI can never pass by silently skipping the proof (`make test` installs the package through
tools/system_deps.sh). A binary that is there but will not start is always a failure.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.pg import ci_is_set, free_port


class RedisUnavailable(Exception):
    pass


def find_redis_server() -> str | None:
    found = shutil.which("redis-server")
    if found:
        return found
    return "/usr/bin/redis-server" if Path("/usr/bin/redis-server").is_file() else None


def ping(port: int, timeout: float = 0.5) -> bool:
    """True when a Redis server on 127.0.0.1:port answers PING (spoken in RESP, no client library)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
            conn.sendall(b"*1\r\n$4\r\nPING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    binary: str
    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="redistest-")))
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    @property
    def logfile(self) -> Path:
        return self.base / "redis.log"

    def start(self, port: int | None = None) -> None:
        """Start on a free port, or on `port` (a restart where clients already point)."""
        for attempt in range(5):
            self.port = port or free_port()
            self.process = subprocess.Popen(
                [
                    self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.base),
                    "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no",
                    "--logfile", str(self.logfile), "--databases", "16",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break  # the port was taken in between, or the server cannot start: try again
                if ping(self.port):
                    return
                time.sleep(0.05)
            self.stop_process()
            if attempt == 4:
                raise RuntimeError(f"redis-server did not start: {self.log_tail()}")

    def stop_process(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        """Start a stopped server again on the same port, empty (nothing is persisted)."""
        self.stop_process()
        self.start(self.port)

    def stop(self) -> None:
        """Stop the server and remove its directory. Safe to call twice."""
        self.stop_process()
        shutil.rmtree(self.base, ignore_errors=True)

    def flush(self) -> None:
        """Empty every database (FLUSHALL), so tests sharing the server do not see each other's keys."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as conn:
            conn.sendall(b"*1\r\n$8\r\nFLUSHALL\r\n")
            if not conn.recv(16).startswith(b"+OK"):
                raise RuntimeError("FLUSHALL failed")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


@contextlib.contextmanager
def running_redis() -> Iterator[RedisServer]:
    """A started server, stopped and removed on exit. Raises RedisUnavailable when there is no binary."""
    binary = find_redis_server()
    if binary is None:
        raise RedisUnavailable("redis-server is not installed (tools/system_deps.sh test installs it)")
    server = RedisServer(binary)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    try:
        with running_redis() as server:
            yield server
    except RedisUnavailable as exc:
        if ci_is_set():
            pytest.fail(f"Redis is required when CI is set: {exc}", pytrace=False)
        pytest.skip(f"Redis not available: {exc} (set CI to make this a failure)")


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """A clean database on the session's server (flushed before each test)."""
    redis_server.flush()
    yield redis_server.url(0)
