"""`make run-scaled`: the scaled-out stack on this machine (tools/scaled.py): PostgreSQL, Redis, 2 api
processes, 2 Rasa, 2 action servers and the worker behind nginx, with the fake Twilio. Ctrl-C stops it.

PostgreSQL: the server at `--database-url` (the api's database; Rasa's tracker store is `--tracker-url`,
another database), else a local one this command starts from `data/scaled/postgres` (made on first use, kept
between runs: the conversations and cases stay; `--fresh` throws it away first). Redis: `--redis-url`, else a
throwaway `redis-server` (its keys are locks and rate-limit counts: nothing to keep). nginx: Debian's, its
config generated into `data/scaled/nginx/`. Children that die are started again, as `make run` does.

    .venvs/api/bin/python -m tools.run_scaled [--port 8080] [--api 2] [--rasa 2] [--actions 2] [--workers 1]
"""

from __future__ import annotations

import argparse
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from tools.model import ensure_model
from tools.paths import DATA
from tools.run import Supervisor
from tools.scaled import Scale, ScaledStack
from tools.secrets import load_or_create
from tools.stack import Ports, StackError, free_port

SCALED = DATA / "scaled"
SUPERUSER = "postgres"
API_DATABASE = "referrals"
TRACKER_DATABASE = "rasa_tracker"


def find_pg_bindir() -> Path | None:
    explicit = os.environ.get("PG_BINDIR")
    candidates = [Path(explicit)] if explicit else []
    root = Path("/usr/lib/postgresql")
    if not explicit and root.is_dir():
        versions = sorted((p for p in root.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
        candidates += [p / "bin" for p in reversed(versions)]
    if not explicit and shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb") or "").resolve().parent)
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


@dataclass
class LocalPostgres:
    """A PostgreSQL server of this command's own, on a free loopback port, its data kept in `base`."""

    base: Path
    bindir: Path
    port: int = 0

    @property
    def run_as(self) -> list[str]:  # PostgreSQL refuses root: as root, run it as Debian's postgres user
        return ["runuser", "-u", SUPERUSER, "--"] if os.geteuid() == 0 else []

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    def password(self) -> str:
        path = self.base / "password"
        if not path.exists():
            self.base.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(24))
        return path.read_text().strip()

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{SUPERUSER}:{self.password()}@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.run_as, str(self.bindir / tool), *args], check=True, capture_output=True, text=True
        )

    def start(self) -> None:
        if not (self.datadir / "PG_VERSION").exists():
            password = self.password()
            pwfile = self.base / "pwfile"
            pwfile.write_text(password + "\n")
            if self.run_as:
                owner = pwd.getpwnam(SUPERUSER)
                for path in (self.base, pwfile):
                    os.chown(path, owner.pw_uid, owner.pw_gid)
            try:
                self._run(
                    "initdb", "--pgdata", str(self.datadir), "--username", SUPERUSER, "--pwfile", str(pwfile),
                    "--auth-local", "scram-sha-256", "--auth-host", "scram-sha-256", "--encoding", "UTF8",
                    "--locale", "C",
                )  # fmt: skip
            finally:
                pwfile.unlink()
        self.port = free_port()
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.base} "
            "-c max_connections=200"
        )
        self._run(
            "pg_ctl", "start", "--pgdata", str(self.datadir), "--log", str(self.base / "server.log"),
            "--wait", "--timeout", "60", "-o", options,
        )  # fmt: skip

    def create_databases(self, *names: str) -> None:
        import asyncio

        import asyncpg

        async def create() -> None:
            connection = await asyncpg.connect(self.url("postgres", driver="postgresql"))
            try:
                for name in names:
                    found = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
                    if not found:
                        await connection.execute(f'CREATE DATABASE "{name}"')
            finally:
                await connection.close()

        asyncio.run(create())

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "--pgdata", str(self.datadir), "--mode", "fast", "--wait")


