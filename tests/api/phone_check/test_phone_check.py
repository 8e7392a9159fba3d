"""Confirming the person's number with a one-time code (POST /v1/referrals/{reference}/phone-check and
…/confirm): the code goes into the SMS outbox, only its keyed hash is kept, a right code marks the number
verified in the sealed contact details, wrong codes are capped, an expired code is refused, and a case whose
person did not say texts are safe is never sent one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.config import Settings
from api.intake import contact_checks
from api.kit.models import utcnow
from api.phone_check.models import CheckState, PhoneCheck
from api.referral import service as referral_service
from api.referral.models import Referral
from api.retention import disposal
from api.sms.identity import conversation_id_for, outbound_aad
from api.sms.models import OutboxState, SmsOutbound
from tests.builders import create_referral, referral_payload

NUMBER = "+447700900123"  # referral_payload's number, in E.164


async def new_case(
    client: httpx.AsyncClient, bot_headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    payload = referral_payload(**overrides)
    created = await create_referral(client, bot_headers, payload)
    return {**created, "conversation_id": payload["conversation_id"]}


async def send(client: httpx.AsyncClient, headers: dict[str, str], case: dict[str, Any]) -> httpx.Response:
    return await client.post(
        f"/v1/referrals/{case['reference']}/phone-check",
        json={"conversation_id": case["conversation_id"]},
        headers=headers,
    )


async def confirm(
    client: httpx.AsyncClient, headers: dict[str, str], case: dict[str, Any], code: str
) -> httpx.Response:
    return await client.post(
        f"/v1/referrals/{case['reference']}/phone-check/confirm",
        json={"conversation_id": case["conversation_id"], "code": code},
        headers=headers,
    )


async def texts_to(app: FastAPI, number: str) -> list[str]:
    """The bodies waiting in the outbox for `number`, oldest first."""
    vault = app.state.vault
    async with app.state.sessionmaker() as session:
        rows = list(
            await session.scalars(
                select(SmsOutbound)
                .where(SmsOutbound.conversation_id == conversation_id_for(vault, number))
                .order_by(SmsOutbound.seq)
            )
        )
    assert all(row.state == OutboxState.pending for row in rows)
    return [vault.cipher.open(row.body_sealed, outbound_aad(row.id).encode()).decode() for row in rows]


def code_in(text: str) -> str:
    [code] = [word.strip(".") for word in text.split() if word.strip(".").isdigit()]
    return code


async def person_of(app: FastAPI, reference: str) -> dict[str, Any]:
    async with app.state.sessionmaker() as session:
        referral = await session.scalar(select(Referral).where(Referral.reference == reference))
        assert referral is not None
        return referral_service.person_of(app.state.vault, referral)


class TestSendCode:
    async def test_a_code_goes_into_the_outbox_in_the_persons_language_and_only_its_hash_is_kept(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        case = await new_case(client, bot_headers, language="pl")
        reply = await send(client, bot_headers, case)
        assert reply.status_code == 200, reply.text
        assert reply.json() == {"outcome": "sent", "attempts_left": 3}
        [text] = await texts_to(app, NUMBER)
        code = code_in(text)
        assert len(code) == 6
        assert text == app.state.translator.t("bot.sms.phone_code", "pl", code=code)
        async with app.state.sessionmaker() as session:
            [check] = list(await session.scalars(select(PhoneCheck)))
        assert code not in check.code_hash and len(check.code_hash) == 64
        assert check.state == CheckState.sent

    async def test_a_newer_code_replaces_the_older_and_the_number_of_codes_is_capped(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str], settings: Settings
    ) -> None:
        case = await new_case(client, bot_headers)
        for _ in range(settings.phone_check_max_codes):
            assert (await send(client, bot_headers, case)).status_code == 200
        texts = await texts_to(app, NUMBER)
        assert len(texts) == settings.phone_check_max_codes
        old = code_in(texts[0])
        refused = await send(client, bot_headers, case)
        assert refused.status_code == 409
        assert refused.json()["error"] == "phone_check_unavailable"
        newest = code_in(texts[-1])
        if old != newest:  # the old code no longer works (1 in a million they are the same)
            assert (await confirm(client, bot_headers, case, old)).json()["outcome"] == "wrong"
        assert (await confirm(client, bot_headers, case, newest)).json()["outcome"] == "verified"

    @pytest.mark.parametrize(
        "person", [{"phone": "07700 900123", "sms_safe": False}, {"phone": "07700 900123"}]
    )
    async def test_no_code_when_texts_are_not_known_to_be_safe(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str], person: dict[str, Any]
    ) -> None:
        case = await new_case(client, bot_headers, person=person)
        reply = await send(client, bot_headers, case)
        assert reply.status_code == 409
        assert reply.json()["error"] == "phone_check_unavailable"
        assert await texts_to(app, NUMBER) == []

    async def test_another_conversation_cannot_ask_for_a_code(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        case = await new_case(client, bot_headers)
        reply = await send(client, bot_headers, {**case, "conversation_id": "w_someone_else"})
        assert reply.status_code == 404
        assert await texts_to(app, NUMBER) == []


class TestConfirmCode:
    async def test_the_right_code_verifies_the_number_in_the_stored_referral(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        case = await new_case(client, bot_headers)
        assert (await person_of(app, case["reference"]))[contact_checks.PROVENANCE]["phone"][
            "source"
        ] == "chat_typed"
        await send(client, bot_headers, case)
        [text] = await texts_to(app, NUMBER)
        code = code_in(text)
        reply = await confirm(client, bot_headers, case, f"my code is {code[:3]} {code[3:]}")
        assert reply.json() == {"outcome": "verified", "attempts_left": 2}
        person = await person_of(app, case["reference"])
        assert person["phone"] == NUMBER
        assert contact_checks.phone_provenance(person, "web_chat") == (
            contact_checks.PhoneSource.chat_code,
            True,
        )
        # Already verified: no second code is sent.
        assert (await send(client, bot_headers, case)).json()["outcome"] == "verified"
        assert len(await texts_to(app, NUMBER)) == 1
        async with app.state.sessionmaker() as session:
            details = list(
                await session.scalars(
                    select(AuditEvent.reason).where(
                        AuditEvent.action.in_(["phone_check.send", "phone_check.confirm"])
                    )
                )
            )
        assert len(details) == 2 and all(code not in d and "7700" not in d for d in details)

    async def test_three_wrong_codes_leave_it_unverified_and_the_right_one_then_fails(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        case = await new_case(client, bot_headers)
        await send(client, bot_headers, case)
        [text] = await texts_to(app, NUMBER)
        code = code_in(text)
        wrong = "000000" if code != "000000" else "111111"
        answers = [(await confirm(client, bot_headers, case, wrong)).json() for _ in range(3)]
        assert answers == [
            {"outcome": "wrong", "attempts_left": 2},
            {"outcome": "wrong", "attempts_left": 1},
            {"outcome": "failed", "attempts_left": 0},
        ]
        late = await confirm(client, bot_headers, case, code)
        assert late.status_code == 409 and late.json()["error"] == "phone_check_not_open"
        person = await person_of(app, case["reference"])
        assert contact_checks.phone_provenance(person, "web_chat") == (
            contact_checks.PhoneSource.chat_typed,
            False,
        )

    async def test_an_expired_code_is_refused(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        case = await new_case(client, bot_headers)
        await send(client, bot_headers, case)
        [text] = await texts_to(app, NUMBER)
        async with app.state.sessionmaker() as session, session.begin():
            check = await session.scalar(select(PhoneCheck))
            assert check is not None
            check.expires_at = check.expires_at - timedelta(hours=1)
        reply = await confirm(client, bot_headers, case, code_in(text))
        assert reply.json()["outcome"] == "expired"
        person = await person_of(app, case["reference"])
        assert contact_checks.phone_provenance(person, "web_chat")[1] is False

    async def test_nothing_to_confirm_without_a_code_sent(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        case = await new_case(client, bot_headers)
        reply = await confirm(client, bot_headers, case, "123456")
        assert reply.status_code == 409 and reply.json()["error"] == "phone_check_not_open"


class TestProvenanceAtIntake:
    async def test_the_sms_senders_own_number_is_verified_by_the_channel(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        own = conversation_id_for(app.state.vault, NUMBER)
        case = await new_case(client, bot_headers, source="sms", conversation_id=own)
        person = await person_of(app, case["reference"])
        assert contact_checks.phone_provenance(person, "sms") == (contact_checks.PhoneSource.sms_sender, True)
        assert case["phone_verified"] is True  # the bot offers no code for it

    async def test_another_number_given_by_sms_is_typed_and_unverified(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        other = conversation_id_for(app.state.vault, "+447700900456")
        case = await new_case(client, bot_headers, source="sms", conversation_id=other)
        person = await person_of(app, case["reference"])
        assert contact_checks.phone_provenance(person, "sms") == (
            contact_checks.PhoneSource.chat_typed,
            False,
        )
        assert case["phone_verified"] is False  # the bot offers a code: it may be mistyped

    async def test_a_number_typed_in_the_web_chat_is_not_verified_at_creation(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        case = await new_case(client, bot_headers)
        assert case["phone_verified"] is False


class TestErasure:
    async def test_erasing_the_case_erases_its_codes(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str], settings: Settings
    ) -> None:
        case = await new_case(client, bot_headers)
        await send(client, bot_headers, case)
        async with app.state.sessionmaker() as session, session.begin():
            referral = await session.scalar(select(Referral).where(Referral.reference == case["reference"]))
            assert referral is not None
            counts = await disposal.erase_referral(
                session, settings, referral, now=utcnow(), reason="erasure_request"
            )
        assert counts["phone_check"] == 1
        async with app.state.sessionmaker() as session:
            assert list(await session.scalars(select(PhoneCheck))) == []
