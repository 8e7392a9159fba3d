"""Who may consent, by age (api/consent/giver.py): a pure function, table-driven."""

from __future__ import annotations

import pytest

from api.consent.giver import ConsentBasis, NoValidConsent, consent_basis
from api.referral.schemas import GivenBy

P, YP, PG, AG = GivenBy.person, GivenBy.young_person_gillick, GivenBy.parent_guardian, GivenBy.agency


class TestConsentBasis:
    @pytest.mark.parametrize(
        ("age", "given_by", "concern", "expected"),
        [
            (None, P, False, ConsentBasis(P, "consent")),
            (18, P, False, ConsentBasis(P, "consent")),
            (40, AG, False, ConsentBasis(AG, "consent")),
            (17, P, False, ConsentBasis(YP, "consent")),
            (13, P, False, ConsentBasis(YP, "consent")),
            (13, YP, False, ConsentBasis(YP, "consent")),
            (15, PG, False, ConsentBasis(PG, "consent")),
            (8, PG, False, ConsentBasis(PG, "consent")),
            (12, P, True, ConsentBasis(P, "safeguarding")),
            (12, AG, True, ConsentBasis(AG, "safeguarding")),
        ],
    )
    def test_valid(self, age: int | None, given_by: GivenBy, concern: bool, expected: ConsentBasis) -> None:
        assert consent_basis(age, given_by, concern) == expected

    @pytest.mark.parametrize(
        ("age", "given_by", "invalid"),
        [
            (30, PG, True),  # a parent cannot consent for an adult
            (None, YP, True),
            (15, AG, True),  # for a child, the agency says whose consent it attests
            (12, YP, True),
            (12, AG, True),
            (12, P, False),  # a child under 13 alone: nothing kept, no error
        ],
    )
    def test_no_valid_consent(self, age: int | None, given_by: GivenBy, invalid: bool) -> None:
        with pytest.raises(NoValidConsent) as caught:
            consent_basis(age, given_by, safeguarding_concern=False)
        assert caught.value.invalid is invalid
