"""The caseworker console in a real browser (Debian's Chromium through Playwright) against a real api
process: a caseworker's morning (sign in with a TOTP code, see the emergency alert, claim the case, read
the plan, record a failed attempt then first contact, add a note, close with an outcome), a team lead
re-routing a returned case, an agency worker seeing "Accepted", a police-feed case (held without the
person's consent) whose consent is recorded at first contact, the pages at phone and laptop widths, and a
screenshot of each console page in English and Urdu (right to left).

Accounts are made with the operator CLI (`python -m api account create`), cases through the api as the bot
and an agency do; the worker's alert round runs in this process on the same database. Synthetic data only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import os
import re
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
import pytest
from playwright.sync_api import BrowserContext, Page

from api.alerts.settings import AlertSettings
from api.db import create_engine, create_sessionmaker
from api.worker.__main__ import run_once
from tests.api.console.test_console_first_contact_consent import feed_csv
from tests.browser.conftest import DESKTOP, MOBILE
from tests.builders import agency_referral_payload, referral_payload
from tools.paths import API_PYTHON, ROOT
from tools.stack import free_port

pytestmark = pytest.mark.e2e

NewContext = Callable[[dict[str, int]], BrowserContext]
Shoot = Callable[[Page, str], Path]
BOT_TOKEN = "browser-console-bot-token-0123456789abcdef"


@dataclass
class ConsoleApi:
    url: str
    env: dict[str, str]
    database_url: str

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [str(API_PYTHON), "-m", "api", *args], cwd=ROOT, env=self.env, check=True, capture_output=True
        )
        return done.stdout.decode()


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    secret: str


@pytest.fixture(scope="module")
def console_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleApi]:
    directory = tmp_path_factory.mktemp("console-browser")
    port = free_port()
    database_url = f"sqlite+aiosqlite:///{directory / 'api.db'}"
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "BOT_SERVICE_TOKEN": BOT_TOKEN,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "ALLOW_FICTIONAL_PHONE_NUMBERS": "true",
        "RASA_URL": "http://127.0.0.1:9",
        "RASA_TRACKER_DB": str(directory / "rasa-tracker.db"),
        "OPENING_HOURS": "none",
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run([str(API_PYTHON), "-m", "api", "migrate"], cwd=ROOT, env=env, check=True)
    log = open(directory / "api.log", "ab")
    process = subprocess.Popen(
        [str(API_PYTHON), "-m", "uvicorn", "api.main:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 — loopback only
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, (
                    directory / "api.log"
                ).read_text()
                time.sleep(0.3)
        yield ConsoleApi(url, env, database_url)
    finally:
        process.terminate()
        process.wait(timeout=15)


def create_account(api: ConsoleApi, username: str, role: str, *queues: str) -> Login:
    args = ["account", "create", "--username", username, "--name", f"Synthetic {username}", "--role", role]
    for queue in queues:
        args += ["--queue", queue]
    out = api.cli(*args)
    password = re.search(r"^password: (\S+)$", out, re.M)
    secret = re.search(r"^totp secret: (\S+)$", out, re.M)
    assert password and secret, out
    return Login(username, password.group(1), secret.group(1))


def refer(api: ConsoleApi, payload: dict[str, object], token: str = BOT_TOKEN) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    bot = {"Authorization": f"Bearer {BOT_TOKEN}"}
    with httpx.Client(base_url=api.url, timeout=30) as http:
        versions = []
        for response in ("utter_ask_consent_store", "utter_ask_consent_share"):
            shown = http.post(
                "/v1/nlg",
                json={
                    "response": response,
                    "tracker": {"slots": {"language": "en", "journey": "hate_crime"}},
                },
                headers=bot,
            )
            versions.append(hashlib.sha256(shown.json()["text"].encode()).hexdigest())
        payload["consent"]["wording_versions"] = versions  # type: ignore[index]
        reply = http.post("/v1/referrals", json=payload, headers=headers)
        assert reply.status_code == 201, reply.text
        return str(reply.json()["reference"])


def import_police_case(api: ConsoleApi) -> str:
    """A police-feed case (triage flag `consent_to_seek`), imported as the admin API takes the feed."""
    admin = api.cli("principal", "create", "--kind", "admin", "--name", "Synthetic feed admin").strip()
    with httpx.Client(base_url=api.url, timeout=30) as http:
        reply = http.post(
            "/v1/admin/police-feed",
            content=feed_csv(crime_reference="SP/26/000918"),
            headers={"Authorization": f"Bearer {admin}", "content-type": "text/csv"},
        )
    assert reply.status_code == 200, reply.text
    [imported] = reply.json()["imported_rows"]
    return str(imported["reference"])


def raise_alerts(api: ConsoleApi) -> None:
    async def run() -> None:
        engine = create_engine(api.database_url)
        try:
            # No deadline lead: an emergency received 15:00-17:00 on a working day is due at 17:00, so its
            # deadline alert would join the emergency one depending on the hour the tests run.
            await run_once(
                create_sessionmaker(engine), AlertSettings(_env_file=None, alert_deadline_lead_minutes=0)
            )
        finally:
            await engine.dispose()

    # Playwright's sync API runs an event loop in this thread: the worker's round runs in another.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()


def sign_in(page: Page, api: ConsoleApi, login: Login, lang: str = "en") -> None:
    page.goto(f"{api.url}/console/sign-in?lang={lang}")
    page.locator("#username").fill(login.username)
    page.locator("#password").fill(login.password)
    code = pyotp.TOTP(login.secret)
    # A code is good once: wait for the next one if this one was used by an earlier sign-in.
    page.locator("#code").fill(code.now())
    page.locator("form[method=post][action='/console/sign-in'] button[type=submit]").click()
    if "/console/sign-in" in page.url:
        time.sleep(31 - time.time() % 30)
        page.locator("#username").fill(login.username)
        page.locator("#password").fill(login.password)
        page.locator("#code").fill(code.now())
        page.locator("form[method=post][action='/console/sign-in'] button[type=submit]").click()
    assert "/console/sign-in" not in page.url, page.content()[:2000]


class TestCaseworkersMorning:
    def test_morning_then_team_lead_then_agency(
        self, console_api: ConsoleApi, new_context: NewContext, shoot: Shoot
    ) -> None:
        api = console_api
        caseworker = create_account(api, "synthetic-cw", "caseworker", "hate_crime")
        lead = create_account(api, "synthetic-lead", "team_lead", "hate_crime")
        asb = create_account(api, "synthetic-asb", "caseworker", "asb_mediation")
        admin = create_account(api, "synthetic-admin", "admin")
        agency_token = api.cli(
            "principal", "create", "--kind", "agency", "--name", "Synthetic housing"
        ).strip()

        normal = refer(api, referral_payload())
        urgent = refer(
            api,
            referral_payload(
                person={"name": "Synthetic Person", "phone": "07700 900456", "sms_safe": False,
                        "safe_times": "Synthetic: weekday mornings"},
                triage={"incident_type": "hate", "hate_strands": ["race"], "consent": "given",
                        "immediate_danger": "yes"},
            ),
        )  # fmt: skip
        agency_ref = refer(api, agency_referral_payload("asb"), agency_token)
        raise_alerts(api)

        # --- the caseworker's morning, on a phone ---
        page = new_context(MOBILE).new_page()
        shoot_page = page
        sign_in(page, api, caseworker)
        assert page.locator(".alert-emergency").count() == 1
        assert urgent in page.locator(".alert-emergency").inner_text()
        rows = page.locator("table.cases tbody tr")
        assert urgent in rows.nth(0).inner_text() and normal in rows.nth(1).inner_text()  # triage order
        shoot(shoot_page, "queues-en")
        # Seen: the caseworker acknowledges it, and it leaves the list (the case stays first in the queue).
        page.get_by_role("button", name=f"Acknowledge Emergency case: {urgent}").click()
        assert page.locator(".alert-emergency").count() == 0
        assert urgent in page.locator("table.cases tbody tr").nth(0).inner_text()

        page.get_by_role("button", name="Claim the next case").click()
        assert urgent in page.locator("h1").inner_text()
        plan = page.locator("section.plan")
        assert "Do not text them." in plan.inner_text()
        assert plan.bounding_box()["y"] < page.locator("#decision-heading").bounding_box()["y"]  # type: ignore[index]
        shoot(page, "case-en")

        page.locator("#at-channel").select_option("phone")
        page.locator("#at-outcome").select_option("no_answer")
        page.get_by_role("button", name="Record attempt").click()
        page.get_by_role("button", name="Accept the case").click()
        page.locator("#fc-identity").check()
        page.get_by_role("button", name="Record first contact").click()
        page.locator("#note-text").fill("Synthetic note: agreed a weekly call")
        page.get_by_role("button", name="Add note").click()
        activity = page.locator("ol.activity").inner_text()
        assert "No answer" in activity and "First contact" in activity and "agreed a weekly call" in activity
        assert "deadline met" in page.locator("#main").inner_text()
        shoot(page, "case-worked-en")
        page.locator("#close-outcome").select_option("supported")
        page.get_by_role("button", name="Close case").click()
        assert page.url.endswith("/console")

        # The normal case goes back to triage.
        page.get_by_role("button", name="Claim the next case").click()
        assert normal in page.locator("h1").inner_text()
        page.locator("#ret-reason").select_option("wrong_service")
        page.locator("#ret-note").fill("Synthetic: ASB, not hate")
        page.get_by_role("button", name="Return to triage").click()

        # A police-feed case is held without the person's consent: asked, and recorded, at first contact.
        police = import_police_case(api)
        page.goto(f"{api.url}/console")
        page.get_by_role("button", name="Claim the next case").click()
        assert police in page.locator("h1").inner_text()
        assert "Not given yet: ask for it at first contact." in page.locator("#main").inner_text()
        page.get_by_role("button", name="Accept the case").click()
        page.locator("#fc-identity").check()
        page.locator("#fc-consent-agreed").check()
        page.locator("#fc-purpose-store_and_process").check()
        page.locator("#fc-purpose-share_with_provider").check()
        page.locator("#fc-given-by").select_option("person")
        shoot(page, "first-contact-consent-en")
        page.get_by_role("button", name="Record first contact").click()
        main = page.locator("#main").inner_text()
        assert "Given at first contact" in main and "Not given yet" not in main
        assert "Consent given." in page.locator("ol.activity").inner_text()
        assert page.locator("#fc-consent-agreed").count() == 0  # asked once: the form no longer asks

        page.goto(f"{api.url}/console/search?q={urgent}")
        assert page.locator("ul.results").inner_text().startswith(urgent)
        shoot(page, "search-en")

        # --- the team lead re-routes the returned case, on a laptop ---
        lead_page = new_context(DESKTOP).new_page()
        sign_in(lead_page, api, lead)
        lead_page.get_by_role("link", name="Triage inbox").click()
        assert normal in lead_page.locator("table.cases").inner_text()
        shoot(lead_page, "inbox-en")
        lead_page.get_by_role("link", name=normal).click()
        # Returned as the wrong service: the answers that concern it can be changed and triaged again.
        assert lead_page.locator("#rt-incident_type").count() == 1
        shoot(lead_page, "inbox-case-en")
        returned_case = lead_page.url
        lead_page.goto(f"{returned_case}?lang=ur")
        assert lead_page.locator("html").get_attribute("dir") == "rtl"
        assert lead_page.locator("#rt-incident_type").count() == 1
        shoot(lead_page, "inbox-case-ur")
        lead_page.goto(f"{returned_case}?lang=en")  # the session keeps the language: back for the steps
        lead_page.locator("#tr-target").select_option("asb_mediation")
        lead_page.locator("#tr-reason").select_option("wrong_service")
        lead_page.get_by_role("button", name="Transfer").click()
        assert normal not in lead_page.locator("#main").inner_text()

        # --- the ASB caseworker accepts the agency's referral; the agency sees "Accepted" ---
        asb_page = new_context(DESKTOP).new_page()
        sign_in(asb_page, api, asb)
        assert normal in asb_page.locator("#main").inner_text()  # the re-routed case arrived
        asb_page.get_by_role("button", name="Claim the next case").click()
        if agency_ref not in asb_page.locator("h1").inner_text():  # the re-routed case came first
            asb_page.goto(f"{api.url}/console")
            asb_page.get_by_role("button", name="Claim the next case").click()
        assert agency_ref in asb_page.locator("h1").inner_text()
        asb_page.get_by_role("button", name="Accept the case").click()

        agency_page = new_context(DESKTOP).new_page()
        agency_page.goto(f"{api.url}/refer/sign-in")
        agency_page.locator("#token").fill(agency_token)
        agency_page.locator("form[method=post][action='/refer/sign-in'] button[type=submit]").click()
        agency_page.goto(f"{api.url}/refer/status")
        row = agency_page.locator("tr", has_text=agency_ref)
        assert "Accepted" in row.inner_text()
        assert "07700" not in agency_page.content()
        shoot(agency_page, "agency-status-en")

        # --- the admin's accounts page ---
        admin_page = new_context(DESKTOP).new_page()
        sign_in(admin_page, api, admin)
        assert "synthetic-cw" in admin_page.locator("table.cases").inner_text()
        shoot(admin_page, "accounts-en")
        admin_page.get_by_role("link", name="Queues").click()
        overview = admin_page.locator("table.cases").inner_text()
        # The ASB caseworker holds the agency's case (and the re-routed one, when it came first).
        assert re.search(r"Synthetic synthetic-asb: [12]\b", overview), overview
        assert urgent not in admin_page.content() and agency_ref not in admin_page.content()  # counts only
        admin_page.locator("#address-hate_crime").fill("hate-crime-team@example.org")
        admin_page.locator("form[action='/console/admin/queues/hate_crime/team-address'] button").click()
        assert admin_page.locator("#address-hate_crime").input_value() == "hate-crime-team@example.org"
        shoot(admin_page, "admin-queues-en")

        # --- the data-protection officer finds what is held under a reference ---
        dpo_page = new_context(DESKTOP).new_page()
        sign_in(dpo_page, api, create_account(api, "synthetic-dpo", "data_protection"))
        assert "/console/rights" in dpo_page.url  # the role lands on its own pages
        dpo_page.locator("#r-kind").select_option("reference")
        dpo_page.locator("#r-value").fill(agency_ref)
        dpo_page.get_by_role("button", name="Find").click()
        assert agency_ref in dpo_page.locator("section[aria-labelledby=found-heading] ul").inner_text()
        shoot(dpo_page, "rights-en")

        # --- the same pages in Urdu (right to left) ---
        for context_page, path, name in (
            (dpo_page, "/console/rights", "rights"),
            (page, "/console", "queues"),
            (page, "/console/search?q=" + urgent, "search"),
            (lead_page, "/console/inbox", "inbox"),
            (admin_page, "/console/admin/accounts", "accounts"),
            (admin_page, "/console/admin/queues", "admin-queues"),
            (agency_page, "/refer/status", "agency-status"),
        ):
            context_page.goto(f"{api.url}{path}{'&' if '?' in path else '?'}lang=ur")
            assert context_page.locator("html").get_attribute("dir") == "rtl"
            shoot(context_page, f"{name}-ur")
        asb_page.goto(f"{api.url}/console?lang=ur")
        asb_page.locator("table.cases a").first.click()
        assert asb_page.locator("html").get_attribute("dir") == "rtl"
        shoot(asb_page, "case-ur")
        sign_in_page = new_context(MOBILE).new_page()
        sign_in_page.goto(f"{api.url}/console/sign-in?lang=ur")
        shoot(sign_in_page, "sign-in-ur")
        sign_in_page.goto(f"{api.url}/console/sign-in?lang=en")
        shoot(sign_in_page, "sign-in-en")

    def test_keyboard_reaches_the_main_content(
        self, console_api: ConsoleApi, new_context: NewContext
    ) -> None:
        page = new_context(DESKTOP).new_page()
        page.goto(f"{console_api.url}/console/sign-in")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") in ("page-language", "username")
