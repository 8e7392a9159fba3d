"""The durable outbox: sending the bot's replies through Twilio's REST API, and Twilio's status callbacks.

1. **Sending** (`send_next`, in the worker): the next SMS of a conversation is claimed (a lease), checked
   against the safe-contact plan and opt-out, paced per sender number (one transaction), handed to Twilio
   with a status callback (no transaction), and the answer recorded (one transaction): retried with
   exponential back-off on 429, 5xx and network errors.
   The per-number send limit (RATE_LIMIT_SMS_OUTBOUND, api/ratelimit: spend amplification) is asked at the
   claim, once a text (a retry after Twilio failed is not counted again): over it the SMS is put off to when
   the window allows (`defer`: no attempt spent, nothing dropped, nothing sent twice) and the
   conversation's later SMS wait behind it, so they still go in order. A safety SMS (the reply to a danger
   phrase or to STOP/START) is never counted or held back: it is claimed past the ones put off.
   Exactly once: the claim marks the row `unsure_since` (committed) before Twilio is asked, and only a
   recorded answer clears it. A row still marked when claimed again (the worker died mid-send, or Twilio's
   answer never came) is first reconciled with Twilio's message list (api/sms/twilio.py, `sent_matching`):
   found, it is recorded as submitted and not sent again; not found, it is sent; Twilio unreachable, it
   waits for the next attempt.
2. **Status callbacks** (`record_status`): merged by rank, so they may arrive in any order.

Who is never texted (the rule): a number whose newest referral (found by the phone blind index) answered
"is it safe to text you?" with no, and a number that opted out (STOP) until it opts in again (START).
Their replies are kept as `suppressed` outbox rows without a body, so the decision is visible.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.kit.crypto import Vault
from api.kit.models import utcnow
from api.ratelimit import Rule
from api.referral import service as referral_service
from api.sms import repository
from api.sms.context import SmsContext
from api.sms.errors import InvalidWebhook
from api.sms.identity import contact_aad, conversation_id_for, outbound_aad, phone_index_for
from api.sms.models import NO_BODY, OutboxState, SmsContact, SmsOutbound, new_claim
from api.sms.schemas import MESSAGE_SID, FormParams, StatusReport
from api.sms.segments import segments
from api.sms.twilio import ReconcileFailed, SendResult

logger = logging.getLogger("api.sms")

UNSUBSCRIBED = 21610  # Twilio: "Attempt to send to unsubscribed recipient"


async def blocked_reason(session: AsyncSession, vault: Vault, contact: SmsContact) -> str | None:
    """Why this number must not be texted now, or None. See the rule in the module's docstring."""
    if contact.opted_out:
        return "opted_out"
    if await referral_service.sms_safe(session, vault, contact.phone_index) is False:
        return "do_not_text"
    return None


async def cancel_pending(session: AsyncSession, conversation_id: str | None, phone_index: str | None) -> int:
    """Cancel every SMS not yet handed to Twilio for this conversation or this number (consent was
    withdrawn), in the caller's transaction. Returns how many."""
    return await repository.cancel_pending(session, conversation_id, phone_index)


