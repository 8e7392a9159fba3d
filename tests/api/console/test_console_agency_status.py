"""An agency worker sees their referrals' status at /refer/status, and nothing else of the case."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from tests.api.console.conftest import make_account, post_form, sign_in
from tests.builders import agency_referral_payload, bearer, create_principal, create_referral


async def agency_sign_in(browser: httpx.AsyncClient, token: str) -> None:
    page = await browser.get("/refer/sign-in")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    reply = await browser.post(
        "/refer/sign-in", data={"token": token, "csrf_token": found.group(1), "lang": "en"}
    )
    assert reply.status_code == 303


class TestAgencyStatus:
    async def test_queued_then_accepted_then_closed(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        other_browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
    ) -> None:
        token = await create_principal(app, "agency", "Synthetic housing team")
        other_token = await create_principal(app, "agency", "Synthetic other agency")
        payload = agency_referral_payload("asb", person={"name": "Synthetic Canaryname"})
        created = await create_referral(client, bot_headers, payload, as_headers=bearer(token))
        theirs = await create_referral(
            client, bot_headers, agency_referral_payload("asb"), as_headers=bearer(other_token)
        )
        await agency_sign_in(other_browser, token)
        status = await other_browser.get("/refer/status")
        assert status.status_code == 200
        assert created["reference"] in status.text and "Waiting to be picked up" in status.text
        assert theirs["reference"] not in status.text  # another agency's referral
        assert "Synthetic Canaryname" not in status.text and "07700" not in status.text
        assert "loud music" not in status.text

        caseworker = await make_account(app, "caseworker", ["asb_mediation"])
        await sign_in(browser, caseworker)
        case_url = (await post_form(browser, "/console", "/console/queues/asb_mediation/claim")).headers[
            "location"
        ]
        assert (await post_form(browser, case_url, case_url + "/accept")).status_code == 303
        assert "Accepted" in (await other_browser.get("/refer/status")).text

        first = await post_form(
            browser,
            case_url,
            case_url + "/first-contact",
            at="2026-12-07T09:30",
            channel="phone",
            outcome="support_accepted",
            identity_checked="yes",
        )
        assert first.status_code == 303
        assert "First contact made" in (await other_browser.get("/refer/status")).text
        assert (
            await post_form(browser, case_url, case_url + "/close", outcome="supported")
        ).status_code == 303
        assert "Closed" in (await other_browser.get("/refer/status")).text
