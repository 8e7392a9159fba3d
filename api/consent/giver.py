"""Who may consent, by age: the person, a young person judged able to understand (Gillick), a parent or
carer, or nobody (a safeguarding basis instead).

The interpretation (TRIAGE.md, flows/young_person.yml, DESIGN.md §4):

- An adult (18+), or a person whose age we were not told, consents for themselves: the person in the
  conversation, or an agency attesting the person's own consent. A parent cannot consent for an adult.
- A young person of 13 to 17 may consent for themselves when able to understand what they agree to
  (Gillick competence). In the conversation the bot cannot judge that; a 13-17-year-old who answers the
  consent questions themselves is presumed competent from 13 (the age at which UK law lets a child consent
  to an online service's use of their data, Data Protection Act 2018 s9) and the receipt says so
  (`young_person_gillick`), for the caseworker to confirm at first contact. An agency worker judges it and
  attests it the same way. A parent or carer may consent instead.
- Under 13, a child's own agreement is not enough: a parent or carer consents. Where there is a safeguarding
  concern (triage's `safeguarding` flag, or `child_safeguarding_concern`), the referral proceeds on a
  safeguarding basis instead (the child's agreement is still recorded as given), and triage flags
  `consent_to_seek`. Otherwise nothing is kept.

A pure function: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.referral.schemas import GivenBy

ADULT_AGE = 18
GILLICK_AGE = 13


@dataclass(frozen=True)
class ConsentBasis:
    given_by: GivenBy
    lawful_basis: str  # consent | safeguarding


class NoValidConsent(Exception):
    """Nobody able to consent for this person has consented. `invalid` when the giver cannot consent for
    someone of this age at all (a parent for an adult); otherwise a child whose own word is not enough."""

    def __init__(self, invalid: bool) -> None:
        super().__init__("invalid consent giver" if invalid else "a child's own consent is not enough")
        self.invalid = invalid


def consent_basis(age: int | None, given_by: GivenBy, safeguarding_concern: bool) -> ConsentBasis:
    """The receipt's `given_by` and lawful basis for consent `given_by` sends for a person of `age`."""
    if age is None or age >= ADULT_AGE:
        if given_by in (GivenBy.parent_guardian, GivenBy.young_person_gillick):
            raise NoValidConsent(invalid=True)
        return ConsentBasis(given_by, "consent")
    if given_by == GivenBy.parent_guardian:
        return ConsentBasis(given_by, "consent")
    if age >= GILLICK_AGE:
        # The young person's own consent (the person in the conversation, or attested by an agency).
        if given_by in (GivenBy.person, GivenBy.young_person_gillick):
            return ConsentBasis(GivenBy.young_person_gillick, "consent")
        raise NoValidConsent(invalid=True)  # an agency must say whose consent it attests for a child
    if safeguarding_concern:
        return ConsentBasis(given_by, "safeguarding")
    raise NoValidConsent(invalid=given_by in (GivenBy.agency, GivenBy.young_person_gillick))
