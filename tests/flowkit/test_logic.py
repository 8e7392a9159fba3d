"""The flow engine (flowkit/): the repository's flows as the bot reads them are the api's, and the walk,
the branching and the local postcodes behave."""

from __future__ import annotations

import pytest

from api.flow import load_flows
from api.referral.schemas import Purpose
from api.triage import TriageInput
from flowkit import logic
from flowkit.flows import flow_for_form, flow_for_intent, flow_ids, load_flow

FLOWS = load_flows()


class TestTheReader:
    @pytest.mark.parametrize("flow_id", sorted(FLOWS))
    def test_questions_and_exits_as_the_api_reads_them(self, flow_id: str) -> None:
        api_flow, bot_flow = FLOWS[flow_id], load_flow(flow_id)
        assert [q.id for q in bot_flow.questions] == [q.id for q in api_flow.questions]
        assert [e.response for e in bot_flow.exits] == [
            api_flow.exit_response(i) for i in range(len(api_flow.exits))
        ]

    def test_flows_by_intent_and_form(self) -> None:
        assert set(flow_ids()) == set(FLOWS)
        assert flow_for_intent("report_asb") == "asb"
        assert flow_for_intent("greet") == "start"
        assert flow_for_intent("affirm") is None
        assert flow_for_form("domestic_abuse_form") == "domestic_abuse"
        assert flow_for_form("consent_form") is None

    def test_the_list_fields_are_the_triage_input_list_fields(self) -> None:
        assert logic.LIST_FIELDS == {
            name
            for name, info in TriageInput.model_fields.items()
            if str(info.annotation).startswith("list[")
        }
        assert all(str(TriageInput.model_fields[f].annotation).startswith("list[") for f in logic.LIST_FIELDS)


class TestBranching:
    def test_the_last_report_is_asked_only_after_some_reports(self) -> None:
        flow = load_flow("asb")
        base = {q.id: None for q in flow.questions}
        answered = {
            **base,
            "safe_to_talk": True,
            "postcode": "ST4",
            "consent_store": True,
            "consent_share": True,
        }
        answered |= {"asb_what": "noise", "asb_description": "loud", "asb_how_long": "under_month"}
        assert logic.asked(flow, {**answered, "asb_reports": 0})[1] == "asb_violence"
        assert logic.asked(flow, {**answered, "asb_reports": 2})[1] == "asb_last_report"

    def test_a_local_postcode_is_enough_and_any_other_is_asked_about(self) -> None:
        flow = load_flow("hate_crime")
        start = {"safe_to_talk": True}
        assert logic.asked(flow, {**start, "postcode": "ST4 1AA"})[1] == "consent_store"
        assert logic.asked(flow, {**start, "postcode": "WS9 8AA"})[1] == "in_area"
        assert logic.asked(flow, {**start, "postcode": logic.SKIPPED})[1] == "in_area"
        _, missing, exit_ = logic.asked(flow, {**start, "postcode": "M1", "in_area": False})
        assert (missing, exit_.response) == (None, "utter_area_out_of_area")
        # Not sure where they live: the referral goes ahead, and the service checks.
        assert logic.asked(flow, {**start, "postcode": "M1", "in_area": logic.SKIPPED})[1] == "consent_store"

    def test_saying_no_to_keeping_anything_ends_it_before_sharing_is_asked(self) -> None:
        flow = load_flow("asb")
        _, missing, exit_ = logic.asked(
            flow, {"safe_to_talk": True, "postcode": "ST4", "consent_store": False}
        )
        assert (missing, exit_.response) == (None, "utter_consent_declined")

    @pytest.mark.parametrize(
        ("postcode", "local"),
        [
            *[("ST4 1AA", True), ("ST21", True), ("WS11 9ZZ", True), ("B79 7AA", True), ("DE14", True)],
            *[("WS1 1AA", False), ("B1 1AA", False), ("M1", False), ("DY1 1AA", False), ("SK17", False)],
        ],
    )
    def test_local_districts(self, postcode: str, local: bool) -> None:
        districts = load_flow("asb").question("postcode").local_districts
        assert logic.is_local(postcode, districts) is local


class TestConsentPurposes:
    """What a referral's consent covers, from the safe-contact answers (the bot's and the agency form's)."""

    def test_a_phone_is_for_calls_unless_calls_are_not_safe(self) -> None:
        assert logic.contact_purposes({"phone": "+447700900123"}) == [
            "store_and_process",
            "share_with_provider",
            "contact_phone",
        ]
        assert "contact_phone" not in logic.contact_purposes({"phone": "+447700900123"}, calls_safe=False)

    def test_texts_and_voicemail_only_on_a_yes(self) -> None:
        assert logic.contact_purposes({"sms_safe": True, "voicemail_safe": True})[2:] == [
            "contact_sms",
            "contact_voicemail",
        ]
        assert logic.contact_purposes({"sms_safe": False, "voicemail_safe": False}) == list(
            logic.BASE_PURPOSES
        )

    def test_every_purpose_is_one_the_api_records(self) -> None:
        every = logic.contact_purposes({"phone": "+447700900123", "sms_safe": True, "voicemail_safe": True})
        assert set(every) <= {p.value for p in Purpose}

    def test_contact_details_are_the_answers_marked_person(self) -> None:
        flow = load_flow("hate_crime")
        answers = {"contact_phone": "+447700900123", "sms_safe": logic.SKIPPED, "incident_description": "x"}
        assert logic.contact_details(flow, answers) == {"phone": "+447700900123"}
