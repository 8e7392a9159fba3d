"""A throwaway PostgreSQL server for the tests that must prove the scaled-out configuration.

`postgres_cluster` (session scope) runs `initdb` into a fresh temporary directory, starts the server on a
free loopback port (`listen_addresses=127.0.0.1`, `fsync=off`: the data is thrown away), migrates one
template database with Alembic, and stops the server and removes the directory at the end of the session,
also when tests fail or the start fails half-way. `PostgresCluster.database()` clones the template with
`CREATE DATABASE … TEMPLATE`, the PostgreSQL counterpart of copying the migrated SQLite file, and drops the
clone afterwards: every test gets its own migrated database. Under pytest-xdist each worker process starts
its own server (a directory and socket of its own, a free port, retried if another worker took it first).

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` OS user (the Debian
package creates it) through `runuser`; any other user runs it directly. The binaries are found in
`$PG_BINDIR` if set (and only there), else in the newest `/usr/lib/postgresql/*/bin` (Debian's layout),
else on `PATH`. When they are missing, the tests that need PostgreSQL are skipped with the reason, except
when `CI` is set: then they fail, so CI can never pass by silently skipping the PostgreSQL proof (`.ci/run`
installs the server). Binaries that are there but will not start are always a failure.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from alembic.config import Config

from api.config import REPO_ROOT

TEMPLATE = "api_template"
SUPERUSER = "postgres"
DEBIAN_BINDIRS = Path("/usr/lib/postgresql")


class ClusterUnavailable(Exception):
    pass


def ci_is_set() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl, or None."""
    candidates: list[Path] = []
    if os.environ.get("PG_BINDIR"):  # an explicit choice: nothing else is tried
        candidates.append(Path(os.environ["PG_BINDIR"]))
    elif DEBIAN_BINDIRS.is_dir():
        versions = [p for p in DEBIAN_BINDIRS.iterdir() if re.fullmatch(r"\d+", p.name)]
        candidates += [p / "bin" for p in sorted(versions, key=lambda p: int(p.name), reverse=True)]
    on_path = shutil.which("initdb")
    if on_path and not os.environ.get("PG_BINDIR"):
        candidates.append(Path(on_path).resolve().parent)
    for bindir in candidates:
        if all(os.access(bindir / tool, os.X_OK) for tool in ("initdb", "pg_ctl")):
            return bindir
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def migrate(database_url: str) -> None:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


@dataclass
class PostgresCluster:
    bindir: Path
    base: Path
    port: int = 0
    password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    run_as: list[str] = field(default_factory=list)
    started: bool = False

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    @property
    def logfile(self) -> Path:
        return self.base / "server.log"

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _tool(self, name: str, *args: str, timeout: float = 120) -> None:
        subprocess.run(
            [*self.run_as, str(self.bindir / name), *args],
            check=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )

    def start(self) -> None:
        pwfile = self.base / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.run_as:
            owner = pwd.getpwnam(SUPERUSER)
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
            os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        pwfile.chmod(0o600)
        try:
            self._tool(
                "initdb",
                "--pgdata",
                str(self.datadir),
                "--username",
                SUPERUSER,
                "--pwfile",
                str(pwfile),
                "--auth-local",
                "scram-sha-256",
                "--auth-host",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            )
        finally:
            pwfile.unlink()
        # A port can be taken between probing and binding; try a few.
        for attempt in range(5):
            self.port = free_port()
            options = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.base} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            try:
                self._tool(
                    "pg_ctl", "start", "--pgdata", str(self.datadir), "--log", str(self.logfile),
                    "--wait", "--timeout", "60", "-o", options,
                )  # fmt: skip
            except subprocess.CalledProcessError:
                if attempt == 4:
                    raise
                continue
            self.started = True
            break
        self.execute(f'CREATE DATABASE "{TEMPLATE}"')
        migrate(self.url(TEMPLATE))

    def stop(self) -> None:
        """Stop the server (if it runs) and remove every file of the cluster. Safe to call twice."""
        if self.started:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self._tool("pg_ctl", "stop", "--pgdata", str(self.datadir), "--mode", "immediate", "--wait")
            self.started = False
        shutil.rmtree(self.base, ignore_errors=True)

    def server_log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def execute(self, sql: str) -> None:
        """Run one administrative statement as the superuser, from any thread or event loop."""

        async def run() -> None:
            connection = await asyncpg.connect(self.url("postgres", driver="postgresql"))
            try:
                await connection.execute(sql)
            finally:
                await connection.close()

        # A fresh loop in a worker thread: callers may be inside pytest-asyncio's running loop.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, run()).result(timeout=120)

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A new database cloned from the migrated template; dropped afterwards. Yields its URL."""
        name = "t_" + uuid.uuid4().hex[:16]
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
        try:
            yield self.url(name)
        finally:
            self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_cluster() -> PostgresCluster:
    """A cluster ready to `start()`, or `ClusterUnavailable` saying why there cannot be one here."""
    bindir = find_bindir()
    if bindir is None:
        raise ClusterUnavailable(
            "initdb/pg_ctl not found (install the Debian package `postgresql`, or set PG_BINDIR)"
        )
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            raise ClusterUnavailable(
                f"running as root, and there is no `{SUPERUSER}` OS user to run the server as"
            ) from None
        run_as = ["runuser", "-u", SUPERUSER, "--"]
    # Under pytest-xdist every worker runs its own server: its own directory (and socket), its own free port.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base = Path(tempfile.mkdtemp(prefix=f"pgtest-{worker}-"))
    return PostgresCluster(bindir=bindir, base=base, run_as=run_as)


@contextlib.contextmanager
def running_cluster(cluster: PostgresCluster) -> Iterator[PostgresCluster]:
    """Start the cluster; stop and remove it on leaving, whatever happened (also if the start failed)."""
    atexit.register(cluster.stop)  # a second line of defence if the process ends abnormally
    try:
        try:
            cluster.start()
        except subprocess.CalledProcessError as exc:
            raise ClusterUnavailable(
                f"could not start PostgreSQL ({Path(str(exc.cmd[len(cluster.run_as)])).name}): "
                f"{(exc.stderr or '').strip()}\n{cluster.server_log_tail()}"
            ) from exc
        yield cluster
    finally:
        cluster.stop()
        atexit.unregister(cluster.stop)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    try:
        cluster = new_cluster()
    except ClusterUnavailable as exc:
        if ci_is_set():
            pytest.fail(f"PostgreSQL is required when CI is set: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL not available: {exc} (set CI to make this a failure)")
    try:
        with running_cluster(cluster) as started:
            yield started
    except ClusterUnavailable as exc:  # binaries present but the server would not start: always a failure
        pytest.fail(str(exc), pytrace=False)


# Parametrise a test module's `database_url` over both dialects:
#     @pytest.fixture(params=BOTH_DIALECTS)
#     def database_url(request, database_url): yield from sqlite_or_postgresql(request, database_url)
BOTH_DIALECTS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


def sqlite_or_postgresql(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    """The parent fixture's SQLite copy, or a clone of the migrated PostgreSQL template."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    with cluster.database() as url:
        yield url
