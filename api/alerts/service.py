"""Raising alerts (the worker, every round), listing them (the console), e-mailing them (the worker).

An alert is raised once per (queue entry, kind) and stays until the case leaves the queue or is reached,
or someone of the team acknowledges it (`acknowledge`: who and when kept, audited, never e-mailed after):
- emergency: the case is an emergency (at triage, or marked urgent since);
- safeguarding: the decision carries the safeguarding flag;
- callback_window: a call-back window opens within the lead time, and nobody has reached the person yet;
- deadline: the deadline is within the lead time (or past), and nobody has reached the person yet.

The e-mail to the team's address holds the case reference and a link to the console, nothing else: no
name, no number, no kind of harm, not even which alert it is (a team mailbox may be read on a phone in a
shared place). Sending is plain SMTP (smtplib) off the event loop; an alert is marked e-mailed only after
the server took it, so a failed send is tried again next round.
"""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage

from sqlalchemy import String, and_, cast, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.alerts.models import Alert, AlertKind, TeamAddress
from api.alerts.settings import AlertSettings
from api.audit import service as audit
from api.auth import Caller
from api.kit.sql import upsert
from api.queue.models import EntryStatus, QueueEntry
from api.referral.models import Referral
from api.triage.schemas import Flag, Queue

OPEN = (EntryStatus.queued, EntryStatus.claimed, EntryStatus.accepted)


def kinds_due(
    entry: QueueEntry, referral: Referral, now: datetime, settings: AlertSettings
) -> set[AlertKind]:
    """The alerts this open entry should carry now (the rule above, for one entry in hand)."""
    due: set[AlertKind] = set()
    if referral.emergency:
        due.add(AlertKind.emergency)
    if Flag.SAFEGUARDING.value in (referral.flags or []):
        due.add(AlertKind.safeguarding)
    if entry.first_contact_at is None:
        lead = timedelta(minutes=settings.alert_callback_lead_minutes)
        if (
            referral.callback_from is not None
            and referral.callback_from - lead <= now
            and (referral.callback_until is None or now < referral.callback_until)
        ):
            due.add(AlertKind.callback_window)
        if (
            entry.deadline is not None
            and entry.deadline - timedelta(minutes=settings.alert_deadline_lead_minutes) <= now
        ):
            due.add(AlertKind.deadline)
    return due


def due_at(kind: AlertKind, entry: QueueEntry, referral: Referral) -> datetime | None:
    if kind == AlertKind.callback_window:
        return referral.callback_from
    if kind == AlertKind.deadline:
        return entry.deadline
    return None


async def raise_due(session: AsyncSession, now: datetime, settings: AlertSettings) -> int:
    """Raise what is due and not raised yet; clear alerts of entries no longer open. Returns how many were
    raised. Candidates are narrowed in SQL; the rule itself is `kinds_due`."""
    soon = now + timedelta(
        minutes=max(settings.alert_callback_lead_minutes, settings.alert_deadline_lead_minutes)
    )
    rows = await session.execute(
        select(QueueEntry, Referral)
        .join(Referral, Referral.id == QueueEntry.referral_id)
        .where(
            QueueEntry.status.in_(OPEN),
            or_(
                Referral.emergency.is_(True),
                cast(Referral.flags, String).like(f'%"{Flag.SAFEGUARDING.value}"%'),
                and_(QueueEntry.first_contact_at.is_(None), Referral.callback_from <= soon),
                and_(QueueEntry.first_contact_at.is_(None), QueueEntry.deadline <= soon),
            ),
        )
    )
    candidates = [(e, r) for e, r in rows]
    existing = (
        {
            (a.entry_id, a.kind)
            for a in await session.scalars(
                select(Alert).where(Alert.entry_id.in_([e.id for e, _ in candidates]))
            )
        }
        if candidates
        else set()
    )
    raised = 0
    for entry, referral in candidates:
        for kind in sorted(kinds_due(entry, referral, now, settings)):
            if (entry.id, kind) in existing:
                continue
            session.add(
                Alert(
                    referral_id=referral.id,
                    entry_id=entry.id,
                    queue=entry.queue,
                    kind=kind,
                    due_at=due_at(kind, entry, referral),
                )
            )
            raised += 1
    await session.flush()
    return raised


@dataclass(frozen=True)
class ShownAlert:
    id: uuid.UUID
    entry_id: uuid.UUID
    reference: str
    queue: Queue
    kind: AlertKind
    due_at: datetime | None
    raised_at: datetime


