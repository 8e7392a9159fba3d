"""Every journey end to end through the real processes (api, worker, Rasa, action server), in English.

Each golden run of tests/flows/scripts.yml is played through the chat endpoint: the bot must ask exactly the
questions the golden run asked, in the same order, refuse the same answers, and end the same way. A journey
that refers must land in the queue TRIAGE.md gives, with the tier, flags and priority of the golden decision,
the same TriageInput, and a consent receipt pointing at the consent texts the person was shown; one that
does not refer must leave nothing in the api. Then the interruptions: danger, stop, withdrawing consent,
start again, help, change language, hello after a pause, and a session that timed out.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.config import REPO_ROOT, Settings
from api.consent.models import ConsentReceipt, ConsentWording
from api.db import create_engine, create_sessionmaker
from api.flow import load_flows
from api.i18n import Translator
from api.kit.crypto import Vault
from api.nlg.plural import plural_forms
from api.referral.models import Referral
from api.referral.service import decision_of, triage_input_of
from api.triage import TriageInput
from flowkit.flows import LoadedFlow
from flowkit.spec import AnswerType
from tests.flows.runs import Run, play, scripts
from tools.paths import API_PYTHON, ROOT
from tools.stack import Stack

pytestmark = pytest.mark.e2e

FLOWS = load_flows()
TRANSLATOR = Translator(REPO_ROOT / "locales")
SCRIPTS = scripts()
RUNS = {name: play(name, script) for name, script in SCRIPTS.items()}
# Set E2E_TRANSCRIPTS=<dir> to keep each conversation's transcript (synthetic data) for review.
TRANSCRIPTS = Path(os.environ["E2E_TRANSCRIPTS"]) if os.environ.get("E2E_TRANSCRIPTS") else None
# The stack is shared by every end-to-end module (tests/stacks.py): list a whole queue, then find the case.
ALL = {"limit": 200}
DECISION_FIELDS = ("outcome", "queue", "secondary_queue", "tier", "enhanced_grounds", "priority", "flags")


def render(message: dict[str, Any]) -> str:
    titles = [b["title"] for b in message.get("buttons") or []]
    return message["text"] + (" [" + " | ".join(titles) + "]" if titles else "")


class Chat:
    """One web chat conversation; every reply's texts joined, kept as a transcript."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.id: str = http.post("/v1/chat/conversations", json={"language": "en"}).json()["id"]
        self.transcript: list[tuple[str, list[str]]] = []
        self.buttons: list[str] = []  # the payloads of the last reply's buttons

    def say(self, text: str) -> str:
        reply = self.http.post(f"/v1/chat/conversations/{self.id}/messages", json={"text": text})
        assert reply.status_code == 200, reply.text
        messages = reply.json()["messages"]
        self.buttons = [b["payload"] for m in messages for b in m.get("buttons") or []]
        self.transcript.append((text, [render(m) for m in messages]))
        if TRANSCRIPTS:
            (TRANSCRIPTS / f"{self.id}.json").write_text(json.dumps(self.transcript, indent=1))
        return " ".join(m["text"] for m in messages)


def words(key: str, flow: str) -> str:
    name = f"bot.service_name.{flow}"
    service = TRANSLATOR.t(name, "en") if TRANSLATOR.has(name, "en") else ""
    return TRANSLATOR.t(key, "en", service_name=service)


def question_text(flow: LoadedFlow, question_id: str) -> str:
    return words(flow.question(question_id).text_key, flow.id)


def play_through_chat(http: httpx.Client, run: Run, stack: Stack) -> tuple[Chat, str]:
    """The golden run's answers through the real bot; returns the chat and the last reply."""
    flow = FLOWS[run.flow]
    chat = Chat(http)
    reply = chat.say(f"/{flow.spec.intent}")
    for turn in run.turns:
        expected = question_text(flow, turn.question)
        assert expected in reply, f"{run.name}: expected {turn.question!r}, got {reply!r}\n{stack.log_tail()}"
        reply = chat.say(turn.said)
        if turn.refused:
            assert expected in reply, f"{run.name}: {turn.said!r} should be refused: {reply!r}"
    if run.exit_response:
        exit_ = next(e for e in flow.exits if e.id == run.exit)
        assert exit_.say is not None
        assert words(exit_.say.text_key, flow.id) in reply, f"{run.name}: {reply!r}"
    return chat, reply


