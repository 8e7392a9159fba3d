"""Disposal with an injected clock, on SQLite and PostgreSQL: one case of every retention class, each with
canary strings of its own; the clock steps to just before and just after every horizon, the job runs, and
the stores are scanned (SQLite: the api database file and its WAL; PostgreSQL: every table's text; the
tracker database file) for every canary. Each disappears exactly when its class says and not before; a
held case stays; the audit chain verifies; the anonymous counters do not move."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit_service
from api.audit.models import AuditEvent
from api.config import Settings
from api.conversation.models import Conversation
from api.kit.models import utcnow
from api.queue.models import QueueEntry
from api.referral.models import IdempotencyRecord, Referral
from api.referral.service import external_ref_index
from api.retention import policy
from api.retention.disposal import (
    CaseOnHold,
    Disposal,
    TrackerPurger,
    erase_referral,
    truncate_logs,
)
from api.retention.policy import Period, RetentionClass
from api.sms import outbox
from api.sms.identity import conversation_id_for
from api.sms.models import SmsContact, SmsInbound, SmsOutbound
from api.stats.models import StatsCount
from tests.builders import (
    bearer,
    create_principal,
    create_referral,
    referral_payload,
    shown_consent_versions,
)
from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql

MARGIN = timedelta(minutes=2)


@pytest.fixture(params=BOTH_DIALECTS)
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    yield from sqlite_or_postgresql(request, database_url)


def make_tracker(path: Path) -> None:
    """Rasa 3.6's SQLTrackerStore table, as the tracker purge tests lay it out."""
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
            "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"
        )


def say(path: Path, sender: str, words: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO events (sender_id, type_name, data) VALUES (?, 'user', ?)",
            (sender, f'{{"text": "{words}"}}'),
        )


def canary(name: str) -> str:
    return f"CANARY{name.upper().replace('_', '')}{uuid.uuid4().hex[:10]}"


@dataclass
class Expect:
    """A canary present until its horizon: absent from `latest` on, present before `earliest`."""

    earliest: datetime | None  # None: never goes (a held case)
    latest: datetime | None


def file_bytes(base: Path, suffixes: tuple[str, ...]) -> bytes:
    paths = [Path(str(base) + suffix) for suffix in suffixes]
    return b"".join(p.read_bytes() for p in paths if p.exists())


async def scan(app: FastAPI, settings: Settings, canaries: list[str]) -> set[str]:
    """Which canaries any byte of the stores still holds."""
    data = file_bytes(Path(settings.rasa_tracker_db), ("", "-wal", "-journal"))
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        data += file_bytes(Path(str(url.database)), ("", "-wal"))
    else:
        async with app.state.sessionmaker() as session:
            tables = list(
                await session.scalars(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
                )
            )
            for table in tables:
                query = f'SELECT string_agg(t::text, chr(10)) FROM "{table}" t'  # noqa: S608 (pg_tables names)
                rows = await session.scalar(text(query))
                data += (rows or "").encode()
    return {c for c in canaries if c.encode() in data}


async def counters(session: AsyncSession) -> list[tuple[Any, ...]]:
    rows = await session.execute(select(StatsCount).order_by(*StatsCount.__table__.primary_key.columns))
    return [tuple(getattr(r, c.name) for c in StatsCount.__table__.columns) for r in rows.scalars().all()]


