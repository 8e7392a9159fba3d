"""SMS helpline tests: Twilio's webhooks signed by the twilio library, the local fake of Twilio's REST API
on a loopback port (tools/fake_twilio.py), and a scripted Rasa behind the real relay. Nothing leaves the
machine; the numbers are Ofcom's drama range (07700 900xxx)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from api.config import Settings
from api.conversation.gateway import Gateway
from api.conversation.relay import RasaRelay
from api.i18n import Translator
from api.ratelimit import RateLimiter, Rule
from api.sms.context import SmsContext
from api.sms.identity import outbound_aad
from api.sms.models import SmsInbound, SmsOutbound
from api.sms.twilio import TwilioClient
from tools.fake_twilio import FakeTwilio, serve

AUTH_TOKEN = "test-twilio-auth-token-0123456789"
ACCOUNT_SID = "AC" + "1" * 32
PUBLIC = "https://sms.example.org"
INBOUND = "/v1/channels/sms/inbound"
STATUS = "/v1/channels/sms/status"
OUR_NUMBER = "+447700900001"
PERSON = "+447700900123"


def sid(n: int, prefix: str = "SM") -> str:
    return f"{prefix}{n:032x}"


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


def inbound_params(body: str = "hello", n: int = 1, sender: str = PERSON, **extra: str) -> dict[str, str]:
    params = {
        "ToCountry": "GB",
        "SmsMessageSid": sid(n),
        "NumMedia": "0",
        "SmsSid": sid(n),
        "SmsStatus": "received",
        "Body": body,
        "To": OUR_NUMBER,
        "NumSegments": "1",
        "MessageSid": sid(n),
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params


async def post_signed(
    client: httpx.AsyncClient,
    path: str,
    params: dict[str, str],
    *,
    signed_url: str | None = None,
    signature: str | None = "sign",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a form as Twilio does, signed for `signed_url` (default: our public URL of `path`)."""
    all_headers = {"content-type": "application/x-www-form-urlencoded", **(headers or {})}
    if signature == "sign":
        all_headers["X-Twilio-Signature"] = sign(signed_url or PUBLIC + path, params)
    elif signature is not None:
        all_headers["X-Twilio-Signature"] = signature
    return await client.post(path, content=urlencode(params), headers=all_headers)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "public_base_url": PUBLIC,
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": SecretStr(AUTH_TOKEN),
            "twilio_from_number": OUR_NUMBER,
            "sms_send_per_second": 1000.0,
            "sms_retry_base_seconds": 0.01,
            "sms_retry_max_seconds": 0.05,
            "sms_send_max_attempts": 4,
            # Many texts from one number, quickly: tests/api/sms/test_rate_limit.py tightens it.
            "rate_limit_sms_inbound": "10000/minute",
            # Many sends to one number: tests/api/sms/test_send_limit.py tightens it.
            "rate_limit_sms_outbound": "10000/minute",
        }
    )


@pytest.fixture
def fake_twilio() -> Iterator[tuple[str, FakeTwilio]]:
    server = serve(0, ACCOUNT_SID, AUTH_TOKEN)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.fake
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class ScriptedRasa:
    """Rasa's REST channel, scripted: records each turn; answers `reply(text)` (default: an echo)."""

    turns: list[tuple[str, str]] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)
    reply: Callable[[str], list[dict[str, Any]]] = lambda text: [{"text": f"Noted: {len(text)} characters."}]
    delay: float = 0.0
    down: bool = False

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            return httpx.Response(503)
        body = json.loads(request.content)
        self.turns.append((body["sender"], body["message"]))
        self.metadata.append(body.get("metadata") or {})
        if self.delay:
            await asyncio.sleep(self.delay)
        return httpx.Response(200, json=self.reply(body["message"]))


@pytest.fixture(scope="session")
def gateway_for_tests() -> Gateway:
    """One gateway for the session: its language detector takes a few seconds to load."""
    return Gateway.from_settings(Settings(app_env="test"))


@pytest.fixture
def rasa() -> ScriptedRasa:
    return ScriptedRasa()


@pytest.fixture
async def ctx(
    app: FastAPI,
    settings: Settings,
    rasa: ScriptedRasa,
    fake_twilio: tuple[str, FakeTwilio],
    gateway_for_tests: Gateway,
) -> AsyncIterator[SmsContext]:
    url, _fake = fake_twilio
    context = SmsContext(
        settings=settings.model_copy(update={"twilio_api_base_url": url}),
        sessionmaker=app.state.sessionmaker,
        vault=app.state.vault,
        translator=Translator(settings.locales_dir, settings.default_locale),
        relay=RasaRelay("http://rasa.test", 5.0, transport=httpx.MockTransport(rasa.handle)),
        gateway=gateway_for_tests,
        twilio=TwilioClient(url, ACCOUNT_SID, AUTH_TOKEN, 5.0),
        # The worker's own limiter (as api/sms/runner.py makes it), in this test's memory.
        limiter=RateLimiter.from_settings("", {Rule.sms_outbound: settings.rate_limit_sms_outbound}),
    )
    try:
        yield context
    finally:
        await context.relay.close()
        await context.twilio.close()


async def inbound_rows(app: FastAPI) -> list[SmsInbound]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(SmsInbound).order_by(SmsInbound.id)))


async def outbound_rows(app: FastAPI) -> list[SmsOutbound]:
    async with app.state.sessionmaker() as session:
        return list(
            await session.scalars(select(SmsOutbound).order_by(SmsOutbound.conversation_id, SmsOutbound.seq))
        )


async def drain(context: SmsContext, *, turns: bool = True, sends: bool = True, rounds: int = 200) -> None:
    """Run the worker's steps until there is nothing left to do."""
    from api.sms import outbox, turns

    for _ in range(rounds):
        busy = False
        if turns:
            busy = await turns.answer_next(context) or busy
        if sends:
            busy = await outbox.send_next(context) or busy
        if not busy:
            return
    raise AssertionError("the worker still had work after every round")


async def texts(app: FastAPI) -> list[str]:
    """The outbox's bodies, in order (only those not yet sent still have one)."""
    vault = app.state.vault
    return [
        vault.cipher.open(row.body_sealed, outbound_aad(row.id).encode()).decode()
        for row in await outbound_rows(app)
        if row.body_sealed is not None
    ]


def english(ctx: SmsContext, key: str) -> str:
    return ctx.translator.t(key, "en")
