"""The load scenarios (load/) cannot rot silently: what each door's locust user sends is built by
load/scenarios/payloads.py and journeys.py, and here those very requests go to the in-process app and must
be accepted (agency API and form, police feed, provider claims, a signed SMS webhook); the free-text
scripts must cover every language and journey and ask what the locales say; locust must find every user
class; and the Rasa-free doors run for a few seconds under real locust against a real api process, with no
failure. The chat and SMS doors' bot turns need Rasa: `make bench` (load/run_doors.py) checks every script
against the real stack in its warm-up."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from api.config import REPO_ROOT, Settings
from api.i18n import Translator
from tests.builders import bearer, create_principal
from tools.paths import API_PYTHON
from tools.secrets import generate
from tools.stack import Ports, Stack

LOAD = REPO_ROOT / "load"
sys.path.insert(0, str(LOAD))

from scenarios import journeys as scripts  # noqa: E402  (load/ is not a package on the path by default)
from scenarios import payloads  # noqa: E402

AUTH_TOKEN = "load-smoke-twilio-auth-token-0123"
ACCOUNT_SID = "AC" + "2" * 32
PUBLIC = "https://helpline.example.org"
LOCUST = API_PYTHON.parent / "locust"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "public_base_url": PUBLIC,  # what Twilio signs: the api's public URL + path
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": SecretStr(AUTH_TOKEN),
        }
    )


@pytest.fixture
async def browser(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http  # type: ignore[misc]


async def consent_versions(client: httpx.AsyncClient, bot_headers: dict[str, str]) -> dict[str, list[str]]:
    """payloads.consent_versions, on the in-process app."""
    versions: dict[str, list[str]] = {}
    for language in scripts.LANGUAGES:
        for response in payloads.CONSENT_QUESTIONS:
            reply = await client.post(
                "/v1/nlg", json=payloads.consent_nlg_request(response, language), headers=bot_headers
            )
            assert reply.status_code == 200, reply.text
            versions.setdefault(language, []).append(payloads.wording_version(reply.json()["text"]))
    return versions


class TestFreeTextScripts:
    def test_every_language_has_each_journey(self) -> None:
        built = Counter((j.language, j.journey) for j in scripts.journeys())
        assert set(built) == {(lang, j) for lang in scripts.LANGUAGES for j in scripts.RUNS}
        assert set(built.values()) == {1}

    def test_each_turn_expects_a_question_from_the_locales_and_the_last_a_reference(self) -> None:
        translator = Translator(REPO_ROOT / "locales")
        for journey in scripts.journeys():
            *asking, last = journey.steps
            assert len(asking) >= 8, (journey.language, journey.journey)
            assert all(step.expect for step in asking) and last.reference and not last.expect
            safe = translator.t("bot.safety.ask_safe_to_talk", journey.language)
            assert safe in asking[0].expect, (journey.language, journey.journey)
            # In another language, what the person types is in it: the opening is not the English one.
            if journey.language != "en":
                english = next(
                    j for j in scripts.journeys() if j.language == "en" and j.journey == journey.journey
                )
                assert asking[0].text != english.steps[0].text

    def test_a_reply_is_checked_for_its_question_language_and_reference(self) -> None:
        journey = scripts.journeys()[1]
        first = journey.steps[0]
        good = {"language": journey.language, "messages": [{"text": " ".join(first.expect)}]}
        assert first.problem(good, journey.language) is None
        assert "missing" in str(first.problem({**good, "messages": [{"text": "?"}]}, journey.language))
        assert "expected" in str(first.problem({**good, "language": "xx"}, journey.language))
        last = journey.steps[-1]
        assert (
            last.problem(
                {"language": journey.language, "messages": [{"text": "SR-AB12-CD34"}]}, journey.language
            )
            is None
        )
        assert "no reference" in str(
            last.problem({"language": journey.language, "messages": []}, journey.language)
        )


class TestRequestsTheDoorsSend:
    async def test_agency_api_referrals_in_every_language_are_created(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        headers = bearer(await create_principal(app, "agency", "Synthetic load agency"))
        versions = await consent_versions(client, bot_headers)
        for n in range(2 * len(scripts.LANGUAGES)):
            reply = await client.post(
                "/v1/referrals",
                json=payloads.api_payload(n, versions),
                headers={**headers, "Idempotency-Key": f"load-{n:04d}"},
            )
            assert reply.status_code == 201, reply.text
            assert scripts.REFERENCE.fullmatch(reply.json()["reference"])

    async def test_the_form_fields_make_a_referral_in_every_language(
        self, app: FastAPI, browser: httpx.AsyncClient
    ) -> None:
        token = await create_principal(app, "agency", "Synthetic load agency")
        page = await browser.get("/refer/sign-in?lang=en")
        csrf = payloads.hidden(page.text, "csrf_token")
        assert csrf is not None
        signed_in = await browser.post(
            "/refer/sign-in", data={"token": token, "csrf_token": csrf, "lang": "en"}
        )
        assert signed_in.status_code == 303
        for n in range(2 * len(scripts.LANGUAGES)):
            fields = payloads.form_fields(n)
            form = await browser.get(f"/refer/form?journey={fields['journey']}&lang={fields['lang']}")
            csrf, nonce = payloads.hidden(form.text, "csrf_token"), payloads.hidden(form.text, "nonce")
            assert form.status_code == 200 and csrf and nonce
            sent = await browser.post("/refer/form", data={**fields, "csrf_token": csrf, "nonce": nonce})
            assert sent.status_code == 303, re.findall(r'class="error-message"[^>]*>([^<]+)', sent.text)
            assert sent.headers["location"].startswith("/refer/done/SR-")

    async def test_a_police_feed_upload_is_imported_whole(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        headers = {
            **bearer(await create_principal(app, "admin", "Synthetic admin")),
            "content-type": "text/csv",
        }
        reply = await client.post(
            "/v1/admin/police-feed", content=payloads.feed_csv(12, "SMOKE1"), headers=headers
        )
        assert reply.status_code == 200, reply.text
        summary = reply.json()
        assert (summary["imported"], summary["errors"], summary["duplicates"]) == (12, 0, 0)

    async def test_a_caseworker_claims_accepts_and_closes_an_agency_referral(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        agency = bearer(await create_principal(app, "agency", "Synthetic load agency"))
        versions = await consent_versions(client, bot_headers)
        referred = await client.post("/v1/referrals", json=payloads.api_payload(0, versions), headers=agency)
        assert referred.status_code == 201, referred.text
        worker = bearer(await create_principal(app, "provider", "Synthetic caseworker", [payloads.QUEUE]))
        claimed = await client.post(f"/v1/queues/{payloads.QUEUE}/claim", headers=worker)
        assert claimed.status_code == 200, claimed.text
        entry = claimed.json()["entry_id"]
        for action, body, status in (
            ("accept", None, "accepted"),
            ("close", {"outcome": payloads.OUTCOMES[0]}, "closed"),
        ):
            reply = await client.post(
                f"/v1/queues/{payloads.QUEUE}/cases/{entry}/{action}", json=body, headers=worker
            )
            assert (reply.status_code, reply.json()["status"]) == (200, status), reply.text
        empty = await client.post(f"/v1/queues/{payloads.QUEUE}/claim", headers=worker)
        assert empty.status_code == 404 and "queue_empty" in empty.text  # what the user counts as "(empty)"

    async def test_a_signed_sms_webhook_is_acknowledged_and_a_forged_one_is_not(
        self, client: httpx.AsyncClient
    ) -> None:
        url = PUBLIC + payloads.SMS_PATH
        params = payloads.inbound_params(ACCOUNT_SID, payloads.sender_number(0), "hello")
        validator = RequestValidator(AUTH_TOKEN)
        reply = await client.post(
            payloads.SMS_PATH,
            content=urlencode(params),
            headers=payloads.signed_headers(validator, url, params),
        )
        assert reply.status_code == 200 and "<Response></Response>" in reply.text, reply.text
        forged = payloads.signed_headers(RequestValidator("not-the-token-0123456789"), url, params)
        refused = await client.post(payloads.SMS_PATH, content=urlencode(params), headers=forged)
        assert refused.status_code == 403

    def test_sms_senders_are_drama_numbers_clear_of_the_scripts_contact_numbers(self) -> None:
        numbers = {payloads.sender_number(i) for i in range(payloads.SENDERS)}
        assert len(numbers) == payloads.SENDERS
        assert all(re.fullmatch(r"\+447700900[0-9]{3}", n) for n in numbers)
        contact = {
            re.sub(r"\D", "", s.text) for j in scripts.journeys() for s in j.steps if "07700" in s.text
        }
        assert contact and not {"44" + c[1:] for c in contact} & {n[1:] for n in numbers}


def test_locust_finds_every_door() -> None:
    listed = subprocess.run(
        [str(LOCUST), "-f", str(LOAD / "doors.py"), "--list"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr[-2000:]
    users = {line.strip() for line in listed.stdout.splitlines()}
    expected = {
        "AgencyApiUser",
        "AgencyFormUser",
        "FreeTextChatUser",
        "PoliceFeedUser",
        "ProviderClaimUser",
        "SmsConversationUser",
    }
    assert expected <= users, listed.stdout


def test_the_rasa_free_doors_run_under_locust_without_a_failure(tmp_path: Path) -> None:
    """Agency API, form, police feed and claims: four users for 8 seconds against a real api process."""
    stack = Stack(data_dir=tmp_path, model=tmp_path, ports=Ports.free(), secrets=generate(), app_env="test")
    stack.migrate()
    env = stack.env()
    api = subprocess.Popen(
        [str(API_PYTHON), "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(stack.ports.api), "--no-access-log", "--log-level", "warning"],
        cwd=REPO_ROOT, env={**env, "LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{stack.api_url}/healthz", timeout=2):  # noqa: S310 — loopback
                    break
            except OSError:
                assert time.monotonic() < deadline and api.poll() is None, "the api did not start"
                time.sleep(0.3)

        def token(kind: str, *queue: str) -> str:
            command = [
                str(API_PYTHON),
                "-m",
                "api",
                "principal",
                "create",
                "--kind",
                kind,
                "--name",
                f"Synthetic {kind}",
            ]
            for q in queue:
                command += ["--queue", q]
            return subprocess.run(
                command, cwd=REPO_ROOT, env=env, check=True, capture_output=True, text=True
            ).stdout.split()[-1]

        agency = token("agency")
        with httpx.Client(base_url=stack.api_url, timeout=30) as http:
            versions = payloads.consent_versions(http, env["BOT_SERVICE_TOKEN"])
            for n in range(0, 20, 2):  # hate crime referrals for the caseworker to claim
                assert (
                    http.post(
                        "/v1/referrals", json=payloads.api_payload(n, versions), headers=bearer(agency)
                    ).status_code
                    == 201
                )
        locust_env = {
            **env,
            "AGENCY_TOKEN": agency,
            "ADMIN_TOKEN": token("admin"),
            "PROVIDER_TOKENS": token("provider", payloads.QUEUE),
            "FEED_ROWS": "5",
            "CONSENT_VERSIONS": json.dumps(versions),
        }
        prefix = tmp_path / "smoke"
        run = subprocess.run(
            [str(LOCUST), "-f", str(LOAD / "doors.py"), "AgencyApiUser", "AgencyFormUser", "PoliceFeedUser",
             "ProviderClaimUser", "--headless", "-u", "4", "-r", "4", "--run-time", "8s",
             "--host", stack.api_url,
             "--json-file", str(prefix), "--only-summary", "--stop-timeout", "0", "--loglevel", "WARNING"],
            cwd=REPO_ROOT, env=locust_env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
    finally:
        api.terminate()
        api.wait(timeout=15)
    assert Path(f"{prefix}.json").exists(), (run.stdout[-3000:], run.stderr[-3000:])
    stats = {s["name"]: s for s in json.loads(Path(f"{prefix}.json").read_text())}
    counts = sorted((s["name"], s["num_requests"], s["num_failures"]) for s in stats.values())
    failures = {name: s["num_failures"] for name, s in stats.items() if s["num_failures"]}
    assert not failures, (failures, run.stdout[-3000:], run.stderr[-3000:])
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    for name in (
        "agency api referral",
        "form sign-in",
        "form submit",
        "form done",
        "police feed import",
        "queue claim",
        "queue close",
    ):
        assert stats.get(name, {}).get("num_requests", 0) > 0, (name, counts, run.stderr[-3000:])
