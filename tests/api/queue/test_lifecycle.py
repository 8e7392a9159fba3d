"""The case lifecycle a caseworker drives: accept, extend the lease, return to triage, close.

Every test runs on SQLite and on PostgreSQL (see conftest.py). States are set up by writing the entry's
row directly, so each scenario starts from exactly the state it names.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from api.audit import service as audit
from api.audit.models import AuditEvent
from api.auth import hash_token
from api.kit.models import utcnow
from api.kit.time import as_utc
from api.principal.models import Principal
from api.queue.models import RETURN_REASON_LENGTH, EntryStatus, QueueEntry, ReturnReason
from api.queue.schemas import RETURN_NOTE_MAX
from api.queue.service import decode_return, encode_return
from api.worker.__main__ import run_once
from tests.builders import add_queued_case, bearer, create_principal

ACTIONS = ("accept", "extend-lease", "return", "close")
BODIES: dict[str, dict[str, Any] | None] = {
    "accept": None,
    "extend-lease": None,
    "return": {"reason": "wrong_service"},
    "close": {"outcome": "supported"},
}


class Desk:
    """One provider's hate crime desk: two caseworkers, and a case in their queue."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client

    async def open(self) -> Desk:
        self.me = await create_principal(self.app, "provider", "Synthetic caseworker A", ["hate_crime"])
        self.colleague = await create_principal(
            self.app, "provider", "Synthetic caseworker B", ["hate_crime"]
        )
        self.me_id = await self.principal_id(self.me)
        self.colleague_id = await self.principal_id(self.colleague)
        async with self.app.state.sessionmaker() as session, session.begin():
            entry = await add_queued_case(session, self.app.state.vault)
        self.entry_id = entry.id
        self.referral_id = entry.referral_id
        return self

    async def principal_id(self, token: str) -> uuid.UUID:
        async with self.app.state.sessionmaker() as session:
            found = await session.scalar(
                select(Principal.id).where(Principal.token_hash == hash_token(token))
            )
        assert found is not None
        return found

    async def set(self, **values: Any) -> None:
        async with self.app.state.sessionmaker() as session, session.begin():
            await session.execute(update(QueueEntry).where(QueueEntry.id == self.entry_id).values(**values))

    async def entry(self) -> QueueEntry:
        async with self.app.state.sessionmaker() as session:
            return await session.get_one(QueueEntry, self.entry_id)

    async def act(
        self,
        action: str,
        token: str | None = None,
        body: dict[str, Any] | None = None,
        queue: str = "hate_crime",
    ) -> httpx.Response:
        return await self.client.post(
            f"/v1/queues/{queue}/cases/{self.entry_id}/{action}",
            headers=bearer(token or self.me),
            json=body if body is not None else BODIES[action],
        )

    async def claim(self, token: str | None = None) -> httpx.Response:
        reply = await self.client.post("/v1/queues/hate_crime/claim", headers=bearer(token or self.me))
        assert reply.status_code == 200, reply.text
        return reply

    async def audit_trail(self) -> list[tuple[str, str]]:
        async with self.app.state.sessionmaker() as session:
            rows = await session.scalars(
                select(AuditEvent).where(AuditEvent.referral_id == self.referral_id).order_by(AuditEvent.seq)
            )
            return [(e.action, e.reason) for e in rows]


@pytest.fixture
async def desk(app: FastAPI, client: httpx.AsyncClient) -> Desk:
    return await Desk(app, client).open()


def _lease(minutes: int) -> Any:
    return utcnow() + timedelta(minutes=minutes)


