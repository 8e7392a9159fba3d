"""Retention time travel through the real stack (issue 13's proof): one case of every door made through the
running processes (web chat with the real Rasa and its SQL tracker store; SMS, the whole hate crime journey
by signed webhooks, the worker's turns and the fake Twilio; the agency API; the police feed import), each
with canary strings of its own; services take cases up and close them through the provider queue; one case
is withdrawn, one on legal hold. Then disposal runs in-process (`Disposal(sessionmaker, settings).run(now)`)
at moments just before and just after every horizon, against this stack's own api database and Rasa
tracker store, and every store is scanned for every canary: on SQLite every byte of the api database and
its WAL and of the tracker database and its WAL; on PostgreSQL (the api and the tracker each a database
of their own) every table's text; and the stack's log files. Each canary is where it should be before its
horizon and gone after; a sealed value (stored encrypted) is never in any store in clear; the held case
stays (and goes once released); the audit chain verifies; the counters (`GET /v1/admin/stats` and the
table behind it) do not move.

This module runs a stack of its own: a future-dated run would dispose of the shared stack's data.
Run with -s to see the canary x store x before/after matrix, then every moment."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import make_url

from api.audit.models import AuditEvent
from api.config import Settings
from api.conversation.tracker import tracker_store_url
from api.db import create_engine, create_sessionmaker
from api.kit.models import utcnow
from api.police_feed.csv_format import COLUMNS
from api.referral.models import Referral
from api.retention import policy
from api.retention.disposal import Disposal
from api.retention.policy import RetentionClass
from tests.api.retention.test_disposal import counters, file_bytes, scan
from tests.builders import agency_answers, agency_referral_payload, bearer, shown_consent_versions
from tests.e2e.test_retention import slice_with
from tests.e2e.test_returning_texter import texts
from tests.e2e.test_sms import post_inbound, wait_for
from tests.pg import PostgresCluster
from tests.stacks import LONDON, running_stack
from tools.paths import API_PYTHON, ROOT
from tools.stack import Stack

pytestmark = pytest.mark.e2e

MARGIN = timedelta(minutes=2)
STORES = ("api", "tracker", "logs")
# The fake Twilio stands in for Twilio itself (outside the service): what it records is not our log.
EXTERNAL_LOGS = frozenset({"twilio.log"})
STAT_EVENTS = ("made", "taken_up", "closed", "withdrawn")


DIALECTS = ["sqlite", pytest.param("postgresql", marks=[pytest.mark.postgresql])]


@pytest.fixture(scope="module", params=DIALECTS)
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of this module's own: SQLite files, or the api database and Rasa's tracker store each a
    PostgreSQL database of their own (clones of the migrated template; Rasa adds its events table)."""
    if request.param == "sqlite":
        with running_stack(tmp_path_factory) as own:
            yield own
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    with cluster.database() as api_url, cluster.database() as tracker_url:
        tracker = make_url(tracker_url)
        env = {
            "RASA_TRACKER_DIALECT": "postgresql",
            "RASA_TRACKER_HOST": tracker.set(drivername="postgresql").render_as_string(hide_password=False),
            "RASA_TRACKER_DB": str(tracker.database),
        }
        with running_stack(tmp_path_factory, env, database_url=api_url) as own:
            yield own


def canary(name: str) -> str:
    return f"CANARY{name.upper()}{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class Window:
    """Present in a store before `earliest`, absent from `latest` on; `earliest` None: never goes."""

    earliest: datetime | None
    latest: datetime | None
    rule: str


def window(rule: str, period: policy.Period | timedelta, lo: datetime, hi: datetime) -> Window:
    if isinstance(period, timedelta):
        return Window(lo + period, hi + period, rule)
    return Window(period.after(lo), period.after(hi), rule)


def kept(rule: str) -> Window:
    return Window(None, None, rule)


def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(API_PYTHON), "-m", "api", *args], cwd=ROOT, env=stack.env(), capture_output=True, text=True,
        check=False,
    )  # fmt: skip


