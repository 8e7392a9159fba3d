"""The SMS helpline's part of the worker: bot turns for inbound messages, and the outbox's sender.

`SMS_TURN_CONCURRENCY` tasks answer messages (different conversations at once, each conversation in
order); one task sends, paced per sender number. Each task looks for work again at once after doing some
(and wakes its idle peers: there may be more). When all of a kind are idle, one watcher per kind asks the
database every `SMS_POLL_SECONDS`, in a read-only transaction, whether work is due, and wakes them when it
is: an idle worker costs two small reads per poll, however many turn tasks there are. A turn that put
replies in the outbox wakes the sender at once rather than at its next poll. Errors are logged (type
only) and the task carries on.
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
        turns_due, sends_due = Work(), Work()
        jobs = [
            *(
                self._work("sms turn", turns.answer_next, turns_due, stopping, then=sends_due)
                for _ in range(self.context.settings.sms_turn_concurrency)
            ),
            self._watch("sms turn", repository.inbound_due, turns_due, stopping),
            self._work("sms send", outbox.send_next, sends_due, stopping),
            self._watch("sms send", repository.outbound_due, sends_due, stopping),
        ]
        await asyncio.gather(*jobs)

    async def _work(
        self,
        name: str,
        step: Callable[[SmsContext], Awaitable[bool]],
        work: Work,
        stopping: asyncio.Event,
        then: Work | None = None,
    ) -> None:
        """Run `step` while there may be work; `then` is told when a step did some (a turn's replies)."""
        while await work.wait(stopping):
            seen = work.version
            try:
                busy = await step(self.context)
            except Exception as exc:
                logger.error(f"{name} failed", extra={"error_type": type(exc).__name__})
                busy = False
            if busy:
                work.notify()
                if then is not None:
                    then.notify()
            else:
                work.idle_since(seen)

    async def _watch(
        self,
        name: str,
        due: Callable[[AsyncSession, datetime], Awaitable[bool]],
        work: Work,
        stopping: asyncio.Event,
    ) -> None:
        """While the workers of a kind are idle, ask `due` every poll (a read: no write lock on SQLite)."""
        poll = self.context.settings.sms_poll_seconds
        while not stopping.is_set():
            try:
                await asyncio.wait_for(stopping.wait(), timeout=poll)
            except TimeoutError:
                pass
            if stopping.is_set() or work.pending:
                continue
            try:
                if await self.context.due(due):
                    work.notify()
            except Exception as exc:
                logger.error(f"{name} look failed", extra={"error_type": type(exc).__name__})


class Work:
    """Whether a kind of work may be waiting. Set at the start (the first look is a claim), when a worker
    did some, when the watcher sees some due, or when another kind's step made some; cleared by a worker
    that found none, unless it was set again while that worker was looking (`version`)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._event.set()
        self.version = 0

    @property
    def pending(self) -> bool:
        return self._event.is_set()

    def notify(self) -> None:
        self.version += 1
        self._event.set()

    def idle_since(self, seen: int) -> None:
        if self.version == seen:
            self._event.clear()

    async def wait(self, stopping: asyncio.Event) -> bool:
        """Until there may be work (True) or the worker is stopping (False)."""
        if self._event.is_set():
            return not stopping.is_set()
        waits = [asyncio.ensure_future(self._event.wait()), asyncio.ensure_future(stopping.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
        return not stopping.is_set()
