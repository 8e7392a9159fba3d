"""Agency referrals through a journey's flow: answers checked against the flow's agency variant (types,
choices, limits, branching, required questions), triage built from them, 422s that name the question, and
nothing stored when anything is wrong. Also who may consent for a child (api/consent/giver.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from api.consent.models import ConsentReceipt
from api.flow.journeys import journeys
from api.referral.models import Referral
from api.referral.service import triage_input_of
from tests.builders import (
    agency_answers,
    agency_referral_payload,
    bearer,
    create_principal,
    shown_consent_versions,
)


async def count(app: FastAPI, model: type) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def post(
    app: FastAPI,
    client: httpx.AsyncClient,
    bot_headers: dict[str, str],
    payload: dict[str, Any],
    may_refer_without_consent: bool = False,
) -> httpx.Response:
    agency = bearer(
        await create_principal(
            app, "agency", "Synthetic housing team", may_refer_without_consent=may_refer_without_consent
        )
    )
    payload["consent"]["wording_versions"] = await shown_consent_versions(client, bot_headers)
    return await client.post("/v1/referrals", json=payload, headers=agency)


def problems(reply: httpx.Response) -> dict[str, str]:
    assert reply.status_code == 422, reply.text
    body = reply.json()
    assert set(body) == {"error", "code", "detail"} and body["code"] == 422
    return {p["field"]: p["message"] for p in body["detail"]}


class TestTheAgencyVariant:
    def test_leaves_out_what_only_the_person_says(self) -> None:
        for flow in journeys().values():
            ids = [q.id for q in flow.for_agency().questions]
            assert not {"safe_to_talk", "consent_store", "consent_share"} & set(ids), flow.id
            assert ids == [
                q.id for q in flow.questions if q.id not in ("safe_to_talk", "consent_store", "consent_share")
            ]
            exits = {e.id for e in flow.for_agency().exits}
            assert not {"leave_now", "declined"} & exits, flow.id


class TestValidReferral:
    async def test_is_queued_with_triage_from_the_answers(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = agency_referral_payload(answers=agency_answers(hate_repeat=True, age=34))
        reply = await post(app, client, bot_headers, payload)
        assert reply.status_code == 201, reply.text
        assert (reply.json()["queue"], reply.json()["tier"]) == ("hate_crime", "enhanced")
        async with app.state.sessionmaker() as session:
            referral = await session.scalar(select(Referral))
            receipt = await session.scalar(select(ConsentReceipt))
        assert referral is not None and receipt is not None
        triage = triage_input_of(app.state.vault, referral)
        assert (triage["incident_type"], triage["hate_strands"], triage["repeat_targeting"]) == (
            "hate",
            ["race"],
            True,
        )
        assert (triage["reporter_role"], triage["consent"], triage["age_years"]) == (
            "third_party",
            "given",
            34,
        )
        assert (receipt.given_by, receipt.channel, receipt.lawful_basis) == ("agency", "agency", "consent")
        admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
        case = (await client.get(f"/v1/referrals/{reply.json()['reference']}", headers=admin)).json()
        assert case["person"] == {"name": "Synthetic Person", "phone": "+447700900123", "sms_safe": True}
        # Contact details go to person, not answers; an optional question left out is kept as skipped.
        assert "contact_phone" not in case["answers"]
        assert case["answers"]["support_need"] == "prefer_not_to_say"

    async def test_a_branch_that_does_not_apply_is_not_required(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        # asb_reports 0: "when was the last report?" is not asked, so not required.
        reply = await post(app, client, bot_headers, agency_referral_payload("asb"))
        assert reply.status_code == 201, reply.text
        assert reply.json()["queue"] == "asb_mediation"


class TestInvalidAnswers:
    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"hate_strand": "colour"}, "answers.hate_strand", "is not one of the choices"),
            ({"hate_repeat": "yes"}, "answers.hate_repeat", "must be true or false"),
            ({"age": 130}, "answers.age", "must be from 0 to 120"),
            ({"incident_description": "x" * 1001}, "answers.incident_description", "is longer than 1000"),
            ({"incident_when": "last tuesday"}, "answers.incident_when", "must be a date"),
            (
                {"incident_when": (date.today() + timedelta(days=3)).isoformat()},
                "answers.incident_when",
                "future",
            ),
            ({"postcode": "nowhere"}, "answers.postcode", "is not a UK postcode"),
            ({"contact_phone": "07700 ABC ДЕФ"}, "answers.contact_phone", "is not a phone number"),
            ({"safe_to_talk": True}, "answers.safe_to_talk", "is not a question of this flow"),
            ({"consent_store": True}, "answers.consent_store", "is not a question of this flow"),
        ],
    )
    async def test_names_the_question_and_why_and_stores_nothing(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        bot_headers: dict[str, str],
        overrides: dict[str, Any],
        field: str,
        message: str,
    ) -> None:
        reply = await post(
            app, client, bot_headers, agency_referral_payload(answers=agency_answers(**overrides))
        )
        found = problems(reply)
        assert reply.json()["error"] == "invalid_answers"
        assert message in found[field], found
        assert await count(app, Referral) == 0
        assert await count(app, ConsentReceipt) == 0

    async def test_every_missing_required_question_is_named(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reply = await post(app, client, bot_headers, agency_referral_payload(answers={"postcode": "ST4 1AA"}))
        assert problems(reply) == {
            "answers.incident_description": "is required",
            "answers.incident_when": "is required",
            "answers.hate_strand": "is required",
            "answers.contact_phone": "is required",
            "answers.sms_safe": "is required",
        }

    async def test_a_required_branch_is_required(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = agency_referral_payload("asb", answers=agency_answers("asb", asb_reports=3))
        assert problems(await post(app, client, bot_headers, payload)) == {
            "answers.asb_last_report": "is required"
        }

    async def test_answers_that_end_without_a_referral_are_refused(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = agency_referral_payload(
            "asb", answers=agency_answers("asb", postcode="M1 1AA", in_area=False)
        )
        found = problems(await post(app, client, bot_headers, payload))
        assert "out_of_area" in found["answers.in_area"]

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"flow": None}, "flow"),
            ({"flow": "start"}, "flow"),
            ({"triage": {"incident_type": "hate"}}, "triage"),
            ({"person": {"phone": "07700 900123"}}, "person.phone"),
        ],
    )
    async def test_the_flow_is_the_only_source(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        bot_headers: dict[str, str],
        change: dict[str, Any],
        field: str,
    ) -> None:
        payload = agency_referral_payload()
        payload.update(change)
        assert field in problems(await post(app, client, bot_headers, payload))
        assert await count(app, Referral) == 0


class TestSafeguardingBasis:
    """Whether an agency may refer without consent is the principal's attribute, set by an admin."""

    async def test_a_permitted_principal_refers_without_consent(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = agency_referral_payload()
        payload["consent"].update(lawful_basis="safeguarding", purposes=[])
        reply = await post(app, client, bot_headers, payload, may_refer_without_consent=True)
        assert reply.status_code == 201, reply.text
        assert "consent_to_seek" in reply.json()["flags"]
        async with app.state.sessionmaker() as session:
            receipt = await session.scalar(select(ConsentReceipt))
        assert receipt is not None
        assert (receipt.lawful_basis, receipt.purposes) == ("safeguarding", [])

    @pytest.mark.parametrize(
        "role", ["designated_safeguarding_lead", "social_worker", "police_officer", None]
    )
    async def test_a_body_asserting_a_role_does_not_make_it_so(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str], role: str | None
    ) -> None:
        payload = agency_referral_payload()
        payload["consent"].update(lawful_basis="safeguarding", purposes=[])
        payload["consent"]["referrer"]["role"] = role
        reply = await post(app, client, bot_headers, payload)
        assert (reply.status_code, reply.json()["error"]) == (422, "safeguarding_role_required")
        assert await count(app, Referral) == 0
        assert await count(app, ConsentReceipt) == 0


