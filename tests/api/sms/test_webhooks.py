"""The two Twilio webhooks: the signature is the authentication; storing is idempotent by MessageSid."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from api.sms.identity import conversation_id_for
from api.sms.schemas import EMPTY_TWIML
from tests.api.sms.conftest import (
    INBOUND,
    PERSON,
    PUBLIC,
    STATUS,
    inbound_params,
    inbound_rows,
    post_signed,
    sign,
)


class TestInboundSignature:
    async def test_a_signed_message_is_stored_and_answered_with_empty_twiml(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        response = await post_signed(client, INBOUND, inbound_params("hello"))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/xml")
        assert response.text == EMPTY_TWIML
        rows = await inbound_rows(app)
        assert [(r.message_sid, r.status) for r in rows] == [(inbound_params()["MessageSid"], "received")]
        assert rows[0].conversation_id == conversation_id_for(app.state.vault, PERSON)

    async def test_a_wrong_signature_is_403_and_nothing_is_stored(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        params = inbound_params("hello")
        response = await post_signed(
            client, INBOUND, params, signature=sign(PUBLIC + INBOUND, params, "x" * 32)
        )
        assert response.status_code == 403
        assert response.json()["error"] == "invalid_signature"
        assert await inbound_rows(app) == []

    async def test_a_missing_signature_is_403_and_nothing_is_stored(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        response = await post_signed(client, INBOUND, inbound_params("hello"), signature=None)
        assert response.status_code == 403
        assert set(response.json()) == {"error", "code", "detail"}
        assert await inbound_rows(app) == []

    async def test_a_body_changed_after_signing_is_403(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        params = inbound_params("hello")
        signature = sign(PUBLIC + INBOUND, params)
        response = await post_signed(client, INBOUND, {**params, "Body": "changed"}, signature=signature)
        assert response.status_code == 403
        assert await inbound_rows(app) == []

    async def test_a_signature_for_another_url_is_403(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        params = inbound_params("hello")
        response = await post_signed(client, INBOUND, params, signed_url="https://evil.example" + INBOUND)
        assert response.status_code == 403

    async def test_proxy_headers_are_ignored_unless_trusted(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        params = inbound_params("hello")
        proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "helpline.example.net"}
        response = await post_signed(
            client, INBOUND, params, signed_url="https://helpline.example.net" + INBOUND, headers=proxied
        )
        assert response.status_code == 403

    async def test_behind_a_trusted_proxy_the_forwarded_scheme_and_host_are_signed(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        app.state.settings = app.state.settings.model_copy(
            update={"trust_proxy_headers": True, "public_base_url": "http://127.0.0.1:8000"}
        )
        params = inbound_params("hello")
        proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "helpline.example.net"}
        response = await post_signed(
            client, INBOUND, params, signed_url="https://helpline.example.net" + INBOUND, headers=proxied
        )
        assert response.status_code == 200
        unsigned_for_proxy = await post_signed(
            client, INBOUND, inbound_params("hello", n=2), signed_url="http://127.0.0.1:8000" + INBOUND,
            headers=proxied,
        )  # fmt: skip
        assert unsigned_for_proxy.status_code == 403


class TestInboundStorage:
    async def test_a_redelivery_is_acknowledged_and_ignored(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        params = inbound_params("hello")
        first = await post_signed(client, INBOUND, params)
        again = await post_signed(client, INBOUND, params)
        assert (first.status_code, again.status_code) == (200, 200)
        assert again.text == EMPTY_TWIML
        assert len(await inbound_rows(app)) == 1

    async def test_the_number_and_body_are_sealed_never_stored_in_the_clear(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        await post_signed(client, INBOUND, inbound_params("a synthetic secret sentence"))
        engine = app.state.engine
        async with engine.connect() as connection:
            for table in ("sms_inbound", "sms_contact"):
                rows = (await connection.exec_driver_sql(f"SELECT * FROM {table}")).all()  # noqa: S608
                dumped = repr(rows)
                assert "synthetic secret" not in dumped
                assert "7700900123" not in dumped

    @pytest.mark.parametrize(
        "change",
        [
            {"MessageSid": ""},
            {"MessageSid": "not-a-sid"},
            {"From": ""},
            {"From": "anonymous"},
            {"From": "VODAFONE"},
        ],
    )
    async def test_a_signed_form_without_sid_or_sender_is_422_and_nothing_is_stored(
        self, client: httpx.AsyncClient, app: FastAPI, change: dict[str, str]
    ) -> None:
        response = await post_signed(client, INBOUND, {**inbound_params("hello"), **change})
        assert response.status_code == 422
        assert response.json()["error"] == "invalid_webhook"
        assert await inbound_rows(app) == []

    async def test_any_number_starts_a_conversation_of_its_own(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        await post_signed(client, INBOUND, inbound_params("hi", n=1, sender="+447700900201"))
        await post_signed(client, INBOUND, inbound_params("hi", n=2, sender="+48500100200"))
        await post_signed(client, INBOUND, inbound_params("hi", n=3, sender="07700 900201"))
        rows = await inbound_rows(app)
        assert len({r.conversation_id for r in rows}) == 2
        assert all(r.conversation_id.startswith("s_") and len(r.conversation_id) <= 64 for r in rows)

    async def test_logs_carry_ids_never_the_number_or_the_words(
        self, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.DEBUG):
            await post_signed(client, INBOUND, inbound_params("my synthetic words", n=9))
        text = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
        assert "synthetic words" not in text
        assert "7700900123" not in text


class TestStatusSignature:
    async def test_an_unsigned_status_is_403(self, client: httpx.AsyncClient) -> None:
        params = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}
        response = await post_signed(client, STATUS, params, signature=None)
        assert response.status_code == 403

    async def test_a_signed_status_about_no_message_of_ours_is_acknowledged(
        self, client: httpx.AsyncClient
    ) -> None:
        params = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}
        response = await post_signed(client, STATUS + "?m=00000000-0000-0000-0000-000000000000", params)
        assert response.status_code == 204
