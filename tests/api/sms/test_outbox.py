"""The outbox: sending through the (fake) Twilio REST API, pacing, back-off, the safe-contact plan, opt-out,
consent withdrawal, and status callbacks merged in any order."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from api.consent.models import ConsentReceipt
from api.intake.service import cancel_pending_outbound_messages
from api.kit.models import utcnow
from api.referral.models import Referral
from api.referral.service import answers_aad, decision_aad, new_reference, person_aad, triage_input_aad
from api.sms import outbox
from api.sms.context import SmsContext
from api.sms.identity import conversation_id_for, phone_index_for
from api.sms.models import SmsContact
from api.sms.schemas import STATUS_RANK, merge_status
from tests.api.sms.conftest import (
    INBOUND,
    OUR_NUMBER,
    PERSON,
    PUBLIC,
    STATUS,
    ScriptedRasa,
    drain,
    inbound_params,
    outbound_rows,
    post_signed,
)
from tools.fake_twilio import FakeTwilio

TWILIO_ORDER = ["queued", "sending", "sent", "delivered"]


async def add_referral(
    app: FastAPI, *, sms_safe: bool, number: str = PERSON, age: timedelta = timedelta()
) -> Referral:
    """A referral holding the person's safe-contact answer, found by the phone blind index (synthetic)."""
    vault = app.state.vault
    referral_id = uuid.uuid4()
    created = utcnow() - age
    async with app.state.sessionmaker() as session, session.begin():
        receipt = ConsentReceipt(
            kind="grant", lawful_basis="consent", purposes=["store_and_process", "share_with_provider"],
            wording_versions=[], language="en", channel="sms", given_by="person", given_at=created,
            conversation_id=conversation_id_for(vault, number),
        )  # fmt: skip
        session.add(receipt)
        await session.flush()
        referral = Referral(
            id=referral_id, reference=new_reference(), source="sms", language="en",
            conversation_id=conversation_id_for(vault, number), consent_receipt_id=receipt.id,
            person_sealed=vault.cipher.seal_json(
                {"phone": number, "sms_safe": sms_safe}, person_aad(referral_id)
            ),
            answers_sealed=vault.cipher.seal_json({}, answers_aad(referral_id)),
            phone_index=phone_index_for(vault, number), rules_version="test",
            triage_input_sealed=vault.cipher.seal_json({}, triage_input_aad(referral_id)),
            decision_sealed=vault.cipher.seal_json({}, decision_aad(referral_id)), flags=[],
            outcome="referred", priority="normal", received_at=created, created_at=created,
        )  # fmt: skip
        session.add(referral)
    return referral


async def answered(client: httpx.AsyncClient, ctx: SmsContext, *bodies: str) -> None:
    for n, body in enumerate(bodies, start=1):
        await post_signed(client, INBOUND, inbound_params(body, n=n))
    await drain(ctx, sends=False)


