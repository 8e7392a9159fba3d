"""The agency referral form (/refer): signing in, CSRF, the questions generated from the flow, every error
at once with every value kept, nothing stored without consent, and a referral that lands in its queue with
the agency's consent receipt and the referrer's details."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from api.agency_form.fields import form_questions
from api.consent.models import ConsentReceipt, ConsentWording
from api.consent.service import open_referrer
from api.flow.journeys import journeys
from api.i18n import Translator
from api.queue.models import QueueEntry
from api.referral.models import Referral
from api.referral.service import triage_input_of
from tests.builders import bearer, create_principal

CSP_MUST_HAVE = ("default-src 'none'", "style-src 'self'", "form-action 'self'", "frame-ancestors 'none'")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def nonce_of(html: str) -> str:
    found = re.search(r'name="nonce" value="([^"]+)"', html)
    assert found, "no nonce on the page"
    return found.group(1)


async def count(app: FastAPI, model: type) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def sign_in(browser: httpx.AsyncClient, token: str, lang: str = "en") -> httpx.Response:
    page = await browser.get(f"/refer/sign-in?lang={lang}")
    return await browser.post(
        "/refer/sign-in", data={"token": token, "csrf_token": csrf_of(page.text), "lang": lang}
    )


async def signed_in(
    app: FastAPI, browser: httpx.AsyncClient, may_refer_without_consent: bool = False
) -> None:
    token = await create_principal(
        app, "agency", "Synthetic housing team", may_refer_without_consent=may_refer_without_consent
    )
    reply = await sign_in(browser, token)
    assert (reply.status_code, reply.headers["location"]) == (303, "/refer?lang=en")


def complete(**overrides: str) -> dict[str, str]:
    """A complete hate crime referral as the form sends it."""
    fields = {
        "journey": "hate_crime",
        "lang": "en",
        "q_postcode": "st4 1aa",
        "q_incident_description": "Synthetic: shouted at outside the shop",
        "q_incident_when": (date.today() - timedelta(days=3)).strftime("%d/%m/%Y"),
        "q_hate_strand": "religion",
        "q_hate_repeat": "yes",
        "q_age": "41",
        "q_contact_phone": "07700 900123",
        "q_sms_safe": "no",
        "person_name": "Synthetic Person",
        "person_email": "",
        "person_language": "pl",
        "referrer_name": "Synthetic Officer",
        "referrer_organisation": "Synthetic Homes",
        "referrer_role": "housing_officer",
        "referrer_contact": "officer@example.org",
        "consent_by": "adult",
        "attest": "yes",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


async def send(
    browser: httpx.AsyncClient, fields: dict[str, str], journey: str = "hate_crime"
) -> httpx.Response:
    page = await browser.get(f"/refer/form?journey={journey}&lang={fields.get('lang', 'en')}")
    assert page.status_code == 200, page.text
    data = {**fields, "csrf_token": csrf_of(page.text), "nonce": nonce_of(page.text)}
    return await browser.post("/refer/form", data=data)


def summary_links(html: str) -> list[str]:
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'href="#([^"]+)"', summary)


class TestSignIn:
    async def test_an_agency_token_starts_a_session_in_a_strict_cookie(
        self, app: FastAPI, browser: httpx.AsyncClient
    ) -> None:
        token = await create_principal(app, "agency", "Synthetic housing team")
        reply = await sign_in(browser, token)
        assert reply.status_code == 303
        cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith("refer_session="))
        assert token not in cookie
        for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/refer"):
            assert attribute.lower() in cookie.lower(), cookie
        page = await browser.get("/refer")
        assert page.status_code == 200
        assert "Synthetic housing team" in page.text

    @pytest.mark.parametrize("token", ["srt_" + "x" * 43, ""])
    async def test_a_wrong_token_is_refused(self, browser: httpx.AsyncClient, token: str) -> None:
        reply = await sign_in(browser, token)
        assert reply.status_code == 401
        assert "not recognised" in reply.text
        assert "refer_session" not in reply.headers.get("set-cookie", "")
        assert (await browser.get("/refer")).status_code == 303

    @pytest.mark.parametrize("kind", ["provider", "admin"])
    async def test_another_kind_of_token_is_refused(
        self, app: FastAPI, browser: httpx.AsyncClient, kind: str
    ) -> None:
        token = await create_principal(app, kind, f"Synthetic {kind}", ["hate_crime"])
        reply = await sign_in(browser, token)
        assert reply.status_code == 403
        assert "not an agency token" in reply.text
        assert (await browser.get("/refer")).status_code == 303

    async def test_the_bot_token_is_not_an_agency_token(
        self, browser: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reply = await sign_in(browser, bot_headers["Authorization"].removeprefix("Bearer "))
        assert reply.status_code == 401

    async def test_without_a_session_every_page_sends_you_to_sign_in(
        self, browser: httpx.AsyncClient
    ) -> None:
        for path in ("/refer", "/refer/form?journey=hate_crime", "/refer/done/SR-2345-6789"):
            reply = await browser.get(f"{path}{'&' if '?' in path else '?'}lang=ur")
            assert (reply.status_code, reply.headers["location"]) == (303, "/refer/sign-in?lang=ur")
        reply = await browser.post("/refer/form", data={"csrf_token": "x"})
        assert reply.status_code == 303

    async def test_a_forged_cookie_is_no_session(self, app: FastAPI, browser: httpx.AsyncClient) -> None:
        await signed_in(app, browser)
        value = browser.cookies.get("refer_session")
        assert value is not None
        browser.cookies.clear()
        browser.cookies.set(
            "refer_session", value[:-1] + ("0" if value[-1] != "0" else "1"), domain="testserver"
        )
        assert (await browser.get("/refer")).status_code == 303

    async def test_sign_out_ends_the_session(self, app: FastAPI, browser: httpx.AsyncClient) -> None:
        await signed_in(app, browser)
        cookie = browser.cookies.get("refer_session")
        page = await browser.get("/refer")
        reply = await browser.post("/refer/sign-out", data={"csrf_token": csrf_of(page.text), "lang": "en"})
        assert (reply.status_code, reply.headers["location"]) == (
            303,
            "/refer/sign-in?lang=en&signed_out=true",
        )
        # Even with the old cookie replayed, the session is gone on the server.
        browser.cookies.set("refer_session", str(cookie), domain="testserver")
        assert (await browser.get("/refer")).status_code == 303

    async def test_revoking_the_token_ends_its_sessions(
        self, app: FastAPI, browser: httpx.AsyncClient
    ) -> None:
        await signed_in(app, browser)
        async with app.state.sessionmaker() as session, session.begin():
            from api.kit.models import utcnow
            from api.principal.models import Principal

            row = await session.scalar(select(Principal).where(Principal.name == "Synthetic housing team"))
            assert row is not None
            row.revoked_at = utcnow()
        assert (await browser.get("/refer")).status_code == 303

    async def test_a_sign_in_without_its_csrf_token_is_refused(
        self, app: FastAPI, browser: httpx.AsyncClient
    ) -> None:
        token = await create_principal(app, "agency", "Synthetic housing team")
        await browser.get("/refer/sign-in")
        reply = await browser.post("/refer/sign-in", data={"token": token, "csrf_token": "wrong"})
        assert reply.status_code == 403
        assert "refer_session" not in reply.headers.get("set-cookie", "")


class TestCsrf:
    @pytest.mark.parametrize("csrf", [None, "", "wrong-token"])
    async def test_a_post_without_the_sessions_token_stores_nothing(
        self, app: FastAPI, browser: httpx.AsyncClient, csrf: str | None
    ) -> None:
        await signed_in(app, browser)
        data = complete()
        if csrf is not None:
            data["csrf_token"] = csrf
        reply = await browser.post("/refer/form", data=data)
        assert reply.status_code == 403
        assert "expired" in reply.text
        assert await count(app, Referral) == 0

    async def test_sign_out_needs_it_too(self, app: FastAPI, browser: httpx.AsyncClient) -> None:
        await signed_in(app, browser)
        assert (await browser.post("/refer/sign-out", data={"csrf_token": "x"})).status_code == 403
        assert (await browser.get("/refer")).status_code == 200


class TestGeneratedFromTheFlow:
    @pytest.mark.parametrize("journey", sorted(journeys()))
    async def test_the_questions_are_the_flows_agency_questions(
        self, app: FastAPI, browser: httpx.AsyncClient, journey: str
    ) -> None:
        await signed_in(app, browser)
        page = await browser.get(f"/refer/form?journey={journey}")
        names = list(dict.fromkeys(re.findall(r'name="q_([a-z0-9_]+)"', page.text)))
        expected = [q.id for q in journeys()[journey].for_agency().questions]
        assert names == expected
        assert "safe_to_talk" not in names and "consent_store" not in names
        translator: Translator = app.state.translator
        for question in journeys()[journey].for_agency().questions:
            assert translator.t(question.text_key, "en") in unescape(page.text), question.id
            for choice in question.choices or []:
                assert f'name="q_{question.id}" value="{choice.value}"' in page.text

    def test_limits_come_from_the_flow(self) -> None:
        [description] = [
            q for q in form_questions(journeys()["hate_crime"]) if q.id == "incident_description"
        ]
        assert description.max_length == 1000

    async def test_the_ui_follows_lang_and_is_right_to_left_in_urdu_and_arabic(
        self, app: FastAPI, browser: httpx.AsyncClient
    ) -> None:
        await signed_in(app, browser)
        for lang, direction in (("ur", "rtl"), ("ar", "rtl"), ("pl", "ltr"), ("en", "ltr")):
            page = await browser.get(f"/refer/form?journey=asb&lang={lang}")
            assert f'<html lang="{lang}" dir="{direction}">' in page.text
            translator: Translator = app.state.translator
            assert translator.t("form.form.submit", lang) in unescape(page.text)

    async def test_every_page_carries_the_security_headers(
        self, app: FastAPI, browser: httpx.AsyncClient
    ) -> None:
        pages = [await browser.get("/refer/sign-in")]
        await signed_in(app, browser)
        pages += [await browser.get("/refer"), await browser.get("/refer/form?journey=asb")]
        for page in pages:
            csp = page.headers["content-security-policy"]
            assert all(part in csp for part in CSP_MUST_HAVE), csp
            assert "unsafe-inline" not in csp
            assert page.headers["cache-control"] == "no-store"
            assert page.headers["x-content-type-options"] == "nosniff"
            assert page.headers["referrer-policy"] == "no-referrer"
            assert "<script" not in page.text and "style=" not in page.text and "<style" not in page.text


class TestSubmit:
    async def test_a_complete_referral_lands_in_its_queue_with_the_agency_receipt(
        self, app: FastAPI, browser: httpx.AsyncClient
    ) -> None:
        await signed_in(app, browser)
        reply = await send(browser, complete())
        assert reply.status_code == 303, unescape(reply.text)
        done = await browser.get(reply.headers["location"])
        reference = re.search(r"SR-[0-9A-Z]{4}-[0-9A-Z]{4}", done.text)
        assert reference is not None
        async with app.state.sessionmaker() as session:
            referral = await session.scalar(select(Referral))
            receipt = await session.scalar(select(ConsentReceipt))
            entry = await session.scalar(select(QueueEntry))
            assert receipt is not None
            wording = await session.get(ConsentWording, receipt.wording_versions[0])
        assert referral is not None and entry is not None and wording is not None
        assert referral.reference == reference.group(0)
        assert (referral.source, referral.language, entry.queue) == ("agency", "pl", "hate_crime")
        triage = triage_input_of(app.state.vault, referral)
        assert triage["hate_strands"] == ["religion"]
        assert triage["repeat_targeting"] is True
        assert triage["reporter_role"] == "third_party"
        assert (receipt.given_by, receipt.channel, receipt.lawful_basis) == ("agency", "agency", "consent")
        assert receipt.purposes == ["store_and_process", "share_with_provider", "contact_phone"]
        assert wording.text == "The person agreed to this referral and to being contacted by the service."
        async with app.state.sessionmaker() as session:
            referrer, _ = await open_referrer(session, app.state.vault, receipt, [referral])
        assert referrer == {
            "name": "Synthetic Officer",
            "organisation": "Synthetic Homes",
            "contact": "officer@example.org",
            "role": "housing_officer",
        }
        admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
        async with httpx.AsyncClient(transport=browser._transport, base_url="https://testserver") as api:
            case = (await api.get(f"/v1/referrals/{referral.reference}", headers=admin)).json()
        assert case["person"] == {"name": "Synthetic Person", "phone": "+447700900123", "sms_safe": False}
        assert case["answers"]["postcode"] == "ST4 1AA"

    async def test_sending_twice_makes_one_referral(self, app: FastAPI, browser: httpx.AsyncClient) -> None:
        await signed_in(app, browser)
        page = await browser.get("/refer/form?journey=hate_crime")
        data = {**complete(), "csrf_token": csrf_of(page.text), "nonce": nonce_of(page.text)}
        first = await browser.post("/refer/form", data=data)
        second = await browser.post("/refer/form", data=data)
        assert first.headers["location"] == second.headers["location"]
        assert await count(app, Referral) == 1

    async def test_a_half_filled_form_shows_every_error_and_keeps_every_value(
        self, app: FastAPI, browser: httpx.AsyncClient
    ) -> None:
        await signed_in(app, browser)
        fields = complete(
            q_incident_description="Synthetic: kept <b>as typed</b>",
            q_incident_when="",
            q_hate_strand="",
            q_contact_phone="",
            referrer_role="",
            referrer_contact="",
            attest="",
        )
        reply = await send(browser, fields)
        assert reply.status_code == 422
        html = reply.text
        assert summary_links(html) == [
            "q_incident_when",
            "q_hate_strand_0",
            "q_contact_phone",
            "referrer_role_0",
            "referrer_contact",
            "attest",
        ]
        for anchor in summary_links(html):
            assert f'id="{anchor}"' in html
        # Every value entered is still there, escaped.
        assert "Synthetic: kept &lt;b&gt;as typed&lt;/b&gt;" in html
        assert 'value="st4 1aa"' in html and 'value="41"' in html and 'value="Synthetic Officer"' in html
        assert 'name="q_hate_repeat" value="yes" checked' in html
        assert 'value="pl" lang="pl" selected' in html
        assert await count(app, Referral) == 0
        assert await count(app, ConsentReceipt) == 0

    async def test_without_consent_nothing_is_stored(self, app: FastAPI, browser: httpx.AsyncClient) -> None:
        await signed_in(app, browser)
        reply = await send(browser, complete(attest=""))
        assert reply.status_code == 422
        assert "Confirm the person agreed" in unescape(reply.text)
        assert (
            await count(app, Referral),
            await count(app, ConsentReceipt),
            await count(app, QueueEntry),
        ) == (
            0,
            0,
            0,
        )

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("q_incident_description", "x" * 5000, "Enter 1000 characters or fewer"),
            ("q_contact_phone", "٠٧٧٠٠ ABC ДЕФ", "Enter a UK phone number"),
            ("q_contact_phone", "ا ب ت ث ج ح خ", "Enter a UK phone number"),
            ("q_age", "forty", "Enter a whole number"),
            ("q_age", "130", "Enter a number from 0 to 120"),
            ("q_postcode", "nowhere", "Enter a UK postcode"),
            ("q_incident_when", "31/02/2026", "Enter a real date"),
            ("q_incident_when", (date.today() + timedelta(days=2)).isoformat(), "today or in the past"),
            ("referrer_contact", "not a contact", "Enter a phone number"),
        ],
    )
    async def test_bad_input_gets_a_clear_error_and_is_kept(
        self, app: FastAPI, browser: httpx.AsyncClient, field: str, value: str, message: str
    ) -> None:
        await signed_in(app, browser)
        reply = await send(browser, complete(**{field: value}))
        assert reply.status_code == 422
        html = unescape(reply.text)
        assert message in html
        assert summary_links(reply.text)[0].startswith(field)
        assert value in html
        assert await count(app, Referral) == 0

    async def test_a_safeguarding_basis_needs_a_permitted_role(
        self, app: FastAPI, browser: httpx.AsyncClient
    ) -> None:
        await signed_in(app, browser)
        refused = await send(browser, complete(attest="", safeguarding="yes"))
        assert refused.status_code == 422
        assert "Only a designated safeguarding lead" in unescape(refused.text)
        assert await count(app, Referral) == 0
        # The role the form names is not enough: the agency itself must be permitted (by an admin).
        named = await send(browser, complete(attest="", safeguarding="yes", referrer_role="social_worker"))
        assert named.status_code == 422
        assert await count(app, Referral) == 0

    async def test_a_permitted_agency_refers_on_a_safeguarding_basis(
        self, app: FastAPI, browser: httpx.AsyncClient
    ) -> None:
        await signed_in(app, browser, may_refer_without_consent=True)
        allowed = await send(browser, complete(attest="", safeguarding="yes", referrer_role="social_worker"))
        assert allowed.status_code == 303, unescape(allowed.text)
        async with app.state.sessionmaker() as session:
            receipt = await session.scalar(select(ConsentReceipt))
        assert receipt is not None
        assert (receipt.lawful_basis, receipt.purposes) == ("safeguarding", [])

    async def test_who_agreed_must_fit_the_age(self, app: FastAPI, browser: httpx.AsyncClient) -> None:
        await signed_in(app, browser)
        fields: dict[str, Any] = complete(
            journey="young_person",
            q_child_age="15",
            q_child_what="targeted",
            q_postcode="ST4 1AA",
        )
        for name in ("q_incident_description", "q_incident_when", "q_hate_strand", "q_hate_repeat", "q_age"):
            fields.pop(name)
        refused = await send(browser, fields, "young_person")
        assert refused.status_code == 422
        assert "does not fit the person's age" in unescape(refused.text)
        assert await count(app, Referral) == 0
        accepted = await send(browser, {**fields, "consent_by": "young_person"}, "young_person")
        assert accepted.status_code == 303, unescape(accepted.text)
        async with app.state.sessionmaker() as session:
            receipt = await session.scalar(select(ConsentReceipt))
            referral = await session.scalar(select(Referral))
        assert receipt is not None and referral is not None
        assert receipt.given_by == "young_person_gillick"
        assert referral.queue == "hate_crime" and "child" in referral.flags

    async def test_an_adult_in_the_young_persons_journey_is_told_to_choose_another(
        self, app: FastAPI, browser: httpx.AsyncClient
    ) -> None:
        await signed_in(app, browser)
        fields = {"journey": "young_person", "q_child_age": "19", "q_child_what": "targeted"}
        reply = await send(browser, {**complete(), **fields}, "young_person")
        assert reply.status_code == 422
        assert "choose one of the adult services" in unescape(reply.text)

    async def test_the_confirmation_is_only_for_the_session_that_sent_it(
        self, app: FastAPI, browser: httpx.AsyncClient
    ) -> None:
        await signed_in(app, browser)
        assert (await browser.get("/refer/done/SR-2345-6789")).status_code == 404