def provider_token(stack: Stack, queue: str) -> str:
    result = subprocess.run(
        [str(API_PYTHON), "-m", "api", "principal", "create", "--kind", "provider",
         "--name", f"Synthetic {queue} team", "--queue", queue],
        cwd=ROOT, env=stack.env(), check=True, capture_output=True, text=True,
    )  # fmt: skip
    return result.stdout.strip()


async def _stored(
    stack: Stack, conversation_id: str
) -> tuple[list[Referral], list[ConsentReceipt], list[str]]:
    engine = create_engine(stack.env()["DATABASE_URL"])
    try:
        async with create_sessionmaker(engine)() as session:
            referrals = list(
                await session.scalars(select(Referral).where(Referral.conversation_id == conversation_id))
            )
            receipts = list(
                await session.scalars(
                    select(ConsentReceipt).where(ConsentReceipt.conversation_id == conversation_id)
                )
            )
            keys: list[str] = []
            for receipt in receipts:
                wordings = {
                    w.version: w.key
                    for w in await session.scalars(
                        select(ConsentWording).where(ConsentWording.version.in_(receipt.wording_versions))
                    )
                }
                keys.extend(wordings[v] for v in receipt.wording_versions)
            return referrals, receipts, keys
    finally:
        await engine.dispose()


def stack_vault(stack: Stack) -> Vault:
    """The stack's vault, to open what its api sealed (the triage input and decision are sealed)."""
    env = stack.env()
    settings = Settings(
        encryption_keys=env["ENCRYPTION_KEYS"], blind_index_key=env["BLIND_INDEX_KEY"], _env_file=None
    )
    return Vault(settings.encryption_key_ring(), settings.blind_index_key.get_secret_value().encode())


def stored(stack: Stack, conversation_id: str) -> tuple[list[Referral], list[ConsentReceipt], list[str]]:
    return asyncio.run(_stored(stack, conversation_id))


def date_questions(flow: LoadedFlow) -> set[str]:
    return {q.id for q in flow.questions if q.type == AnswerType.date}


REFERRING = sorted(name for name, run in RUNS.items() if run.submits)
NOT_REFERRING = sorted(name for name, run in RUNS.items() if not run.submits)


