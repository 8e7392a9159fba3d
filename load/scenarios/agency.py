"""The agency door, both ways in: AgencyApiUser (an agency's case system calling `POST /v1/referrals`) and
AgencyFormUser (a professional using the web form at /refer). Both refer with the person's consent attested
by a named (synthetic) referrer, on behalf of people speaking any of the 8 languages, alternating the hate
crime and ASB journeys; every referral lands in its queue in the stack's database.

AgencyApiUser: `POST /v1/referrals` with `Authorization: Bearer $AGENCY_TOKEN` and a fresh `Idempotency-Key`,
the consent quoting the wording versions of the person's language ($CONSENT_VERSIONS, JSON: language -> list;
the runner renders them through the NLG endpoint as the bot does, `payloads.consent_versions`)
("agency api referral": 201 with a reference). One request in 50 replays an earlier request, key and body
("agency api replay": the first answer, byte for byte, and nothing created).

AgencyFormUser: signs in once with $AGENCY_TOKEN ("form sign-in": the page for its CSRF token, then the POST,
303 to /refer), then for each referral, in the page language it walks to: "form page" (GET the journey's
form: its CSRF token and nonce), "form submit" (POST every field: 303 to /refer/done/<reference>), "form done"
(the confirmation page shows the reference). The form's cookies are Secure; on loopback they are sent over
plain HTTP (scenarios.common.LoopbackCookies), to no other host.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from locust import HttpUser, constant, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # load/, for scenarios.*

from scenarios.common import (
    REQUEST_TIMEOUT_SECONDS,
    LoopbackCookies,
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
        self.versions = json.loads(setting("CONSENT_VERSIONS"))
        self.count = next(_users) * 1000
        self.sent: list[tuple[str, dict[str, Any], str]] = []  # key, body, first answer

    @task
    def refer(self) -> None:
        if self.sent and random.random() < REPLAY_SHARE:
            key, body, first = random.choice(self.sent)
            name = REPLAY_NAME
        else:
            self.count += 1
            key, body, first, name = str(uuid.uuid4()), api_payload(self.count, self.versions), "", API_NAME
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
        self.cookies = LoopbackCookies(self.host or "")
        self.count = next(_users) * 1000
        self.signed_in = self.sign_in()

    @contextmanager
    def form_request(
        self, method: str, path: str, name: str, data: dict[str, str] | None = None
    ) -> Iterator[Any]:
        """One request as the browser makes it on this form: its cookies, no redirect followed."""
        with self.client.request(
            method,
            path,
            data=data,
            headers=self.cookies.header(),
            allow_redirects=False,
            name=name,
            timeout=REQUEST_TIMEOUT_SECONDS,
            catch_response=True,
        ) as response:
            raw = getattr(response, "raw", None)
            self.cookies.keep(raw.headers.getlist("Set-Cookie") if raw is not None else [])
            yield response

    def sign_in(self) -> bool:
        with self.form_request("GET", "/refer/sign-in?lang=en", SIGN_IN_NAME) as page:
            csrf = hidden(page.text, "csrf_token") if page.status_code == 200 else None
            if csrf is None:
                page.failure(status_problem(page, 200) or "no CSRF token on the sign-in page")
                return False
            page.success()
        data = {"token": setting("AGENCY_TOKEN"), "csrf_token": csrf, "lang": "en"}
        with self.form_request("POST", "/refer/sign-in", SIGN_IN_NAME, data) as response:
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
        page_path = f"/refer/form?journey={fields['journey']}&lang={fields['lang']}"
        with self.form_request("GET", page_path, PAGE_NAME) as page:
            csrf, nonce = hidden(page.text, "csrf_token"), hidden(page.text, "nonce")
            if page.status_code != 200 or csrf is None or nonce is None:
                page.failure(status_problem(page, 200) or "no CSRF token or nonce on the form")
                self.signed_in = page.status_code != 303  # sent to sign in: the session is gone
                return
            page.success()
        data = {**fields, "csrf_token": csrf, "nonce": nonce}
        with self.form_request("POST", "/refer/form", SUBMIT_NAME, data) as response:
            location = response.headers.get("location", "")
            problem = status_problem(response, 303)
            if problem is None and not location.startswith("/refer/done/SR-"):
                problem = f"sent to {location.split('?')[0]!r}, not the confirmation"
            if problem is not None:
                response.failure(problem)
                return
            response.success()
        reference = location.split("/refer/done/", 1)[1].split("?", 1)[0]
        with self.form_request("GET", location, DONE_NAME) as done:
            problem = status_problem(done, 200)
            if problem is None and reference not in done.text:
                problem = "the confirmation does not show the reference"
            if problem is not None:
                done.failure(problem)
            else:
                done.success()