async def for_queues(session: AsyncSession, queues: frozenset[str], limit: int = 50) -> list[ShownAlert]:
    """Live alerts of these queues (their entries still open and not yet reached), most urgent kind first."""
    if not queues:
        return []
    rows = await session.execute(
        select(Alert, Referral.reference, QueueEntry)
        .join(Referral, Referral.id == Alert.referral_id)
        .join(QueueEntry, QueueEntry.id == Alert.entry_id)
        .where(Alert.queue.in_(queues), Alert.cleared_at.is_(None), QueueEntry.status.in_(OPEN))
        .order_by(Alert.created_at.desc())
        .limit(limit)
    )
    order = list(AlertKind)
    shown = []
    for alert, reference, entry in rows:
        if (
            alert.kind in (AlertKind.deadline, AlertKind.callback_window)
            and entry.first_contact_at is not None
        ):
            continue
        shown.append(
            ShownAlert(
                alert.id,
                entry.id,
                reference,
                Queue(alert.queue),
                AlertKind(alert.kind),
                alert.due_at,
                alert.created_at,
            )
        )
    return sorted(shown, key=lambda a: (order.index(a.kind), a.raised_at))


async def acknowledge(session: AsyncSession, caller: Caller, alert_id: uuid.UUID, now: datetime) -> bool:
    """A caseworker or team lead of the alert's queue acknowledges it: who and when are kept on the alert
    and in the audit trail; it leaves the "needs attention" list and is never e-mailed (again: it is not
    raised a second time for the same case and kind). False when there is no such alert in the caller's
    queues (another team's alert looks like a missing one). Acknowledging twice keeps the first."""
    alert = await session.scalar(
        select(Alert).where(Alert.id == alert_id, Alert.queue.in_(caller.queues)).with_for_update()
    )
    if alert is None:
        return False
    if alert.cleared_at is None:
        alert.cleared_at = now
        alert.cleared_by = caller.id
        await audit.record(
            session, caller, "alert.acknowledge", alert.referral_id, f"kind={alert.kind} queue={alert.queue}"
        )
        await session.flush()
    return True


def team_address(value: str) -> str | None:
    """One plain address (`team@example.org`), as the standard library's parser reads it; None when it is
    not one (a display name, a list, no domain, too long)."""
    value = value.strip()
    if not value or len(value) > 254 or any(c in value for c in ' ,;<>"\r\n'):
        return None
    try:
        address = Address(addr_spec=value)
    except (ValueError, IndexError, HeaderParseError):
        return None
    if not address.username or "." not in address.domain or address.domain.startswith("."):
        return None
    return address.addr_spec


async def set_team_address(
    session: AsyncSession, queue: Queue, email: str, actor: Caller | None = None
) -> None:
    """Where the queue's alerts go (one team mailbox); an empty value stops its e-mails. Audited when a
    person sets it (the queue only: the address stays out of the trail). ValueError for a bad address."""
    if not email.strip():
        await session.execute(delete(TeamAddress).where(TeamAddress.queue == queue.value))
    else:
        address = team_address(email)
        if address is None:
            raise ValueError("not one e-mail address")
        await upsert(session, TeamAddress, {"queue": queue.value, "email": address}, ["queue"])
    if actor is not None:
        await audit.record(
            session, actor, "alerts.team_address", None, f"queue={queue.value} set={bool(email.strip())}"
        )


async def team_addresses(session: AsyncSession) -> dict[Queue, str]:
    return {Queue(row.queue): row.email for row in await session.scalars(select(TeamAddress))}


@dataclass(frozen=True)
class Outgoing:
    alert_id: uuid.UUID
    to: str
    reference: str
    link: str


def message(outgoing: Outgoing, sender: str) -> EmailMessage:
    """The e-mail: the reference and a link, nothing else."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = outgoing.to
    mail["Subject"] = f"Console alert: case {outgoing.reference}"
    mail.set_content(
        f"A case in your queue needs attention now: {outgoing.reference}\n\n"
        f"Open it in the console (sign-in needed):\n{outgoing.link}\n"
    )
    return mail


async def pending_mail(session: AsyncSession, base_url: str, limit: int = 50) -> list[Outgoing]:
    rows = await session.execute(
        select(Alert.id, TeamAddress.email, Referral.reference, Alert.entry_id)
        .join(TeamAddress, TeamAddress.queue == Alert.queue)
        .join(Referral, Referral.id == Alert.referral_id)
        .where(Alert.emailed_at.is_(None), Alert.cleared_at.is_(None))
        .order_by(Alert.created_at)
        .limit(limit)
    )
    base = base_url.rstrip("/")
    return [Outgoing(a, to, ref, f"{base}/console/cases/{entry}") for a, to, ref, entry in rows]


def _send_all(settings: AlertSettings, mails: Sequence[EmailMessage]) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
        for mail in mails:
            smtp.send_message(mail)


async def send_pending(session: AsyncSession, settings: AlertSettings, base_url: str, now: datetime) -> int:
    """E-mail every alert not yet e-mailed whose queue has a team address; mark them sent. Returns the
    count. Does nothing when SMTP_HOST is empty. Raises OSError/SMTPException when the server fails (the
    caller's transaction then rolls back, so the alerts are tried again)."""
    if not settings.smtp_host:
        return 0
    outgoing = await pending_mail(session, base_url)
    if not outgoing:
        return 0
    await asyncio.to_thread(_send_all, settings, [message(o, settings.smtp_from) for o in outgoing])
    for item in outgoing:
        alert = await session.get_one(Alert, item.alert_id)
        alert.emailed_at = now
    await session.flush()
    return len(outgoing)