class TestJourneysThatRefer:
    @pytest.mark.parametrize("name", REFERRING)
    def test_lands_in_the_queue_triage_gives(self, name: str, stack: Stack) -> None:
        run = RUNS[name]
        assert run.decision is not None and run.triage_input is not None and run.referral is not None
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            chat, reply = play_through_chat(http, run, stack)
            assert "Your reference is SR-" in reply, reply
            reference = reply.split("Your reference is ")[1].split(".")[0]
            queue = run.decision["queue"]
            token = provider_token(stack, queue)
            listed = http.get(
                f"/v1/queues/{queue}/cases", params=ALL, headers={"Authorization": f"Bearer {token}"}
            )
            assert reference in [item["reference"] for item in listed.json()["items"]]
            case = http.get(f"/v1/referrals/{reference}", headers={"Authorization": f"Bearer {token}"}).json()
            if run.decision["secondary_queue"]:
                other = provider_token(stack, run.decision["secondary_queue"])
                seen = http.get(
                    f"/v1/queues/{run.decision['secondary_queue']}/cases",
                    params=ALL,
                    headers={"Authorization": f"Bearer {other}"},
                )
                assert reference in [item["reference"] for item in seen.json()["items"]]

        # Who will call, and by when: the deadline the caseworker sees, in words.
        spoken = Translator.format_datetime_words(datetime.fromisoformat(case["deadline"]), "en")
        assert spoken in reply
        assert TRANSLATOR.t(f"bot.queue_name.{queue}", "en") in reply
        # The stack is out of hours (tests/stacks.py): closed, when it opens again, and a line for meanwhile.
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            hours = http.get("/v1/service/hours").json()
        assert not hours["open_now"]
        opens = Translator.format_datetime_words(datetime.fromisoformat(hours["opens_at"]), "en")
        assert f"We're closed now. We open again: {opens}." in reply, reply
        assert TRANSLATOR.t(f"bot.help_line.{queue}", "en") in reply, reply
        assert TRANSLATOR.t("bot.callback.ask", "en") not in reply
        if run.decision["priority"] in ("emergency", "high"):
            assert TRANSLATOR.t("bot.handoff.urgent", "en") in reply
        # An ASB case-review-eligible case is told so, with the person's own count (a plural text).
        review = plural_forms(TRANSLATOR, "bot.handoff.case_review", "en")
        assert review is not None
        count = run.triage_input.get("asb_reports_6m")
        said = any(form.replace("%{count}", str(count)) in reply for form in review.values())
        assert said == ("case_review_eligible" in run.decision["flags"]), reply

        referrals, receipts, wording_keys = stored(stack, chat.id)
        [referral] = referrals
        vault = stack_vault(stack)
        decision, triage_input = decision_of(vault, referral), triage_input_of(vault, referral)
        for field in DECISION_FIELDS:
            assert decision[field] == run.decision[field], field
        expected_input = TriageInput.model_validate(
            {**run.triage_input, "received_at": triage_input["received_at"]}
        ).model_dump(mode="json")
        assert triage_input == expected_input

        dates = date_questions(FLOWS[run.flow])
        assert {k: v for k, v in case["answers"].items() if k not in dates} == {
            k: v for k, v in run.referral["answers"].items() if k not in dates
        }
        assert case["person"] == run.referral["person"]

        [receipt] = receipts
        # A young person of 13-17 consents for themselves, recorded as Gillick competent (consent/giver.py).
        age = run.triage_input.get("age_years")
        given_by = "young_person_gillick" if age is not None and 13 <= age < 18 else "person"
        assert (receipt.given_by, receipt.channel, receipt.language) == (given_by, "web_chat", "en")
        assert sorted(receipt.purposes) == sorted(run.referral["purposes"])
        assert wording_keys == ["bot.consent.store", "bot.consent.share"]


class TestJourneysThatKeepNothing:
    @pytest.mark.parametrize("name", NOT_REFERRING)
    def test_ends_as_the_flow_says_and_keeps_nothing(self, name: str, stack: Stack) -> None:
        run = RUNS[name]
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            chat, _ = play_through_chat(http, run, stack)
        referrals, receipts, _ = stored(stack, chat.id)
        assert referrals == []
        assert receipts == []

    def test_an_offered_journey_starts_from_its_button(self, stack: Stack) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            chat, reply = play_through_chat(http, RUNS["unsure_sounds_like_domestic_abuse"], stack)
            assert chat.buttons == ["/report_domestic_abuse"]
            # Safe to talk was answered in this conversation, so the journey goes straight on.
            reply = chat.say("/report_domestic_abuse")
            assert TRANSLATOR.t("bot.domestic_abuse.intro", "en") in reply
            assert question_text(FLOWS["domestic_abuse"], "postcode") in reply


def start_hate_crime(chat: Chat) -> str:
    chat.say("hello")
    chat.say("/affirm")
    return chat.say("/report_hate_crime")


