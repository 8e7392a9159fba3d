"""Where a contact detail came from and whether it is verified (api/intake/contact_checks.py), and the
warnings a caseworker sees before first contact."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI

from api.intake import contact_checks
from api.intake.contact_checks import PhoneSource
from api.kit.crypto import Vault
from api.referral.models import Referral
from api.sms.identity import conversation_id_for

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
NUMBER = "+447700900123"
VAULT = Vault([b"k" * 32], b"b" * 32)


def person(source: str, conversation_id: str | None = None) -> dict[str, Any]:
    return contact_checks.with_provenance(
        VAULT, {"phone": NUMBER, "sms_safe": True}, source, conversation_id, NOW
    )


class TestProvenance:
    @pytest.mark.parametrize(
        ("source", "conversation_id", "expected"),
        [
            ("web_chat", "w_abc", (PhoneSource.chat_typed, False)),
            ("agency", None, (PhoneSource.agency, False)),
            ("police_feed", None, (PhoneSource.police_feed, False)),
            ("sms", conversation_id_for(VAULT, NUMBER), (PhoneSource.sms_sender, True)),
            ("sms", conversation_id_for(VAULT, "+447700900999"), (PhoneSource.chat_typed, False)),
        ],
    )
    def test_by_source(
        self, source: str, conversation_id: str | None, expected: tuple[PhoneSource, bool]
    ) -> None:
        given = person(source, conversation_id)
        assert given[contact_checks.PROVENANCE]["phone"]["at"] == NOW.isoformat()
        assert contact_checks.phone_provenance(given, source) == expected

    def test_no_number_no_provenance(self) -> None:
        assert contact_checks.with_provenance(VAULT, {"sms_safe": False}, "web_chat", "w", NOW) == {
            "sms_safe": False
        }

    def test_a_provenance_sent_in_is_never_believed(self) -> None:
        sent = {
            "phone": NUMBER,
            contact_checks.PROVENANCE: {"phone": {"source": "chat_code", "verified": True}},
        }
        kept = contact_checks.with_provenance(VAULT, sent, "agency", None, NOW)
        assert contact_checks.phone_provenance(kept, "agency") == (PhoneSource.agency, False)

    def test_a_code_verifies_and_a_rectified_number_is_unverified_again(self) -> None:
        confirmed = contact_checks.verified(person("web_chat", "w"), NOW)
        assert contact_checks.phone_provenance(confirmed, "web_chat") == (PhoneSource.chat_code, True)
        replaced = contact_checks.rectified({**confirmed, "phone": "+447700900456"}, NOW)
        assert contact_checks.phone_provenance(replaced, "web_chat") == (PhoneSource.rectified, False)

    @pytest.mark.parametrize(
        ("source", "expected"),
        [
            ("web_chat", PhoneSource.chat_typed),
            ("agency", PhoneSource.agency),
            ("police_feed", PhoneSource.police_feed),
        ],
    )
    def test_a_referral_stored_before_provenance_reads_as_unverified_by_its_source(
        self, source: str, expected: PhoneSource
    ) -> None:
        assert contact_checks.phone_provenance({"phone": NUMBER}, source) == (expected, False)

    def test_verified_without_a_verifying_source_is_not_believed(self) -> None:
        odd = {"phone": NUMBER, contact_checks.PROVENANCE: {"phone": {"source": "agency", "verified": True}}}
        assert contact_checks.phone_provenance(odd, "agency") == (PhoneSource.agency, False)
        half = {
            "phone": NUMBER,
            contact_checks.PROVENANCE: {"phone": {"source": "chat_code", "verified": False}},
        }
        assert contact_checks.phone_provenance(half, "web_chat") == (PhoneSource.chat_typed, False)


def referral(source: str) -> Referral:
    """A referral not stored (no phone index: no other case can share its number)."""
    return Referral(id=uuid.uuid4(), source=source, phone_index=None)


class TestWarnings:
    @pytest.mark.parametrize(
        ("source", "warning"),
        [
            ("web_chat", "unverified_typed"),
            ("agency", "unverified_agency"),
            ("police_feed", "unverified_police"),
        ],
    )
    async def test_an_unverified_number_warns_with_where_it_came_from(
        self, app: FastAPI, source: str, warning: str
    ) -> None:
        async with app.state.sessionmaker() as session:
            checks = await contact_checks.check(
                session, referral(source), person(source), {"incident_type": "hate"}
            )
        assert checks.warnings == [warning]
        assert checks.phone_verified is False

    async def test_a_verified_number_does_not_warn_but_says_how_it_was_verified(self, app: FastAPI) -> None:
        confirmed = contact_checks.verified(person("web_chat", "w"), NOW)
        async with app.state.sessionmaker() as session:
            checks = await contact_checks.check(
                session, referral("web_chat"), confirmed, {"incident_type": "hate"}
            )
        assert checks.warnings == []
        assert (checks.phone_source, checks.phone_verified) == (PhoneSource.chat_code, True)

    @pytest.mark.parametrize(
        ("triage", "shared"),
        [
            ({"incident_type": "domestic_abuse", "relationship": "partner"}, True),
            ({"incident_type": "domestic_abuse", "relationship": "household"}, True),
            ({"incident_type": "domestic_abuse", "relationship": "family"}, True),
            ({"incident_type": "domestic_abuse", "relationship": "ex_partner"}, False),
            ({"incident_type": "domestic_abuse", "relationship": "other"}, False),
            ({"incident_type": "hate"}, False),
        ],
    )
    async def test_a_household_that_may_be_shared(
        self, app: FastAPI, triage: dict[str, Any], shared: bool
    ) -> None:
        async with app.state.sessionmaker() as session:
            checks = await contact_checks.check(session, referral("web_chat"), person("web_chat"), triage)
        assert ("shared_household" in checks.warnings) is shared
        assert contact_checks.household_may_be_shared(triage) is shared

    async def test_without_a_number_only_the_household_can_warn(self, app: FastAPI) -> None:
        triage = {"incident_type": "domestic_abuse", "relationship": "partner"}
        async with app.state.sessionmaker() as session:
            checks = await contact_checks.check(session, referral("agency"), {"sms_safe": False}, triage)
        assert checks.warnings == ["shared_household"]
        assert checks.phone_source is None
