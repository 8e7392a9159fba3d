"""Confirming the person's number with a one-time code, from the chat (issue 17, part 4).

Offered by the bot after hand-off when the person said texts are safe. `send` puts a six-digit code in the
SMS outbox (so the safe-contact rules and an opt-out apply when it is sent) and keeps only its keyed hash,
an expiry and an attempt count; `confirm` checks what the person typed. The right code marks the number
verified in the referral's sealed contact details (api/intake/contact_checks.py); too many wrong codes, or
an expired code, leave it unverified, and the person carries on: a code never blocks a referral.
Flushes only; the request's session commits. Nothing of the code or the number is logged or audited.
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth import Caller
from api.config import Settings
from api.i18n import Translator
from api.intake import contact_checks
from api.kit.crypto import Vault
from api.phone_check import repository
from api.phone_check.errors import PhoneCheckNotOpen, PhoneCheckUnavailable
from api.phone_check.models import CheckState, PhoneCheck
from api.phone_check.schemas import CheckOutcome, PhoneCheckRead
from api.referral import service as referral_service
from api.referral.errors import ReferralNotFound
from api.referral.models import Referral
from api.sms import outbox

CODE_DIGITS = 6
NOT_DIGITS = re.compile(r"\D+")
SMS_TEXT = "bot.sms.phone_code"


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(vault: Vault, check_id: uuid.UUID, code: str) -> str:
    return vault.index.of("phone_code", f"{check_id}:{code}")


async def _case(session: AsyncSession, reference: str, conversation_id: str) -> Referral:
    """The bot's own case, from the conversation it names; any other is a 404 like a missing one."""
    referral = await referral_service.by_reference(session, reference, lock=True)
    if referral is None or referral.withdrawn_at is not None or referral.conversation_id != conversation_id:
        raise ReferralNotFound()
    return referral


async def send(
    session: AsyncSession,
    vault: Vault,
    settings: Settings,
    translator: Translator,
    caller: Caller,
    reference: str,
    conversation_id: str,
    now: datetime,
) -> PhoneCheckRead:
    referral = await _case(session, reference, conversation_id)
    person = referral_service.person_of(vault, referral)
    phone = person.get("phone")
    if not isinstance(phone, str) or not phone or person.get("sms_safe") is not True:
        raise PhoneCheckUnavailable()
    if contact_checks.phone_provenance(person, referral.source)[1]:
        return PhoneCheckRead(outcome=CheckOutcome.verified, attempts_left=0)
    earlier = await repository.checks_of(session, referral.id)
    if len(earlier) >= settings.phone_check_max_codes:
        raise PhoneCheckUnavailable()
    for check in earlier:
        if check.state == CheckState.sent:
            check.state, check.settled_at = CheckState.replaced, now
    check = PhoneCheck(
        id=uuid.uuid4(),
        referral_id=referral.id,
        expires_at=now + timedelta(minutes=settings.phone_check_code_minutes),
        attempts=0,
        state=CheckState.sent,
        created_at=now,
    )
    code = new_code()
    check.code_hash = code_hash(vault, check.id, code)
    text = translator.t(SMS_TEXT, referral.language, code=code)
    check.outbound_id = await outbox.enqueue(session, vault, settings.twilio_from_number, phone, text, now)
    session.add(check)
    await session.flush()
    await audit.record(session, caller, "phone_check.send", referral.id, f"check={check.id}")
    return PhoneCheckRead(outcome=CheckOutcome.sent, attempts_left=settings.phone_check_max_attempts)


async def confirm(
    session: AsyncSession,
    vault: Vault,
    settings: Settings,
    caller: Caller,
    reference: str,
    conversation_id: str,
    typed: str,
    now: datetime,
) -> PhoneCheckRead:
    referral = await _case(session, reference, conversation_id)
    check = await repository.open_check(session, referral.id)
    if check is None:
        raise PhoneCheckNotOpen()
    outcome = _try(vault, settings, check, NOT_DIGITS.sub("", typed), now)
    if outcome == CheckOutcome.verified:
        person = contact_checks.verified(referral_service.person_of(vault, referral), now)
        referral_service.replace_person(vault, referral, person)
    await session.flush()
    await audit.record(
        session, caller, "phone_check.confirm", referral.id, f"check={check.id} outcome={outcome}"
    )
    return PhoneCheckRead(
        outcome=outcome, attempts_left=max(settings.phone_check_max_attempts - check.attempts, 0)
    )


def _try(vault: Vault, settings: Settings, check: PhoneCheck, digits: str, now: datetime) -> CheckOutcome:
    if check.expires_at <= now:
        check.state, check.settled_at = CheckState.expired, now
        return CheckOutcome.expired
    check.attempts += 1
    if len(digits) == CODE_DIGITS and hmac.compare_digest(
        check.code_hash, code_hash(vault, check.id, digits)
    ):
        check.state, check.settled_at = CheckState.verified, now
        return CheckOutcome.verified
    if check.attempts >= settings.phone_check_max_attempts:
        check.state, check.settled_at = CheckState.failed, now
        return CheckOutcome.failed
    return CheckOutcome.wrong
