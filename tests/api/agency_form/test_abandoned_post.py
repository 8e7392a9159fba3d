"""A form POST the browser abandons mid-body (the person closed the tab, the network dropped): the api stops
quietly. No unhandled error and no traceback in the logs, nothing of the partial body logged, nothing stored;
the next request is served as usual (issue 16's last note: starlette's `ClientDisconnect` was logged as an
unhandled error)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message

from api.referral.models import Referral
from tests.api.agency_form.test_agency_form import complete, count, csrf_of, signed_in

PARTIAL = b"journey=hate_crime&lang=en&q_incident_description=Synthetic+abandoned+words"


async def abandoned_post(app: FastAPI, path: str, cookies: httpx.Cookies) -> list[Message]:
    """POST `path` as a browser that sends part of a declared body, then disconnects; the app's messages."""
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(PARTIAL) * 10).encode()),
            (b"cookie", cookie.encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 443),
    }
    incoming: list[Message] = [
        {"type": "http.request", "body": PARTIAL, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)  # raises if the disconnect escapes as an unhandled error
    return sent


def assert_quiet(caplog: pytest.LogCaptureFixture) -> None:
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert loud == [], [(r.name, r.getMessage()) for r in loud]
    logged = " ".join(r.getMessage() + " " + str(r.__dict__) for r in caplog.records)
    assert "abandoned" not in logged
    assert any(r.getMessage() == "client disconnected before the body arrived" for r in caplog.records)


class TestAbandonedPost:
    async def test_an_abandoned_referral_is_dropped_quietly_and_stores_nothing(
        self, app: FastAPI, browser: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        await signed_in(app, browser)
        before = await count(app, Referral)
        caplog.set_level(logging.INFO)

        sent = await abandoned_post(app, "/refer/form", browser.cookies)

        assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [400]
        assert_quiet(caplog)
        assert await count(app, Referral) == before
        # The session is untouched: the same person sends the form whole and it is stored.
        page = await browser.get("/refer/form?journey=hate_crime&lang=en")
        reply = await browser.post("/refer/form", data={**complete(), "csrf_token": csrf_of(page.text)})
        assert reply.status_code == 303, reply.text[-2000:]
        assert await count(app, Referral) == before + 1

    async def test_an_abandoned_sign_in_is_dropped_quietly(
        self, app: FastAPI, browser: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO)

        sent = await abandoned_post(app, "/refer/sign-in", browser.cookies)

        assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [400]
        assert_quiet(caplog)
