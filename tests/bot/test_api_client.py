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

    app = web.Application()
    app.router.add_post("/v1/referrals/{reference}/urgent", urgent)
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
