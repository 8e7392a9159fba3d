"""The SMS helpline's part of the worker: bot turns for inbound messages, and the outbox's sender.

`SMS_TURN_CONCURRENCY` tasks answer messages (different conversations at once, each conversation in
order); one task sends, paced per sender number. Each task looks for work again at once after doing some,
and every `SMS_POLL_SECONDS` when idle. Errors are logged (type only) and the task carries on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.config import Settings
from api.conversation.gateway import Gateway
from api.conversation.relay import RasaRelay
from api.conversation.tracker import tracker_store_url
from api.i18n import Translator
from api.kit.crypto import Vault
from api.ratelimit import RateLimiter, Rule
from api.sms import outbox, repository, turns
from api.sms.context import SmsContext
from api.sms.seen import SeenByBot
from api.sms.twilio import TwilioClient

logger = logging.getLogger("api.sms")


class SmsRunner:
    def __init__(self, context: SmsContext) -> None:
        self.context = context

    @classmethod
    def create(
        cls,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        read_sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    ) -> SmsRunner:
        translator = Translator(settings.locales_dir, settings.default_locale)
        return cls(
            SmsContext(
                settings=settings,
                sessionmaker=sessionmaker,
                vault=Vault(
                    settings.encryption_key_ring(), settings.blind_index_key.get_secret_value().encode()
                ),
                translator=translator,
                relay=RasaRelay(settings.rasa_url, settings.rasa_timeout_seconds),
                gateway=Gateway.from_settings(settings, translator),
                twilio=TwilioClient(
                    settings.twilio_api_base_url,
                    settings.twilio_account_sid,
                    settings.twilio_auth_token.get_secret_value(),
                    settings.twilio_timeout_seconds,
                ),
                seen=SeenByBot(tracker_store_url(settings)),
                read_sessionmaker=read_sessionmaker,
                limiter=RateLimiter.from_settings(
                    settings.rate_limit_storage_url, {Rule.sms_outbound: settings.rate_limit_sms_outbound}
                ),
            )
        )

    async def close(self) -> None:
        await self.context.relay.close()
        await self.context.twilio.close()
        if self.context.seen is not None:
            await self.context.seen.close()

    async def run(self, stopping: asyncio.Event) -> None:
        jobs = [
            *(
                self._loop("sms turn", turns.answer_next, repository.inbound_due, stopping)
                for _ in range(self.context.settings.sms_turn_concurrency)
            ),
            self._loop("sms send", outbox.send_next, repository.outbound_due, stopping),
        ]
        await asyncio.gather(*jobs)

    async def _loop(
        self,
        name: str,
        step: Callable[[SmsContext], Awaitable[bool]],
        due: Callable[[AsyncSession, datetime], Awaitable[bool]],
        stopping: asyncio.Event,
    ) -> None:
        """Run `step` while it finds work; when idle, poll with `due` in a read-only transaction (no write
        lock on SQLite) and claim (a writing transaction) only when it says there is work."""
        poll = self.context.settings.sms_poll_seconds
        busy = True
        while not stopping.is_set():
            try:
                if busy or await self.context.due(due):
                    busy = await step(self.context)
            except Exception as exc:
                logger.error(f"{name} failed", extra={"error_type": type(exc).__name__})
                busy = False
            if not busy:
                try:
                    await asyncio.wait_for(stopping.wait(), timeout=poll)
                except TimeoutError:
                    pass
