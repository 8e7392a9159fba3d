"""Reading the whole form, finding every error at once, and submitting through the referral service.

The answers are checked by the flow's own code (flowkit, the agency variant), the referral is
made by `api.intake.service.create` (the same code as POST /v1/referrals): no second implementation.
Nothing is stored unless the referrer attests the person's consent, or records a safeguarding basis in a
role permitted to; any refusal from the service becomes an error on the field it is about.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.agency_form.fields import FormQuestion, form_questions, parse_all
from api.auth import Caller
from api.consent import service as consent_service
from api.errors import AppError
from api.i18n import Translator
from api.intake import service
from api.kit import phone
from api.kit.crypto import Vault
from api.kit.models import utcnow
from api.kit.time import as_london
from api.referral.errors import (
    ConsentGiverInvalid,
    ConsentRequired,
    InvalidAnswers,
    SafeguardingRoleRequired,
)
from api.referral.schemas import SAFEGUARDING_ROLES, GivenBy, ReferralCreate, ReferrerRole
from flowkit.answers import AnswerError, answer_problems
from flowkit.flows import LoadedFlow
from flowkit.logic import contact_details, contact_purposes

SHORT = 200
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
# Who agreed, as the form asks it, and what the receipt records (api/consent/giver.py checks it by age).
CONSENT_BY = {
    "adult": GivenBy.agency,
    "young_person": GivenBy.young_person_gillick,
    "parent": GivenBy.parent_guardian,
}
ATTEST_KEY = "form.consent.attest"
SAFEGUARDING_KEY = "form.consent.safeguarding"
EXIT_MESSAGES = {"out_of_area", "adult", "not_ready"}


@dataclass
class FormErrors:
    """Field name -> (where the summary links to, the message), in the order the page shows fields."""

    items: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, name: str, message: str, anchor: str | None = None) -> None:
        self.items.setdefault(name, (anchor or name, message))

    def __bool__(self) -> bool:
        return bool(self.items)


@dataclass(frozen=True)
class Outcome:
    reference: str | None
    errors: FormErrors


def answer_message(translator: Translator, locale: str, error: AnswerError) -> str:
    if error.code == "no_referral":
        exit_id = str(error.params.get("exit"))
        key = f"form.error.exit.{exit_id}" if exit_id in EXIT_MESSAGES else "form.error.no_referral"
        return translator.t(key, locale)
    params = {k: v for k, v in error.params.items() if k != "exit"}
    return translator.t(f"form.error.{error.code}", locale, **params)


def _short(form: dict[str, str], name: str) -> str:
    return form.get(name, "").strip()


def _check_people(
    form: dict[str, str], errors: FormErrors, t: Any, languages: list[str], allow_fictional: bool
) -> None:
    for name in ("referrer_name", "referrer_organisation"):
        value = _short(form, name)
        if not value:
            errors.add(name, t(f"form.error.{name}_missing"))
        elif len(value) > SHORT:
            errors.add(name, t("form.error.too_long", max_length=SHORT))
    if _short(form, "referrer_role") not in {r.value for r in ReferrerRole}:
        errors.add("referrer_role", t("form.error.referrer_role_missing"), "referrer_role_0")
    contact = _short(form, "referrer_contact")
    if not contact:
        errors.add("referrer_contact", t("form.error.referrer_contact_missing"))
    elif "@" in contact:
        if len(contact) > 254 or not EMAIL.match(contact):
            errors.add("referrer_contact", t("form.error.referrer_contact_invalid"))
    else:
        try:
            phone.normalise(contact, allow_fictional)
        except phone.InvalidPhoneNumber:
            errors.add("referrer_contact", t("form.error.referrer_contact_invalid"))
    if len(_short(form, "person_name")) > SHORT:
        errors.add("person_name", t("form.error.too_long", max_length=SHORT))
    email = _short(form, "person_email")
    if email and (len(email) > 254 or not EMAIL.match(email)):
        errors.add("person_email", t("form.error.person_email_invalid"))
    if _short(form, "person_language") not in languages:
        errors.add("person_language", t("form.error.person_language_missing"))


def _basis(form: dict[str, str], errors: FormErrors, t: Any) -> str | None:
    attest = form.get("attest") == "yes"
    safeguarding = form.get("safeguarding") == "yes"
    if attest and safeguarding:
        errors.add("attest", t("form.error.attest_or_safeguarding"))
        return None
    if safeguarding:
        if _short(form, "referrer_role") not in {r.value for r in SAFEGUARDING_ROLES}:
            errors.add("safeguarding", t("form.error.safeguarding_role"))
        return "safeguarding"
    if not attest:
        errors.add("attest", t("form.error.attest_missing"))
        return None
    if _short(form, "consent_by") not in CONSENT_BY:
        errors.add("consent_by", t("form.error.consent_by_missing"), "consent_by_0")
    return "consent"


def _purposes(flow: LoadedFlow, answers: dict[str, Any], email: str) -> list[str]:
    """What the person agreed to, as the attestation says: keep and share the referral, and be contacted
    by the channels the answers say are safe (the bot's rule, flowkit's), and by e-mail when given."""
    purposes = contact_purposes(contact_details(flow, answers), answers.get("calls_safe"))
    if email:
        purposes.append("contact_email")
    return purposes


async def submit(
    db: AsyncSession,
    vault: Vault,
    caller: Caller,
    flow: LoadedFlow,
    form: dict[str, str],
    translator: Translator,
    locale: str,
    allow_fictional: bool,
) -> Outcome:
    def t(key: str, **params: Any) -> str:
        return translator.t(key, locale, **params)

    errors = FormErrors()
    questions: list[FormQuestion] = form_questions(flow)
    by_id = {q.id: q for q in questions}
    raw_answers, unreadable = parse_all(questions, form)
    variant = flow.for_agency()
    _, problems = answer_problems(variant, raw_answers, allow_fictional, as_london(utcnow()).date())
    found: dict[str, AnswerError] = {e.question: e for e in problems}
    found.update({e.question: e for e in unreadable})  # what could not be read is the first problem
    for question in questions:
        if question.id in found:
            errors.add(question.name, answer_message(translator, locale, found[question.id]), question.anchor)
    for name, error in found.items():
        if name not in by_id:  # an exit that is not a question's (never for the shipped flows)
            errors.add("journey", answer_message(translator, locale, error))
    _check_people(form, errors, t, translator.locales, allow_fictional)
    basis = _basis(form, errors, t)
    if errors or basis is None:
        return Outcome(None, errors)

    email = _short(form, "person_email")
    statement_key = SAFEGUARDING_KEY if basis == "safeguarding" else ATTEST_KEY
    statement = t(statement_key)
    version = hashlib.sha256(statement.encode("utf-8")).hexdigest()
    person = {"name": _short(form, "person_name") or None, "email": email or None}
    try:
        payload = ReferralCreate.model_validate(
            {
                "source": "agency",
                "language": _short(form, "person_language"),
                "flow": flow.id,
                "person": {k: v for k, v in person.items() if v},
                "answers": raw_answers,
                "consent": {
                    "given_by": GivenBy.agency
                    if basis == "safeguarding"
                    else CONSENT_BY[_short(form, "consent_by")],
                    "purposes": [] if basis == "safeguarding" else _purposes(flow, raw_answers, email),
                    "wording_versions": [version],
                    "language": locale,
                    "given_at": utcnow(),
                    "lawful_basis": basis,
                    "referrer": {
                        "name": _short(form, "referrer_name"),
                        "organisation": _short(form, "referrer_organisation"),
                        "contact": _short(form, "referrer_contact"),
                        "role": _short(form, "referrer_role"),
                    },
                },
            }
        )
    except ValidationError:
        errors.add("journey", t("form.error.generic"))
        return Outcome(None, errors)
    await consent_service.register_wording(db, version, statement_key, locale, statement)
    try:
        result = await service.create(db, vault, caller, payload, allow_fictional_phones=allow_fictional)
    except AppError as error:
        await db.rollback()  # nothing of this attempt is kept
        _service_error(error, errors, t, by_id, translator, locale)
        return Outcome(None, errors)
    if result.reference is None:
        await db.rollback()
        errors.add("attest", t("form.error.attest_missing"))
        return Outcome(None, errors)
    return Outcome(result.reference, errors)


def _service_error(
    error: AppError,
    errors: FormErrors,
    t: Any,
    by_id: dict[str, FormQuestion],
    translator: Translator,
    locale: str,
) -> None:
    if isinstance(error, ConsentGiverInvalid):
        errors.add("consent_by", t("form.error.consent_by_age"), "consent_by_0")
    elif isinstance(error, SafeguardingRoleRequired):
        errors.add("safeguarding", t("form.error.safeguarding_role"))
    elif isinstance(error, ConsentRequired):
        errors.add("attest", t("form.error.attest_missing"))
    elif isinstance(error, InvalidAnswers):
        for field_name, _ in error.problems:
            question = by_id.get(field_name.removeprefix("answers."))
            if question is not None:
                errors.add(question.name, t("form.error.generic"), question.anchor)
        if not errors:
            errors.add("journey", t("form.error.generic"))
    else:
        errors.add("journey", t("form.error.generic"))
