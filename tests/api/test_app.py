"""The app skeleton: health, readiness, error shape, settings, SQLite configuration, logs."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from sqlalchemy import text


class TestHealth:
    async def test_liveness(self, client: httpx.AsyncClient) -> None:
        reply = await client.get("/healthz")
        assert reply.status_code == 200
        assert reply.json() == {"status": "ok"}

    async def test_readiness_reports_each_dependency(self, client: httpx.AsyncClient) -> None:
        reply = await client.get("/readyz")
        assert reply.status_code == 503
        assert reply.json()["checks"] == {
            "database": True,
            "worker": False,
            "bot": False,
            "sms_queues": True,
        }


class TestErrors:
    async def test_unknown_route_is_a_typed_error(self, client: httpx.AsyncClient) -> None:
        reply = await client.get("/v1/nothing-here")
        assert reply.status_code == 404
        assert set(reply.json()) == {"error", "code", "detail"}
        assert reply.json()["code"] == 404

    async def test_missing_token(self, client: httpx.AsyncClient) -> None:
        reply = await client.get("/v1/queues/hate_crime/cases")
        assert reply.status_code == 401
        assert reply.json()["error"] == "unauthenticated"
        assert reply.headers["www-authenticate"] == "Bearer"

    async def test_wrong_token(self, client: httpx.AsyncClient) -> None:
        reply = await client.get("/v1/queues/hate_crime/cases", headers={"Authorization": "Bearer srt_nope"})
        assert reply.status_code == 401

    async def test_validation_names_the_field_and_never_echoes_the_value(
        self, client: httpx.AsyncClient
    ) -> None:
        secret = "x" * 5001
        created = await client.post("/v1/chat/conversations", json={"language": "en"})
        reply = await client.post(
            f"/v1/chat/conversations/{created.json()['id']}/messages", json={"text": secret}
        )
        assert reply.status_code == 422
        body = reply.json()
        assert body["error"] == "invalid_request"
        assert body["detail"][0]["field"] == "text"
        assert secret not in reply.text

    async def test_detail_follows_accept_language_when_available(self, client: httpx.AsyncClient) -> None:
        reply = await client.get("/v1/queues/hate_crime/cases", headers={"Accept-Language": "xx, en;q=0.5"})
        assert reply.json()["detail"] == "A valid bearer token is needed."


class TestSqlite:
    async def test_wal_foreign_keys_and_immediate_transactions(self, app: object) -> None:
        sessionmaker = app.state.sessionmaker  # type: ignore[attr-defined]
        async with sessionmaker() as session:
            assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            # Inside BEGIN IMMEDIATE this connection already holds the write lock.
            raw = await (await session.connection()).get_raw_connection()
            assert raw.driver_connection.in_transaction


class TestLogs:
    async def test_request_log_is_json_with_the_route_template(
        self, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="api.request")
        await client.get("/v1/queues/hate_crime/cases")
        records = [r for r in caplog.records if r.name == "api.request"]
        assert records[-1].route == "/v1/queues/{queue}/cases"  # type: ignore[attr-defined]
        from api.observability import JsonFormatter

        line = json.loads(JsonFormatter().format(records[-1]))
        assert line["status"] == 401
