"""Every error is `{"error", "code", "detail"}`, whichever layer answers: ours, FastAPI's or Starlette's."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.builders import bearer, create_principal


def assert_shape(reply: httpx.Response, status: int, error: str) -> None:
    assert reply.status_code == status, reply.text
    assert set(reply.json()) == {"error", "code", "detail"}
    assert (reply.json()["error"], reply.json()["code"]) == (error, status)
    assert reply.json()["detail"]


class TestErrorShape:
    async def test_401(self, client: httpx.AsyncClient) -> None:
        assert_shape(await client.get("/v1/admin/audit/verify"), 401, "unauthenticated")

    async def test_403(self, client: httpx.AsyncClient, bot_headers: dict[str, str]) -> None:
        assert_shape(await client.get("/v1/admin/audit/verify", headers=bot_headers), 403, "forbidden")

    async def test_404_unknown_route(self, client: httpx.AsyncClient) -> None:
        assert_shape(await client.get("/v1/nowhere"), 404, "not_found")

    async def test_404_missing_case(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        admin = await create_principal(app, "admin", "Synthetic admin")
        reply = await client.get("/v1/referrals/SR-ZZZZ-ZZZZ", headers=bearer(admin))
        assert_shape(reply, 404, "referral_not_found")

    async def test_405_names_the_allowed_methods(self, client: httpx.AsyncClient) -> None:
        reply = await client.patch("/healthz")
        assert_shape(reply, 405, "method_not_allowed")
        assert reply.headers["allow"] == "GET"

    async def test_422_invalid_payload(self, client: httpx.AsyncClient) -> None:
        reply = await client.post("/v1/chat/conversations", json={"language": "not a language"})
        assert_shape(reply, 422, "invalid_request")
        assert reply.json()["detail"][0]["field"] == "language"

    async def test_422_malformed_path_parameter(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        admin = await create_principal(app, "admin", "Synthetic admin")
        reply = await client.get("/v1/referrals/not-a-reference", headers=bearer(admin))
        assert_shape(reply, 422, "invalid_request")

    async def test_422_body_that_is_not_json(self, client: httpx.AsyncClient) -> None:
        reply = await client.post(
            "/v1/chat/conversations", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert_shape(reply, 422, "invalid_request")

    async def test_422_body_that_is_not_even_text(self, client: httpx.AsyncClient) -> None:
        reply = await client.post(
            "/v1/chat/conversations", content=b"\xff\xfe\x00", headers={"content-type": "application/json"}
        )
        assert_shape(reply, 422, "invalid_request")
        assert reply.json()["detail"] == [
            {"field": "body", "message": "The body could not be parsed as JSON."}
        ]