@contextmanager
def local_postgres(base: Path, fresh: bool = False) -> Iterator[LocalPostgres]:
    """A local server with the api's and the tracker's databases, its data in `base` (kept unless `fresh`)."""
    bindir = find_pg_bindir()
    if bindir is None:
        raise StackError("PostgreSQL's initdb/pg_ctl not found (tools/system_deps.sh scaled installs them)")
    if fresh:
        shutil.rmtree(base, ignore_errors=True)
    server = LocalPostgres(base=base, bindir=bindir)
    try:
        server.start()
        server.create_databases(API_DATABASE, TRACKER_DATABASE)
        yield server
    finally:
        server.stop()


@contextmanager
def local_redis(folder: Path) -> Iterator[str]:
    """A throwaway redis-server on a free port (no persistence): its URL."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise StackError("redis-server not found (tools/system_deps.sh scaled installs it)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
         "--appendonly", "no", "--protected-mode", "yes", "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--port", type=int, default=8080, help="nginx's public port (default 8080; 0: any free)"
    )
    for kind, default in (("api", 2), ("rasa", 2), ("actions", 2), ("workers", 1)):
        parser.add_argument(
            f"--{kind}", type=int, default=default, help=f"{kind} processes (default {default})"
        )
    parser.add_argument("--database-url", help="the api's PostgreSQL database (postgresql+asyncpg://…)")
    parser.add_argument("--tracker-url", help="Rasa's tracker store database (postgresql://…)")
    parser.add_argument("--redis-url", help="a Redis server (redis://host:port)")
    parser.add_argument("--fresh", action="store_true", help="throw the local PostgreSQL's data away first")
    args = parser.parse_args(argv)
    if bool(args.database_url) != bool(args.tracker_url):
        parser.error("--database-url and --tracker-url go together")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    stopping = False

    def _stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    stack: ScaledStack | None = None
    with ExitStack() as services:
        try:
            scale = Scale(api=args.api, rasa=args.rasa, actions=args.actions, workers=args.workers)
            if args.database_url:
                database_url, tracker_url = args.database_url, args.tracker_url
            else:
                postgres = services.enter_context(local_postgres(SCALED / "postgres", args.fresh))
                database_url = postgres.url(API_DATABASE)
                tracker_url = postgres.url(TRACKER_DATABASE, driver="postgresql")
            redis_url = args.redis_url or services.enter_context(local_redis(SCALED / "redis"))
            ports = Ports(
                api=args.port or free_port(), rasa=free_port(), actions=free_port(), twilio=free_port()
            )
            stack = ScaledStack(
                data_dir=SCALED,
                model=ensure_model(DATA / "models"),
                ports=ports,
                secrets=load_or_create(DATA / "secrets.env"),
                database_url=database_url,
                app_env="development",
                tracker_url=tracker_url,
                redis_url=redis_url,
                scale=scale,
            )
            stack.migrate()
            services.callback(stack.stop)
            stack.start()
        except (StackError, ValueError, subprocess.CalledProcessError) as exc:
            detail = exc.stderr if isinstance(exc, subprocess.CalledProcessError) else ""
            print(f"error: {exc} {detail or ''}", file=sys.stderr)
            if stack is not None:
                print(stack.log_tail(), file=sys.stderr)
            return 1
        supervisor = Supervisor(stack.processes, stack.respawn, say=lambda line: print(line, flush=True))
        counts = f"{scale.api} api, {scale.rasa} Rasa, {scale.actions} action servers, {scale.workers} worker"
        print(f"\nReady in {time.monotonic() - started:.0f} s: {counts} behind nginx.", flush=True)
        print(f"  Web chat:      {stack.api_url}/chat", flush=True)
        print(f"  SMS (fake):    {stack.twilio_url}/_fake/messages", flush=True)
        print(
            f"  Logs:          {stack.log_dir} (nginx: {stack.nginx_dir})\nPress Ctrl-C to stop.", flush=True
        )
        while not stopping:
            supervisor.check()
            time.sleep(0.5)
        print("Stopping…", flush=True)
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
