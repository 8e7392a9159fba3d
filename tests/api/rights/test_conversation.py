"""The returning person: after the bot's session expired its slots name no case, but the api knows which
conversation made which referral. The bot withdraws consent and marks danger by conversation id; only the
bot may, and only the referrals the bot made in the conversation it names are touched. An SMS number keeps
one conversation id for good, so a texter who comes back days later is found."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.queue.models import EntryStatus, QueueEntry
from api.sms.identity import conversation_id_for
from tests.api.rights.helpers import audit_events, dpo_headers, referral_row
from tests.builders import (
    agency_referral_payload,
    bearer,
    create_principal,
    create_referral,
    referral_payload,
)
from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql


@pytest.fixture(params=BOTH_DIALECTS)
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    """Every test here on SQLite and on PostgreSQL (tests/pg.py)."""
    yield from sqlite_or_postgresql(request, database_url)


def withdraw_path(conversation_id: str) -> str:
    return f"/v1/conversations/{conversation_id}/consent-withdrawal"


def urgent_path(conversation_id: str) -> str:
    return f"/v1/conversations/{conversation_id}/urgent"


async def bot_case(
    client: httpx.AsyncClient, bot_headers: dict[str, str], **overrides: Any
) -> tuple[str, str]:
    payload = referral_payload(**overrides)
    created = await create_referral(client, bot_headers, payload)
    return created["reference"], payload["conversation_id"]


async def statuses(app: FastAPI, reference: str) -> list[str]:
    row = await referral_row(app, reference)
    assert row is not None
    async with app.state.sessionmaker() as session:
        return [
            str(e.status)
            for e in await session.scalars(select(QueueEntry).where(QueueEntry.referral_id == row.id))
        ]


class TestWithdrawByConversation:
    async def test_a_returning_texter_withdraws_the_case_the_number_made(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        conversation = conversation_id_for(app.state.vault, "+447700900123")  # what the SMS layer names it
        reference, _ = await bot_case(client, bot_headers, source="sms", conversation_id=conversation)
        reply = await client.post(withdraw_path(conversation), headers=bot_headers)
        assert reply.status_code == 200, reply.text
        assert reply.json() == {"references": [reference], "withdrawn_now": 1}
        row = await referral_row(app, reference)
        assert row is not None and row.withdrawn_at is not None
        assert await statuses(app, reference) == [EntryStatus.withdrawn]
        assert "consent.withdraw" in [e.action for e in await audit_events(app)]

    async def test_again_names_the_case_and_withdraws_nothing_more(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reference, conversation = await bot_case(client, bot_headers)
        first = await client.post(withdraw_path(conversation), headers=bot_headers)
        again = await client.post(withdraw_path(conversation), headers=bot_headers)
        assert first.json() == {"references": [reference], "withdrawn_now": 1}
        assert again.json() == {"references": [reference], "withdrawn_now": 0}

    async def test_a_conversation_that_made_no_referral_has_nothing_kept(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reference, _ = await bot_case(client, bot_headers)
        reply = await client.post(withdraw_path("w_another_conversation"), headers=bot_headers)
        assert reply.json() == {"references": [], "withdrawn_now": 0}
        row = await referral_row(app, reference)
        assert row is not None and row.withdrawn_at is None  # someone else's case is untouched

    async def test_an_agency_case_naming_the_conversation_is_not_the_bots(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        agency = bearer(await create_principal(app, "agency", "Synthetic housing team"))
        payload = agency_referral_payload("asb", conversation_id="w_shared_conversation")
        created = await create_referral(client, bot_headers, payload, as_headers=agency)
        reply = await client.post(withdraw_path("w_shared_conversation"), headers=bot_headers)
        assert reply.json()["references"] == []
        row = await referral_row(app, created["reference"])
        assert row is not None and row.withdrawn_at is None


class TestUrgentByConversation:
    async def test_the_open_case_becomes_urgent(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reference, conversation = await bot_case(client, bot_headers)
        reply = await client.post(urgent_path(conversation), headers=bot_headers)
        assert reply.status_code == 200, reply.text
        assert reply.json() == {"references": [reference]}
        row = await referral_row(app, reference)
        assert row is not None and (row.priority, row.emergency) == ("emergency", True)

    async def test_a_withdrawn_case_and_another_conversations_case_are_left(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        withdrawn, conversation = await bot_case(client, bot_headers)
        await client.post(withdraw_path(conversation), headers=bot_headers)
        other, _ = await bot_case(client, bot_headers)
        reply = await client.post(urgent_path(conversation), headers=bot_headers)
        assert reply.json() == {"references": []}
        for reference in (withdrawn, other):
            row = await referral_row(app, reference)
            assert row is not None and row.priority == "normal"


class TestOnlyTheBot:
    @pytest.mark.parametrize("kind", ["admin", "agency", "data_protection", "provider"])
    @pytest.mark.parametrize("path", [withdraw_path, urgent_path])
    async def test_other_principals_are_refused(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str], kind: str, path: Any
    ) -> None:
        reference, conversation = await bot_case(client, bot_headers)
        token = (
            await dpo_headers(app)
            if kind == "data_protection"
            else bearer(
                await create_principal(
                    app, kind, f"Synthetic {kind}", ["hate_crime"] if kind == "provider" else []
                )
            )
        )
        reply = await client.post(path(conversation), headers=token)
        assert reply.status_code == 403
        anonymous = await client.post(path(conversation))
        assert anonymous.status_code == 401
        row = await referral_row(app, reference)
        assert row is not None and row.withdrawn_at is None and row.priority == "normal"


class TestWebChatDangerMarksUrgentDurably:
    async def test_danger_typed_in_the_chat_makes_its_open_case_urgent_before_the_bot_is_asked(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        started = await client.post("/v1/chat/conversations", json={"language": "en"})
        assert started.status_code == 201, started.text
        conversation = started.json()["id"]
        reference, _ = await bot_case(client, bot_headers, conversation_id=conversation)
        other, _ = await bot_case(client, bot_headers)
        calm = await client.post(f"/v1/chat/conversations/{conversation}/messages", json={"text": "hello"})
        assert calm.status_code == 503  # no bot in these tests
        row = await referral_row(app, reference)
        assert row is not None and not row.emergency

        said = await client.post(
            f"/v1/chat/conversations/{conversation}/messages", json={"text": "he's here now"}
        )
        assert said.status_code == 503  # the bot is down, and still the case was marked
        row = await referral_row(app, reference)
        assert row is not None and (row.priority, row.emergency) == ("emergency", True)
        untouched = await referral_row(app, other)
        assert untouched is not None and not untouched.emergency
        assert [e.action for e in await audit_events(app)].count("referral.urgent") == 1
