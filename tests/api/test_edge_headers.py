"""Headers and surface at the edge (issue 15): HSTS outside development, `no-store` on every /v1 answer and
every HTML page, the documentation routes off unless enabled."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from api.config import Settings
from api.main import create_app

DOCS = ("/openapi.json", "/docs", "/redoc")


def client_of(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


class TestHsts:
    async def test_sent_outside_development(self, client: httpx.AsyncClient) -> None:
        for path in ("/healthz", "/chat", "/v1/nothing-here"):
            reply = await client.get(path)
            assert reply.headers["strict-transport-security"].startswith("max-age=63072000"), path

    async def test_sent_with_a_size_refusal_too(self, client: httpx.AsyncClient) -> None:
        reply = await client.post("/v1/referrals", content=b"x" * (2 * 1024 * 1024))
        assert reply.status_code == 413
        assert "strict-transport-security" in reply.headers
        assert reply.headers["cache-control"] == "no-store"

    async def test_not_sent_in_development(self, settings: Settings) -> None:
        app = create_app(settings.model_copy(update={"app_env": "development"}))
        async with client_of(app) as http:
            reply = await http.get("/healthz")
        assert "strict-transport-security" not in reply.headers


class TestNoStore:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("POST", "/v1/chat/conversations"),  # a public answer carrying a conversation
            ("GET", "/v1/referrals/SR-2345-6789"),  # 401, still no-store
            ("GET", "/v1/nothing-here"),  # a 404 under /v1
            ("GET", "/v1/service/hours"),
        ],
    )
    async def test_every_v1_answer(self, client: httpx.AsyncClient, method: str, path: str) -> None:
        reply = await client.request(method, path, json={} if method == "POST" else None)
        assert reply.headers["cache-control"] == "no-store", (method, path, reply.status_code)

    async def test_a_read_case_is_no_store(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reply = await client.get("/v1/referrals/SR-2345-6789", headers=bot_headers)
        assert reply.status_code in (403, 404)
        assert reply.headers["cache-control"] == "no-store"

    @pytest.mark.parametrize("path", ["/chat", "/refer/sign-in"])
    async def test_every_html_page(self, client: httpx.AsyncClient, path: str) -> None:
        reply = await client.get(path)
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/html")
        assert reply.headers["cache-control"] == "no-store"

    async def test_static_files_keep_their_own_rule(self, client: httpx.AsyncClient) -> None:
        page = await client.get("/chat")
        script = next(p for p in page.text.split('"') if p.startswith("/chat/static/"))
        reply = await client.get(script)
        assert reply.status_code == 200
        assert reply.headers["cache-control"] != "no-store"


class TestDocs:
    async def test_off_outside_development(self, client: httpx.AsyncClient) -> None:
        for path in DOCS:
            assert (await client.get(path)).status_code == 404, path

    async def test_on_when_enabled(self, settings: Settings) -> None:
        app = create_app(settings.model_copy(update={"api_docs_enabled": True}))
        async with client_of(app) as http:
            for path in DOCS:
                assert (await http.get(path)).status_code == 200, path

    async def test_on_by_default_in_development_only(self, settings: Settings) -> None:
        for env, served in (("development", 200), ("production", 404), ("test", 404)):
            app = create_app(settings.model_copy(update={"app_env": env}))
            async with client_of(app) as http:
                assert (await http.get("/openapi.json")).status_code == served, env
        disabled = settings.model_copy(update={"app_env": "development", "api_docs_enabled": False})
        async with client_of(create_app(disabled)) as http:
            assert (await http.get("/docs")).status_code == 404
