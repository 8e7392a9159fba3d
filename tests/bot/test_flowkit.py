"""The bot's own flow reader (bot/flowkit) agrees with the api's flow code, and its pieces behave."""

from __future__ import annotations

from datetime import date, datetime

import holidays
import pytest

from api.config import REPO_ROOT
from api.flow import answers as api_answers
from api.flow.loader import load_flows
from api.triage import TriageInput
from bot.flowkit import logic
from bot.flowkit.flows import flow_for_form, flow_for_intent, flow_ids, load_flow
from bot.flowkit.hours import LONDON, bank_holidays, is_open

FLOWS = load_flows(REPO_ROOT / "flows", REPO_ROOT / "locales")


class TestTheReader:
    @pytest.mark.parametrize("flow_id", sorted(FLOWS))
    def test_questions_and_exits_as_the_api_reads_them(self, flow_id: str) -> None:
        api_flow, bot_flow = FLOWS[flow_id], load_flow(flow_id)
        assert [q["id"] for q in bot_flow.questions] == [q.id for q in api_flow.questions]
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
        assert logic.LIST_FIELDS == api_answers.LIST_FIELDS
        assert all(str(TriageInput.model_fields[f].annotation).startswith("list[") for f in logic.LIST_FIELDS)


class TestBranching:
    def test_the_last_report_is_asked_only_after_some_reports(self) -> None:
        flow = load_flow("asb")
        base = {q["id"]: None for q in flow.questions}
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
        districts = load_flow("asb").question("postcode")["local_districts"]
        assert logic.is_local(postcode, districts) is local
        assert api_answers.is_local(postcode, districts) is local


class TestOpeningHours:
    @pytest.mark.parametrize("year", range(2025, 2041))
    def test_the_bank_holidays_on_weekdays_are_englands(self, year: int) -> None:
        calendar = holidays.country_holidays("GB", subdiv="ENG", years=year)
        expected = {d for d in calendar if d.year == year and d.weekday() < 5}
        assert bank_holidays(year) == expected

    @pytest.mark.parametrize(
        ("moment", "open_"),
        [
            ("2026-11-24T10:00:00+00:00", True),  # Tuesday morning
            ("2026-11-24T08:59:00+00:00", False),
            ("2026-11-24T17:00:00+00:00", False),
            ("2026-11-28T11:00:00+00:00", False),  # Saturday
            ("2026-12-25T11:00:00+00:00", False),  # Christmas Day
            ("2027-05-31T11:00:00+01:00", False),  # Spring bank holiday
            ("2027-06-01T16:30:00+01:00", True),  # British Summer Time
            ("2027-06-01T16:30:00+00:00", False),  # 17:30 in London
        ],
    )
    def test_open(self, moment: str, open_: bool) -> None:
        assert is_open(datetime.fromisoformat(moment)) is open_

    def test_london_time(self) -> None:
        assert datetime(2027, 6, 1, 12, tzinfo=LONDON).utcoffset() is not None
        assert date(2026, 12, 28) in bank_holidays(2026)  # Boxing Day on a Saturday moves to Monday