class TestEveryClassAtItsHorizon:
    async def test_each_canary_goes_exactly_when_its_class_says(
        self, app: FastAPI, client: httpx.AsyncClient, settings: Settings, bot_headers: dict[str, str]
    ) -> None:
        tracker = Path(settings.rasa_tracker_db)
        make_tracker(tracker)
        expect: dict[str, Expect] = {}
        start = utcnow()

        def window(period: Period | timedelta, lo: datetime, hi: datetime | None = None) -> Expect:
            hi = hi or lo
            if isinstance(period, timedelta):
                return Expect(lo + period, hi + period)
            return Expect(period.after(lo), period.after(hi))

        # A web chat that made no referral (the tab closed without the DELETE): rows and transcript, 24 h.
        web = (await client.post("/v1/chat/conversations", json={"language": "en"})).json()["id"]
        words = canary("web_words")
        say(tracker, web, words)

        # An SMS conversation that made no referral: the transcript at session end, the rows at 24 h.
        sms = "s_" + canary("sms_conversation").lower()
        sid = "SM" + canary("sms_sid")
        sms_words = canary("sms_words")
        at = utcnow()
        async with app.state.sessionmaker() as session, session.begin():
            session.add(Conversation(id=sms, channel="sms", language="en", last_message_at=at))
            session.add(SmsContact(conversation_id=sms, phone_index="i" * 64, phone_sealed=b"sealed"))
            session.add(
                SmsInbound(
                    message_sid=sid,
                    conversation_id=sms,
                    sender_number="+447700900000",
                    status="processed",
                    processed_at=at,
                )
            )
            session.add(
                SmsOutbound(
                    seq=1,
                    conversation_id=sms,
                    sender_number="+447700900000",
                    state="submitted",
                    updated_at=at,
                )
            )
        say(tracker, sms, sms_words)
        conversation_day = policy.conversation_period(settings)
        expect[words] = window(conversation_day, start, utcnow())
        expect[web] = expect[words]
        expect[sid] = window(conversation_day, at)
        expect[sms] = expect[sid]
        expect[sms_words] = window(policy.sms_session_period(settings), at)

        # Referrals, one per class.
        async def refer(triage: dict[str, Any], conversation: str | None = None) -> dict[str, Any]:
            payload = referral_payload(triage=triage)
            if conversation:
                payload["conversation_id"] = conversation
            return await create_referral(client, bot_headers, payload)

        hate = {"incident_type": "hate", "hate_strands": ["race"], "consent": "given"}
        asb = {"incident_type": "asb", "consent": "given"}
        child = {**hate, "age_years": 10, "child_safeguarding_concern": True}
        outside = {**asb, "lives_in_area": False}

        # The web chat that made a referral: its Rasa transcript goes an hour after the hand-off.
        handed = (await client.post("/v1/chat/conversations", json={"language": "en"})).json()["id"]
        transcript = canary("transcript")
        say(tracker, handed, transcript)
        cases = {
            "not_taken_up": await refer(hate, handed),
            "hate_crime": await refer(hate),
            "victim_support": await refer(asb),
            "childrens_front_door": await refer(child),
            "signposting": await refer(outside),
            "withdrawn": await refer(hate),
            "held": await refer(hate),
        }
        assert cases["childrens_front_door"]["queue"] == "children_front_door"
        assert cases["signposting"]["outcome"] == "signposted"
        assert cases["victim_support"]["queue"] == "asb_mediation"
        withdrawal = await client.post(
            f"/v1/consents/{cases['withdrawn']['consent_receipt_id']}/withdraw",
            json={"reason": "person_request", "requested_by": "person"},
            headers=bearer(await create_principal(app, "admin", "dpo")),
        )
        assert withdrawal.status_code == 201, withdrawal.text
        admin = bearer(await create_principal(app, "admin", "records"))
        held = await client.put(
            f"/v1/admin/retention/holds/{cases['held']['reference']}",
            json={"reason": "litigation"},
            headers=admin,
        )
        assert held.status_code == 200, held.text
        assert held.json()["held"] is True
        # The crime reference is sealed (tests/api/encryption proves it is never in clear); in clear is
        # its blind index, which finds the case: that must go with the case.
        crime_ref = external_ref_index(app.state.vault, canary("crime_ref"))
        now = utcnow()
        assert now - start < MARGIN / 2
        accepted, closed = now + timedelta(hours=1), now + timedelta(days=1)
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(
                update(Referral)
                .where(Referral.reference == cases["not_taken_up"]["reference"])
                .values(external_ref_index=crime_ref)
            )
            for name in ("hate_crime", "victim_support", "childrens_front_door"):
                referral_id = select(Referral.id).where(Referral.reference == cases[name]["reference"])
                values: dict[str, Any] = {"status": "accepted", "accepted_at": accepted}
                if name != "hate_crime":
                    values.update(status="closed", closed_at=closed, outcome="supported")
                await session.execute(
                    update(QueueEntry)
                    .where(QueueEntry.referral_id.in_(referral_id), QueueEntry.is_secondary.is_(False))
                    .values(**values)
                )
                await session.execute(
                    update(QueueEntry)
                    .where(QueueEntry.referral_id.in_(referral_id), QueueEntry.is_secondary.is_(True))
                    .values(status="closed", closed_at=closed, outcome="referred_on")
                )

        expect[transcript] = window(policy.transcript_period(settings), start, now)
        period = lambda cls: policy.period(settings, cls)  # noqa: E731
        for name in ("not_taken_up", "hate_crime", "signposting", "withdrawn"):
            expect[cases[name]["reference"]] = window(period(RetentionClass(name)), start, now)
        expect[crime_ref] = expect[cases["not_taken_up"]["reference"]]
        for name in ("victim_support", "childrens_front_door"):
            expect[cases[name]["reference"]] = window(period(RetentionClass(name)), closed)
        expect[cases["held"]["reference"]] = Expect(None, None)

        disposal = Disposal(app.state.sessionmaker, settings, batch_size=2, pause_seconds=0)
        moments = sorted(
            {e.earliest - MARGIN for e in expect.values() if e.earliest}
            | {e.latest + MARGIN for e in expect.values() if e.latest}
        )
        assert len(moments) >= 14
        canaries = list(expect)
        assert await scan(app, settings, canaries) == set(canaries)  # every canary is really in a store
        wrong: list[tuple[str, str, bool]] = []
        counted: list[tuple[Any, ...]] | None = None
        try:
            for moment in moments:
                await disposal.run(moment)
                if counted is None:
                    async with app.state.sessionmaker() as session:
                        counted = await counters(session)
                found = await scan(app, settings, canaries)
                for name, e in expect.items():
                    if e.earliest is None or moment < e.earliest:
                        if name not in found:
                            wrong.append((name, f"gone too early at {moment - start}", False))
                    elif e.latest is not None and moment >= e.latest and name in found:
                        wrong.append((name, f"still there at {moment - start}", True))
        finally:
            await disposal.close()

        assert wrong == []
        async with app.state.sessionmaker() as session:
            assert (await audit_service.verify(session)).ok
            assert await counters(session) == counted
            made = {
                r[0]: r[1]
                for r in (
                    await session.execute(
                        select(StatsCount.queue, StatsCount.count).where(StatsCount.event == "made")
                    )
                ).all()
            }
            assert sum(made.values()) == len(cases)
            reasons = list(
                await session.scalars(
                    select(AuditEvent.reason).where(AuditEvent.action == "retention.dispose")
                )
            )
        assert reasons
        for reason in reasons:
            for name in canaries:
                assert name not in reason

        # Released, the held case goes at the next run.
        released = await client.post(
            f"/v1/admin/retention/holds/{cases['held']['reference']}/release",
            json={"reason": "litigation"},
            headers=admin,
        )
        assert released.status_code == 200
        await Disposal(app.state.sessionmaker, settings).run(moments[-1])
        assert await scan(app, settings, [cases["held"]["reference"]]) == set()


