"""Issue 15: the SMS worker under faults. Poison rows (a body that no longer opens, a turn that raises) are
retried and then dead-lettered without stopping anyone else; dead letters are listed and retried; /readyz
and /metrics show the queues; a turn Rasa already took is recovered from its tracker, never replayed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, update

from api.__main__ import main as cli
from api.config import get_settings
from api.conversation.tracker import tracker_store_url
from api.db import create_read_sessionmaker
from api.kit.models import utcnow
from api.sms import dead_letters, outbox, turns
from api.sms.context import SmsContext
from api.sms.identity import conversation_id_for
from api.sms.models import SmsInbound, SmsOutbound
from api.sms.runner import SmsRunner
from api.sms.seen import SeenByBot, answer_in, turn_key
from tests.api.rights.helpers import audit_events, referral_row
from tests.api.sms.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    INBOUND,
    OUR_NUMBER,
    PERSON,
    ScriptedRasa,
    drain,
    inbound_params,
    inbound_rows,
    outbound_rows,
    post_signed,
    texts,
)
from tests.api.sms.test_outbox import answered, until
from tests.builders import bearer, create_principal, create_referral, referral_payload
from tools.fake_twilio import FakeTwilio

OTHER = "+447700900456"
MAX_ATTEMPTS = 3


@pytest.fixture
def ctx(ctx: SmsContext) -> SmsContext:
    ctx.settings = ctx.settings.model_copy(update={"sms_turn_max_attempts": MAX_ATTEMPTS})
    return ctx


async def spoil_body(app: FastAPI, message_sid: str) -> None:
    """The body sealed under a key that is no longer in the ring (here: its bytes altered)."""
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(SmsInbound)
            .where(SmsInbound.message_sid == message_sid)
            .values(body_sealed=b"\x01" + b"\x00" * 40)
        )


async def run_turns(ctx: SmsContext, rounds: int = 40) -> None:
    """The worker's turn loop, waiting out the (short) back-off between attempts."""
    for _ in range(rounds):
        if not await turns.answer_next(ctx):
            await asyncio.sleep(0.06)