async def enqueue(
    session: AsyncSession, vault: Vault, sender: str, number: str, text: str, now: datetime
) -> uuid.UUID:
    """Put one SMS to `number` (E.164) in the outbox, in the caller's transaction, outside any bot turn (a
    one-time code). It goes out like every reply: after the conversation's earlier texts, paced, and only if
    the safe-contact rules allow it when it is claimed. Returns the outbox row's id."""
    conversation_id = conversation_id_for(vault, number)
    await repository.add_contact_if_new(
        session,
        conversation_id,
        phone_index_for(vault, number),
        vault.cipher.seal(number.encode(), contact_aad(conversation_id).encode()),
        now,
    )
    outbound_id = uuid.uuid4()
    session.add(
        SmsOutbound(
            id=outbound_id,
            seq=await repository.next_seq(session, conversation_id),
            conversation_id=conversation_id,
            sender_number=sender,
            body_sealed=vault.cipher.seal(text.encode(), outbound_aad(outbound_id).encode()),
            segments=segments(text),
            state=OutboxState.pending,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()
    return outbound_id


@dataclass(frozen=True)
class _Sending:
    id: uuid.UUID
    to: str
    sender: str
    body: str
    slot: datetime
    attempts: int
    conversation_id: str
    unsure_since: datetime | None  # an earlier attempt's outcome is unknown: ask Twilio before sending


async def _claim(ctx: SmsContext, claim: str) -> _Sending | bool | None:
    """The next SMS to send (its slot reserved), False when there is none, None when it was settled here."""
    now = utcnow()
    async with ctx.sessionmaker() as session, session.begin():
        claimed = await repository.claim_outbound(session, now, ctx.lease, claim)
        if claimed is None:
            return False
        row, contact = claimed
        reason = await blocked_reason(session, ctx.vault, contact)
        if reason is None and row.body_sealed is None:
            reason = NO_BODY
        if reason is not None:
            row.withhold(reason)
            logger.info("sms not sent", extra={"outbound_id": str(row.id), "reason": reason})
            return None
        if ctx.limiter is not None and not row.safety and row.attempts == 1:
            decision = await ctx.limiter.hit(Rule.sms_outbound, contact.phone_index)
            if not decision.allowed:
                row.defer(now + timedelta(seconds=decision.retry_after), now)
                logger.info(
                    "sms send deferred",
                    extra={"outbound_id": str(row.id), "retry_after": decision.retry_after},
                )
                return None
        assert row.body_sealed is not None
        to = ctx.vault.cipher.open(
            contact.phone_sealed, contact_aad(contact.conversation_id).encode()
        ).decode()
        body = ctx.vault.cipher.open(row.body_sealed, outbound_aad(row.id).encode()).decode()
        spacing = timedelta(seconds=max(row.segments, 1) / ctx.settings.sms_send_per_second)
        slot = await repository.take_send_slot(session, row.sender_number, now, spacing)
        row.hold_until(slot + timedelta(seconds=2 * ctx.settings.twilio_timeout_seconds) + ctx.lease / 2)
        earlier = row.unsure_since
        row.unsure_since = earlier or now  # committed before Twilio is asked: a crash leaves it set
        return _Sending(row.id, to, row.sender_number, body, slot, row.attempts, row.conversation_id, earlier)


async def send_next(ctx: SmsContext) -> bool:
    """Send one SMS from the outbox, if one is due. True when there was work."""
    claim = new_claim()
    sending = await _claim(ctx, claim)
    if sending is False:
        return False
    if sending is None or sending is True:
        return True
    if sending.unsure_since is not None:
        reconciled = await _reconcile(ctx, sending)
        if reconciled is not None:
            await _record_send(ctx, sending, claim, reconciled)
            return True
    wait = (sending.slot - utcnow()).total_seconds()
    if wait > 0:
        await asyncio.sleep(wait)
    result = await ctx.twilio.send(sending.to, sending.sender, sending.body, ctx.status_callback(sending.id))
    await _record_send(ctx, sending, claim, result)
    return True


async def _reconcile(ctx: SmsContext, sending: _Sending) -> SendResult | None:
    """An earlier attempt may have reached Twilio: the message Twilio holds (recorded, never re-sent), an
    unanswered result when Twilio cannot be asked (tried again later, still unsure), or None: Twilio never
    got it, so it is sent."""
    assert sending.unsure_since is not None
    try:
        candidates = await ctx.twilio.sent_matching(
            sending.to, sending.sender, sending.body, sending.unsure_since
        )
    except ReconcileFailed:
        return SendResult(ok=False, retry=True)
    if candidates:
        async with ctx.sessionmaker() as session:
            taken = await repository.recorded_sids(session, [sid for sid, _ in candidates])
        for sid, status in candidates:
            if sid not in taken:
                logger.info("sms send reconciled", extra={"outbound_id": str(sending.id), "found": True})
                return SendResult(ok=True, sid=sid, status=status)
    logger.info("sms send reconciled", extra={"outbound_id": str(sending.id), "found": False})
    return None


def _failure_reason(result: SendResult) -> str:
    if result.retry:
        return "attempts_exhausted"
    return f"twilio_{result.code}" if result.code else f"http_{result.http_status}"


async def _record_send(ctx: SmsContext, sending: _Sending, claim: str, result: SendResult) -> None:
    now = utcnow()
    async with ctx.sessionmaker() as session, session.begin():
        row = await repository.held_outbound(session, sending.id, claim)
        if row is None:  # cancelled meanwhile (consent withdrawn), or our lease lapsed
            return
        if result.ok:
            row.submitted(result.sid, result.status, now)
        elif result.retry and sending.attempts < ctx.settings.sms_send_max_attempts:
            row.retry_at(now + ctx.backoff(sending.attempts), now, unsure=result.unanswered)
        else:
            row.failed(_failure_reason(result), result.code, now)
            if result.code == UNSUBSCRIBED:
                contact = await repository.contact(session, sending.conversation_id, lock=True)
                if contact is not None:
                    contact.opt(out=True, now=now)
    logger.info(
        "sms send",
        extra={
            "outbound_id": str(sending.id),
            "ok": result.ok,
            "retry": result.retry,
            "http_status": result.http_status or "-",
            "code": result.code or "-",
            "attempt": sending.attempts,
        },
    )


def parse_status(params: FormParams) -> StatusReport:
    sid = params.first("MessageSid") or params.first("SmsSid") or ""
    status = (params.first("MessageStatus") or params.first("SmsStatus") or "").lower()
    if not MESSAGE_SID.match(sid) or not status or len(status) > 16:
        raise InvalidWebhook()
    try:
        code = int(params.first("ErrorCode") or 0) or None
    except ValueError:
        code = None
    return StatusReport(message_sid=sid, status=status, error_code=code)


def outbound_id_of(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


async def record_status(
    sessionmaker: async_sessionmaker[AsyncSession], outbound_id: uuid.UUID | None, report: StatusReport
) -> bool:
    """Merge one status callback. False when it names no message of ours (acknowledged all the same)."""
    async with sessionmaker() as session, session.begin():
        row = await repository.outbound_for_status(session, outbound_id, report.message_sid)
        if row is None or (row.twilio_sid is not None and row.twilio_sid != report.message_sid):
            logger.info("sms status for no message of ours", extra={"message_sid": report.message_sid})
            return False
        now = utcnow()
        row.record_status(report, now)
        if report.error_code == UNSUBSCRIBED:
            contact = await repository.contact(session, row.conversation_id, lock=True)
            if contact is not None:
                contact.opt(out=True, now=now)
        merged_status = row.delivery_status
    logger.info(
        "sms status",
        extra={"message_sid": report.message_sid, "reported": report.status, "status": merged_status},
    )
    return True