class TestInterruptions:
    def test_danger_interrupts_any_question_and_marks_the_case_urgent(self, stack: Stack) -> None:
        run = RUNS["hate_crime"]
        flow = FLOWS["hate_crime"]
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            chat = Chat(http)
            chat.say("/report_hate_crime")
            reply = ""
            for turn in run.turns:
                if turn.question == "incident_when" and not reply.startswith("If you are in danger"):
                    danger = chat.say("he's here now")
                    assert "call 999" in danger and "press 55" in danger
                    assert question_text(flow, "incident_when") in danger
                reply = chat.say(turn.said)
            assert "Your reference is SR-" in reply
            assert TRANSLATOR.t("bot.handoff.urgent", "en") in reply
        [referral], _, _ = stored(stack, chat.id)
        vault = stack_vault(stack)
        decision = decision_of(vault, referral)
        assert triage_input_of(vault, referral)["immediate_danger"] == "yes"
        assert (decision["emergency"], decision["priority"]) == (True, "emergency")

    @pytest.mark.parametrize(
        ("said", "expected"),
        [
            ("stop", "The chat has ended."),
            ("i withdraw my consent", "nothing has been kept or passed on"),
        ],
    )
    def test_stop_or_withdraw_in_the_middle_keeps_nothing(
        self, stack: Stack, said: str, expected: str
    ) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            chat = Chat(http)
            start_hate_crime(chat)
            for text in ("ST4 1AA", "/affirm", "/affirm", "Synthetic test: shouted at in the street"):
                chat.say(text)
            assert expected in chat.say(said)
            # The form is over: an answer now is an answer to nothing.
            assert "not sure what that was an answer to" in chat.say("/affirm")
        assert stored(stack, chat.id) == ([], [], [])

    def test_withdrawing_consent_after_a_referral_takes_the_case_off_the_queue(self, stack: Stack) -> None:
        run = RUNS["hate_crime"]
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            chat, reply = play_through_chat(http, run, stack)
            reference = reply.split("Your reference is ")[1].split(".")[0]
            token = provider_token(stack, "hate_crime")
            listed = http.get(
                "/v1/queues/hate_crime/cases", params=ALL, headers={"Authorization": f"Bearer {token}"}
            )
            assert reference in [item["reference"] for item in listed.json()["items"]]
            withdrawn = chat.say("i withdraw my consent")
            assert TRANSLATOR.t("bot.consent.withdrawn_referral", "en", reference=reference) in withdrawn
            listed = http.get(
                "/v1/queues/hate_crime/cases", params=ALL, headers={"Authorization": f"Bearer {token}"}
            )
            assert reference not in [item["reference"] for item in listed.json()["items"]]
        _, receipts, _ = stored(stack, chat.id)
        assert sorted(r.kind for r in receipts) == ["grant", "withdrawal"]

    def test_start_again_help_language_and_hello_carry_on_or_restart(self, stack: Stack) -> None:
        flow = FLOWS["asb"]
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            chat = Chat(http)
            chat.say("/report_asb")
            chat.say("/affirm")
            postcode = question_text(flow, "postcode")
            assert postcode in (reply := chat.say("what do i do"))
            assert TRANSLATOR.t("bot.session.help", "en") in reply
            assert postcode in (reply := chat.say("change language"))
            assert TRANSLATOR.t("bot.language.options", "en") in reply
            assert postcode in (reply := chat.say("english"))
            assert TRANSLATOR.t("bot.language.changed", "en") in reply
            assert postcode in (reply := chat.say("hello"))
            assert TRANSLATOR.t("bot.session.resume", "en") in reply
            reply = chat.say("start again")
            assert TRANSLATOR.t("bot.session.restarted", "en") in reply
            assert TRANSLATOR.t("bot.safety.ask_safe_to_talk", "en") in reply
            assert "What would you like help with?" in chat.say("/affirm")

    def test_after_a_long_silence_the_next_message_starts_afresh(self, stack: Stack) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            chat = Chat(http)
            start_hate_crime(chat)
            chat.say("ST4 1AA")
            # Three hours pass (the session expires after 120 minutes of silence).
            with sqlite3.connect(stack.env()["RASA_TRACKER_DB"]) as db:
                rows = db.execute("SELECT id, timestamp, data FROM events WHERE sender_id = ?", (chat.id,))
                for row_id, stamp, data in rows.fetchall():
                    event: dict[str, Any] = json.loads(data)
                    event["timestamp"] = event["timestamp"] - 3 * 3600
                    db.execute(
                        "UPDATE events SET timestamp = ?, data = ? WHERE id = ?",
                        (stamp - 3 * 3600, json.dumps(event), row_id),
                    )
            reply = chat.say("/affirm")
            assert TRANSLATOR.t("bot.session.expired", "en") in reply
            assert "not sure what that was an answer to" in reply
            reply = chat.say("hello")
            assert TRANSLATOR.t("bot.safety.ask_safe_to_talk", "en") in reply
