"""End to end through the real processes: api, worker, Rasa and the action server, on free ports with a
temporary SQLite database. Plays the English hate crime slice through the chat endpoint, then checks the
queued case, its consent receipt and the triage decision as a caseworker and as the database see them."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.consent.models import ConsentReceipt, ConsentWording
from api.db import create_engine, create_sessionmaker
from api.i18n import Translator
from api.referral.models import Referral
from api.referral.service import decision_of, triage_input_of
from tests.e2e.test_journeys_en import stack_vault
from tools.stack import Stack

pytestmark = pytest.mark.e2e


def provider_token(stack: Stack, queue: str) -> str:
    import subprocess

    from tools.paths import API_PYTHON, ROOT

    result = subprocess.run(
        [str(API_PYTHON), "-m", "api", "principal", "create", "--kind", "provider",
         "--name", f"Synthetic {queue} team", "--queue", queue],
        cwd=ROOT, env=stack.env(), check=True, capture_output=True, text=True,
    )  # fmt: skip
    return result.stdout.strip()


SLICE = [
    ("hello", "are you safe to talk right now?"),
    ("yes", "What would you like help with?"),
    ("/report_hate_crime", "what is your postcode"),
    ("ST4 1AA", "may we keep what you tell us"),
    ("yes", "May we share your details with the hate crime service"),
    ("/affirm", "In your own words, what happened?"),
    ("Synthetic test: two men on the 25 bus shouted abuse about my skin colour", "When did it happen?"),
    ("yesterday evening", "targeted because of any of these"),
    ("1", "happened to you more than once?"),
    ("/deny", "How old are you?"),
    ("34", "anything else we should know about"),
    ("/skip_question", "What phone number"),
    ("07700 900 456", "safe for us to send text messages"),
    ("/affirm", "Your reference is SR-"),
]


class TestHateCrimeSlice:
    def test_a_person_refers_themselves_and_a_caseworker_claims_the_case(self, stack: Stack) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            conversation = http.post("/v1/chat/conversations", json={"language": "en"}).json()
            replies: list[str] = []
            for text, expected in SLICE:
                reply = http.post(
                    f"/v1/chat/conversations/{conversation['id']}/messages", json={"text": text}
                )
                assert reply.status_code == 200, reply.text
                joined = " ".join(m["text"] for m in reply.json()["messages"])
                assert expected in joined, f"after {text!r}: {joined!r}\n{stack.log_tail()}"
                replies.append(joined)
            reference = replies[-1].split("Your reference is ")[1].split(".")[0]

            mine = provider_token(stack, "hate_crime")
            other = provider_token(stack, "asb_mediation")
            listed = http.get(
                "/v1/queues/hate_crime/cases",
                params={"limit": 200},
                headers={"Authorization": f"Bearer {mine}"},
            )
            # The stack is shared (tests/stacks.py): other tests' cases may be in the queue too.
            [item] = [i for i in listed.json()["items"] if i["reference"] == reference]
            assert (item["tier"], item["priority"]) == ("enhanced", "normal")
            assert item["deadline"].endswith("T17:00:00+00:00")
            # The person is told the same deadline the caseworker sees, in words, in London time.
            spoken = Translator.format_datetime_words(datetime.fromisoformat(item["deadline"]), "en")
            assert spoken in replies[-1]

            hidden = http.get("/v1/queues/hate_crime/cases", headers={"Authorization": f"Bearer {other}"})
            assert hidden.status_code == 403
            assert (
                http.get(
                    f"/v1/referrals/{reference}", headers={"Authorization": f"Bearer {other}"}
                ).status_code
                == 404
            )

            # Claims come in queue order: earlier tests' cases (finished with) may come out before this one.
            case = self._claim_until(http, mine, reference)
            assert case["person"] == {"phone": "+447700900456", "sms_safe": True}
            assert case["answers"]["hate_strand"] == "race"
            assert case["answers"]["incident_when_words"] == "yesterday evening"
            assert (
                http.post(
                    "/v1/queues/hate_crime/claim", headers={"Authorization": f"Bearer {other}"}
                ).status_code
                == 403
            )

        referral, receipt, wordings = asyncio.run(self._stored(stack, reference))
        vault = stack_vault(stack)
        decision, triage_input = decision_of(vault, referral), triage_input_of(vault, referral)
        assert decision["outcome"] == "referred"
        assert decision["queue"] == "hate_crime"
        assert decision["enhanced_grounds"] == ["most_serious_crime"]
        assert [r["rule"] for r in decision["reasons"]] == ["R7"]
        assert triage_input["hate_strands"] == ["race"]
        assert triage_input["consent"] == "given"
        assert referral.conversation_id == conversation["id"]
        assert (receipt.given_by, receipt.channel, receipt.language) == ("person", "web_chat", "en")
        assert set(receipt.purposes) == {
            "store_and_process",
            "share_with_provider",
            "contact_phone",
            "contact_sms",
        }
        # The receipt points at the exact texts the person was shown, recoverable word for word.
        assert [w.key for w in wordings] == ["bot.consent.store", "bot.consent.share"]
        for wording in wordings:
            assert hashlib.sha256(wording.text.encode()).hexdigest() == wording.version
            assert wording.text in " ".join(replies)

    @staticmethod
    def _claim_until(http: httpx.Client, token: str, reference: str) -> dict[str, Any]:
        for _ in range(200):
            claimed = http.post("/v1/queues/hate_crime/claim", headers={"Authorization": f"Bearer {token}"})
            assert claimed.status_code == 200, claimed.text  # the queue cannot run dry before our case
            case: dict[str, Any] = claimed.json()["case"]
            if case["reference"] == reference:
                return case
        raise AssertionError(f"{reference} was never claimed")

    @staticmethod
    async def _stored(stack: Stack, reference: str) -> tuple[Referral, ConsentReceipt, list[ConsentWording]]:
        engine = create_engine(stack.env()["DATABASE_URL"])
        try:
            async with create_sessionmaker(engine)() as session:
                referral = await session.scalar(select(Referral).where(Referral.reference == reference))
                assert referral is not None
                receipt = await session.get_one(ConsentReceipt, referral.consent_receipt_id)
                rows = {
                    w.version: w
                    for w in await session.scalars(
                        select(ConsentWording).where(ConsentWording.version.in_(receipt.wording_versions))
                    )
                }
                return referral, receipt, [rows[v] for v in receipt.wording_versions]
        finally:
            await engine.dispose()

    def test_not_safe_to_talk_keeps_nothing(self, stack: Stack) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            conversation = http.post("/v1/chat/conversations", json={"language": "en"}).json()
            send = f"/v1/chat/conversations/{conversation['id']}/messages"
            http.post(send, json={"text": "hi"})
            reply = http.post(send, json={"text": "/deny"})
            text = " ".join(m["text"] for m in reply.json()["messages"])
            assert "call 999" in text
            assert "press 55" in text
            again = http.post(send, json={"text": "hello"})
            assert "are you safe to talk right now?" in " ".join(m["text"] for m in again.json()["messages"])

    def test_a_bot_outage_is_a_clear_error(self, stack: Stack, tmp_path: Path) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            reply = http.post("/v1/chat/conversations/w_unknown/messages", json={"text": "hello"})
            assert reply.status_code == 404
            assert reply.json()["error"] == "conversation_not_found"


def test_rasa_runs_with_tensorflow_and_without_jax(stack: Stack) -> None:
    """The stack starts Rasa through bot/server/serve.py: TensorFlow loaded (Rasa needs it), jax not (an
    optional import of TensorFlow's that Rasa never uses, ~66 MB; issue 16)."""
    libraries = Path(f"/proc/{stack.processes['rasa'].pid}/maps").read_text(encoding="utf-8")
    assert "libtensorflow" in libraries
    assert "jaxlib" not in libraries