# Each starting state, as the columns that make it. "me" and "colleague" are filled in by the test.
STATES: dict[str, dict[str, Any]] = {
    "queued": {"status": "queued"},
    "claimed_by_me": {"status": "claimed", "claimed_by": "me", "lease": 10},
    "claimed_by_colleague": {"status": "claimed", "claimed_by": "colleague", "lease": 10},
    "my_lease_lapsed": {"status": "claimed", "claimed_by": "me", "lease": -1},
    "accepted_by_me": {"status": "accepted", "claimed_by": "me"},
    "accepted_by_colleague": {"status": "accepted", "claimed_by": "colleague"},
    "returned": {"status": "returned", "claimed_by": "me", "return_reason": "duplicate"},
    "closed": {"status": "closed", "claimed_by": "me", "outcome": "supported"},
    "withdrawn": {"status": "withdrawn"},
    "transferred": {"status": "transferred", "claimed_by": "me", "return_reason": "wrong_service"},
}
OK = {"accept": "accepted", "extend-lease": "claimed", "return": "returned", "close": "closed"}
INVALID = "invalid_transition"
HELD = "case_held_by_another"
LAPSED = "lease_lapsed"
# The transition table: what each action does from each state (a status reached, or the error).
EXPECTED: dict[str, dict[str, str]] = {
    "queued": dict.fromkeys(ACTIONS, INVALID),
    "claimed_by_me": {
        "accept": OK["accept"],
        "extend-lease": "claimed",
        "return": "returned",
        "close": INVALID,
    },
    "claimed_by_colleague": dict.fromkeys(ACTIONS, HELD),
    "my_lease_lapsed": dict.fromkeys(ACTIONS, LAPSED),
    "accepted_by_me": {"accept": INVALID, "extend-lease": INVALID, "return": "returned", "close": "closed"},
    "accepted_by_colleague": dict.fromkeys(ACTIONS, HELD),
    "returned": dict.fromkeys(ACTIONS, INVALID),
    "closed": dict.fromkeys(ACTIONS, INVALID),
    "withdrawn": dict.fromkeys(ACTIONS, INVALID),
    # Moved to another queue (api/queue/service.py: transfer): the new entry carries the case on.
    "transferred": dict.fromkeys(ACTIONS, INVALID),
}


class TestTransitionTable:
    @pytest.mark.parametrize("action", ACTIONS)
    @pytest.mark.parametrize("state", list(STATES))
    async def test_every_action_from_every_state(self, desk: Desk, state: str, action: str) -> None:
        spec = dict(STATES[state])
        holder = {"me": desk.me_id, "colleague": desk.colleague_id}.get(spec.pop("claimed_by", ""), None)
        minutes = spec.pop("lease", None)
        await desk.set(**spec, claimed_by=holder, lease_expires_at=_lease(minutes) if minutes else None)
        before = await desk.entry()

        reply = await desk.act(action)

        expected = EXPECTED[state][action]
        if expected in (INVALID, HELD, LAPSED):
            assert reply.status_code == 409, reply.text
            assert reply.json()["error"] == expected
            after = await desk.entry()
            assert (after.status, after.claimed_by, after.lease_expires_at, after.return_reason) == (
                before.status,
                before.claimed_by,
                before.lease_expires_at,
                before.return_reason,
            )
            assert [a for a, _ in await desk.audit_trail()] == []
        else:
            assert reply.status_code == 200, reply.text
            assert reply.json()["status"] == expected
            assert (await desk.entry()).status == expected
            assert [a for a, _ in await desk.audit_trail()] == [f"queue.{action.replace('-', '_')}"]

    def test_the_table_covers_every_status(self) -> None:
        assert {spec["status"] for spec in STATES.values()} == set(EntryStatus)


class TestAccept:
    async def test_the_holder_accepts_and_the_lease_ends(self, desk: Desk) -> None:
        claimed = await desk.claim()
        assert claimed.json()["entry_id"] == str(desk.entry_id)

        reply = await desk.act("accept")

        assert reply.status_code == 200
        body = reply.json()
        assert (body["status"], body["lease_expires_at"], body["queue"]) == ("accepted", None, "hate_crime")
        assert body["accepted_at"] is not None
        entry = await desk.entry()
        assert (entry.claimed_by, entry.lease_expires_at) == (desk.me_id, None)
        listed = await desk.client.get("/v1/queues/hate_crime/cases", headers=bearer(desk.me))
        assert [(i["entry_id"], i["status"]) for i in listed.json()["items"]] == [
            (str(desk.entry_id), "accepted")
        ]

    async def test_an_accepted_case_never_goes_back_by_itself(self, desk: Desk) -> None:
        await desk.claim()
        await desk.act("accept")
        # No lease is left on the row to run out: neither the worker nor a claim can take it back.
        assert (await desk.entry()).lease_expires_at is None
        assert await run_once(desk.app.state.sessionmaker) == 0
        nothing = await desk.client.post("/v1/queues/hate_crime/claim", headers=bearer(desk.colleague))
        assert nothing.json()["error"] == "queue_empty"

    async def test_a_lapsed_lease_taken_by_a_colleague_is_theirs(self, desk: Desk) -> None:
        await desk.claim()
        await desk.set(lease_expires_at=_lease(-1))
        await desk.claim(desk.colleague)  # a claim takes a lapsed lease without waiting for the worker

        mine = await desk.act("accept")

        assert mine.status_code == 409
        assert mine.json()["error"] == HELD
        assert (await desk.act("accept", desk.colleague)).status_code == 200

    async def test_the_claim_and_the_accept_are_audited_with_ids_only(self, desk: Desk) -> None:
        await desk.claim()
        await desk.act("accept")
        assert await desk.audit_trail() == [
            ("queue.claim", f"queue=hate_crime entry={desk.entry_id}"),
            ("queue.accept", f"queue=hate_crime entry={desk.entry_id}"),
        ]
        async with desk.app.state.sessionmaker() as session:
            assert (await audit.verify(session)).ok


