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

    # Quick exit ("Exit this page" on the web chat) replaces the page with this neutral site, in the same tab.
    quick_exit_url: str = Field(default="https://www.bbc.co.uk/weather", pattern=r"^https?://[^\s\"'<>]+$")
    # Rasa's tracker store, as the bot reads it (bot/endpoints.yml): the api deletes an ended conversation's
    # events there. HOST may be a whole URL (postgresql://user:password@host/db) instead of DIALECT and DB.
    rasa_tracker_dialect: str = "sqlite"
    rasa_tracker_host: str = ""
    rasa_tracker_db: str = "data/rasa-tracker.db"

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.app_env in (Environment.development, Environment.test):
            return self
        for name in ("bot_service_token", "encryption_keys", "blind_index_key"):
            value: SecretStr = getattr(self, name)
            raw = value.get_secret_value()
            if not raw or PLACEHOLDER in raw:
                raise ValueError(f"{name.upper()} must be set to a real secret when APP_ENV={self.app_env}")
        if len(self.bot_service_token.get_secret_value()) < 32:
            raise ValueError("BOT_SERVICE_TOKEN must be at least 32 characters")
        if self.allow_fictional_phone_numbers:
            raise ValueError("ALLOW_FICTIONAL_PHONE_NUMBERS is for development and tests only")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def encryption_key_ring(self) -> list[bytes]:
        """The AEAD keys, newest first. In development a placeholder derives a fixed throwaway key."""
        raw = self.encryption_keys.get_secret_value()
        if PLACEHOLDER in raw:
            return [b"development-only-key-not-secret!"[:32].ljust(32, b"0")]
        keys = []
        for part in raw.split(","):
            try:
                key = base64.urlsafe_b64decode(part.strip() + "=" * (-len(part.strip()) % 4))
            except (binascii.Error, ValueError) as exc:
                raise ValueError("ENCRYPTION_KEYS holds a value that is not base64") from exc
            if len(key) != 32:
                raise ValueError("each ENCRYPTION_KEYS entry must decode to 32 bytes")
            keys.append(key)
        return keys


@lru_cache
def get_settings() -> Settings:
    return Settings()