class TestWhoConsentsForAChild:
    """Agency side (the bot's side is in test_referrals.py::TestChildConsent)."""

    @pytest.mark.parametrize(
        ("age", "given_by", "status", "recorded"),
        [
            (15, "young_person_gillick", 201, "young_person_gillick"),
            (15, "parent_guardian", 201, "parent_guardian"),
            (11, "parent_guardian", 201, "parent_guardian"),
            (15, "agency", 422, None),  # for a child the agency must say whose consent it attests
            (11, "young_person_gillick", 422, None),  # under 13: a parent or carer
            (34, "parent_guardian", 422, None),  # an adult consents for themselves
        ],
    )
    async def test_the_giver_fits_the_age(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        bot_headers: dict[str, str],
        age: int,
        given_by: str,
        status: int,
        recorded: str | None,
    ) -> None:
        payload = agency_referral_payload(answers=agency_answers(age=age))
        payload["consent"]["given_by"] = given_by
        reply = await post(app, client, bot_headers, payload)
        assert reply.status_code == status, reply.text
        async with app.state.sessionmaker() as session:
            receipt = await session.scalar(select(ConsentReceipt))
        if recorded is None:
            assert reply.json()["error"] == "consent_giver_invalid"
            assert receipt is None
        else:
            assert receipt is not None and receipt.given_by == recorded