class TestExtendLease:
    async def test_the_holder_gets_a_fresh_lease_from_now(self, desk: Desk) -> None:
        await desk.claim()
        await desk.set(lease_expires_at=_lease(1))

        reply = await desk.act("extend-lease")

        assert reply.status_code == 200
        lease = as_utc((await desk.entry()).lease_expires_at or utcnow())
        seconds = desk.app.state.settings.queue_lease_seconds
        assert utcnow() + timedelta(seconds=seconds - 60) < lease <= utcnow() + timedelta(seconds=seconds)
        assert reply.json()["status"] == "claimed"

    async def test_a_lapsed_lease_cannot_be_extended(self, desk: Desk) -> None:
        await desk.claim()
        await desk.set(lease_expires_at=_lease(-1))
        reply = await desk.act("extend-lease")
        assert reply.status_code == 409
        assert reply.json()["error"] == LAPSED
        assert reply.json()["detail"].startswith("The lease on this case has run out")

    async def test_once_the_worker_released_it_the_case_is_just_queued(self, desk: Desk) -> None:
        await desk.claim()
        await desk.set(lease_expires_at=_lease(-1))
        assert await run_once(desk.app.state.sessionmaker) == 1
        reply = await desk.act("extend-lease")
        assert (reply.status_code, reply.json()["error"]) == (409, INVALID)
        assert reply.json()["detail"] == "This change is not possible while the case is queued."


class TestReturnToTriage:
    async def test_a_claimed_case_goes_back_with_its_reason_and_leaves_the_queue(self, desk: Desk) -> None:
        await desk.claim()

        reply = await desk.act("return", body={"reason": "wrong_service", "note": "Lives outside the area"})

        assert reply.status_code == 200
        body = reply.json()
        assert (body["status"], body["return_reason"], body["return_note"]) == (
            "returned",
            "wrong_service",
            "Lives outside the area",
        )
        assert body["lease_expires_at"] is None
        listed = await desk.client.get("/v1/queues/hate_crime/cases", headers=bearer(desk.me))
        assert listed.json()["items"] == []
        nothing = await desk.client.post("/v1/queues/hate_crime/claim", headers=bearer(desk.colleague))
        assert nothing.json()["error"] == "queue_empty"

    async def test_an_accepted_case_can_go_back_too(self, desk: Desk) -> None:
        await desk.claim()
        await desk.act("accept")
        reply = await desk.act(
            "return", body={"reason": "duplicate", "note": "Same incident as SR-2345-6789"}
        )
        assert reply.status_code == 200
        assert (reply.json()["return_reason"], reply.json()["return_note"]) == (
            "duplicate",
            "Same incident as SR-2345-6789",
        )

    async def test_the_note_stays_out_of_the_audit_chain(self, desk: Desk) -> None:
        await desk.claim()
        await desk.act("return", body={"reason": "needs_more_information", "note": "Synthetic note text"})
        trail = await desk.audit_trail()
        assert trail[-1] == (
            "queue.return",
            f"queue=hate_crime entry={desk.entry_id} reason=needs_more_information",
        )

    @pytest.mark.parametrize(
        "note",
        [
            "Call her on 07700 900123",
            "mobile +44 7700-900-123",
            "email synthetic.person@example.org",
            "Lives at ST4 2DE",
        ],
    )
    async def test_contact_details_in_the_note_are_refused_and_not_echoed(
        self, desk: Desk, note: str
    ) -> None:
        await desk.claim()
        reply = await desk.act("return", body={"reason": "other", "note": note})
        assert reply.status_code == 422
        assert reply.json()["detail"][0]["field"] == "note"
        assert note not in reply.text
        assert (await desk.entry()).status == "claimed"

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"reason": "not_a_reason"},
            {"reason": "other", "note": "x" * (RETURN_NOTE_MAX + 1)},
            {"reason": "other", "note": "   "},
            {"reason": "other", "extra": True},
        ],
    )
    async def test_an_invalid_payload_is_422(self, desk: Desk, body: dict[str, Any]) -> None:
        await desk.claim()
        reply = await desk.act("return", body=body)
        assert reply.status_code == 422
        assert reply.json()["error"] == "invalid_request"

    def test_the_longest_reason_and_note_fit_the_column(self) -> None:
        longest = max(ReturnReason, key=len)
        stored = encode_return(longest, "n" * RETURN_NOTE_MAX)
        assert len(stored) <= RETURN_REASON_LENGTH
        assert decode_return(stored) == (longest, "n" * RETURN_NOTE_MAX)
        assert decode_return(encode_return(ReturnReason.other, None)) == (ReturnReason.other, None)
        assert decode_return(encode_return(ReturnReason.other, "a: b")) == (ReturnReason.other, "a: b")


