"""Start and stop the whole service: api, worker, action server and Rasa, each its own process group, and
the local fake of Twilio's REST API (tools/fake_twilio.py) that the SMS outbox sends to.

Used by `make run` (tools/run.py) and by the end-to-end tests, so both exercise the same start-up.
Every child listens on 127.0.0.1; logs go to one file per process under the stack's log folder.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tools.model import rasa_env
from tools.paths import API_PYTHON, BOT_PYTHON, ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class StackError(RuntimeError):
    pass


@dataclass
class Ports:
    api: int = 8000
    rasa: int = 5005
    actions: int = 5055
    twilio: int = 8099  # the fake Twilio

    @classmethod
    def free(cls) -> Ports:
        return cls(api=free_port(), rasa=free_port(), actions=free_port(), twilio=free_port())


RATE_LIMITS = (
    "RATE_LIMIT_CHAT_START",
    "RATE_LIMIT_CHAT_TURN",
    "RATE_LIMIT_FORM",
    "RATE_LIMIT_SIGN_IN",
    "RATE_LIMIT_SMS_INBOUND",
)


@dataclass
class Stack:
    data_dir: Path
    model: Path
    ports: Ports
    secrets: dict[str, str]
    database_url: str | None = None
    # Said in every env() (APP_ENV): the api's own default is production. `make run` passes development.
    app_env: str = "development"
    extra_env: dict[str, str] = field(default_factory=dict)
    rasa_args: list[str] = field(default_factory=list)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    @property
    def twilio_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.twilio}"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.secrets)
        env.update(
            {
                "APP_ENV": self.app_env,
                "DATABASE_URL": self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'api.db'}",
                "RASA_URL": f"http://127.0.0.1:{self.ports.rasa}",
                "PUBLIC_BASE_URL": self.api_url,
                "API_URL": self.api_url,
                "ACTION_SERVER_URL": f"http://127.0.0.1:{self.ports.actions}/webhook",
                "RASA_TRACKER_DIALECT": "sqlite",
                "RASA_TRACKER_HOST": "",
                "RASA_TRACKER_DB": str(self.data_dir / "rasa-tracker.db"),
                "SANIC_HOST": "127.0.0.1",
                "PYTHONUNBUFFERED": "1",
                "ALLOW_FICTIONAL_PHONE_NUMBERS": "true" if self.app_env != "production" else "false",
                # The SMS outbox sends to the fake Twilio, which calls the api's status webhook back.
                "TWILIO_API_BASE_URL": self.twilio_url,
            }
        )
        env.setdefault("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
        env.setdefault("TWILIO_AUTH_TOKEN", "development-fake-twilio-token")
        if self.app_env != "production":
            # Everything on one machine comes from 127.0.0.1 and the load runs text from few numbers: the
            # per-address and per-number limits would count every simulated person as one. Set RATE_LIMIT_*
            # in the environment to try the real limits on a local stack.
            for name in RATE_LIMITS:
                env.setdefault(name, "100000/minute")
        env.update(self.extra_env)
        return env

    def migrate(self) -> None:
        subprocess.run([str(API_PYTHON), "-m", "api", "migrate"], cwd=ROOT, env=self.env(), check=True)

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def start(self, timeout: float = 180.0) -> None:
        env = self.env()
        bot_env = {**rasa_env(), **env}
        self._spawn(
            "twilio", [str(API_PYTHON), "-m", "tools.fake_twilio", "--port", str(self.ports.twilio)], env
        )
        self._spawn(
            "api",
            [str(API_PYTHON), "-m", "uvicorn", "api.main:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(self.ports.api), "--no-access-log"],
            env,
        )  # fmt: skip
        self._spawn("worker", [str(API_PYTHON), "-m", "api.worker"], env)
        self._spawn(
            "actions",
            [
                str(BOT_PYTHON),
                "-m",
                "rasa_sdk",
                "--actions",
                "bot.actions",
                "--port",
                str(self.ports.actions),
            ],
            bot_env,
        )
        self._spawn(
            "rasa",
            [str(BOT_PYTHON), "-m", "bot.server.serve", "run", "--model", str(self.model),
             "--endpoints", "bot/endpoints.yml",
             "--credentials", "bot/credentials.yml", "--interface", "127.0.0.1",
             "--port", str(self.ports.rasa), *self.rasa_args],
            bot_env,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        checks = {
            "api": f"{self.api_url}/healthz",
            "actions": f"http://127.0.0.1:{self.ports.actions}/health",
            "rasa": f"http://127.0.0.1:{self.ports.rasa}/",
            "worker": f"{self.api_url}/readyz",
            "twilio": f"{self.twilio_url}/healthz",
        }
        for name, url in checks.items():
            self._wait(name, url, deadline)

    def _wait(self, name: str, url: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            for proc_name, proc in self.processes.items():
                if proc.poll() is not None:
                    raise StackError(f"{proc_name} exited with {proc.returncode}; see {self.log_dir}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 — loopback only
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise StackError(f"{name} was not healthy in time ({url}); see {self.log_dir}")

    def stop(self, grace: float = 15.0) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        end = time.monotonic() + grace
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.processes.clear()

    def log_tail(self, lines: int = 40) -> str:
        parts = []
        for path in sorted(self.log_dir.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name} ---\n" + "\n".join(text))
        return "\n".join(parts)
