"""End to end, the SMS helpline through the real processes: a signed inbound "hello" to the api, the worker's
bot turn through the real Rasa, the outbox, the local fake Twilio recording the reply, and the fake's
signed status callbacks merged by the api. Nothing reaches Twilio; the number is a drama number."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from api.db import create_engine, create_sessionmaker
from api.sms.models import SmsInbound, SmsOutbound
from api.sms.segments import segments
from tools.stack import Stack

pytestmark = pytest.mark.e2e

INBOUND = "/v1/channels/sms/inbound"
PERSON = "+447700900777"


def post_inbound(
    stack: Stack,
    http: httpx.Client,
    body: str,
    n: int,
    signature: str | None = None,
    sender: str = PERSON,
    **extra: str,
) -> httpx.Response:
    env = stack.env()
    params = {
        "MessageSid": f"SM{n:032x}",
        "SmsMessageSid": f"SM{n:032x}",
        "AccountSid": env["TWILIO_ACCOUNT_SID"],
        "From": sender,
        "To": "+447700900000",
        "Body": body,
        "NumMedia": "0",
        "ApiVersion": "2010-04-01",
        **extra,
    }
    url = stack.api_url + INBOUND
    if signature is None:
        signature = RequestValidator(env["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    return http.post(
        INBOUND,
        content=urlencode(params),
        headers={"content-type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
    )


def wait_for(check: Any, seconds: float = 90.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError("timed out waiting")


def sent_to_person(stack: Stack, number: str = PERSON) -> list[dict[str, Any]]:
    with httpx.Client(base_url=stack.twilio_url, timeout=10) as fake:
        return [m for m in fake.get("/_fake/messages").json()["messages"] if m["to"] == number]


async def rows(stack: Stack, message_sids: list[str]) -> tuple[list[SmsInbound], list[SmsOutbound]]:
    """These inbound messages and the replies to them (the stack is shared: other tests text it too)."""
    engine = create_engine(stack.env()["DATABASE_URL"])
    try:
        async with create_sessionmaker(engine)() as session:
            inbound = list(
                await session.scalars(
                    select(SmsInbound).where(SmsInbound.message_sid.in_(message_sids)).order_by(SmsInbound.id)
                )
            )
            outbound = list(
                await session.scalars(
                    select(SmsOutbound)
                    .where(SmsOutbound.inbound_id.in_([r.id for r in inbound]))
                    .order_by(SmsOutbound.seq)
                )
            )
            return inbound, outbound
    finally:
        await engine.dispose()


class TestSmsHelpline:
    def test_a_forged_webhook_is_refused(self, stack: Stack) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=30) as http:
            response = post_inbound(stack, http, "hello", n=999, signature="forged")
        assert response.status_code == 403

    def test_hello_by_text_is_answered_by_the_bot_through_twilio_and_its_delivery_is_recorded(
        self, stack: Stack
    ) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=30) as http:
            started = time.monotonic()
            response = post_inbound(stack, http, "hello", n=1)
            acknowledged = time.monotonic() - started
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/xml")
            assert "<Response></Response>" in response.text
            assert acknowledged < 2.0  # Twilio waits 15 s at most; we answer before any bot turn
            assert post_inbound(stack, http, "hello", n=1).status_code == 200  # a re-delivery

            first = wait_for(lambda: sent_to_person(stack))
            bodies = " ".join(
                m["body"] for m in wait_for(lambda: len(sent_to_person(stack)) >= 1 and sent_to_person(stack))
            )
            assert "safe to talk" in bodies
            assert first[0]["from"] == "+447700900000"

            # The fake calls the status webhook back, signed; the api merges sent and delivered.
            wait_for(lambda: all(len(m["callbacks"]) == 2 for m in sent_to_person(stack)))
            assert all(c["http_status"] == 204 for m in sent_to_person(stack) for c in m["callbacks"])

            inbound, outbound = asyncio.run(rows(stack, [f"SM{1:032x}"]))
            assert [(r.status, r.body_sealed) for r in inbound] == [("processed", None)]
            assert outbound and all(
                (r.state, r.delivery_status, r.body_sealed) == ("submitted", "delivered", None)
                for r in outbound
            )

            # The second message answers the first reply's question, in order.
            post_inbound(stack, http, "yes", n=2)
            later = wait_for(
                lambda: [m for m in sent_to_person(stack) if "What would you like help with" in m["body"]]
            )
            assert later

    def test_a_long_an_emoji_only_and_a_picture_message_each_get_a_sensible_answer(
        self, stack: Stack
    ) -> None:
        long_story = ("Synthetic: the neighbours shout at me every night and block my door. " * 80)[:5000]
        cases = {
            "+447700900781": (long_story, {}),
            "+447700900782": ("😢😢", {}),
            "+447700900783": ("", {"NumMedia": "1", "MediaContentType0": "image/jpeg",
                                   "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0"}),
        }  # fmt: skip
        with httpx.Client(base_url=stack.api_url, timeout=30) as http:
            for n, (number, (body, extra)) in enumerate(cases.items(), start=100):
                assert post_inbound(stack, http, body, n=n, sender=number, **extra).status_code == 200
        for number in cases:
            replies = wait_for(lambda number=number: sent_to_person(stack, number))
            assert all(0 < segments(m["body"]) <= 3 for m in replies)
        picture = " ".join(m["body"] for m in sent_to_person(stack, "+447700900783"))
        assert "can't open pictures" in picture
