"""The worker's SMS tasks run together (api/sms/runner.py): a turn wakes the sender at once, idle turn tasks
share one watcher, and texts from several people are all answered, each person's in order."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from api.db import create_read_sessionmaker
from api.sms.context import SmsContext
from api.sms.runner import SmsRunner, Work
from tests.api.sms.conftest import INBOUND, PERSON, ScriptedRasa, inbound_params, post_signed
from tools.fake_twilio import FakeTwilio


@contextlib.asynccontextmanager
async def running(app: FastAPI, ctx: SmsContext, **settings: Any) -> AsyncIterator[None]:
    ctx.read_sessionmaker = create_read_sessionmaker(app.state.engine)
    ctx.settings = ctx.settings.model_copy(update=settings)
    stopping = asyncio.Event()
    task = asyncio.create_task(SmsRunner(ctx).run(stopping))
    try:
        yield
    finally:
        stopping.set()
        await asyncio.wait_for(task, timeout=10)


async def until(check: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("not in time")
        await asyncio.sleep(0.02)


class TestWork:
    async def test_a_worker_that_found_nothing_does_not_hide_work_found_meanwhile(self) -> None:
        work = Work()
        assert work.pending  # the first look is a claim
        seen = work.version
        work.notify()  # another worker did some while this one looked
        work.idle_since(seen)
        assert work.pending
        work.idle_since(work.version)
        assert not work.pending
        stopping = asyncio.Event()
        waiter = asyncio.create_task(work.wait(stopping))
        await asyncio.sleep(0.01)
        assert not waiter.done()
        work.notify()
        assert await asyncio.wait_for(waiter, timeout=1) is True
        work.idle_since(work.version)
        stopping.set()
        assert await asyncio.wait_for(work.wait(stopping), timeout=1) is False


class TestRunner:
    async def test_a_turn_wakes_the_sender_without_waiting_for_a_poll(
        self,
        client: httpx.AsyncClient,
        app: FastAPI,
        ctx: SmsContext,
        rasa: ScriptedRasa,
        fake_twilio: tuple[str, FakeTwilio],
    ) -> None:
        _, fake = fake_twilio
        rasa.delay = 0.3  # the sender's first look finds nothing: the reply is not there yet
        assert (await post_signed(client, INBOUND, inbound_params("hello", n=1))).status_code == 200
        # Polls 60 s apart: only the first looks, and the turn's own wake-up, can get the reply out in time.
        async with running(app, ctx, sms_poll_seconds=60.0, sms_turn_concurrency=2):
            await until(lambda: len(fake.sent()) == 1, seconds=8)
        [sent] = fake.sent()
        assert sent["to"] == PERSON and "Noted: 5 characters." in sent["body"]

    async def test_idle_turn_tasks_share_one_watcher(self, app: FastAPI, ctx: SmsContext) -> None:
        looks: Counter[str] = Counter()

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.startswith("SELECT EXISTS"):
                looks["inbound" if "FROM sms_inbound" in statement else "outbound"] += 1

        engine = app.state.engine
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            async with running(app, ctx, sms_poll_seconds=0.02, sms_turn_concurrency=8):
                await until(lambda: looks["outbound"] >= 15)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)
        # One look at the inbox per poll, as at the outbox, not one for each of the 8 turn tasks.
        assert looks["inbound"] <= looks["outbound"] + 3, looks

    @pytest.mark.parametrize("concurrency", [1, 4])
    async def test_everyone_is_answered_each_in_order(
        self,
        client: httpx.AsyncClient,
        app: FastAPI,
        ctx: SmsContext,
        rasa: ScriptedRasa,
        fake_twilio: tuple[str, FakeTwilio],
        concurrency: int,
    ) -> None:
        _, fake = fake_twilio
        rasa.delay = 0.05
        people = ["+447700900301", "+447700900302", "+447700900303"]
        bodies = ["one", "three", "seventeen"]  # answered "Noted: 3 / 5 / 9 characters."
        async with running(app, ctx, sms_poll_seconds=0.05, sms_turn_concurrency=concurrency):
            n = 0
            for body in bodies:
                for person in people:
                    n += 1
                    response = await post_signed(client, INBOUND, inbound_params(body, n=n, sender=person))
                    assert response.status_code == 200
                await asyncio.sleep(0.03)
            await until(lambda: len(fake.sent()) == len(people) * len(bodies))
        for person in people:
            said = [m["body"] for m in fake.sent() if m["to"] == person]
            lengths = [re.findall(r"Noted: (\d+) characters", text) for text in said]
            assert lengths == [["3"], ["5"], ["9"]], said
        assert len({m["sid"] for m in fake.sent()}) == len(people) * len(bodies)
