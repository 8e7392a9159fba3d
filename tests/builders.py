"""Builders for test data. Synthetic only: Ofcom drama numbers, invented names and events."""

from __future__ import annotations

import copy
import hashlib
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import hash_token, new_token
from api.consent import repository as consent_repository
from api.consent.models import ConsentReceipt
from api.kit.crypto import Vault
from api.kit.models import utcnow
from api.principal.models import Principal
from api.queue import repository as queue_repository
from api.queue.models import QueueEntry
from api.referral import repository as referral_repository
from api.referral import service as referral_service
from api.referral.models import Referral


def referral_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "source": "web_chat",
        "conversation_id": "w_test_" + uuid.uuid4().hex[:12],
        "language": "en",
        "person": {"phone": "07700 900123", "sms_safe": True},
        "answers": {
            "incident_description": "Synthetic: shouted at on the bus",
            "incident_when": "yesterday",
            "hate_strand": "race",
        },
        "consent": {
            "given_by": "person",
            "purposes": ["store_and_process", "share_with_provider", "contact_phone", "contact_sms"],
            "wording_versions": [],
            "language": "en",
            "given_at": "2026-11-24T10:00:00+00:00",
        },
        "triage": {"incident_type": "hate", "hate_strands": ["race"], "consent": "given"},
    }
    for key, value in overrides.items():
        payload[key] = copy.deepcopy(value)
    return payload


async def shown_consent_versions(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    """Render the consent questions through the NLG endpoint, as the bot does; return their versions."""
    versions = []
    for response in ("utter_ask_consent_store", "utter_ask_consent_share"):
        reply = await client.post(
            "/v1/nlg",
            json={"response": response, "tracker": {"slots": {"language": "en", "journey": "hate_crime"}}},
            headers=headers,
        )
        assert reply.status_code == 200, reply.text
        versions.append(hashlib.sha256(reply.json()["text"].encode()).hexdigest())
    return versions


async def create_principal(
    app: FastAPI, kind: str, name: str, queues: list[str] | None = None, **attributes: Any
) -> str:
    """A principal and its token; `attributes`: what an admin sets (expires_at, may_refer_without_consent)."""
    token = new_token()
    async with app.state.sessionmaker() as session, session.begin():
        session.add(
            Principal(kind=kind, name=name, queues=queues or [], token_hash=hash_token(token), **attributes)
        )
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def add_queued_case(
    session: AsyncSession,
    vault: Vault,
    *,
    queue: str = "hate_crime",
    priority: str = "normal",
    deadline: datetime | None = None,
    received_at: datetime | None = None,
) -> QueueEntry:
    """A referred case waiting in `queue`, written straight through the repositories (no triage, no HTTP):
    for tests and benchmarks that need many cases, or exact priorities, deadlines and arrival times."""
    received_at = received_at or utcnow()
    deadline = deadline or received_at + timedelta(days=2)
    referral_id = uuid.uuid4()
    receipt = await consent_repository.add_receipt(
        session,
        ConsentReceipt(
            kind="grant",
            lawful_basis="consent",
            purposes=["store_and_process", "share_with_provider"],
            wording_versions=[],
            language="en",
            channel="web_chat",
            given_by="person",
            given_at=received_at,
        ),
    )
    referral = await referral_repository.add(
        session,
        Referral(
            id=referral_id,
            reference=referral_service.new_reference(),
            source="web_chat",
            language="en",
            consent_receipt_id=receipt.id,
            person_sealed=vault.cipher.seal_json(
                {"name": "Synthetic Person"}, referral_service.person_aad(referral_id)
            ),
            answers_sealed=vault.cipher.seal_json(
                {"incident_description": "Synthetic"}, referral_service.answers_aad(referral_id)
            ),
            triage_input_sealed=vault.cipher.seal_json({}, referral_service.triage_input_aad(referral_id)),
            decision_sealed=vault.cipher.seal_json(
                {"deadline": deadline.isoformat(), "flags": [], "secondary_queue": None},
                referral_service.decision_aad(referral_id),
            ),
            flags=[],
            rules_version="test",
            outcome="referred",
            queue=queue,
            tier="standard",
            priority=priority,
            emergency=priority == "emergency",
            deadline=deadline,
            received_at=received_at,
        ),
    )
    return await queue_repository.enqueue(session, referral, queue, secondary=False)


def agency_answers(flow: str = "hate_crime", **overrides: Any) -> dict[str, Any]:
    """Canonical answers to the agency variant of a journey (no safe-to-talk, no consent questions: the
    agency attests consent); optional questions left out count as skipped."""
    recently = (date.today() - timedelta(days=2)).isoformat()
    answers: dict[str, dict[str, Any]] = {
        "hate_crime": {
            "postcode": "ST4 1AA",
            "incident_description": "Synthetic: shouted at on the bus",
            "incident_when": recently,
            "hate_strand": "race",
        },
        "asb": {
            "postcode": "ST4 1AA",
            "asb_what": "noise",
            "asb_description": "Synthetic: loud music every night",
            "asb_how_long": "under_month",
            "asb_reports": 0,
            "asb_violence": False,
        },
    }
    chosen = {**answers[flow], "contact_phone": "07700 900123", "sms_safe": True}
    chosen.update(overrides)
    return chosen


def agency_referral_payload(flow: str = "hate_crime", **overrides: Any) -> dict[str, Any]:
    """An agency's referral through a journey's flow, with the person's consent attested by a named
    (synthetic) referrer. The triage input is built by the api from the answers."""
    payload: dict[str, Any] = {
        "source": "agency",
        "language": "en",
        "flow": flow,
        "person": {"name": "Synthetic Person"},
        "answers": agency_answers(flow),
        "consent": {
            "given_by": "agency",
            "purposes": ["store_and_process", "share_with_provider", "contact_phone", "contact_sms"],
            "wording_versions": [],
            "language": "en",
            "given_at": "2026-11-24T10:00:00+00:00",
            "referrer": {
                "name": "Synthetic Officer",
                "organisation": "Synthetic Homes",
                "contact": "ext 100",
                "role": "housing_officer",
            },
        },
    }
    for key, value in overrides.items():
        payload[key] = copy.deepcopy(value)
    return payload


async def create_referral(
    client: httpx.AsyncClient,
    bot_headers: dict[str, str],
    payload: dict[str, Any] | None = None,
    *,
    as_headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST a referral with consent wordings really shown (through the bot's NLG); the 201 body.

    The bot's own referral by default; `as_headers` posts it as another principal (an agency)."""
    payload = copy.deepcopy(payload) if payload is not None else referral_payload()
    payload["consent"]["wording_versions"] = await shown_consent_versions(client, bot_headers)
    reply = await client.post("/v1/referrals", json=payload, headers=as_headers or bot_headers)
    assert reply.status_code == 201, reply.text
    body: dict[str, Any] = reply.json()
    return body
