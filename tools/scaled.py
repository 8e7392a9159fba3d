"""The scaled-out stack: the same code as `make run`, several processes of each kind, sharing PostgreSQL and
Redis, behind Debian's nginx (DESIGN.md §3, issue 16). Used by `make run-scaled` (tools/run_scaled.py), the
end-to-end test tests/e2e/test_scaled.py and the benchmark load/run_scaled.py.

    browser, Twilio ─► nginx :public ─► api × N ─► nginx :rasa ─► Rasa × M ─► nginx :actions ─► actions × K
                                         │                          │  (NLG and referrals: nginx :public)
                       worker × W ◄──────┴──► PostgreSQL ◄──────────┘  (the api's database; Rasa's trackers)
                                              Redis: rate limits (db 0), Rasa's lock store (db 1)

Nothing here is kept in one process's memory that another process needs: conversations, SMS queues and the
outbox are in PostgreSQL (the worker claims with leases), Rasa's trackers in PostgreSQL, its per-conversation
locks in Redis (bot/server/lock_store.py), the rate-limit counts in Redis. nginx balances every hop round
robin over keep-alive connections, so consecutive turns of one conversation go to different api and Rasa
processes. The database and Redis URLs decide; only the processes' number and ports differ from `make run`.
nginx's config is generated into the stack's folder (`nginx/nginx.conf`), with its logs; its access logs say
which upstream served each request, never a path with an id in it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tools.model import rasa_env
from tools.paths import API_PYTHON, BOT_PYTHON
from tools.stack import Stack, StackError, free_port

RATE_LIMIT_DB = 0
LOCK_STORE_DB = 1
# The user nginx's workers run as when it is started as root (Debian's).
NGINX_USER = "www-data"


def find_nginx() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None


def redis_db(url: str, db: int) -> str:
    """The same Redis server with another numbered database: redis://host:port/<db>."""
    base, _, last = url.rstrip("/").rpartition("/")
    return f"{base}/{db}" if last.isdigit() and "://" in base else f"{url.rstrip('/')}/{db}"


@dataclass
class Scale:
    api: int = 2
    rasa: int = 2
    actions: int = 2
    workers: int = 1

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not 1 <= value <= 8:
                raise ValueError(f"{name} processes: 1 to 8, not {value}")


