"""Configuration fails closed (issue 15): production is the default, and outside development and test every
secret must be set, long enough and not a placeholder, or the process refuses to start naming the setting
(never its value). Checked on the settings constructor and on the real start-up commands in a subprocess."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest

from api.config import DEVELOPMENT_KEY, REPO_ROOT, Environment, InsecureSettings, Settings

# Real-looking production settings (synthetic): every one of them passes.
REAL = {
    "BOT_SERVICE_TOKEN": "Zq3vX9pL2mR7tY4wK8nB1cF6hJ0sD5gA-realistic",
    "ENCRYPTION_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY",
    "BLIND_INDEX_KEY": "Hx2Kp9Qw4Lm7Nz1Rt8Vb3Yc6Ud0Fg5Jj-realistic",
    "TWILIO_ACCOUNT_SID": "AC" + "3f9a0c1b" * 4,
    "TWILIO_AUTH_TOKEN": "8c1f0e9d2b7a4c6e5f3a1b0c9d8e7f6a",
    "TWILIO_FROM_NUMBER": "+441782000000",
    "ALLOW_FICTIONAL_PHONE_NUMBERS": "false",
}
SOURCE_KEY = base64.urlsafe_b64encode(DEVELOPMENT_KEY).decode().rstrip("=")
# (setting, bad value, what the refusal says). Each bad value alone must stop production.
BAD = [
    ("BOT_SERVICE_TOKEN", "change-me", "BOT_SERVICE_TOKEN is a placeholder"),
    ("BOT_SERVICE_TOKEN", "", "BOT_SERVICE_TOKEN is not set"),
    ("BOT_SERVICE_TOKEN", "short-but-real-Zq3vX9", "BOT_SERVICE_TOKEN is shorter than 32"),
    ("BOT_SERVICE_TOKEN", "test-bot-service-token-0123456789abcdef", "BOT_SERVICE_TOKEN is a placeholder"),
    ("BLIND_INDEX_KEY", "change-me", "BLIND_INDEX_KEY is a placeholder"),
    ("BLIND_INDEX_KEY", "Hx2Kp9Qw4Lm7", "BLIND_INDEX_KEY is shorter than 32"),
    ("TWILIO_AUTH_TOKEN", "change-me", "TWILIO_AUTH_TOKEN is a placeholder"),
    ("TWILIO_AUTH_TOKEN", "8c1f0e9d2b7a", "TWILIO_AUTH_TOKEN is shorter than 32"),
    ("TWILIO_AUTH_TOKEN", "development-fake-twilio-token-0000", "TWILIO_AUTH_TOKEN is a placeholder"),
    ("TWILIO_AUTH_TOKEN_SECONDARY", "8c1f0e9d", "TWILIO_AUTH_TOKEN_SECONDARY is shorter than 32"),
    ("ENCRYPTION_KEYS", "change-me", "ENCRYPTION_KEYS is a placeholder"),
    ("ENCRYPTION_KEYS", SOURCE_KEY, "ENCRYPTION_KEYS holds the development key"),
    ("ENCRYPTION_KEYS", "MDEyMzQ1Njc4OWFi", "ENCRYPTION_KEYS entry must decode to 32 bytes"),
    ("TWILIO_ACCOUNT_SID", "change-me", "TWILIO_ACCOUNT_SID is not a Twilio account SID"),
    ("TWILIO_FROM_NUMBER", "+447700900000", "TWILIO_FROM_NUMBER must be the helpline's real number"),
    ("ALLOW_FICTIONAL_PHONE_NUMBERS", "true", "ALLOW_FICTIONAL_PHONE_NUMBERS is for development"),
]


def settings_from(env: dict[str, str]) -> Settings:
    return Settings(**{key.lower(): value for key, value in env.items()}, _env_file=None)  # type: ignore[arg-type]


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings see only what a test passes (the test session's own APP_ENV=test is removed)."""
    for key in list(os.environ):
        if key in REAL or key in {"APP_ENV", "TWILIO_AUTH_TOKEN_SECONDARY", "API_DOCS_ENABLED"}:
            monkeypatch.delenv(key)


class TestConstructor:
    def test_production_is_the_default(self, no_env: None) -> None:
        assert Settings(**{k.lower(): v for k, v in REAL.items()}, _env_file=None).app_env == (  # type: ignore[arg-type]
            Environment.production
        )
        with pytest.raises(InsecureSettings, match="APP_ENV=production"):
            Settings(_env_file=None)

    def test_real_secrets_start(self, no_env: None) -> None:
        settings = settings_from({"APP_ENV": "production", **REAL})
        assert len(settings.encryption_key_ring()[0]) == 32

    @pytest.mark.parametrize(("name", "value", "says"), BAD, ids=[f"{n}={v[:12]}" for n, v, _ in BAD])
    def test_each_bad_secret_is_refused_by_name(self, no_env: None, name: str, value: str, says: str) -> None:
        with pytest.raises(InsecureSettings) as refused:
            settings_from({"APP_ENV": "production", **REAL, name: value})
        assert says in str(refused.value)
        assert len(refused.value.problems) == 1  # only the setting at fault is named
        if len(value) >= 8:
            assert value not in str(refused.value)

    def test_every_problem_is_named_at_once(self, no_env: None) -> None:
        with pytest.raises(InsecureSettings) as refused:
            Settings(app_env="production", _env_file=None)
        said = str(refused.value)
        for name in ("BOT_SERVICE_TOKEN", "BLIND_INDEX_KEY", "TWILIO_AUTH_TOKEN", "ENCRYPTION_KEYS"):
            assert name in said

    @pytest.mark.parametrize("env", ["development", "test"])
    def test_placeholders_are_allowed_where_said_explicitly(self, no_env: None, env: str) -> None:
        settings = Settings(app_env=env, _env_file=None)  # type: ignore[arg-type]
        assert settings.encryption_key_ring() == [DEVELOPMENT_KEY]


def start(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in REAL and k != "APP_ENV"}
    return subprocess.run(
        [sys.executable, *command],
        cwd=REPO_ROOT,
        env={**clean, "DATABASE_URL": "sqlite+aiosqlite:///:memory:", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


# The api's real start: the uvicorn factory `make run` and the stack use, with an immediate exit once up.
SERVE = [
    "-c",
    "import sys; from api.main import create_app; create_app(); print('started'); sys.exit(0)",
]


class TestStartUp:
    """The real processes: the api app factory and an operator command (`python -m api`)."""

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("BOT_SERVICE_TOKEN", "change-me"),
            ("TWILIO_AUTH_TOKEN", "8c1f0e9d2b7a"),
            ("ENCRYPTION_KEYS", SOURCE_KEY),
        ],
    )
    def test_the_api_refuses_to_start_and_says_which(self, name: str, value: str) -> None:
        for command in (SERVE, ["-m", "api", "principal", "list"]):
            done = start(command, {**REAL, name: value})  # no APP_ENV: production by default
            assert done.returncode != 0, command
            assert name in done.stderr, command
            assert "started" not in done.stdout
            assert value not in done.stderr + done.stdout

    def test_the_api_starts_with_real_secrets(self) -> None:
        done = start(SERVE, {**REAL, "APP_ENV": "production"})
        assert done.returncode == 0, done.stderr
        assert "started" in done.stdout
