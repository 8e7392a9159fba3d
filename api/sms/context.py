"""What the worker's SMS steps (api/sms/turns.py, api/sms/outbox.py) run with."""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.config import Settings
from api.conversation.gateway import Gateway
from api.conversation.relay import RasaRelay
from api.i18n import Translator
from api.kit.crypto import Vault
from api.kit.models import utcnow
from api.ratelimit import RateLimiter
from api.sms.seen import SeenByBot
from api.sms.twilio import TwilioClient

STATUS_PATH = "/v1/channels/sms/status"


@dataclass
class SmsContext:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    vault: Vault
    translator: Translator
    relay: RasaRelay
    gateway: Gateway
    twilio: TwilioClient
    # Rasa's tracker store, asked before a turn that was sent to the bot is replayed (api/sms/seen.py).
    seen: SeenByBot | None = None
    # Sessions that only read (api/db.py, deferred on SQLite): the idle look for due work takes no lock.
    read_sessionmaker: async_sessionmaker[AsyncSession] | None = None
    # The outbox's per-number send limit (Rule.sms_outbound, RATE_LIMIT_SMS_OUTBOUND); None: unlimited.
    limiter: RateLimiter | None = None

    async def due(self, check: Callable[[AsyncSession, datetime], Awaitable[bool]]) -> bool:
        """Whether `check` finds work now, asked in a read-only transaction (no write lock)."""
        async with (self.read_sessionmaker or self.sessionmaker)() as session, session.begin():
            return await check(session, utcnow())

    @property
    def lease(self) -> timedelta:
        """How long a worker holds a claimed message before another may take it over (SMS_LEASE_SECONDS).
        It must outlast a bot turn (RASA_TIMEOUT_SECONDS), or a slow turn's message is taken over."""
        return timedelta(seconds=self.settings.sms_lease_seconds)

    def backoff(self, attempts: int) -> timedelta:
        """Exponential back-off after the `attempts`-th failure: base, 2×base, 4×base… capped, with jitter."""
        base = self.settings.sms_retry_base_seconds * 2 ** max(attempts - 1, 0)
        delay = min(self.settings.sms_retry_max_seconds, base)
        return timedelta(seconds=delay * random.uniform(1.0, 1.1))  # noqa: S311 — spreading, not secrecy

    def status_callback(self, outbound_id: uuid.UUID) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}{STATUS_PATH}?m={outbound_id}"
