"""The agency door, both ways in: AgencyApiUser (an agency's case system calling `POST /v1/referrals`) and
AgencyFormUser (a professional using the web form at /refer). Both refer with the person's consent attested
by a named (synthetic) referrer, on behalf of people speaking any of the 8 languages, alternating the hate
crime and ASB journeys; every referral lands in its queue in the stack's database.

AgencyApiUser: `POST /v1/referrals` with `Authorization: Bearer $AGENCY_TOKEN` and a fresh `Idempotency-Key`
("agency api referral": 201 with a reference). One request in 50 replays an earlier request, key and body
("agency api replay": the first answer, byte for byte, and nothing created).

AgencyFormUser: signs in once with $AGENCY_TOKEN ("form sign-in": the page for its CSRF token, then the POST,
303 to /refer), then for each referral, in the page language it walks to: "form page" (GET the journey's
form: its CSRF token and nonce), "form submit" (POST every field: 303 to /refer/done/<reference>), "form done"
(the confirmation page shows the reference). The form's cookies are Secure; on loopback they are sent over
plain HTTP (scenarios.common.LoopbackSecureCookies), to no other host.
"""

from __future__ import annotations

import itertools
import random
import sys
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, constant, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # load/, for scenarios.*

from scenarios.common import (
    REQUEST_TIMEOUT_SECONDS,
    LoopbackSecureCookies,
    loopback_only,
    setting,
    status_problem,
)
from scenarios.journeys import REFERENCE
from scenarios.payloads import api_payload, form_fields, hidden

API_NAME = "agency api referral"
REPLAY_NAME = "agency api replay"
SIGN_IN_NAME = "form sign-in"
PAGE_NAME = "form page"
SUBMIT_NAME = "form submit"
DONE_NAME = "form done"
REPLAY_SHARE = 0.02
_users = itertools.count()


class AgencyApiUser(HttpUser):
    wait_time = constant(0)
    weight = 3

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {setting('AGENCY_TOKEN')}"}
        self.count = next(_users) * 1000
        self.sent: list[tuple[str, dict[str, Any], str]] = []  # key, body, first answer

    @task
    def refer(self) -> None:
        if self.sent and random.random() < REPLAY_SHARE:
            key, body, first = random.choice(self.sent)
            name = REPLAY_NAME
        else:
            self.count += 1
            key, body, first, name = str(uuid.uuid4()), api_payload(self.count), "", API_NAME
        with self.client.post(
            "/v1/referrals",
            json=body,
            headers={**self.headers, "Idempotency-Key": key},
            name=name,
            timeout=REQUEST_TIMEOUT_SECONDS,
            catch_response=True,
        ) as response:
            problem = status_problem(response, 201)
            if problem is None and first and response.text != first:
                problem = "the replay's answer is not the first answer"
            if problem is None and not REFERENCE.search(response.text):
                problem = "no reference in the answer"
            if problem is not None:
                response.failure(problem)
                return
            response.success()
            if not first:
                self.sent = [*self.sent, (key, body, response.text)][-50:]


class AgencyFormUser(HttpUser):
    wait_time = constant(0)
    weight = 2

    def on_start(self) -> None:
        loopback_only(self.host or "")
        self.client.cookies.set_policy(LoopbackSecureCookies())
        self.count = next(_users) * 1000
        self.signed_in = self.sign_in()

    def sign_in(self) -> bool:
        with self.client.get(
            "/refer/sign-in?lang=en", name=SIGN_IN_NAME, timeout=REQUEST_TIMEOUT_SECONDS, catch_response=True
        ) as page:
            csrf = hidden(page.text, "csrf_token") if page.status_code == 200 else None
            if csrf is None:
                page.failure(status_problem(page, 200) or "no CSRF token on the sign-in page")
                return False
            page.success()
        with self.client.post(
            "/refer/sign-in",
            data={"token": setting("AGENCY_TOKEN"), "csrf_token": csrf, "lang": "en"},
            allow_redirects=False,
            name=SIGN_IN_NAME,
            timeout=REQUEST_TIMEOUT_SECONDS,
            catch_response=True,
        ) as response:
            problem = status_problem(response, 303)
            if problem is None and not response.headers.get("location", "").startswith("/refer"):
                problem = "not sent on to the form"
            if problem is not None:
                response.failure(problem)
                return False
            response.success()
            return True

    @task
    def refer(self) -> None:
        if not self.signed_in:
            self.signed_in = self.sign_in()
            return
        self.count += 1
        fields = form_fields(self.count)
        lang = fields["lang"]
        with self.client.get(
            f"/refer/form?journey={fields['journey']}&lang={lang}",
            name=PAGE_NAME,
            timeout=REQUEST_TIMEOUT_SECONDS,
            catch_response=True,
        ) as page:
            csrf, nonce = hidden(page.text, "csrf_token"), hidden(page.text, "nonce")
            if page.status_code != 200 or csrf is None or nonce is None:
                page.failure(status_problem(page, 200) or "no CSRF token or nonce on the form")
                self.signed_in = page.status_code != 303  # sent to sign in: the session is gone
                return
            page.success()
        with self.client.post(
            "/refer/form",
            data={**fields, "csrf_token": csrf, "nonce": nonce},
            allow_redirects=False,
            name=SUBMIT_NAME,
            timeout=REQUEST_TIMEOUT_SECONDS,
            catch_response=True,
        ) as response:
            location = response.headers.get("location", "")
            problem = status_problem(response, 303)
            if problem is None and not location.startswith("/refer/done/SR-"):
                problem = f"sent to {location.split('?')[0]!r}, not the confirmation"
            if problem is not None:
                response.failure(problem)
                return
            response.success()
        reference = location.split("/refer/done/", 1)[1].split("?", 1)[0]
        with self.client.get(
            location, name=DONE_NAME, timeout=REQUEST_TIMEOUT_SECONDS, catch_response=True
        ) as done:
            problem = status_problem(done, 200)
            if problem is None and reference not in done.text:
                problem = "the confirmation does not show the reference"
            if problem is not None:
                done.failure(problem)
            else:
                done.success()