def principal(stack: Stack, kind: str, name: str, *queues: str) -> dict[str, str]:
    made = cli(
        stack, "principal", "create", "--kind", kind, "--name", name, *(f"--queue={q}" for q in queues)
    )
    assert made.returncode == 0, made.stdout + made.stderr
    return bearer(made.stdout.strip().splitlines()[-1])


def settings_of(stack: Stack) -> Settings:
    env = stack.env()
    return Settings(
        app_env="test",
        database_url=env["DATABASE_URL"],
        rasa_tracker_db=env["RASA_TRACKER_DB"],
        rasa_tracker_dialect=env["RASA_TRACKER_DIALECT"],
        rasa_tracker_host=env["RASA_TRACKER_HOST"],
        _env_file=None,  # type: ignore[call-arg]
    )


def _in_database(url: str, settings: Settings, canaries: list[str]) -> Any:
    """The shared scanner (tests/api/retention/test_disposal.py) over one PostgreSQL database: every
    table's text. It reads the tracker as a file too: pointed at none here."""
    engine = create_engine(url)
    app = SimpleNamespace(state=SimpleNamespace(sessionmaker=create_sessionmaker(engine)))
    only = settings.model_copy(update={"database_url": url, "rasa_tracker_db": "/nonexistent/tracker.db"})

    async def run() -> set[str]:
        try:
            return await scan(cast(FastAPI, app), only, canaries)
        finally:
            await engine.dispose()

    return run()


async def stores(stack: Stack, settings: Settings, canaries: list[str]) -> dict[str, set[str]]:
    """Which canaries each store holds: on SQLite every byte of the files (the database and its WAL), on
    PostgreSQL every table's text; every log file of the stack."""
    logs = b"".join(
        p.read_bytes() for p in sorted(stack.log_dir.glob("*.log")) if p.name not in EXTERNAL_LOGS
    )
    found = {"logs": {c for c in canaries if c.encode() in logs}}
    api = make_url(settings.database_url)
    if api.get_backend_name() == "sqlite":
        data = file_bytes(Path(str(api.database)), ("", "-wal"))
        found["api"] = {c for c in canaries if c.encode() in data}
    else:
        found["api"] = await _in_database(settings.database_url, settings, canaries)
    tracker = make_url(tracker_store_url(settings))
    if tracker.get_backend_name() == "sqlite":
        data = file_bytes(Path(str(tracker.database)), ("", "-wal", "-journal"))
        found["tracker"] = {c for c in canaries if c.encode() in data}
    else:
        found["tracker"] = await _in_database(tracker_store_url(settings), settings, canaries)
    if api.get_backend_name() == "sqlite" and tracker.get_backend_name() == "sqlite":
        # The shared scanner (the api database and its WAL, the tracker's) agrees with the split one.
        assert await scan(cast(FastAPI, None), settings, canaries) == found["api"] | found["tracker"]
    return found


def offset(moment: datetime, start: datetime) -> str:
    delta = moment - start
    sign = "-" if delta < timedelta(0) else "+"
    minutes = abs(int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    return f"{sign}{days}d{rest // 60:02d}h{rest % 60:02d}m"


def chat(http: httpx.Client, stack: Stack, turns: list[tuple[str, str]]) -> tuple[str, str]:
    conversation = http.post("/v1/chat/conversations", json={"language": "en"}).json()["id"]
    joined = ""
    for text, expected in turns:
        reply = http.post(f"/v1/chat/conversations/{conversation}/messages", json={"text": text})
        assert reply.status_code == 200, reply.text
        joined = " ".join(m["text"] for m in reply.json()["messages"])
        assert expected in joined, f"after {text!r}: {joined!r}\n{stack.log_tail()}"
    return conversation, joined


def police_csv(*rows: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(column, "") for column in COLUMNS])
    return out.getvalue().encode()


