"""The agency form's access matrix: every page of /refer, as every kind of principal, against an explicit
table (the HTML half of tests/api/test_access_matrix.py, whose route check counts these rows too).

A page of the form is reached with a form session, not a bearer token: each principal signs in through
/refer/sign-in with its own token (only an agency's is accepted there), then asks for the page with
whatever session it got. Without one, every signed-in page redirects to the sign-in page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
import pytest
from fastapi import FastAPI

from tests.builders import create_principal

ANON, BOT, AGENCY, ADMIN, PROVIDER = "anonymous", "bot", "agency", "admin", "provider"
PRINCIPALS = (ANON, BOT, AGENCY, ADMIN, PROVIDER)
SIGN_IN = "/refer/sign-in"


@dataclass(frozen=True)
class Expect:
    status: int
    location: str | None = None  # a 303's Location starts with this


def signed_in_only(agency: Expect) -> dict[str, Expect]:
    return {p: agency if p == AGENCY else Expect(303, SIGN_IN) for p in PRINCIPALS}


@dataclass(frozen=True)
class FormRow:
    method: str
    route: str
    expect: dict[str, Expect]
    path: str = ""
    data: bool = False  # a POST with the page's fields (a complete ASB referral) and its CSRF token

    @property
    def id(self) -> str:
        return f"{self.method} {self.path or self.route}"


def asb_referral() -> dict[str, str]:
    return {
        "journey": "asb",
        "lang": "en",
        "q_postcode": "ST4 1AA",
        "q_asb_what": "noise",
        "q_asb_description": "Synthetic: loud music every night",
        "q_asb_how_long": "under_month",
        "q_asb_reports": "1",
        "q_asb_last_report": (date.today() - timedelta(days=5)).isoformat(),
        "q_asb_violence": "no",
        "q_contact_phone": "07700 900123",
        "q_sms_safe": "yes",
        "person_language": "en",
        "referrer_name": "Synthetic Officer",
        "referrer_organisation": "Synthetic Homes",
        "referrer_role": "housing_officer",
        "referrer_contact": "01782 000000",
        "consent_by": "adult",
        "attest": "yes",
    }


FORM_ROWS: list[FormRow] = [
    FormRow("GET", "/refer/sign-in", dict.fromkeys(PRINCIPALS, Expect(200))),
    FormRow(
        "POST",
        "/refer/sign-in",
        {
            ANON: Expect(401),
            BOT: Expect(401),  # the bot's service token is no principal of the form
            AGENCY: Expect(303, "/refer?"),
            ADMIN: Expect(403),
            PROVIDER: Expect(403),
        },
    ),
    FormRow(
        "GET", "/refer/static/{name}", dict.fromkeys(PRINCIPALS, Expect(200)), path="/refer/static/form.css"
    ),
    FormRow("GET", "/refer", signed_in_only(Expect(200))),
    FormRow("GET", "/refer/form", signed_in_only(Expect(200)), path="/refer/form?journey=asb"),
    FormRow("POST", "/refer/form", signed_in_only(Expect(303, "/refer/done/")), data=True),
    FormRow("POST", "/refer/sign-out", signed_in_only(Expect(303, SIGN_IN)), data=True),
    FormRow("GET", "/refer/done/{reference}", signed_in_only(Expect(404)), path="/refer/done/SR-2345-6789"),
    # The agency worker's referrals and their status (api/console/agency_status.py).
    FormRow("GET", "/refer/status", signed_in_only(Expect(200))),
]
FORM_ROUTES = {(row.method, row.route) for row in FORM_ROWS}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return found.group(1) if found else ""


async def token_of(app: FastAPI, principal: str, bot_token: str) -> str:
    if principal == ANON:
        return ""
    if principal == BOT:
        return bot_token
    queues = ["asb_mediation"] if principal == PROVIDER else []
    return await create_principal(app, principal, f"Synthetic {principal}", queues)


class TestFormMatrix:
    def test_every_row_names_every_principal(self) -> None:
        for row in FORM_ROWS:
            assert set(row.expect) == set(PRINCIPALS), row.id

    @pytest.mark.parametrize("principal", PRINCIPALS)
    @pytest.mark.parametrize("row", FORM_ROWS, ids=lambda r: r.id)
    async def test_status(
        self,
        app: FastAPI,
        browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        row: FormRow,
        principal: str,
    ) -> None:
        token = await token_of(app, principal, bot_headers["Authorization"].removeprefix("Bearer "))
        sign_in_page = await browser.get(SIGN_IN)
        signing_in = {"token": token, "csrf_token": csrf_of(sign_in_page.text), "lang": "en"}
        if (row.method, row.route) == ("POST", "/refer/sign-in"):
            reply = await browser.post(SIGN_IN, data=signing_in)
        else:
            await browser.post(SIGN_IN, data=signing_in)  # the session, if this principal gets one
            data = None
            if row.data:
                page = await browser.get("/refer/form?journey=asb")
                data = {**asb_referral(), "csrf_token": csrf_of(page.text)}
            reply = await browser.request(row.method, row.path or row.route, data=data)
        expected = row.expect[principal]
        assert reply.status_code == expected.status, reply.text
        if expected.location is not None:
            assert reply.headers["location"].startswith(expected.location), reply.headers["location"]
        assert reply.headers["x-content-type-options"] == "nosniff"