async def until(predicate: Callable[[], Awaitable[bool]], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


class TestSending:
    async def test_a_reply_reaches_twilio_with_a_status_callback_and_its_statuses_are_merged(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        await answered(client, ctx, "hello")
        assert await outbox.send_next(ctx) is True
        [sent] = fake.sent()
        assert (sent["to"], sent["from"]) == (PERSON, OUR_NUMBER)
        assert sent["body"]
        [row] = await outbound_rows(app)
        assert sent["status_callback"] == f"{PUBLIC}{STATUS}?m={row.id}"
        assert (row.state, row.twilio_sid, row.body_sealed) == ("submitted", sent["sid"], None)
        # The fake calls back (signed) to PUBLIC; deliver its callbacks to our app as Twilio would.
        for status in ("sent", "delivered"):
            params = {"MessageSid": sent["sid"], "MessageStatus": status, "AccountSid": fake.account_sid}
            response = await post_signed(client, f"{STATUS}?m={row.id}", params)
            assert response.status_code == 204
        [row] = await outbound_rows(app)
        assert row.delivery_status == "delivered"

    async def test_sends_are_paced_per_sender_number(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        ctx.settings = ctx.settings.model_copy(update={"sms_send_per_second": 5.0})
        others = ["+447700900401", "+447700900402", "+447700900403", "+447700900404"]
        for n, number in enumerate(others, start=1):
            await post_signed(client, INBOUND, inbound_params("hello", n=n, sender=number))
        await drain(ctx, sends=False)
        await drain(ctx, turns=False)
        times = sorted(m["received_at"] for m in fake.sent())
        assert len(times) == 4
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        # 5 per second: slots 0.2 s apart; each request's own latency shifts single gaps a little.
        assert times[-1] - times[0] >= 3 * 0.2 - 0.05
        assert min(gaps) >= 0.1

    async def test_429_is_retried_with_exponential_back_off(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        fake.configure({"throttle_next": 2})
        ctx.settings = ctx.settings.model_copy(
            update={"sms_retry_base_seconds": 0.3, "sms_retry_max_seconds": 1}
        )
        await answered(client, ctx, "hello")
        assert await outbox.send_next(ctx) is True
        [row] = await outbound_rows(app)
        assert (row.state, row.attempts) == ("pending", 1)
        first_wait = row.next_attempt_at - row.updated_at
        assert await outbox.send_next(ctx) is False  # not due yet

        async def submitted() -> bool:
            await outbox.send_next(ctx)
            return (await outbound_rows(app))[0].state == "submitted"

        await until(submitted)
        [row] = await outbound_rows(app)
        assert row.attempts == 3 and fake.attempts == 3 and len(fake.sent()) == 1
        assert first_wait >= timedelta(seconds=ctx.settings.sms_retry_base_seconds)

    def test_the_back_off_doubles_up_to_its_cap(self, ctx: SmsContext) -> None:
        base, cap = ctx.settings.sms_retry_base_seconds, ctx.settings.sms_retry_max_seconds
        delays = [ctx.backoff(n).total_seconds() for n in range(1, 8)]
        assert delays[0] >= base and delays[1] >= 2 * base
        assert all(d <= cap * 1.1 for d in delays)

    async def test_after_the_last_attempt_the_message_is_failed(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        fake.configure({"throttle_next": 100})
        await answered(client, ctx, "hello")

        async def failed() -> bool:
            await outbox.send_next(ctx)
            return (await outbound_rows(app))[0].state == "failed"

        await until(failed)
        [row] = await outbound_rows(app)
        assert (row.attempts, row.reason, row.body_sealed) == (
            ctx.settings.sms_send_max_attempts,
            "attempts_exhausted",
            None,
        )

    async def test_an_unsubscribed_number_fails_at_once_and_is_marked_opted_out(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        fake.configure({"opted_out": [PERSON]})
        await answered(client, ctx, "hello")
        await outbox.send_next(ctx)
        [row] = await outbound_rows(app)
        assert (row.state, row.reason, row.attempts) == ("failed", "twilio_21610", 1)
        async with app.state.sessionmaker() as session:
            contact = await session.scalar(select(SmsContact))
        assert contact is not None and contact.opted_out is True

    async def test_replies_of_one_conversation_go_in_order(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa,
        fake_twilio: tuple[str, FakeTwilio],
    ) -> None:  # fmt: skip
        _, fake = fake_twilio
        rasa.reply = lambda text: [{"text": f"Reply to {text}. " + "More words here. " * 40}]
        fake.configure({"throttle_next": 1})  # the first send is refused once: the rest must wait for it
        await answered(client, ctx, "one", "two", "three")

        async def all_sent() -> bool:
            await outbox.send_next(ctx)
            return all(r.state == "submitted" for r in await outbound_rows(app))

        await until(all_sent)
        bodies = [m["body"] for m in fake.sent()]
        firsts = [
            next(i for i, b in enumerate(bodies) if f"Reply to {w}." in b) for w in ("one", "two", "three")
        ]
        assert firsts == sorted(firsts)
        assert len(bodies) == len(await outbound_rows(app))


class TestSafeContactPlan:
    async def test_a_number_marked_unsafe_to_text_gets_nothing(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        await add_referral(app, sms_safe=False)
        await answered(client, ctx, "hello")
        await drain(ctx, turns=False)
        assert fake.sent() == [] and fake.attempts == 0
        rows = await outbound_rows(app)
        assert rows and all(
            (r.state, r.reason, r.body_sealed) == ("suppressed", "do_not_text", None) for r in rows
        )

    async def test_the_newest_answer_decides(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        await add_referral(app, sms_safe=False, age=timedelta(days=3))
        await add_referral(app, sms_safe=True)
        await answered(client, ctx, "hello")
        await drain(ctx, turns=False)
        assert len(fake.sent()) == len(await outbound_rows(app)) >= 1

    async def test_another_numbers_plan_does_not_apply(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        await add_referral(app, sms_safe=False, number="+447700900999")
        await answered(client, ctx, "hello")
        await drain(ctx, turns=False)
        assert len(fake.sent()) >= 1

    async def test_after_stop_nothing_is_sent(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        await post_signed(client, INBOUND, inbound_params("STOP", n=1, OptOutType="STOP"))
        await drain(ctx)
        assert fake.attempts == 0
        assert all(r.reason == "opted_out" for r in await outbound_rows(app))

    async def test_withdrawing_consent_cancels_what_is_not_sent(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        referral = await add_referral(app, sms_safe=True)
        await answered(client, ctx, "hello")
        async with app.state.sessionmaker() as session, session.begin():
            assert await cancel_pending_outbound_messages(session, referral) >= 1
        await drain(ctx, turns=False)
        assert fake.attempts == 0
        assert all((r.state, r.body_sealed) == ("cancelled", None) for r in await outbound_rows(app))


class TestStatusMerge:
    @given(st.permutations(TWILIO_ORDER))
    def test_any_order_of_callbacks_ends_at_the_highest_status(self, order: list[str]) -> None:
        current: str | None = None
        for status in order:
            current = merge_status(current, status)
        assert current == "delivered"

    @given(st.lists(st.sampled_from(sorted(STATUS_RANK)), min_size=1, max_size=8), st.randoms())
    def test_the_merge_does_not_depend_on_order(self, statuses: list[str], random: object) -> None:
        shuffled = list(statuses)
        random.shuffle(shuffled)  # type: ignore[attr-defined]
        merged = [None, None]
        for i, sequence in enumerate((statuses, shuffled)):
            for status in sequence:
                merged[i] = merge_status(merged[i], status)
        assert merged[0] == merged[1] == max(statuses, key=STATUS_RANK.__getitem__)

    def test_a_late_sent_never_overwrites_delivered(self) -> None:
        assert merge_status("delivered", "sent") == "delivered"
        assert merge_status("undelivered", "sent") == "undelivered"

    @pytest.mark.parametrize("order", list(itertools.permutations(["sent", "delivered", "queued"])))
    async def test_callbacks_through_the_endpoint_in_every_order(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, order: tuple[str, ...],
        fake_twilio: tuple[str, FakeTwilio],
    ) -> None:  # fmt: skip
        _, fake = fake_twilio
        fake.configure({"statuses": []})  # we post the callbacks ourselves, in this order
        await answered(client, ctx, "hello")
        await outbox.send_next(ctx)
        [row] = await outbound_rows(app)
        for status in order:
            params = {"MessageSid": row.twilio_sid or "", "MessageStatus": status}
            assert (await post_signed(client, f"{STATUS}?m={row.id}", params)).status_code == 204
        [row] = await outbound_rows(app)
        assert row.delivery_status == "delivered"

    async def test_a_callback_before_the_send_is_recorded_is_kept(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext
    ) -> None:
        await answered(client, ctx, "hello")
        [row] = await outbound_rows(app)
        params = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "delivered"}
        assert (await post_signed(client, f"{STATUS}?m={row.id}", params)).status_code == 204
        [row] = await outbound_rows(app)
        assert (row.twilio_sid, row.delivery_status) == ("SM" + "b" * 32, "delivered")

    async def test_a_callback_naming_another_sid_is_ignored(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext
    ) -> None:
        await answered(client, ctx, "hello")
        await outbox.send_next(ctx)
        [row] = await outbound_rows(app)
        params = {"MessageSid": "SM" + "c" * 32, "MessageStatus": "failed"}
        assert (await post_signed(client, f"{STATUS}?m={row.id}", params)).status_code == 204
        [after] = await outbound_rows(app)
        assert after.delivery_status == row.delivery_status
