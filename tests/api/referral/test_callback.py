"""A call-back at a time the person chose (POST /v1/referrals/{reference}/callback), while the team is on
duty: one of the times GET /v1/service/hours offers now, only with consent to phone calls, kept on the case
where the provider's caseworkers see it, audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.config import Settings
from api.kit.time import as_utc
from api.queue.models import QueueEntry
from api.referral.models import Referral
from tests.builders import bearer, create_principal, create_referral, referral_payload


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The team on duty whenever these tests run."""
    return settings.model_copy(
        update={
            "opening_hours": "Mon-Sun 00:00-24:00",
            "closed_on_bank_holidays": False,
            "callback_min_minutes": 5,
        }
    )


async def new_case(
    client: httpx.AsyncClient, bot_headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    payload = referral_payload(**overrides)
    created = await create_referral(client, bot_headers, payload)
    return {**created, "conversation_id": payload["conversation_id"]}


async def on_offer(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    hours = (await client.get("/v1/service/hours")).json()
    assert hours["open_now"] is True
    windows: list[dict[str, Any]] = hours["callback_windows"]
    return windows


class TestCallback:
    async def test_the_chosen_time_is_kept_and_the_caseworker_sees_it(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        case = await new_case(client, bot_headers)
        window = (await on_offer(client))[-1]
        reply = await client.post(
            f"/v1/referrals/{case['reference']}/callback",
            json={"window": window["id"], "conversation_id": case["conversation_id"]},
            headers=bot_headers,
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert (body["callback_from"], body["callback_until"]) == (window["starts_at"], window["ends_at"])
        assert body["deadline"] == case["deadline"]  # the promise to the person stands
        caseworker = bearer(await create_principal(app, "provider", "Synthetic team", ["hate_crime"]))
        [item] = (await client.get("/v1/queues/hate_crime/cases", headers=caseworker)).json()["items"]
        assert (item["callback_from"], item["callback_until"]) == (window["starts_at"], window["ends_at"])
        detail = (await client.get(f"/v1/referrals/{case['reference']}", headers=caseworker)).json()
        assert detail["callback_until"] == window["ends_at"]
        async with app.state.sessionmaker() as session:
            referral = await session.scalar(select(Referral).where(Referral.reference == case["reference"]))
            assert referral is not None
            entry = await session.scalar(select(QueueEntry).where(QueueEntry.referral_id == referral.id))
            events = list(
                await session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.callback"))
            )
        assert entry is not None and entry.deadline is not None
        # The queue sorts it by the end of the call-back time when that is sooner than the deadline.
        expected = min(datetime.fromisoformat(window["ends_at"]), datetime.fromisoformat(case["deadline"]))
        assert as_utc(entry.deadline) == expected
        [event] = events
        assert event.reason == f"window={window['id']} entries=1"

    async def test_a_time_not_on_offer_is_refused_and_nothing_changes(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        case = await new_case(client, bot_headers)
        offered = {w["id"] for w in await on_offer(client)}
        missing = next(
            f"{h:02d}00-{h + 1:02d}00" for h in range(23) if f"{h:02d}00-{h + 1:02d}00" not in offered
        )
        reply = await client.post(
            f"/v1/referrals/{case['reference']}/callback",
            json={"window": missing, "conversation_id": case["conversation_id"]},
            headers=bot_headers,
        )
        assert reply.status_code == 409
        assert reply.json()["error"] == "callback_unavailable"
        admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
        read = (await client.get(f"/v1/referrals/{case['reference']}", headers=admin)).json()
        assert read["callback_from"] is None

    async def test_no_call_back_without_consent_to_phone_calls(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        consent = referral_payload()["consent"]
        consent["purposes"] = ["store_and_process", "share_with_provider", "contact_sms"]
        case = await new_case(client, bot_headers, consent=consent)
        reply = await client.post(
            f"/v1/referrals/{case['reference']}/callback",
            json={"window": "asap", "conversation_id": case["conversation_id"]},
            headers=bot_headers,
        )
        assert reply.status_code == 409
        assert reply.json()["error"] == "callback_unavailable"

    async def test_only_for_the_bots_own_conversation(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        mine, other = await new_case(client, bot_headers), await new_case(client, bot_headers)
        reply = await client.post(
            f"/v1/referrals/{other['reference']}/callback",
            json={"window": "asap", "conversation_id": mine["conversation_id"]},
            headers=bot_headers,
        )
        assert reply.status_code == 404

    @pytest.mark.parametrize("window", ["soon", "2pm", "14:00-16:00", ""])
    async def test_a_malformed_window_is_a_clear_error(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str], window: str
    ) -> None:
        case = await new_case(client, bot_headers)
        reply = await client.post(
            f"/v1/referrals/{case['reference']}/callback",
            json={"window": window, "conversation_id": case["conversation_id"]},
            headers=bot_headers,
        )
        assert reply.status_code == 422
        assert reply.json()["error"] == "invalid_request"