class TestRun:
    async def test_a_dry_run_counts_and_removes_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, settings: Settings, bot_headers: dict[str, str]
    ) -> None:
        body = await create_referral(client, bot_headers)
        later = utcnow() + timedelta(days=400)

        report = await Disposal(app.state.sessionmaker, settings).run(later, dry_run=True)

        assert report.counts["not_taken_up"]["referral"] == 1
        async with app.state.sessionmaker() as session:
            assert await session.scalar(select(Referral.id).where(Referral.reference == body["reference"]))
            assert not list(
                await session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.dispose"))
            )

    async def test_a_second_run_finds_nothing_more(
        self, app: FastAPI, client: httpx.AsyncClient, settings: Settings, bot_headers: dict[str, str]
    ) -> None:
        for _ in range(3):
            await create_referral(client, bot_headers)
        later = utcnow() + timedelta(days=400)
        first = await Disposal(app.state.sessionmaker, settings, batch_size=2).run(later)
        second = await Disposal(app.state.sessionmaker, settings, batch_size=2).run(later)

        assert first.counts["not_taken_up"]["referral"] == 3
        assert first.counts["not_taken_up"]["queue_entry"] == 3
        assert "not_taken_up" not in second.counts

    async def test_idempotency_records_go_after_their_period(
        self, app: FastAPI, client: httpx.AsyncClient, settings: Settings, bot_headers: dict[str, str]
    ) -> None:
        payload = referral_payload()
        payload["consent"]["wording_versions"] = await shown_consent_versions(client, bot_headers)
        reply = await client.post(
            "/v1/referrals", json=payload, headers={**bot_headers, "Idempotency-Key": "retention-test-key"}
        )
        assert reply.status_code == 201
        disposal = Disposal(app.state.sessionmaker, settings)
        await disposal.run(utcnow() + timedelta(hours=23))
        async with app.state.sessionmaker() as session:
            assert await session.scalar(select(IdempotencyRecord.key)) == "retention-test-key"
        await disposal.run(utcnow() + timedelta(hours=25))
        async with app.state.sessionmaker() as session:
            assert await session.scalar(select(IdempotencyRecord.key)) is None

    async def test_a_number_texted_outside_any_conversation_goes_with_its_last_message(
        self, app: FastAPI, settings: Settings
    ) -> None:
        """A one-time code to a web chat's number makes an SMS contact (the number, sealed) that no
        conversation owns: it goes once its last message has gone; a texter's contact stays with its
        conversation."""
        vault = app.state.vault
        number, texter = "+447700900123", "+447700900456"
        async with app.state.sessionmaker() as session, session.begin():
            await outbox.enqueue(
                session, vault, settings.twilio_from_number, number, "Your code: 123456", utcnow()
            )
            await outbox.enqueue(session, vault, settings.twilio_from_number, texter, "A reply", utcnow())
            texter_id = conversation_id_for(vault, texter)
            await session.execute(update(SmsOutbound).values(state="submitted", updated_at=utcnow()))
        contacts = select(SmsContact.conversation_id).order_by(SmsContact.conversation_id)
        disposal = Disposal(app.state.sessionmaker, settings)
        period = policy.sms_metadata_period(settings)
        async with app.state.sessionmaker() as session, session.begin():  # still texting at the horizon
            recent = utcnow() + period
            session.add(Conversation(id=texter_id, channel="sms", language="en", last_message_at=recent))

        await disposal.run(utcnow() + period - MARGIN)
        async with app.state.sessionmaker() as session:
            assert len(list(await session.scalars(contacts))) == 2
        report = await disposal.run(utcnow() + period + MARGIN)
        async with app.state.sessionmaker() as session:
            assert list(await session.scalars(contacts)) == [texter_id]
        assert report.counts["sms_metadata"]["sms_contact"] == 1


