"""The alerts' own settings (SMTP and lead times), read from the environment and `.env` like api/config.py.
Kept beside the feature so e-mail can be configured without touching the api's core settings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AlertSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Empty SMTP_HOST: alerts are shown in the console only, no e-mail is sent.
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "console-alerts@localhost"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    # How long before a call-back window opens, and before a deadline passes without first contact, the
    # team is alerted.
    alert_callback_lead_minutes: int = Field(default=15, ge=0, le=24 * 60)
    alert_deadline_lead_minutes: int = Field(default=120, ge=0, le=7 * 24 * 60)