@dataclass
class ScaledStack(Stack):
    """`Stack` with N of each process behind nginx. `ports.api`, `ports.rasa` and `ports.actions` are nginx's
    (the public port, and the two internal ones every api and Rasa process uses); each process has its own."""

    tracker_url: str = ""  # Rasa's tracker store, a synchronous SQLAlchemy URL (postgresql://…)
    redis_url: str = ""  # redis://host:port; db 0 counts rate limits, db 1 holds Rasa's locks
    scale: Scale = field(default_factory=Scale)
    nginx: str = ""
    instance_ports: dict[str, list[int]] = field(default_factory=dict)
    commands: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)
    buffers: Path | None = None  # where nginx's workers spill large bodies (made at start)

    def __post_init__(self) -> None:
        if not (self.database_url or "").startswith("postgresql"):
            raise StackError("the scaled-out stack's api database must be PostgreSQL (DATABASE_URL)")
        if not self.tracker_url.startswith("postgresql"):
            raise StackError("the scaled-out stack's tracker store must be PostgreSQL")
        if not self.redis_url.startswith(("redis://", "rediss://")):
            raise StackError("the scaled-out stack needs a redis:// URL")
        self.nginx = self.nginx or find_nginx() or ""
        if not self.nginx:
            raise StackError("nginx is not installed (tools/system_deps.sh scaled installs it)")
        if not self.instance_ports:
            self.instance_ports = {
                kind: [free_port() for _ in range(getattr(self.scale, kind))]
                for kind in ("api", "rasa", "actions")
            }

    @property
    def nginx_dir(self) -> Path:
        return self.data_dir / "nginx"

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(
            {
                "RASA_TRACKER_DIALECT": "postgresql",
                "RASA_TRACKER_HOST": self.tracker_url,  # a whole URL: Rasa and the api both take it so
                "RASA_TRACKER_DB": self.tracker_url.rsplit("/", 1)[-1],
                "RATE_LIMIT_STORAGE_URL": redis_db(self.redis_url, RATE_LIMIT_DB),
                "RASA_LOCK_STORE_URL": redis_db(self.redis_url, LOCK_STORE_DB),
                # nginx is the api's TCP peer: the client is the nearest X-Forwarded-For address before it.
                "TRUSTED_PROXIES": "127.0.0.1/32",
            }
        )
        env.update(self.extra_env)
        return env

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.commands[name] = (command, env)
        super()._spawn(name, command, env)

    def respawn(self, name: str) -> subprocess.Popen[bytes]:
        """Start a stopped child again with the same command and environment (the supervisor's `spawn`)."""
        command, env = self.commands[name]
        super()._spawn(name, command, env)
        return self.processes[name]

    def nginx_config(self) -> str:
        def upstream(name: str, ports: list[int]) -> str:
            servers = "".join(f"    server 127.0.0.1:{port} max_fails=0;\n" for port in ports)
            return f"  upstream {name} {{\n{servers}    keepalive 32;\n  }}\n"

        proxy = (
            "      proxy_http_version 1.1;\n"
            '      proxy_set_header Connection "";\n'
            "      proxy_set_header Host $http_host;\n"
            "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
            "      proxy_set_header X-Forwarded-Proto $scheme;\n"
            "      proxy_read_timeout 120s;\n"
            "      proxy_next_upstream error timeout;\n"
        )
        folder = self.nginx_dir
        buffers = self.buffers or folder / "buffers"
        user = f"user {NGINX_USER};\n" if os.geteuid() == 0 else ""
        return (
            "# Generated by tools/scaled.py for this stack; rewritten at every start.\n"
            f"{user}worker_processes 1;\ndaemon off;\npid {folder}/nginx.pid;\n"
            f"error_log {folder}/error.log warn;\n"
            "events {\n  worker_connections 2048;\n}\n"
            "http {\n"
            # Which upstream served each request; never the path (a conversation id is its capability).
            "  log_format upstreams '$server_port $request_method $status $upstream_addr $request_time';\n"
            f"  access_log {folder}/access.log upstreams;\n"
            f"  client_body_temp_path {buffers}/body;\n  proxy_temp_path {buffers}/proxy;\n"
            f"  fastcgi_temp_path {buffers}/fastcgi;\n  uwsgi_temp_path {buffers}/uwsgi;\n"
            f"  scgi_temp_path {buffers}/scgi;\n"
            # An action call carries the domain and the tracker (30-200 KB): kept in memory, not spilled.
            "  client_body_buffer_size 1m;\n"
            "  client_max_body_size 11m;\n  server_tokens off;\n"
            + upstream("api", self.instance_ports["api"])
            + upstream("rasa", self.instance_ports["rasa"])
            + upstream("actions", self.instance_ports["actions"])
            + f"  server {{\n    listen 127.0.0.1:{self.ports.api};\n    location / {{\n"
            f"      proxy_pass http://api;\n{proxy}    }}\n  }}\n"
            f"  server {{\n    listen 127.0.0.1:{self.ports.rasa};\n    location / {{\n"
            f"      proxy_pass http://rasa;\n{proxy}    }}\n  }}\n"
            f"  server {{\n    listen 127.0.0.1:{self.ports.actions};\n    location / {{\n"
            f"      proxy_pass http://actions;\n{proxy}    }}\n  }}\n"
            "}\n"
        )

    def write_nginx_config(self) -> Path:
        folder = self.nginx_dir
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0 and self.buffers is None:
            # As root nginx's workers run as www-data, which may not reach the stack's folder (pytest's is
            # private to root): their spill folder is a private one of their own.
            self.buffers = Path(tempfile.mkdtemp(prefix="nginx-buffers-"))
            owner = pwd.getpwnam(NGINX_USER)
            os.chown(self.buffers, owner.pw_uid, owner.pw_gid)
        path = folder / "nginx.conf"
        path.write_text(self.nginx_config())
        done = subprocess.run(
            [self.nginx, "-t", "-q", "-e", str(folder / "error.log"), "-p", str(folder), "-c", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise StackError(f"nginx refused its config {path}: {done.stderr.strip()}")
        return path

    def start(self, timeout: float = 300.0) -> None:
        env = self.env()
        bot_env = {**rasa_env(), **env}
        config = self.write_nginx_config()
        self._spawn(
            "twilio", [str(API_PYTHON), "-m", "tools.fake_twilio", "--port", str(self.ports.twilio)], env
        )
        for number, port in enumerate(self.instance_ports["api"], start=1):
            self._spawn(
                f"api-{number}",
                [str(API_PYTHON), "-m", "uvicorn", "api.main:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
                env,
            )  # fmt: skip
        for number in range(1, self.scale.workers + 1):
            self._spawn(f"worker-{number}", [str(API_PYTHON), "-m", "api.worker"], env)
        for number, port in enumerate(self.instance_ports["actions"], start=1):
            self._spawn(
                f"actions-{number}",
                [str(BOT_PYTHON), "-m", "rasa_sdk", "--actions", "bot.actions", "--port", str(port)],
                bot_env,
            )
        for number, port in enumerate(self.instance_ports["rasa"], start=1):
            self._spawn(
                f"rasa-{number}",
                [str(BOT_PYTHON), "-m", "bot.server.serve", "run", "--model", str(self.model),
                 "--endpoints", "bot/endpoints.yml",
                 "--credentials", "bot/credentials.yml", "--interface", "127.0.0.1",
                 "--port", str(port), *self.rasa_args],
                bot_env,
            )  # fmt: skip
        self._spawn(
            "nginx",
            [
                self.nginx,
                "-e",
                str(self.nginx_dir / "error.log"),
                "-p",
                str(self.nginx_dir),
                "-c",
                str(config),
            ],
            env,
        )
        checks = {"twilio": f"{self.twilio_url}/healthz"}
        for kind, path in (("api", "/healthz"), ("actions", "/health"), ("rasa", "/")):
            for number, port in enumerate(self.instance_ports[kind], start=1):
                checks[f"{kind}-{number}"] = f"http://127.0.0.1:{port}{path}"
        checks |= {
            "nginx (api)": f"{self.api_url}/healthz",
            "nginx (rasa)": f"http://127.0.0.1:{self.ports.rasa}/",
            "nginx (actions)": f"http://127.0.0.1:{self.ports.actions}/health",
            "worker": f"{self.api_url}/readyz",
        }
        deadline = time.monotonic() + timeout
        for name, url in checks.items():
            self._wait(name, url, deadline)

    def stop(self, grace: float = 15.0) -> None:
        super().stop(grace)
        if self.buffers is not None:
            shutil.rmtree(self.buffers, ignore_errors=True)
            self.buffers = None