class TestPoisonRows:
    async def test_a_body_that_no_longer_opens_is_dead_lettered_and_everyone_else_is_answered(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        await post_signed(client, INBOUND, inbound_params("first, spoiled", n=1))
        await post_signed(client, INBOUND, inbound_params("another person", n=2, sender=OTHER))
        await post_signed(client, INBOUND, inbound_params("first, later", n=3))
        [bad, *_] = await inbound_rows(app)
        await spoil_body(app, bad.message_sid)

        await run_turns(ctx)

        rows = {row.message_sid: row for row in await inbound_rows(app)}
        spoiled = rows[bad.message_sid]
        assert (spoiled.status, spoiled.attempts, spoiled.last_error) == (
            "dead",
            MAX_ATTEMPTS,
            "DecryptionError",
        )
        assert spoiled.body_sealed is not None  # kept for an admin (a key put back opens it)
        assert [r.status for r in rows.values() if r is not spoiled] == ["processed", "processed"]
        assert sorted(text for _, text in rasa.turns) == ["another person", "first, later"]

    async def test_a_turn_that_raises_is_tried_up_to_the_cap_then_dead_lettered(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        def broken(text: str) -> list[dict[str, Any]]:
            raise RuntimeError("synthetic failure inside the turn")

        rasa.reply = broken
        await post_signed(client, INBOUND, inbound_params("hello", n=1))
        await run_turns(ctx)
        [row] = await inbound_rows(app)
        assert (row.status, row.attempts, row.last_error) == ("dead", MAX_ATTEMPTS, "RuntimeError")
        assert len(rasa.turns) == MAX_ATTEMPTS  # never re-sent past the cap
        assert await turns.answer_next(ctx) is False

    async def test_an_admin_lists_and_retries_a_dead_letter(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        rasa.down = False
        rasa.reply = lambda text: (_ for _ in ()).throw(RuntimeError("down for now"))
        await post_signed(client, INBOUND, inbound_params("hello again", n=1))
        await run_turns(ctx)
        async with app.state.sessionmaker() as session:
            [letter] = await dead_letters.dead_letters(session)
        assert (letter.attempts, letter.last_error) == (MAX_ATTEMPTS, "RuntimeError")
        assert "hello" not in json.dumps(letter.__dict__)

        rasa.reply = lambda text: [{"text": "Answered after the retry."}]
        async with app.state.sessionmaker() as session, session.begin():
            assert await dead_letters.retry(session, letter.id) is True
            assert await dead_letters.retry(session, letter.id + 100) is False
        await run_turns(ctx, rounds=3)
        [row] = await inbound_rows(app)
        assert row.status == "processed"
        assert any("Answered after the retry." in t for t in await texts(app))


class TestHealth:
    async def test_readiness_is_degraded_past_a_threshold_and_names_it(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        await post_signed(client, INBOUND, inbound_params("waiting", n=1))
        await post_signed(client, INBOUND, inbound_params("waiting too", n=2, sender=OTHER))
        app.state.settings = app.state.settings.model_copy(update={"ready_max_inbound_waiting": 1})
        reply = await client.get("/readyz")
        assert reply.status_code == 503
        assert reply.json()["checks"]["sms_queues"] is False
        assert reply.json()["degraded"] == ["inbound_waiting"]

    async def test_metrics_are_admin_only_and_carry_the_queue_figures(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        rasa.reply = lambda text: (_ for _ in ()).throw(RuntimeError("poison"))
        await post_signed(client, INBOUND, inbound_params("poison", n=1))
        await run_turns(ctx)
        await post_signed(client, INBOUND, inbound_params("waiting", n=2, sender=OTHER))
        assert (await client.get("/metrics")).status_code == 401
        provider = await create_principal(app, "provider", "Synthetic provider", ["hate_crime"])
        assert (await client.get("/metrics", headers=bearer(provider))).status_code == 403
        admin = await create_principal(app, "admin", "Synthetic admin")
        reply = await client.get("/metrics", headers=bearer(admin))
        assert reply.status_code == 200
        figures = {
            line.split()[0]: float(line.split()[1])
            for line in reply.text.splitlines()
            if line and not line.startswith("#")
        }
        assert figures["sms_inbound_dead_letters"] == 1
        assert figures["sms_inbound_waiting"] == 1
        assert figures["sms_inbound_oldest_age_seconds"] >= 0
        assert "sms_outbox_lag_seconds" in figures


def make_tracker(path: Path) -> None:
    """Rasa's SQL tracker store's `events` table (the columns Rasa 3.6 creates)."""
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), type_name VARCHAR(255),"
            " timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"
        )


def add_events(path: Path, sender: str, events: list[dict[str, Any]]) -> None:
    with sqlite3.connect(path) as db:
        for event in events:
            db.execute(
                "INSERT INTO events (sender_id, type_name, data) VALUES (?, ?, ?)",
                (sender, event["event"], json.dumps(event)),
            )


class TestExactlyOnceTurns:
    async def test_a_turn_rasa_took_whose_answer_was_lost_is_read_back_not_replayed(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa, tmp_path: Path
    ) -> None:
        tracker = tmp_path / "tracker.db"
        make_tracker(tracker)
        ctx.seen = SeenByBot(
            tracker_store_url(ctx.settings.model_copy(update={"rasa_tracker_db": str(tracker)}))
        )
        lose_answer = True

        async def handle(request: httpx.Request) -> httpx.Response:
            body = json.loads(request.content)
            rasa.turns.append((body["sender"], body["message"]))
            user = {"event": "user", "text": body["message"], "metadata": body["metadata"]}
            bot = {"event": "bot", "text": "How old are you?", "data": {"buttons": []}}
            add_events(tracker, body["sender"], [user, bot])  # Rasa saves the turn's tracker…
            if lose_answer:
                return httpx.Response(502)  # …and the answer never reaches the worker
            return httpx.Response(200, json=[{"text": "How old are you?"}])

        ctx.relay._client._transport = httpx.MockTransport(handle)  # type: ignore[attr-defined]
        try:
            await post_signed(client, INBOUND, inbound_params("I want to report something", n=1))
            assert await turns.answer_next(ctx) is True  # the bot took the turn; the answer was lost
            [row] = await inbound_rows(app)
            assert row.status == "received" and row.bot_asked_at is not None
            lose_answer = False
            await run_turns(ctx, rounds=5)
        finally:
            await ctx.seen.close()
        assert [text for _, text in rasa.turns] == ["I want to report something"]  # asked once
        [row] = await inbound_rows(app)
        assert row.status == "processed"
        assert any("How old are you?" in t for t in await texts(app))

    async def test_a_turn_rasa_never_took_is_sent_again(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa, tmp_path: Path
    ) -> None:
        tracker = tmp_path / "tracker.db"
        make_tracker(tracker)
        ctx.seen = SeenByBot(
            tracker_store_url(ctx.settings.model_copy(update={"rasa_tracker_db": str(tracker)}))
        )
        rasa.down = True
        try:
            await post_signed(client, INBOUND, inbound_params("hello", n=1))
            assert await turns.answer_next(ctx) is True
            rasa.down = False
            await run_turns(ctx, rounds=5)
        finally:
            await ctx.seen.close()
        assert [text for _, text in rasa.turns] == ["hello"]
        [row] = await inbound_rows(app)
        assert row.status == "processed"
        # The turn carries a key made from the MessageSid, never Twilio's id itself (the tracker's
        # retention is not the SMS metadata's).
        assert rasa.metadata[-1]["message_id"] == turn_key(row.message_sid)
        assert row.message_sid not in json.dumps(rasa.metadata)

    def test_the_answer_is_the_bot_events_between_that_message_and_the_next(self) -> None:
        def user(mid: str) -> tuple[str, str]:
            return "user", json.dumps({"event": "user", "metadata": {"message_id": mid}})

        def bot(text: str, **data: Any) -> tuple[str, str]:
            return "bot", json.dumps({"event": "bot", "text": text, "data": data})

        events = [
            user("SM1"),
            bot("one"),
            user("SM2"),
            bot("", custom={"set_language": "pl"}),
            bot("two", buttons=[{"title": "Yes", "payload": "/affirm"}]),
            user("SM3"),
            bot("three"),
        ]
        answer = answer_in(events, "SM2")
        assert answer is not None
        assert [m.text for m in answer.messages] == ["two"]
        assert answer.messages[0].buttons[0].payload == "/affirm"
        assert answer.language == "pl"
        assert answer_in(events, "SM9") is None


async def lapse_leases(app: FastAPI) -> None:
    """What a worker killed mid-send leaves: its lease runs out and another worker may claim the row."""
    past = utcnow() - timedelta(minutes=5)
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(SmsOutbound).values(lease_until=past, next_attempt_at=past))


async def send_until_settled(ctx: SmsContext, app: FastAPI) -> None:
    await until(lambda: _settled(ctx, app))


async def _settled(ctx: SmsContext, app: FastAPI) -> bool:
    await outbox.send_next(ctx)
    return all(row.state == "submitted" for row in await outbound_rows(app))


class TestExactlyOnceSends:
    async def test_an_answer_lost_after_twilio_accepted_is_reconciled_not_resent(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        await answered(client, ctx, "hello")
        fake.configure({"drop_answer_next": 1})
        assert await outbox.send_next(ctx) is True
        [row] = await outbound_rows(app)
        assert (row.state, row.twilio_sid) == ("pending", None) and row.unsure_since is not None
        await send_until_settled(ctx, app)
        [sent] = fake.sent()
        [row] = await outbound_rows(app)
        assert (row.twilio_sid, row.body_sealed, row.unsure_since) == (sent["sid"], None, None)
        assert fake.attempts == 1  # sent once, found once

    async def test_a_worker_killed_after_twilio_accepted_leaves_nothing_to_resend(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        await answered(client, ctx, "hello")
        sending = await outbox._claim(ctx, "dead-worker")
        assert isinstance(sending, outbox._Sending)
        await ctx.twilio.send(sending.to, sending.sender, sending.body, ctx.status_callback(sending.id))
        await lapse_leases(app)  # …and the worker died before recording Twilio's answer
        await send_until_settled(ctx, app)
        [sent] = fake.sent()
        [row] = await outbound_rows(app)
        assert row.twilio_sid == sent["sid"] and fake.attempts == 1

    async def test_a_worker_killed_before_twilio_got_it_sends_it_once(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        await answered(client, ctx, "hello")
        assert isinstance(await outbox._claim(ctx, "dead-worker"), outbox._Sending)
        await lapse_leases(app)
        await send_until_settled(ctx, app)
        [sent] = fake.sent()
        [row] = await outbound_rows(app)
        assert row.twilio_sid == sent["sid"] and fake.attempts == 1

    async def test_the_same_words_sent_earlier_are_not_taken_for_this_sms(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        rasa_words = "Sorry, I did not understand."
        ctx.relay._client._transport = httpx.MockTransport(  # type: ignore[attr-defined]
            lambda request: httpx.Response(200, json=[{"text": rasa_words}])
        )
        await answered(client, ctx, "one")
        await send_until_settled(ctx, app)  # the first reply, recorded
        await post_signed(client, INBOUND, inbound_params("two", n=2))
        await drain(ctx, sends=False)
        assert isinstance(await outbox._claim(ctx, "dead-worker"), outbox._Sending)
        await lapse_leases(app)  # died before Twilio got it; the same words are in Twilio's list already
        await send_until_settled(ctx, app)
        first, second = await outbound_rows(app)
        assert len(fake.sent()) == 2 and first.twilio_sid != second.twilio_sid

    async def test_twilio_unreachable_means_nothing_is_sent_yet(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        await answered(client, ctx, "hello")
        assert isinstance(await outbox._claim(ctx, "dead-worker"), outbox._Sending)
        await lapse_leases(app)
        url = str(ctx.twilio._client.base_url)  # type: ignore[attr-defined]
        ctx.twilio._client.base_url = "http://127.0.0.1:9"  # type: ignore[attr-defined]
        assert await outbox.send_next(ctx) is True
        [row] = await outbound_rows(app)
        assert row.state == "pending" and row.unsure_since is not None and fake.attempts == 0
        ctx.twilio._client.base_url = url  # type: ignore[attr-defined]
        await lapse_leases(app)
        await send_until_settled(ctx, app)
        assert len(fake.sent()) == 1


class TestFakeTwilioLists:
    async def test_list_and_fetch_as_twilio_does(
        self, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        url, _fake = fake_twilio
        for to, body in ((PERSON, "a"), (OTHER, "b"), (PERSON, "c")):
            await ctx.twilio.send(to, OUR_NUMBER, body, "")
        base = f"{url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages"
        async with httpx.AsyncClient(auth=(ACCOUNT_SID, AUTH_TOKEN)) as http:
            listed = (await http.get(f"{base}.json", params={"To": PERSON, "PageSize": "5"})).json()
            assert [m["body"] for m in listed["messages"]] == ["c", "a"]  # newest first
            assert listed["page_size"] == 5 and "status_callback" not in listed["messages"][0]
            today = time.strftime("%Y-%m-%d", time.gmtime())
            assert len((await http.get(f"{base}.json", params={"DateSent": today})).json()["messages"]) == 3
            assert (await http.get(f"{base}.json", params={"DateSent>": "2999-01-01"})).json()[
                "messages"
            ] == []
            sid = listed["messages"][0]["sid"]
            assert (await http.get(f"{base}/{sid}.json")).json()["body"] == "c"
            assert (await http.get(f"{base}/SM{'0' * 32}.json")).status_code == 404
        async with httpx.AsyncClient() as anonymous:
            assert (await anonymous.get(f"{base}.json")).status_code == 401


class TestDangerMarksUrgentDurably:
    async def test_a_danger_sms_makes_the_texters_open_case_urgent_in_the_webhooks_transaction(
        self, client: httpx.AsyncClient, app: FastAPI, bot_headers: dict[str, str]
    ) -> None:
        conversation = conversation_id_for(app.state.vault, PERSON)
        mine = await create_referral(client, bot_headers, referral_payload(conversation_id=conversation))
        theirs = await create_referral(client, bot_headers, referral_payload())
        await post_signed(client, INBOUND, inbound_params("hello again", n=1))
        assert (await referral_row(app, mine["reference"])).priority != "emergency"  # type: ignore[union-attr]

        reply = await post_signed(client, INBOUND, inbound_params("he's here now", n=2))
        assert reply.status_code == 200  # no worker, no bot: the webhook alone made it urgent
        row = await referral_row(app, mine["reference"])
        assert row is not None and (row.priority, row.emergency) == ("emergency", True)
        other = await referral_row(app, theirs["reference"])
        assert other is not None and other.priority != "emergency"
        # A re-delivery of the same message changes nothing more (idempotent, audited once).
        await post_signed(client, INBOUND, inbound_params("he's here now", n=2))
        events = [e for e in await audit_events(app) if e.action == "referral.urgent"]
        assert len(events) == 1


class TestIdleWorker:
    async def test_an_idle_worker_polls_without_the_write_lock(self, app: FastAPI, ctx: SmsContext) -> None:
        engine = app.state.engine
        begins: list[str] = []

        polled = asyncio.Event()
        loop = asyncio.get_running_loop()

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.startswith("BEGIN"):
                begins.append(statement)
                if begins.count("BEGIN") >= 10:
                    loop.call_soon_threadsafe(polled.set)

        event.listen(engine.sync_engine, "before_cursor_execute", record)
        ctx.read_sessionmaker = create_read_sessionmaker(engine)
        ctx.settings = ctx.settings.model_copy(update={"sms_poll_seconds": 0.02, "sms_turn_concurrency": 2})
        stopping = asyncio.Event()
        try:
            task = asyncio.create_task(SmsRunner(ctx).run(stopping))
            # Until ten idle polls have been seen (0.2 s when the machine is free; a fixed 0.8 s saw none once
            # on a loaded 2-core run), at most 10 s.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(polled.wait(), timeout=10)
            stopping.set()
            await task
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)
        writes = begins.count("BEGIN IMMEDIATE")
        reads = begins.count("BEGIN")
        assert writes <= 3  # each loop's first look is a claim; after that, idle polls only read
        assert reads >= 10


class TestDeadLetterCommands:
    async def test_list_and_retry_through_the_cli(
        self,
        client: httpx.AsyncClient,
        app: FastAPI,
        ctx: SmsContext,
        rasa: ScriptedRasa,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        await post_signed(client, INBOUND, inbound_params("a private synthetic message", n=1))
        [row] = await inbound_rows(app)
        await spoil_body(app, row.message_sid)
        await run_turns(ctx)
        monkeypatch.setenv("DATABASE_URL", ctx.settings.database_url)
        monkeypatch.setenv("APP_ENV", "test")
        get_settings.cache_clear()
        assert await asyncio.to_thread(cli, ["sms", "dead-letters", "list"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert [(d["id"], d["last_error"]) for d in listed] == [(row.id, "DecryptionError")]
        assert "private" not in json.dumps(listed)
        assert await asyncio.to_thread(cli, ["sms", "dead-letters", "retry", str(row.id)]) == 0
        assert await asyncio.to_thread(cli, ["sms", "dead-letters", "retry", str(row.id)]) == 1
        [row] = await inbound_rows(app)
        assert (row.status, row.attempts) == ("received", 0)
