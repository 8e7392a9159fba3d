"""Builders for test data. Synthetic only: Ofcom drama numbers, invented names and events."""

from __future__ import annotations

import copy
import hashlib
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from api.auth import hash_token, new_token
from api.principal.models import Principal


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


async def create_principal(app: FastAPI, kind: str, name: str, queues: list[str] | None = None) -> str:
    token = new_token()
    async with app.state.sessionmaker() as session, session.begin():
        session.add(Principal(kind=kind, name=name, queues=queues or [], token_hash=hash_token(token)))
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def agency_referral_payload(**overrides: Any) -> dict[str, Any]:
    """An agency's referral with the person's consent attested by a named (synthetic) referrer."""
    payload = referral_payload(source="agency", conversation_id=None, **overrides)
    payload["consent"].update(
        given_by="agency",
        referrer={"name": "Synthetic Officer", "organisation": "Synthetic Homes", "contact": "ext 100"},
    )
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
