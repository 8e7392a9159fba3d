"""Retention through the real stack: a person refers themselves through the web chat (real Rasa, real
tracker store); their words are in Rasa's tracker database and their reference in the api's; erasing the
case (`api.retention.disposal.erase_referral`, what disposal and subject rights both use) removes every
canary from both files, and the audit chain still verifies.

The shared stack is used by other modules at the same time, so this erases only its own case rather than
running the whole job at a future moment (the engine-level proof of every class's horizon is
tests/api/retention/test_disposal.py)."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from api.config import Settings
from api.db import create_engine, create_sessionmaker
from api.kit.models import utcnow
from api.referral.models import Referral
from api.retention.disposal import erase_referral, truncate_logs
from tools.paths import API_PYTHON, ROOT
from tools.stack import Stack

pytestmark = pytest.mark.e2e


def slice_with(words: str) -> list[tuple[str, str]]:
    return [
        ("hello", "are you safe to talk right now?"),
        ("yes", "What would you like help with?"),
        ("/report_hate_crime", "what is your postcode"),
        ("ST4 1AA", "may we keep what you tell us"),
        ("yes", "May we share your details with the hate crime service"),
        ("/affirm", "In your own words, what happened?"),
        (words, "When did it happen?"),
        ("yesterday evening", "targeted because of any of these"),
        ("1", "happened to you more than once?"),
        ("/deny", "How old are you?"),
        ("34", "anything else we should know about"),
        ("/skip_question", "What phone number"),
        ("07700 900 457", "safe for us to send text messages"),
        ("/affirm", "Your reference is SR-"),
    ]


def file_bytes(path: Path) -> bytes:
    return b"".join(
        Path(str(path) + s).read_bytes() for s in ("", "-wal", "-journal") if Path(str(path) + s).exists()
    )


async def erase(settings: Settings, reference: str) -> dict[str, int]:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            referral = await session.scalar(select(Referral).where(Referral.reference == reference))
            assert referral is not None
            counts = await erase_referral(session, settings, referral, now=utcnow(), reason="e2e_erasure")
    finally:
        await engine.dispose()
    await truncate_logs(settings)
    return counts


class TestRetentionThroughTheStack:
    def test_erasing_a_case_removes_its_words_from_rasas_tracker_and_the_api(self, stack: Stack) -> None:
        words = f"Synthetic test CANARY{uuid.uuid4().hex[:12]} shouted at me on the bus about my skin colour"
        canary = words.split()[2]
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            conversation = http.post("/v1/chat/conversations", json={"language": "en"}).json()["id"]
            joined = ""
            for text, expected in slice_with(words):
                reply = http.post(f"/v1/chat/conversations/{conversation}/messages", json={"text": text})
                assert reply.status_code == 200, reply.text
                joined = " ".join(m["text"] for m in reply.json()["messages"])
                assert expected in joined, f"after {text!r}: {joined!r}\n{stack.log_tail()}"
        reference = joined.split("Your reference is ")[1].split(".")[0]
        env = stack.env()
        settings = Settings(
            app_env="test",
            database_url=env["DATABASE_URL"],
            rasa_tracker_db=env["RASA_TRACKER_DB"],
            _env_file=None,  # type: ignore[call-arg]
        )
        tracker = Path(env["RASA_TRACKER_DB"])
        api_db = Path(str(make_url(settings.database_url).database))
        assert canary.encode() in file_bytes(tracker)  # the real tracker store holds the person's words
        assert reference.encode() in file_bytes(api_db)

        counts = asyncio.run(erase(settings, reference))

        assert counts["referral"] == 1
        assert counts["tracker_event"] > 0
        assert canary.encode() not in file_bytes(tracker)
        assert reference.encode() not in file_bytes(api_db)
        verified = subprocess.run(
            [str(API_PYTHON), "-m", "api", "audit", "verify"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert verified.returncode == 0, verified.stdout + verified.stderr
