"""Settings: one object, read from the environment (and `.env` when present).

Secrets are `SecretStr`. `APP_ENV` defaults to `production`: `make run` and the tests say `development` or
`test` explicitly. Outside development and test every secret must be set, long enough and not a placeholder
(`change-me`, or a value written in this repository), or the process refuses to start with
`InsecureSettings`, naming each setting at fault and never its value.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from limits import parse_many
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.kit.calendar import OpeningHours, OpeningHoursError

PLACEHOLDER = "change-me"
# The AES key a placeholder derives in development and tests: written here, so never a secret.
DEVELOPMENT_KEY = b"development-only-key-not-secret!"[:32].ljust(32, b"0")
# Values written in this repository (docs, `make run`'s stack, tests): refused outside development and test.
KNOWN_PLACEHOLDERS = (PLACEHOLDER, "changeme", "development-fake-twilio-token", "test-bot-service-token")
# The shortest secret production accepts (characters): 32 is a 256-bit token_urlsafe's 43 or a Twilio token.
MIN_SECRET_LENGTH = 32
REPO_ROOT = Path(__file__).resolve().parent.parent


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class InsecureSettings(RuntimeError):
    """The settings are not safe to run with outside development and test. Not a ValueError on purpose:
    pydantic would wrap one in a ValidationError that echoes the input values; this names settings only."""

    def __init__(self, app_env: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"refusing to start with APP_ENV={app_env}: " + "; ".join(problems)
            + " (APP_ENV=development or test allow placeholders)"
        )  # fmt: skip


def _secret_problem(name: str, raw: str, min_length: int = MIN_SECRET_LENGTH) -> str | None:
    """Why a secret is not fit for production, by setting name only (never the value), or None."""
    if not raw.strip():
        return f"{name} is not set"
    if any(known in raw.lower() for known in KNOWN_PLACEHOLDERS):
        return f"{name} is a placeholder"
    if len(raw) < min_length:
        return f"{name} is shorter than {min_length} characters"
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # production unless said otherwise: a deployment that forgets it gets every check, not none.
    app_env: Environment = Environment.production
    database_url: str = "sqlite+aiosqlite:///data/api.db"
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_seconds: float = 30.0
    public_base_url: str = "http://127.0.0.1:8000"
    locales_dir: Path = REPO_ROOT / "locales"
    default_locale: str = "en"
    log_level: str = "INFO"
    # The OpenAPI document and its pages (/openapi.json, /docs, /redoc; /docs loads third-party scripts):
    # served only when true. Unset: on in development, off everywhere else.
    api_docs_enabled: bool | None = None
    # Strict-Transport-Security max-age (seconds), sent outside development (browsers ignore it over plain
    # http, so it is harmless behind a TLS-terminating proxy and protects every later visit).
    hsts_max_age_seconds: int = Field(default=63_072_000, ge=0, le=63_072_000)
    # The largest request body any route reads (the police feed upload has its own 10 MB): refused with 413
    # before it is read, so no request can make the api hold more than this in memory.
    max_request_bytes: int = Field(default=256 * 1024, ge=4 * 1024, le=16 * 1024 * 1024)

    # The bot (Rasa's NLG calls and the action server) authenticates with this shared service token.
    bot_service_token: SecretStr = SecretStr(PLACEHOLDER)
    # AEAD key ring for personal fields: comma-separated urlsafe-base64 32-byte keys, newest first.
    encryption_keys: SecretStr = SecretStr(PLACEHOLDER)
    # Key for the keyed hashes (blind indexes) used to find phone numbers and e-mail addresses.
    blind_index_key: SecretStr = SecretStr(PLACEHOLDER)

    # Rate limits (api/ratelimit), `limits` strings: a count per window, several separated by ';'
    # ("10/minute;60/hour"). Counted in this process's memory, or in Redis when RATE_LIMIT_STORAGE_URL is a
    # redis:// URL (needed as soon as more than one api process serves the same people).
    rate_limit_storage_url: str = ""
    # Per client address: starting a web chat; submitting the /refer form; signing in to it.
    rate_limit_chat_start: str = "10/minute;60/hour"
    rate_limit_form: str = "20/minute;200/hour"
    rate_limit_sign_in: str = "10/minute;50/hour"
    # Per conversation: chat messages (each one a bot turn).
    rate_limit_chat_turn: str = "30/minute;300/hour"
    # Per phone number: texts turned into bot turns. Beyond it a text is acknowledged to Twilio but not
    # answered, and the sender gets one "slow down" text per SMS_NOTICE window. Never limited: a text
    # matching a danger phrase, and STOP/START keywords.
    rate_limit_sms_inbound: str = "10/minute;60/hour"
    rate_limit_sms_notice: str = "1/10 minutes"
    # Per phone number: SMS the worker sends (spend amplification). Beyond it an SMS is put off, not dropped,
    # and sent in order when the window allows; the reply to a danger phrase and to STOP/START never waits.
    rate_limit_sms_outbound: str = "20/minute;120/hour"
    # Proxies whose X-Forwarded-For is believed for the client address (comma-separated addresses or
    # networks, e.g. 10.0.0.0/8). Empty: the TCP peer is the client; a forwarded header is ignored.
    trusted_proxies: str = ""

    # Accept Ofcom's drama ranges (07700 900xxx…) as phone numbers: synthetic data for dev and tests only.
    allow_fictional_phone_numbers: bool = False

    # A provider keeps reading a case's details this long after returning or closing it (then the status
    # only); the referring agency reads them until the person withdraws consent.
    case_detail_grace_hours: float = Field(default=24.0, ge=0, le=24 * 30)

    # The one-time code that confirms a person's number from the chat (api/phone_check): minutes it is
    # valid, wrong codes before the number is left unverified, and codes one case may be sent.
    phone_check_code_minutes: int = Field(default=10, ge=1, le=60)
    phone_check_max_attempts: int = Field(default=3, ge=1, le=10)
    phone_check_max_codes: int = Field(default=3, ge=1, le=10)

    queue_lease_seconds: int = Field(default=900, ge=30, le=86_400)
    worker_poll_seconds: float = Field(default=2.0, gt=0)

    # The SMS helpline (api/sms). The account SID and auth token are Twilio's; the auth token also signs
    # Twilio's webhooks. TWILIO_API_BASE_URL is Twilio's REST API, or the local fake in development and tests.
    twilio_account_sid: str = PLACEHOLDER
    twilio_auth_token: SecretStr = SecretStr(PLACEHOLDER)
    # Twilio's secondary auth token, while Twilio rotates the primary: webhooks signed with either pass.
    twilio_auth_token_secondary: SecretStr | None = None
    twilio_from_number: str = Field(default="+447700900000", pattern=r"^\+[1-9][0-9]{6,14}$")
    twilio_api_base_url: str = "https://api.twilio.com"
    twilio_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Believe X-Forwarded-Proto / X-Forwarded-Host when rebuilding the URL Twilio signed (only behind a
    # proxy that sets them itself).
    trust_proxy_headers: bool = False
    # Outbox: messages per second per sender number (a UK long code takes about 1), attempts before a message
    # is given up, and the exponential back-off between attempts (base doubling, capped).
    sms_send_per_second: float = Field(default=1.0, gt=0, le=1000)
    sms_send_max_attempts: int = Field(default=6, ge=1, le=50)
    sms_retry_base_seconds: float = Field(default=2.0, gt=0, le=3600)
    sms_retry_max_seconds: float = Field(default=300.0, gt=0, le=86_400)
    # How often the worker looks for SMS work when idle, and how many bot turns it runs at once.
    sms_poll_seconds: float = Field(default=0.25, gt=0, le=60)
    sms_turn_concurrency: int = Field(default=4, ge=1, le=64)
    # Issue 15 (faults): attempts at one inbound SMS's turn before it becomes a dead letter (an error other
    # than the bot being down: a body that no longer opens, a failed turn); readiness is degraded (503)
    # past these: inbound waiting, the oldest waiting inbound's age, the oldest due outbox SMS's lag, and
    # dead letters (0 turns a check off).
    sms_turn_max_attempts: int = Field(default=5, ge=1, le=50)
    # How long a worker holds a claimed SMS (a turn or a send) before another worker may take it over: a
    # killed worker's messages wait this long. Keep it above RASA_TIMEOUT_SECONDS.
    sms_lease_seconds: float = Field(default=120.0, ge=5, le=3600)
    ready_max_inbound_waiting: int = Field(default=500, ge=0)
    ready_max_inbound_age_seconds: float = Field(default=600.0, ge=0)
    ready_max_outbox_lag_seconds: float = Field(default=600.0, ge=0)
    ready_max_dead_letters: int = Field(default=0, ge=0)
    # SQLite's `synchronous` for the embedded default: FULL (every commit reaches the disk before Twilio or
    # a client is told "stored") or NORMAL (faster; a power cut may lose the last commits).
    sqlite_synchronous: str = Field(default="FULL", pattern=r"^(FULL|NORMAL)$")

    # Quick exit ("Exit this page" on the web chat) replaces the page with this neutral site, in the same tab.
    quick_exit_url: str = Field(default="https://www.bbc.co.uk/weather", pattern=r"^https?://[^\s\"'<>]+$")
    # When caseworkers are on duty (Europe/London; see api/kit/calendar.py for the format). In hours the bot
    # offers a call-back; out of hours it says when the service opens again. Deadlines do not depend on it.
    opening_hours: str = "Mon-Fri 09:00-17:00"
    closed_on_bank_holidays: bool = True
    closed_dates: str = ""
    # A call-back is offered only when at least this long is left before closing; later times are offered
    # in blocks of this many minutes.
    callback_min_minutes: int = Field(default=30, ge=5, le=240)
    callback_window_minutes: int = Field(default=120, ge=30, le=480)

    # Rasa's tracker store, as the bot reads it (bot/endpoints.yml): the api deletes an ended conversation's
    # events there. HOST may be a whole URL (postgresql://user:password@host/db) instead of DIALECT and DB.
    rasa_tracker_dialect: str = "sqlite"
    rasa_tracker_host: str = ""
    rasa_tracker_db: str = "data/rasa-tracker.db"

    # Retention (api/retention/policy.py): how long each kind of record is kept. The privacy notice the bot
    # shows is rendered from these same values, so changing one changes what people are told.
    # A conversation that made no referral: its rows and transcript go this long after its last message.
    retention_conversation_hours: int = Field(default=24, ge=1, le=24 * 30)
    # The Rasa transcript of a conversation that made a referral: gone this long after hand-off or idle.
    retention_transcript_minutes: int = Field(default=60, ge=5, le=24 * 60)
    # An SMS conversation has no end: its bot session (the transcript) ends after this much inactivity.
    retention_sms_session_minutes: int = Field(default=120, ge=5, le=24 * 60)
    # A referral no service took up (never accepted): months from receipt.
    retention_not_taken_up_months: int = Field(default=6, ge=1, le=120)
    # Hate crime cases taken up: years from receipt (the hate crime service's DPIA).
    retention_hate_crime_years: int = Field(default=7, ge=1, le=20)
    # Victim Support services (ASB and mediation, DA victim, DA perpetrator): years from the case's closure.
    retention_case_years: int = Field(default=6, ge=1, le=20)
    # Children's front door: years from closure. A DEFAULT THE CONTROLLER MUST CONFIRM (README, Retention).
    retention_children_years: int = Field(default=6, ge=1, le=30)
    # Signposted cases (outcome signposted, or the signposting queue): months from receipt. A DEFAULT THE
    # CONTROLLER MUST CONFIRM (README, Retention).
    retention_signposting_months: int = Field(default=6, ge=1, le=120)
    # A case whose consent was withdrawn: days from the withdrawal (time to finish the withdrawal's cascade
    # and answer a complaint), then deleted.
    retention_withdrawn_days: int = Field(default=30, ge=0, le=365)
    # SMS delivery metadata (inbound message ids, outbound states): days after the last status.
    retention_sms_metadata_days: int = Field(default=3, ge=1, le=90)
    # Idempotency records (a retried POST's stored answer): hours after the first request.
    retention_idempotency_hours: int = Field(default=24, ge=1, le=24 * 14)
    # A call-back window the person chose: days after the window ends.
    retention_callback_days: int = Field(default=1, ge=0, le=90)
    # How often the worker runs disposal, and how many records each short transaction removes.
    retention_run_minutes: float = Field(default=15.0, gt=0, le=24 * 60)
    retention_batch_size: int = Field(default=100, ge=1, le=5000)

    # Signed-in browser sessions (api/web/sessions.py, kept in the database): the console's idle limit and
    # absolute lifetime, and the agency form's.
    console_idle_minutes: int = Field(default=20, ge=1, le=240)
    console_session_hours: float = Field(default=10.0, gt=0, le=24)
    agency_form_idle_minutes: int = Field(default=30, ge=1, le=240)
    agency_form_session_hours: float = Field(default=8.0, gt=0, le=24)

    @field_validator(
        "rate_limit_chat_start",
        "rate_limit_form",
        "rate_limit_sign_in",
        "rate_limit_chat_turn",
        "rate_limit_sms_inbound",
        "rate_limit_sms_notice",
        "rate_limit_sms_outbound",
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            if not parse_many(value):
                raise ValueError("empty")
        except ValueError as exc:
            raise ValueError("a rate limit is a count per window, e.g. 10/minute;60/hour") from exc
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)  # ValueError names the bad entry
        return value

    @field_validator("rate_limit_storage_url")
    @classmethod
    def _rate_limit_storage(cls, value: str) -> str:
        if value.strip() and not value.startswith(("redis://", "rediss://", "redis+", "async+")):
            raise ValueError("RATE_LIMIT_STORAGE_URL is empty (in-process) or a redis:// URL")
        return value

    @field_validator("api_docs_enabled", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.app_env in (Environment.development, Environment.test):
            return self
        problems = [
            problem
            for problem in (
                _secret_problem("BOT_SERVICE_TOKEN", self.bot_service_token.get_secret_value()),
                _secret_problem("BLIND_INDEX_KEY", self.blind_index_key.get_secret_value()),
                _secret_problem("TWILIO_AUTH_TOKEN", self.twilio_auth_token.get_secret_value()),
                _encryption_keys_problem(self.encryption_keys.get_secret_value()),
                None
                if len(self.twilio_auth_tokens()) < 2
                else _secret_problem("TWILIO_AUTH_TOKEN_SECONDARY", self.twilio_auth_tokens()[1]),
            )
            if problem is not None
        ]
        if not re.fullmatch(r"AC[0-9a-fA-F]{32}", self.twilio_account_sid):
            problems.append("TWILIO_ACCOUNT_SID is not a Twilio account SID (AC and 32 hex digits)")
        if self.twilio_from_number.startswith("+447700900"):
            problems.append("TWILIO_FROM_NUMBER must be the helpline's real number (not a drama number)")
        if self.allow_fictional_phone_numbers:
            problems.append("ALLOW_FICTIONAL_PHONE_NUMBERS is for development and tests only")
        if problems:
            raise InsecureSettings(self.app_env, problems)
        return self

    @model_validator(mode="after")
    def _check_opening_hours(self) -> Settings:
        self.hours()  # a mistyped OPENING_HOURS or CLOSED_DATES stops the service at start, with the reason
        return self

    def hours(self) -> OpeningHours:
        """The opening hours, parsed once per value (`OpeningHours.from_settings` keeps them)."""
        try:
            return OpeningHours.from_settings(
                self.opening_hours, self.closed_dates, self.closed_on_bank_holidays
            )
        except OpeningHoursError as exc:
            raise ValueError(f"OPENING_HOURS / CLOSED_DATES: {exc}") from exc

    def twilio_auth_tokens(self) -> list[str]:
        """The tokens a Twilio webhook signature may be made with: the primary, then the secondary if set."""
        secondary = self.twilio_auth_token_secondary
        extra = [secondary.get_secret_value()] if secondary and secondary.get_secret_value() else []
        return [self.twilio_auth_token.get_secret_value(), *extra]

    @property
    def docs_enabled(self) -> bool:
        if self.api_docs_enabled is None:
            return self.app_env == Environment.development
        return self.api_docs_enabled

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def encryption_key_ring(self) -> list[bytes]:
        """The AEAD keys, newest first. In development a placeholder derives a fixed throwaway key."""
        return list(_key_ring(self.encryption_keys.get_secret_value()))


def _encryption_keys_problem(raw: str) -> str | None:
    """Why ENCRYPTION_KEYS is not fit for production (by name, never the value), or None."""
    if not raw.strip():
        return "ENCRYPTION_KEYS is not set"
    if any(known in raw.lower() for known in KNOWN_PLACEHOLDERS):
        return "ENCRYPTION_KEYS is a placeholder"
    try:
        ring = _key_ring(raw)
    except ValueError as exc:
        return str(exc)
    if DEVELOPMENT_KEY in ring:
        return "ENCRYPTION_KEYS holds the development key written in the source"
    return None


@lru_cache(maxsize=8)
def _key_ring(raw: str) -> tuple[bytes, ...]:
    """ENCRYPTION_KEYS parsed, once per value (a copy of the settings with other keys parses them again)."""
    if PLACEHOLDER in raw:
        return (DEVELOPMENT_KEY,)
    keys = []
    for part in raw.split(","):
        try:
            key = base64.urlsafe_b64decode(part.strip() + "=" * (-len(part.strip()) % 4))
        except (binascii.Error, ValueError) as exc:
            raise ValueError("ENCRYPTION_KEYS holds a value that is not base64") from exc
        if len(key) != 32:
            raise ValueError("each ENCRYPTION_KEYS entry must decode to 32 bytes")
        keys.append(key)
    return tuple(keys)


@lru_cache
def get_settings() -> Settings:
    return Settings()