class TestClose:
    async def test_an_accepted_case_closes_with_its_outcome(self, desk: Desk) -> None:
        await desk.claim()
        await desk.act("accept")

        reply = await desk.act("close", body={"outcome": "unable_to_contact"})

        assert reply.status_code == 200
        assert (reply.json()["status"], reply.json()["outcome"]) == ("closed", "unable_to_contact")
        assert reply.json()["closed_at"] is not None
        listed = await desk.client.get("/v1/queues/hate_crime/cases", headers=bearer(desk.me))
        assert listed.json()["items"] == []
        assert [a for a, _ in await desk.audit_trail()] == ["queue.claim", "queue.accept", "queue.close"]

    async def test_an_unknown_outcome_is_422(self, desk: Desk) -> None:
        await desk.claim()
        await desk.act("accept")
        reply = await desk.act("close", body={"outcome": "resolved"})
        assert reply.status_code == 422
        assert (await desk.entry()).status == "accepted"


class TestWhoMaySeeWhat:
    async def test_another_providers_entry_is_indistinguishable_from_a_missing_one(
        self, app: FastAPI, desk: Desk
    ) -> None:
        await desk.claim()
        asb = await create_principal(app, "provider", "Synthetic ASB caseworker", ["asb_mediation"])
        for action in ACTIONS:
            theirs = await desk.act(action, asb, queue="asb_mediation")
            missing = await desk.client.post(
                f"/v1/queues/asb_mediation/cases/{uuid.uuid4()}/{action}",
                headers=bearer(asb),
                json=BODIES[action],
            )
            assert (theirs.status_code, theirs.json()) == (404, missing.json())
            assert theirs.json()["error"] == "case_not_found"
        assert (await desk.entry()).status == "claimed"

    async def test_an_entry_is_only_found_under_its_own_queue(self, app: FastAPI, desk: Desk) -> None:
        both = await create_principal(
            app, "provider", "Synthetic two-queue caseworker", ["hate_crime", "asb_mediation"]
        )
        await desk.claim(both)
        reply = await desk.act("accept", both, queue="asb_mediation")
        assert (reply.status_code, reply.json()["error"]) == (404, "case_not_found")
        assert (await desk.act("accept", both)).status_code == 200

    async def test_a_queue_that_is_not_yours_is_forbidden(self, app: FastAPI, desk: Desk) -> None:
        asb = await create_principal(app, "provider", "Synthetic ASB caseworker", ["asb_mediation"])
        reply = await desk.act("accept", asb)
        assert (reply.status_code, reply.json()["error"]) == (403, "queue_forbidden")

    async def test_only_providers_act_on_cases(self, desk: Desk, bot_headers: dict[str, str]) -> None:
        reply = await desk.client.post(
            f"/v1/queues/hate_crime/cases/{desk.entry_id}/accept", headers=bot_headers
        )
        assert reply.status_code == 403

    async def test_an_entry_id_must_be_a_uuid(self, desk: Desk) -> None:
        reply = await desk.client.post("/v1/queues/hate_crime/cases/42/accept", headers=bearer(desk.me))
        assert reply.status_code == 422
