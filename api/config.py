"""Settings: one object, read from the environment (and `.env` when present).

Secrets are `SecretStr`. Outside development and test, a placeholder secret is refused at start-up, so a
production instance can never run with the values documented in `.env.example`.
"""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.kit.calendar import OpeningHours, OpeningHoursError

PLACEHOLDER = "change-me"
REPO_ROOT = Path(__file__).resolve().parent.parent


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    app_env: Environment = Environment.development
    database_url: str = "sqlite+aiosqlite:///data/api.db"
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_seconds: float = 30.0
    public_base_url: str = "http://127.0.0.1:8000"
    locales_dir: Path = REPO_ROOT / "locales"
    default_locale: str = "en"
    log_level: str = "INFO"
    # The largest request body any route reads (the police feed upload has its own 10 MB): refused with 413
    # before it is read, so no request can make the api hold more than this in memory.
    max_request_bytes: int = Field(default=256 * 1024, ge=4 * 1024, le=16 * 1024 * 1024)

    # The bot (Rasa's NLG calls and the action server) authenticates with this shared service token.
    bot_service_token: SecretStr = SecretStr(PLACEHOLDER)
    # AEAD key ring for personal fields: comma-separated urlsafe-base64 32-byte keys, newest first.
    encryption_keys: SecretStr = SecretStr(PLACEHOLDER)
    # Key for the keyed hashes (blind indexes) used to find phone numbers and e-mail addresses.
    blind_index_key: SecretStr = SecretStr(PLACEHOLDER)

    # Accept Ofcom's drama ranges (07700 900xxx…) as phone numbers: synthetic data for dev and tests only.
    allow_fictional_phone_numbers: bool = False

    queue_lease_seconds: int = Field(default=900, ge=30, le=86_400)
    worker_poll_seconds: float = Field(default=2.0, gt=0)

    # The SMS helpline (api/sms). The account SID and auth token are Twilio's; the auth token also signs
    # Twilio's webhooks. TWILIO_API_BASE_URL is Twilio's REST API, or the local fake in development and tests.
    twilio_account_sid: str = PLACEHOLDER
    twilio_auth_token: SecretStr = SecretStr(PLACEHOLDER)
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
    retention_batch_size: int = Field(default=200, ge=1, le=5000)

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.app_env in (Environment.development, Environment.test):
            return self
        for name in ("bot_service_token", "encryption_keys", "blind_index_key", "twilio_auth_token"):
            value: SecretStr = getattr(self, name)
            raw = value.get_secret_value()
            if not raw or PLACEHOLDER in raw:
                raise ValueError(f"{name.upper()} must be set to a real secret when APP_ENV={self.app_env}")
        if PLACEHOLDER in self.twilio_account_sid:
            raise ValueError(f"TWILIO_ACCOUNT_SID must be set when APP_ENV={self.app_env}")
        if self.twilio_from_number.startswith("+447700900"):
            raise ValueError("TWILIO_FROM_NUMBER must be the helpline's real number (not a drama number)")
        if len(self.bot_service_token.get_secret_value()) < 32:
            raise ValueError("BOT_SERVICE_TOKEN must be at least 32 characters")
        if self.allow_fictional_phone_numbers:
            raise ValueError("ALLOW_FICTIONAL_PHONE_NUMBERS is for development and tests only")
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

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def encryption_key_ring(self) -> list[bytes]:
        """The AEAD keys, newest first. In development a placeholder derives a fixed throwaway key."""
        return list(_key_ring(self.encryption_keys.get_secret_value()))


@lru_cache(maxsize=8)
def _key_ring(raw: str) -> tuple[bytes, ...]:
    """ENCRYPTION_KEYS parsed, once per value (a copy of the settings with other keys parses them again)."""
    if PLACEHOLDER in raw:
        return (b"development-only-key-not-secret!"[:32].ljust(32, b"0"),)
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
