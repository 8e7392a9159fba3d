"""End to end, the returning texter: an SMS number keeps one conversation id for good, and the bot's session
expires after 120 minutes of silence (its slots, and so the case reference, are gone). A texter who made a
referral comes back after three hours and texts "i withdraw my consent": the real Rasa starts a new session
with empty slots, the action server asks the api to withdraw by conversation, and the person is told their
consent for that reference is withdrawn (not "nothing has been kept"); the case leaves the queue. Then danger
from a number with an open case marks it urgent the same way."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.config import REPO_ROOT, Settings
from api.db import create_engine, create_sessionmaker
from api.i18n import Translator
from api.kit.crypto import BlindIndex
from api.referral.models import Referral
from api.retention.policy import notice_params
from tests.builders import referral_payload
from tests.e2e.test_sms import post_inbound, sent_to_person, wait_for
from tools.stack import Stack

pytestmark = pytest.mark.e2e

TRANSLATOR = Translator(REPO_ROOT / "locales")


def sms_conversation_id(stack: Stack, number: str) -> str:
    """What api/sms/identity.py names this number's conversation (its own purpose of the blind index)."""
    return "s_" + BlindIndex(stack.env()["BLIND_INDEX_KEY"].encode()).of("sms_conversation", number)[:48]


def referral_by_the_bot(stack: Stack, http: httpx.Client, number: str) -> str:
    """The referral the action server makes at the end of an SMS journey, for this number's conversation."""
    bot = {"Authorization": f"Bearer {stack.env()['BOT_SERVICE_TOKEN']}"}
    versions = []
    for response in ("utter_ask_consent_store", "utter_ask_consent_share"):
        shown = http.post(
            "/v1/nlg",
            json={"response": response, "tracker": {"slots": {"language": "en", "journey": "hate_crime"}}},
            headers=bot,
        )
        versions.append(hashlib.sha256(shown.json()["text"].encode()).hexdigest())
    payload = referral_payload(
        source="sms",
        conversation_id=sms_conversation_id(stack, number),
        person={"phone": number, "sms_safe": True},
    )
    payload["consent"]["wording_versions"] = versions
    made = http.post("/v1/referrals", json=payload, headers=bot)
    assert made.status_code == 201, made.text
    return str(made.json()["reference"])


def three_hours_pass(stack: Stack, conversation_id: str) -> None:
    """Age the tracker's events, as the journeys' timeout test does: the next message opens a new session."""
    with sqlite3.connect(stack.env()["RASA_TRACKER_DB"]) as db:
        rows = db.execute("SELECT id, timestamp, data FROM events WHERE sender_id = ?", (conversation_id,))
        found = rows.fetchall()
        assert found, "the texter's tracker has no events"
        for row_id, stamp, data in found:
            event: dict[str, Any] = json.loads(data)
            event["timestamp"] = event["timestamp"] - 3 * 3600
            db.execute(
                "UPDATE events SET timestamp = ?, data = ? WHERE id = ?",
                (stamp - 3 * 3600, json.dumps(event), row_id),
            )


async def _case(stack: Stack, reference: str) -> Referral:
    engine = create_engine(stack.env()["DATABASE_URL"])
    try:
        async with create_sessionmaker(engine)() as session:
            found = await session.scalar(select(Referral).where(Referral.reference == reference))
            assert found is not None
            return found
    finally:
        await engine.dispose()


def case(stack: Stack, reference: str) -> Referral:
    return asyncio.run(_case(stack, reference))


def texts(stack: Stack, number: str) -> str:
    return " ".join(m["body"] for m in sent_to_person(stack, number))


class TestReturningTexter:
    def test_withdrawing_after_the_session_expired_finds_the_referral(self, stack: Stack) -> None:
        number = "+447700900881"
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            assert post_inbound(stack, http, "hello", n=8810, sender=number).status_code == 200
            wait_for(lambda: "safe to talk" in texts(stack, number))
            reference = referral_by_the_bot(stack, http, number)
            three_hours_pass(stack, sms_conversation_id(stack, number))
            post_inbound(stack, http, "i withdraw my consent", n=8811, sender=number)
            withdrawn = TRANSLATOR.t(
                "bot.consent.withdrawn_referral", "en", reference=reference, **notice_params(Settings())
            )
            wait_for(lambda: reference in texts(stack, number))
        joined = texts(stack, number)
        assert withdrawn[:60] in joined, (joined, stack.log_tail())
        assert TRANSLATOR.t("bot.consent.withdrawn_nothing_kept", "en") not in joined
        assert case(stack, reference).withdrawn_at is not None

    def test_danger_after_the_session_expired_marks_the_open_case_urgent(self, stack: Stack) -> None:
        number = "+447700900882"
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            assert post_inbound(stack, http, "hello", n=8820, sender=number).status_code == 200
            wait_for(lambda: "safe to talk" in texts(stack, number))
            reference = referral_by_the_bot(stack, http, number)
            assert case(stack, reference).priority == "normal"
            three_hours_pass(stack, sms_conversation_id(stack, number))
            post_inbound(stack, http, "he's here now", n=8821, sender=number)
            wait_for(lambda: "999" in texts(stack, number))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and case(stack, reference).priority != "emergency":
                time.sleep(0.25)
        assert case(stack, reference).priority == "emergency", stack.log_tail()