class TestEraseReferral:
    async def test_erasure_removes_the_case_from_every_store_and_is_audited_with_counts(
        self, app: FastAPI, client: httpx.AsyncClient, settings: Settings, bot_headers: dict[str, str]
    ) -> None:
        tracker = Path(settings.rasa_tracker_db)
        make_tracker(tracker)
        conversation = (await client.post("/v1/chat/conversations", json={"language": "en"})).json()["id"]
        words = canary("erase_words")
        say(tracker, conversation, words)
        say(tracker, "w_someone_else", "Synthetic: another person")
        payload = referral_payload(conversation_id=conversation)
        payload["consent"]["wording_versions"] = await shown_consent_versions(client, bot_headers)
        reply = await client.post(
            "/v1/referrals", json=payload, headers={**bot_headers, "Idempotency-Key": "erase-key"}
        )
        reference = reply.json()["reference"]

        async with app.state.sessionmaker() as session, session.begin():
            referral = await session.scalar(select(Referral).where(Referral.reference == reference))
            assert referral is not None
            counts = await erase_referral(session, settings, referral, now=utcnow(), reason="erasure_request")

        assert {store: n for store, n in counts.items() if n} == {
            "tracker_event": 1,
            "queue_entry": 1,
            "conversation": 1,
            "idempotency_record": 1,
            "referral": 1,
            "consent_receipt_shredded": 1,  # its case key destroyed: the append-only receipt is unreadable
        }
        await truncate_logs(settings)
        # (The consent receipt, append-only, still names the conversation id, a random id for web chat.)
        assert await scan(app, settings, [reference, words]) == set()
        with sqlite3.connect(tracker) as db:
            assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 1
        async with app.state.sessionmaker() as session:
            assert (await audit_service.verify(session)).ok
            event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.erase"))
            assert event is not None
            assert reference not in event.reason

    async def test_a_case_on_hold_is_not_erased(
        self, app: FastAPI, client: httpx.AsyncClient, settings: Settings, bot_headers: dict[str, str]
    ) -> None:
        reference = (await create_referral(client, bot_headers))["reference"]
        admin = bearer(await create_principal(app, "admin", "records"))
        held = await client.put(
            f"/v1/admin/retention/holds/{reference}", json={"reason": "police_request"}, headers=admin
        )
        assert held.status_code == 200

        async with app.state.sessionmaker() as session, session.begin():
            referral = await session.scalar(select(Referral).where(Referral.reference == reference))
            assert referral is not None
            with pytest.raises(CaseOnHold):
                await erase_referral(session, settings, referral, now=utcnow(), reason="erasure_request")

        async with app.state.sessionmaker() as session:
            assert (
                await session.scalar(select(Referral.id).where(Referral.reference == reference)) is not None
            )


class TestTrackerPurger:
    async def test_it_deletes_from_a_tracker_store_on_either_database(
        self, app: FastAPI, settings: Settings
    ) -> None:
        """Rasa's events table made in the api's own database, SQLite or PostgreSQL, as a tracker store."""
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(
                text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), data TEXT)")
            )
            for i, sender in enumerate(["a", "a", "b"]):
                await session.execute(
                    text("INSERT INTO events (id, sender_id, data) VALUES (:i, :s, 'Synthetic')"),
                    {"i": i, "s": sender},
                )
        purger = TrackerPurger(settings.database_url)
        try:
            assert await purger.forget(["a", "missing"]) == 2
        finally:
            await purger.close()
        async with app.state.sessionmaker() as session:
            assert await session.scalar(text("SELECT count(*) FROM events")) == 1
