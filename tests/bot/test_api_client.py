"""The bot's api client (bot/actions/api_client.py: aiohttp and the standard library only, so it runs here)
against a local stand-in for the api: what it sends to make a case urgent."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from api.config import REPO_ROOT

# By file: bot/actions/__init__.py imports the Rasa SDK, which only the bot's environment has.
_spec = importlib.util.spec_from_file_location("bot_api_client", REPO_ROOT / "bot/actions/api_client.py")
assert _spec is not None and _spec.loader is not None
api_client = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api_client)
ApiClient, ApiError = api_client.ApiClient, api_client.ApiError


@pytest.fixture
async def api() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def urgent(request: web.Request) -> web.Response:
        seen.append(
            {
                "path": request.path,
                "auth": request.headers.get("Authorization"),
                "body": json.loads(await request.read()),
            }
        )
        if request.match_info["reference"] == "SR-ZZZZ-ZZZZ":
            return web.json_response({"error": "referral_not_found", "code": 404, "detail": "x"}, status=404)
        return web.json_response({"reference": request.match_info["reference"], "priority": "emergency"})

    async def by_conversation(request: web.Request) -> web.Response:
        seen.append({"path": request.path, "auth": request.headers.get("Authorization")})
        if request.match_info["conversation"] == "s_down":
            return web.json_response({"error": "forbidden", "code": 403, "detail": "x"}, status=403)
        if request.match_info["conversation"] == "s_none":
            return web.json_response({"references": [], "withdrawn_now": 0})
        return web.json_response({"references": ["SR-2345-6789"], "withdrawn_now": 1})

    app = web.Application()
    app.router.add_post("/v1/referrals/{reference}/urgent", urgent)
    app.router.add_post("/v1/conversations/{conversation}/consent-withdrawal", by_conversation)
    app.router.add_post("/v1/conversations/{conversation}/urgent", by_conversation)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


class TestMarkUrgent:
    async def test_names_the_case_and_the_conversation(self, api: tuple[str, list[dict[str, Any]]]) -> None:
        url, seen = api
        result = await ApiClient(url, "synthetic-token").mark_urgent("SR-2345-6789", "c_conversation")
        assert result["priority"] == "emergency"
        assert seen == [
            {
                "path": "/v1/referrals/SR-2345-6789/urgent",
                "auth": "Bearer synthetic-token",
                "body": {"reason": "danger_reported", "conversation_id": "c_conversation"},
            }
        ]

    async def test_a_refusal_is_an_api_error_not_retried(self, api: tuple[str, list[dict[str, Any]]]) -> None:
        url, seen = api
        with pytest.raises(ApiError):
            await ApiClient(url, "synthetic-token").mark_urgent("SR-ZZZZ-ZZZZ", "c_conversation")
        assert len(seen) == 1


class TestByConversation:
    """When the bot's session has forgotten the case, it asks by the conversation it is talking in."""

    async def test_withdrawal_answers_the_references_found(
        self, api: tuple[str, list[dict[str, Any]]]
    ) -> None:
        url, seen = api
        client = ApiClient(url, "synthetic-token")
        assert await client.withdraw_by_conversation("s_texter") == ["SR-2345-6789"]
        assert await client.withdraw_by_conversation("s_none") == []
        assert seen[0] == {
            "path": "/v1/conversations/s_texter/consent-withdrawal",
            "auth": "Bearer synthetic-token",
        }

    async def test_urgent_and_a_refusal(self, api: tuple[str, list[dict[str, Any]]]) -> None:
        url, seen = api
        client = ApiClient(url, "synthetic-token")
        assert await client.urgent_by_conversation("s_texter") == ["SR-2345-6789"]
        with pytest.raises(ApiError):
            await client.urgent_by_conversation("s_down")
        assert [s["path"] for s in seen] == [
            "/v1/conversations/s_texter/urgent",
            "/v1/conversations/s_down/urgent",
        ]


@pytest.fixture
async def slow_api() -> AsyncIterator[tuple[str, list[str]]]:
    """POST /v1/referrals: the first answer comes after the client gave up (the referral is stored all the
    same, under its Idempotency-Key); a repeat with the same key answers the same referral at once."""
    import asyncio

    keys: list[str] = []
    stored: dict[str, dict[str, Any]] = {}

    async def referrals(request: web.Request) -> web.Response:
        key = request.headers["Idempotency-Key"]
        keys.append(key)
        first = key not in stored
        stored.setdefault(key, {"reference": f"SR-{len(stored) + 2345}-6789", "queue": "hate_crime"})
        if first:
            await asyncio.sleep(1.0)
        return web.json_response(stored[key], status=201)

    app = web.Application()
    app.router.add_post("/v1/referrals", referrals)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", keys
    await runner.cleanup()


class TestTimeouts:
    async def test_a_timeout_is_retried_with_the_same_key_and_the_first_referral_is_answered(
        self, slow_api: tuple[str, list[str]]
    ) -> None:
        url, keys = slow_api
        result = await ApiClient(url, "synthetic-token", timeout=0.3).create_referral({"synthetic": True})
        assert result["reference"] == "SR-2345-6789"
        assert len(keys) == 2 and len(set(keys)) == 1

    async def test_timeouts_on_every_attempt_end_as_an_api_error(
        self, slow_api: tuple[str, list[str]]
    ) -> None:
        url, keys = slow_api
        client = ApiClient(url, "synthetic-token", timeout=0.2)
        with pytest.raises(ApiError):
            await client._post("/v1/referrals", {"slow": True}, "referral", 1)
        assert len(keys) == 1
