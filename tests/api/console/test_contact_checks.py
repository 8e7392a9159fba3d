"""The case page's checks before first contact (api/intake/contact_checks.py) over HTTP: a number confirmed
by a code in the chat shows as verified and is not warned about; an unverified one says where it came from;
domestic abuse by a partner warns that the household, and so the phone, may be shared."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.api.console.conftest import make_account, post_form, sign_in
from tests.api.phone_check.test_phone_check import NUMBER, code_in, confirm, new_case, send, texts_to
from tests.builders import referral_payload

UNVERIFIED_TYPED = "typed by the person and has not been verified"
SHARED = "may share a home, and so a phone, with the person who harmed them"


async def open_case(app: FastAPI, browser: httpx.AsyncClient, queue: str) -> str:
    await sign_in(browser, await make_account(app, "caseworker", [queue]))
    case_url = (await post_form(browser, "/console", f"/console/queues/{queue}/claim")).headers["location"]
    page = await browser.get(case_url)
    assert page.status_code == 200
    return page.text


class TestContactChecks:
    async def test_a_number_confirmed_by_a_code_shows_as_verified(
        self, app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        case = await new_case(client, bot_headers)
        await send(client, bot_headers, case)
        [text] = await texts_to(app, NUMBER)
        assert (await confirm(client, bot_headers, case, code_in(text))).json()["outcome"] == "verified"
        page = await open_case(app, browser, "hate_crime")
        assert "Verified: the person typed the code we texted to it." in page
        assert UNVERIFIED_TYPED not in page
        assert SHARED not in page

    async def test_a_typed_number_shows_where_it_came_from_and_warns(
        self, app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        await new_case(client, bot_headers)
        page = await open_case(app, browser, "hate_crime")
        assert "Typed by the person in the chat; not verified." in page
        assert UNVERIFIED_TYPED in page

    async def test_domestic_abuse_by_a_partner_warns_the_household_may_be_shared(
        self, app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = referral_payload(
            answers={"da_description": "Synthetic: my partner shouts at me"},
            triage={
                "incident_type": "domestic_abuse",
                "relationship": "partner",
                "consent": "given",
                "age_years": 30,
            },
        )
        await new_case(client, bot_headers, **payload)
        page = await open_case(app, browser, "domestic_abuse_victim")
        assert SHARED in page
        assert UNVERIFIED_TYPED in page
