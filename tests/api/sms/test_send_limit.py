"""The outbox's per-number send limit (issue 15, spend amplification: RATE_LIMIT_SMS_OUTBOUND): over it an SMS
is put off, never dropped and never sent twice, and goes out in order when the window allows; a retry after
Twilio failed is not counted again; other numbers are not affected; the reply to a danger phrase and to
START is never held back. Through the worker's steps and the local Twilio fake."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from limits import parse_many

from api.kit.models import utcnow
from api.ratelimit import RateLimiter, Rule
from api.sms.context import SmsContext
from api.sms.models import RATE_LIMITED, OutboxState, SmsOutbound
from tests.api.sms.conftest import (
    INBOUND,
    PERSON,
    drain,
    inbound_params,
    outbound_rows,
    post_signed,
)
from tools.fake_twilio import FakeTwilio

OTHER = "+447700900456"
DANGER = "he's here now"


def limit(ctx: SmsContext, rule: str) -> None:
    ctx.limiter = RateLimiter.from_settings("", {Rule.sms_outbound: rule})


async def texted(
    client: httpx.AsyncClient, ctx: SmsContext, *bodies: str, sender: str = PERSON, first: int = 1
) -> None:
    """Texts from `sender`, each answered by the (scripted) bot: the replies wait in the outbox."""
    for n, body in enumerate(bodies, start=first):
        extra = {"OptOutType": body} if body in ("STOP", "START") else {}
        response = await post_signed(client, INBOUND, inbound_params(body, n=n, sender=sender, **extra))
        assert response.status_code == 200
    await drain(ctx, sends=False)


async def sent_all(app: FastAPI, ctx: SmsContext, seconds: float = 10.0) -> list[SmsOutbound]:
    """Run the sender until every SMS is submitted (as the worker would, polling)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await drain(ctx, turns=False)
        rows = await outbound_rows(app)
        if all(row.state == OutboxState.submitted for row in rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox was not sent in time")


class TestDefer:
    """The row's own rule: a deferral is not an attempt, and an unsure send stays unsure."""

    def test_a_deferral_gives_the_attempt_back_and_keeps_an_unsure_send_unsure(self) -> None:
        now = utcnow()
        unsure = now - timedelta(minutes=1)
        row = SmsOutbound(
            id=uuid.uuid4(), seq=1, conversation_id="s_x", sender_number="+447700900001",
            state=OutboxState.pending, attempts=0, unsure_since=unsure,
        )  # fmt: skip
        row.take("claim", now, timedelta(minutes=2))
        row.defer(now + timedelta(seconds=30), now)
        assert (row.state, row.attempts, row.reason) == (OutboxState.pending, 0, RATE_LIMITED)
        assert (row.claim, row.lease_until, row.unsure_since) == (None, None, unsure)
        assert row.next_attempt_at == now + timedelta(seconds=30)
        assert row.rate_limited and row.waits(now)
        row.take("again", now + timedelta(seconds=30), timedelta(minutes=2))
        assert (row.attempts, row.reason, row.rate_limited) == (1, None, False)


class TestSendLimit:
    async def test_over_the_limit_sms_wait_and_then_go_in_order_each_once(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        limit(ctx, "2/second")
        await texted(client, ctx, "one", "two", "three", "four", "five")
        # The limiter's window is a sliding count over whole seconds: a drain that ran across the turn of a
        # second would find part of its allowance free again. Start it at the beginning of one.
        await asyncio.sleep(1.0 - time.time() % 1.0)
        await drain(ctx, turns=False)
        assert len(fake.sent()) == 2
        rows = await outbound_rows(app)
        assert [row.state for row in rows] == ["submitted"] * 2 + ["pending"] * 3
        put_off = rows[2]
        assert (put_off.reason, put_off.attempts, put_off.body_sealed is not None) == (RATE_LIMITED, 0, True)
        assert put_off.next_attempt_at > utcnow()

        rows = await sent_all(app, ctx)
        by_sid = {row.twilio_sid: row.seq for row in rows}
        sent = fake.sent()
        assert len(sent) == 5 and len(by_sid) == 5  # nothing dropped, nothing twice
        assert [by_sid[message["sid"]] for message in sent] == sorted(by_sid.values())  # in order
        assert all(row.attempts == 1 and row.reason is None for row in rows)

    async def test_another_number_is_not_held_back(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        limit(ctx, "1/minute")
        await texted(client, ctx, "one", "two")
        await texted(client, ctx, "hello", sender=OTHER, first=10)
        await drain(ctx, turns=False)
        assert sorted(message["to"] for message in fake.sent()) == sorted([PERSON, OTHER])
        assert [row.state for row in await outbound_rows(app)].count(OutboxState.pending) == 1

    async def test_a_retry_after_twilio_failed_is_not_counted_again(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        limit(ctx, "1/minute")
        fake.configure({"throttle_next": 1})  # Twilio refuses the first attempt with 429
        await texted(client, ctx, "hello")
        [row] = await sent_all(app, ctx, seconds=5.0)  # counted once: not put off for a minute
        assert (row.attempts, fake.attempts, len(fake.sent())) == (2, 2, 1)

    async def test_a_danger_reply_goes_at_once_past_the_sms_put_off(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        limit(ctx, "1/minute")
        await texted(client, ctx, "one", "two", "three")
        await drain(ctx, turns=False)
        assert len(fake.sent()) == 1
        await texted(client, ctx, DANGER, first=4)
        await drain(ctx, turns=False)
        rows = await outbound_rows(app)
        danger = [row for row in rows if row.safety]
        assert danger and all(row.state == OutboxState.submitted for row in danger)
        assert len(fake.sent()) == 1 + len(danger)
        held = [row for row in rows if not row.safety and row.state == OutboxState.pending]
        assert len(held) == 2 and held[0].reason == RATE_LIMITED
        assert max(row.seq for row in held) < min(row.seq for row in danger)  # it passed them

    async def test_the_reply_to_start_is_never_held_back(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        limit(ctx, "1/minute")
        await texted(client, ctx, "one", "two", "START")
        await drain(ctx, turns=False)
        rows = await outbound_rows(app)
        [start] = [row for row in rows if row.safety]
        assert start.state == OutboxState.submitted
        assert len(fake.sent()) == 2

    async def test_without_a_danger_phrase_nothing_is_a_safety_sms(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext
    ) -> None:
        await texted(client, ctx, "one", "two")
        assert [row.safety for row in await outbound_rows(app)] == [False, False]


class TestTheWorkersLimiter:
    async def test_the_runner_counts_sends_by_the_setting(self, ctx: SmsContext) -> None:
        from api.sms.runner import SmsRunner

        settings = ctx.settings.model_copy(update={"rate_limit_sms_outbound": "3/minute;7/hour"})
        runner = SmsRunner.create(settings, ctx.sessionmaker)
        try:
            limiter = runner.context.limiter
            assert limiter is not None
            assert limiter.rules[Rule.sms_outbound] == parse_many("3/minute;7/hour")
            decisions = [await limiter.hit(Rule.sms_outbound, "index") for _ in range(4)]
            assert [d.allowed for d in decisions] == [True, True, True, False]
        finally:
            await runner.close()
