"""The bot's api client for the phone check (bot/actions/api_client.py) against a local stand-in for the api:
what it sends to text a code and to check one, and that a typed code is tried once (a retry could count a
wrong code twice) while sending is retried."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from tests.bot.test_api_client import ApiClient, ApiError


@pytest.fixture
async def api() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def send(request: web.Request) -> web.Response:
        seen.append({"path": request.path, "body": json.loads(await request.read())})
        if len(seen) == 1:
            return web.json_response({"error": "internal_error", "code": 500, "detail": "x"}, status=500)
        return web.json_response({"outcome": "sent", "attempts_left": 3})

    async def confirm(request: web.Request) -> web.Response:
        seen.append({"path": request.path, "body": json.loads(await request.read())})
        return web.json_response({"error": "internal_error", "code": 500, "detail": "x"}, status=500)

    app = web.Application()
    app.router.add_post("/v1/referrals/{reference}/phone-check", send)
    app.router.add_post("/v1/referrals/{reference}/phone-check/confirm", confirm)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


class TestPhoneCheck:
    async def test_sending_a_code_names_the_conversation_and_is_retried(
        self, api: tuple[str, list[dict[str, Any]]]
    ) -> None:
        url, seen = api
        answer = await ApiClient(url, "synthetic-token").send_phone_code("SR-2345-6789", "w_conversation")
        assert answer == {"outcome": "sent", "attempts_left": 3}
        assert seen == 2 * [
            {"path": "/v1/referrals/SR-2345-6789/phone-check", "body": {"conversation_id": "w_conversation"}}
        ]

    async def test_a_typed_code_is_tried_once(self, api: tuple[str, list[dict[str, Any]]]) -> None:
        url, seen = api
        with pytest.raises(ApiError):
            await ApiClient(url, "synthetic-token").confirm_phone_code("SR-2345-6789", "w_c", "123 456")
        assert seen == [
            {
                "path": "/v1/referrals/SR-2345-6789/phone-check/confirm",
                "body": {"conversation_id": "w_c", "code": "123 456"},
            }
        ]
