"""Claims keep each conversation in order under several workers, on both databases the service supports:
SQLite (serialised by BEGIN IMMEDIATE) and PostgreSQL (FOR UPDATE SKIP LOCKED on the conversation)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from api.sms import turns
from api.sms.context import SmsContext
from api.sms.identity import conversation_id_for
from tests.api.sms.conftest import (
    INBOUND,
    PERSON,
    ScriptedRasa,
    drain,
    english,
    inbound_params,
    inbound_rows,
    outbound_rows,
    post_signed,
    texts,
)
from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql


@pytest.fixture(params=BOTH_DIALECTS)
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    yield from sqlite_or_postgresql(request, database_url)


class TestOrder:
    async def test_one_conversation_is_answered_strictly_in_order_by_concurrent_workers(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        rasa.delay = 0.02
        others = ["+447700900301", "+447700900302"]
        for n in range(1, 13):
            await post_signed(client, INBOUND, inbound_params(f"message {n}", n=n))
            await post_signed(client, INBOUND, inbound_params(f"other {n}", n=100 + n, sender=others[n % 2]))

        async def worker() -> None:
            while await turns.answer_next(ctx):
                pass

        await asyncio.gather(*(worker() for _ in range(4)))
        mine = conversation_id_for(app.state.vault, PERSON)
        seen = [text for sender, text in rasa.turns if sender == mine]
        assert seen == [f"message {n}" for n in range(1, 13)]
        assert len(rasa.turns) == 24
        replies = [r for r in await outbound_rows(app) if r.conversation_id == mine]
        assert [r.seq for r in replies] == list(range(1, 13))
        assert [r.inbound_id for r in replies] == sorted(r.inbound_id or 0 for r in replies)

    async def test_a_message_waits_while_an_earlier_one_waits_for_the_bot(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        rasa.down = True
        ctx.settings = ctx.settings.model_copy(
            update={"sms_retry_base_seconds": 0.5, "sms_retry_max_seconds": 1}
        )
        await post_signed(client, INBOUND, inbound_params("first", n=1))
        await post_signed(client, INBOUND, inbound_params("second", n=2))
        assert await turns.answer_next(ctx) is True  # deferred: the bot is down
        assert await turns.answer_next(ctx) is False  # the second may not overtake it
        assert [r.status for r in await inbound_rows(app)] == ["received", "received"]
        rasa.down = False
        await asyncio.sleep(0.6)
        await drain(ctx, sends=False)
        assert [t for _, t in rasa.turns] == ["first", "second"]

    async def test_after_every_attempt_the_person_hears_we_cannot_answer(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        rasa.down = True
        await post_signed(client, INBOUND, inbound_params("hello there", n=1))
        for _ in range(40):
            await turns.answer_next(ctx)
            if (await inbound_rows(app))[0].status == "processed":
                break
            await asyncio.sleep(0.02)
        assert (await inbound_rows(app))[0].status == "processed"
        assert english(ctx, "bot.sms.unavailable") in (await texts(app))[0]