async def stats(stack: Stack, admin: dict[str, str]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as http:
        totals = {}
        for event in STAT_EVENTS:
            reply = await http.get("/v1/admin/stats", params={"event": event, "by": "source"}, headers=admin)
            assert reply.status_code == 200, reply.text
            totals[event] = reply.json()["counts"]
    engine = create_engine(stack.env()["DATABASE_URL"])
    try:
        async with create_sessionmaker(engine)() as session:
            totals["table"] = await counters(session)
    finally:
        await engine.dispose()
    return totals


async def retention_of(stack: Stack, reference: str) -> tuple[str, datetime]:
    engine = create_engine(stack.env()["DATABASE_URL"])
    try:
        async with create_sessionmaker(engine)() as session:
            row = (
                await session.execute(
                    select(Referral.retention_class, Referral.retention_from).where(
                        Referral.reference == reference
                    )
                )
            ).one()
            return str(row[0]), row[1]
    finally:
        await engine.dispose()


class TestRetentionTimeTravel:
    def test_every_canary_goes_exactly_when_its_class_says_through_the_real_stack(self, stack: Stack) -> None:
        settings = settings_of(stack)
        period = lambda cls: policy.period(settings, cls)  # noqa: E731
        expect: dict[tuple[str, str], Window] = {}  # (canary, store): its window; absent pairs: never there
        labels: dict[str, str] = {}
        start = utcnow()
        admin = principal(stack, "admin", "Synthetic records officer")
        agency = principal(stack, "agency", "Synthetic Homes")
        provider = principal(stack, "provider", "Synthetic caseworker", "hate_crime", "asb_mediation")
        bot = {"Authorization": f"Bearer {stack.env()['BOT_SERVICE_TOKEN']}"}

        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            # 1. A web chat that makes a referral: the words in Rasa's tracker until the transcript goes an
            #    hour after the hand-off; the reference in the api until not-taken-up's period from receipt.
            web_words = canary("webref")
            lo = utcnow()
            _, joined = chat(http, stack, slice_with(f"Synthetic test {web_words} shouted at me on the bus"))
            hi = utcnow()
            web_ref = joined.split("Your reference is ")[1].split(".")[0]
            labels |= {web_words: "web chat referral: words", web_ref: "web chat referral: reference"}
            transcript = window(
                "transcript: 60 min after hand-off", policy.transcript_period(settings), lo, hi
            )
            expect[(web_words, "tracker")] = transcript
            expect[(web_ref, "tracker")] = transcript  # the bot said it
            # Taken up: the hate crime service claims and accepts it (the only case in its queue yet): kept
            # the hate crime period from receipt.
            claimed = http.post("/v1/queues/hate_crime/claim", headers=provider)
            assert claimed.status_code == 200, claimed.text
            assert claimed.json()["case"]["reference"] == web_ref
            entry = claimed.json()["entry_id"]
            accepted = http.post(f"/v1/queues/hate_crime/cases/{entry}/accept", headers=provider)
            assert accepted.status_code == 200, accepted.text
            expect[(web_ref, "api")] = window(
                "hate_crime: 7 y from receipt", period(RetentionClass.hate_crime), lo, hi
            )

            # 2. A web chat abandoned before any referral (the tab closed without the DELETE): 24 hours
            #    after its last message.
            lost_words = canary("webabandoned")
            lo = utcnow()
            chat(
                http,
                stack,
                [
                    *slice_with("")[:6],
                    (f"Synthetic test {lost_words} followed me home", "When did it happen?"),
                ],
            )
            hi = utcnow()
            labels[lost_words] = "web chat abandoned: words"
            expect[(lost_words, "tracker")] = window(
                "no referral: 24 h after last message", policy.conversation_period(settings), lo, hi
            )

            # 3. SMS: a texter walks the whole hate crime journey by text (signed webhooks, the worker's
            #    turns through the real Rasa, replies through the fake Twilio); the action server makes the
            #    referral at its end. The message with the words has its own MessageSid.
            number = f"+447700900{uuid.uuid4().int % 1000:03d}"
            sms_words = canary("smswords")
            sid = "SM" + uuid.uuid4().hex
            lo = utcnow()
            first = uuid.uuid4().int % 10**9
            for n, (text, expected) in enumerate(slice_with(f"Synthetic test {sms_words} spat at me")):
                extra = {"MessageSid": sid, "SmsMessageSid": sid} if sms_words in text else {}
                posted = post_inbound(stack, http, text, n=first + n, sender=number, **extra)
                assert posted.status_code == 200, posted.text
                wait_for(lambda expected=expected: expected.lower() in texts(stack, number).lower(), 60)
            sms_ref = texts(stack, number).split("Your reference is ")[1].split(".")[0]
            hi = utcnow()
            labels |= {
                sms_words: "SMS: words",
                number: "SMS: phone number (sealed)",
                sid: "SMS: MessageSid",
                sms_ref: "SMS referral: reference",
            }
            # A referral's transcript: an hour after the hand-off (before the SMS session's idle rule).
            expect[(sms_ref, "tracker")] = window(  # the bot texted it
                "transcript: 60 min after hand-off", policy.transcript_period(settings), lo, hi
            )
            expect[(sms_words, "tracker")] = window(
                "transcript: 60 min after hand-off", policy.transcript_period(settings), lo, hi
            )
            expect[(sid, "api")] = window("SMS metadata: 3 d", policy.sms_metadata_period(settings), lo, hi)
            # Twilio's id of the message is logged (logs carry ids: api/sms/inbound.py, api/sms/turns.py);
            # disposal does not rotate logs, so it stays there (the log's own retention applies).
            expect[(sid, "logs")] = kept("an id in the logs: not disposed")
            expect[(sms_ref, "api")] = window(
                "not_taken_up: 6 mo from receipt", period(RetentionClass.not_taken_up), lo, hi
            )

            # 4. An agency referral (its own idempotency key), then the agency withdraws the consent.
            agency_words = canary("agencywords")
            agency_name = canary("agencyname")
            key = canary("idempotencykey")
            versions = asyncio.run(self._versions(stack, bot))
            payload = agency_referral_payload(
                answers=agency_answers(incident_description=f"Synthetic test {agency_words} on the stairs")
            )
            payload["consent"]["wording_versions"] = versions
            payload["person"] = {"name": f"Synthetic {agency_name}"}
            lo = utcnow()
            made = http.post("/v1/referrals", json=payload, headers={**agency, "Idempotency-Key": key})
            hi = utcnow()
            assert made.status_code == 201, made.text
            agency_ref = made.json()["reference"]
            labels |= {
                agency_words: "agency: words (sealed)",
                agency_name: "agency: person's name (sealed)",
                key: "agency: idempotency key",
                agency_ref: "agency referral, withdrawn: reference",
            }
            expect[(key, "api")] = window("idempotency: 24 h", policy.idempotency_period(settings), lo, hi)
            lo = utcnow()
            withdrawn = http.post(
                f"/v1/consents/{made.json()['consent_receipt_id']}/withdraw",
                json={"reason": "person_request", "requested_by": "person"},
                headers=agency,
            )
            hi = utcnow()
            assert withdrawn.status_code == 201, withdrawn.text
            expect[(agency_ref, "api")] = window(
                "withdrawn: 30 d from withdrawal", period(RetentionClass.withdrawn), lo, hi
            )

            # 5. An agency's ASB referral the mediation service takes up and closes: kept the case period
            #    from the closure (victim support).
            asb_words = canary("asbwords")
            payload = agency_referral_payload(
                "asb",
                answers=agency_answers("asb", asb_description=f"Synthetic test {asb_words} every night"),
            )
            payload["consent"]["wording_versions"] = versions
            made = http.post("/v1/referrals", json=payload, headers=agency)
            assert made.status_code == 201, made.text
            asb_ref = made.json()["reference"]
            claimed = http.post("/v1/queues/asb_mediation/claim", headers=provider)
            assert claimed.status_code == 200, claimed.text
            assert claimed.json()["case"]["reference"] == asb_ref
            entry = claimed.json()["entry_id"]
            accepted = http.post(f"/v1/queues/asb_mediation/cases/{entry}/accept", headers=provider)
            assert accepted.status_code == 200, accepted.text
            lo = utcnow()
            closed = http.post(
                f"/v1/queues/asb_mediation/cases/{entry}/close",
                json={"outcome": "supported"},
                headers=provider,
            )
            hi = utcnow()
            assert closed.status_code == 200, closed.text
            labels |= {asb_words: "agency ASB: words (sealed)", asb_ref: "agency ASB, closed: reference"}
            expect[(asb_ref, "api")] = window(
                "victim_support: 6 y from closure", period(RetentionClass.victim_support), lo, hi
            )

            # 6. The police feed: two cases; the second is put on legal hold.
            received = (datetime.now(LONDON) - timedelta(hours=1)).replace(second=0, microsecond=0)
            police_words = [canary("policewords"), canary("policeheldwords")]
            police_name = canary("policename")
            rows = [
                {
                    "name": f"Harper {police_name}",
                    "telephone": "07700 900470",
                    "hate_racial_indicator": "Y",
                    "crime_reference": f"SP/26/{uuid.uuid4().int % 10**6:06d}",
                    "crime_description": f"Synthetic: {words} shouted in the street",
                    "date_received": received.strftime("%Y-%m-%dT%H:%M"),
                }
                for words in police_words
            ]
            imported = http.post(
                "/v1/admin/police-feed",
                content=police_csv(*rows),
                headers={**admin, "content-type": "text/csv"},
            )
            assert imported.status_code == 200, imported.text
            assert imported.json()["imported"] == 2, imported.text
            police_ref, held_ref = (r["reference"] for r in imported.json()["imported_rows"])
            held = http.put(
                f"/v1/admin/retention/holds/{held_ref}", json={"reason": "litigation"}, headers=admin
            )
            assert held.status_code == 200, held.text
            labels |= {
                police_words[0]: "police feed: description (sealed)",
                police_words[1]: "police feed, held: description (sealed)",
                police_name: "police feed: both names (sealed)",
                police_ref: "police feed: reference",
                held_ref: "police feed, on legal hold: reference",
            }
            moment = received.astimezone(start.tzinfo)
            expect[(police_ref, "api")] = window(
                "not_taken_up: 6 mo from receipt", period(RetentionClass.not_taken_up), moment, moment
            )
            expect[(held_ref, "api")] = kept("legal hold: kept")

        assert asyncio.run(retention_of(stack, police_ref))[1] == moment
        # The classes the real doors and the services' actions gave (the windows above assume them), once
        # the first run has reconciled what was taken up and closed.
        classes = {
            web_ref: "hate_crime",
            sms_ref: "not_taken_up",
            agency_ref: "withdrawn",
            asb_ref: "victim_support",
            police_ref: "not_taken_up",
            held_ref: "not_taken_up",
        }
        canaries = list(labels)
        matrix = asyncio.run(self._travel(stack, settings, expect, canaries, start, admin, held_ref, classes))
        self._print(matrix, expect, labels, start)

        verified = cli(stack, "audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr

    @staticmethod
    async def _versions(stack: Stack, bot: dict[str, str]) -> list[str]:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            return await shown_consent_versions(client, bot)

    async def _travel(
        self,
        stack: Stack,
        settings: Settings,
        expect: dict[tuple[str, str], Window],
        canaries: list[str],
        start: datetime,
        admin: dict[str, str],
        held_ref: str,
        classes: dict[str, str],
    ) -> dict[datetime, dict[str, set[str]]]:
        """Run disposal at every moment; which stores hold each canary at each moment (the first key, the
        moment before any run)."""
        engine = create_engine(settings.database_url)
        sessionmaker = create_sessionmaker(engine)
        disposal = Disposal(sessionmaker, settings, batch_size=2, pause_seconds=0)
        windows = expect.values()
        moments = sorted(
            {w.earliest - MARGIN for w in windows if w.earliest}
            | {w.latest + MARGIN for w in windows if w.latest}
        )
        matrix: dict[datetime, dict[str, set[str]]] = {}
        wrong: list[str] = []
        counted_before = await stats(stack, admin)
        reconciled: dict[str, Any] = {}
        try:
            for moment in [utcnow(), *moments]:
                if matrix:
                    await disposal.run(moment)
                if len(matrix) == 1:
                    assert {r: (await retention_of(stack, r))[0] for r in classes} == classes
                    # The first run counted what was taken up and closed (its reconciliation); made and
                    # withdrawn were counted when they happened. From here on nothing may move them.
                    reconciled = await stats(stack, admin)
                    assert reconciled["taken_up"] == {"web_chat": 1, "agency": 1}
                    assert reconciled["closed"] == {"agency": 1}
                    assert {k: reconciled[k] for k in ("made", "withdrawn")} == {
                        k: counted_before[k] for k in ("made", "withdrawn")
                    }
                held = await stores(stack, settings, canaries)
                found = {c: {s for s in STORES if c in held[s]} for c in canaries}
                matrix[moment] = found
                for c in canaries:
                    for s in STORES:
                        w = expect.get((c, s))
                        there = s in found[c]
                        if w is None:
                            if there:
                                wrong.append(f"{c} in {s} at {offset(moment, start)}: never expected there")
                        elif w.earliest is None or moment < w.earliest:
                            if not there:
                                wrong.append(f"{c} gone from {s} too early, at {offset(moment, start)}")
                        elif w.latest is not None and moment >= w.latest and there:
                            wrong.append(f"{c} still in {s} at {offset(moment, start)}")
            counted_after = await stats(stack, admin)
            async with sessionmaker() as session:
                reasons = list(
                    await session.scalars(
                        select(AuditEvent.reason).where(AuditEvent.action == "retention.dispose")
                    )
                )
        finally:
            await disposal.close()
            await engine.dispose()
        assert wrong == [], "\n".join(wrong)
        assert len(moments) >= 10
        assert counted_after == reconciled
        assert sum(counted_before["made"].values()) == 6  # the six cases made through the doors
        assert sum(counted_before["withdrawn"].values()) == 1
        assert reasons
        assert not [r for r in reasons for c in canaries if c in r]
        # Released, the held case goes at the next run.
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as http:
            released = await http.post(
                f"/v1/admin/retention/holds/{held_ref}/release", json={"reason": "litigation"}, headers=admin
            )
        assert released.status_code == 200, released.text
        engine = create_engine(settings.database_url)
        try:
            last = Disposal(create_sessionmaker(engine), settings)
            try:
                await last.run(moments[-1])
            finally:
                await last.close()
        finally:
            await engine.dispose()
        assert held_ref not in (await stores(stack, settings, [held_ref]))["api"]
        return matrix

    @staticmethod
    def _print(
        matrix: dict[datetime, dict[str, set[str]]],
        expect: dict[tuple[str, str], Window],
        labels: dict[str, str],
        start: datetime,
    ) -> None:
        """The canary x store x before/after-horizon matrix (for the closing note), then every moment."""
        moments = list(matrix)

        def at(moment: datetime | None, canary: str, store: str) -> str:
            if moment is None:
                return "-"
            nearest = min(moments, key=lambda m: abs(m - moment))
            return "present" if store in matrix[nearest][canary] else "gone"

        print("\n| canary | store | rule | before horizon | after horizon |")
        print("|---|---|---|---|---|")
        for c, label in labels.items():
            pairs = [(s, w) for (k, s), w in expect.items() if k == c]
            for store, w in pairs:
                before = at(w.earliest - MARGIN if w.earliest else moments[-1], c, store)
                after = at(w.latest + MARGIN if w.latest else None, c, store)
                print(f"| {label} | {store} | {w.rule} | {before} | {after} |")
            others = [s for s in STORES if s not in dict(pairs)]
            if others:
                print(f"| {label} | {', '.join(others)} | never in clear | gone | gone |")
        print("\nEvery moment (Y present, . absent), from the cases' making; [0] is before any run:")
        print("  " + "  ".join(f"[{i}] {offset(m, start)}" for i, m in enumerate(moments)))
        for c, label in labels.items():
            for s in STORES:
                if any(s in matrix[m][c] for m in moments):
                    row = "".join(" Y" if s in matrix[m][c] else " ." for m in moments)
                    print(f"  {label[:40]:40} {s:8}{row}")
