"""Disposal: removes what the retention policy (api/retention/policy.py) says is due, from every store.

Run by the worker every RETENTION_RUN_MINUTES and by `python -m api retention run [--dry-run]`.

- **Batched and short.** Every batch is its own transaction of at most RETENTION_BATCH_SIZE records, so
  the SQLite write lock (every transaction takes it: api/db.py) is held for one batch, then let go; chat
  turns and SMS work get their turn between batches.
- **Idempotent and resumable.** Each step selects what is due *now* and removes it; a run stopped half-way
  leaves whole batches done and the rest due, so the next run simply carries on.
- **Audited with counts only.** One audit event per batch: the class and how many rows of each store went
  (`retention.dispose`). No reference, no identifier of a person, no text.
- **Every store.** The referral row (person, answers, triage input and decision, crime reference), its
  queue entries, its consent receipts made unreadable (`_shred_receipts`: the receipts themselves are
  append-only), the conversation row, its SMS rows (inbound, outbound, the contact), idempotency records
  that replay its answer, and Rasa's tracker events (SQLite or PostgreSQL tracker store). A conversation
  another live referral still points at is kept until that one goes too.
- **A legal hold** (`Referral.legal_hold_at`) keeps a case whatever its class says.

On SQLite, deleted rows are overwritten (`PRAGMA secure_delete`, set for every connection in api/db.py and
for the tracker store here) and the write-ahead log is truncated after a run, so no deleted text stays in
the files. `erase_referral` is the one function other code (subject rights) reuses to erase one case.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    MetaData,
    String,
    Table,
    and_,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from api.alerts.models import Alert
from api.audit import service as audit
from api.auth import Caller
from api.config import Settings
from api.conversation.models import Channel, Conversation
from api.conversation.tracker import tracker_store_url
from api.encryption import case_keys
from api.phone_check.models import PhoneCheck
from api.principal.models import PrincipalKind
from api.queue.models import CaseActivity, EntryStatus, QueueEntry
from api.referral.models import DecisionVersion, IdempotencyRecord, Referral
from api.retention import policy
from api.retention.policy import RetentionClass
from api.sms.models import InboundStatus, OutboxState, SmsContact, SmsInbound, SmsOutbound
from api.stats import service as stats

logger = logging.getLogger("api.retention")

# The audit trail names disposal as this principal (a job, not a person).
RETENTION = Caller(uuid.UUID(int=3), PrincipalKind.admin, "retention job")

OPEN_STATUSES = (EntryStatus.queued, EntryStatus.claimed, EntryStatus.accepted)
FINAL_OUTBOUND = (OutboxState.submitted, OutboxState.failed, OutboxState.suppressed, OutboxState.cancelled)
# Pause between batches, so other writers take the SQLite lock between two of ours.
PAUSE_SECONDS = 0.005


class CaseOnHold(Exception):
    """The case is on legal hold: it may not be erased until the hold is released."""


class TrackerUnavailable(Exception):
    """Rasa's tracker store could not be purged: nothing else of the case is removed, so it stays due."""


# ---- Rasa's tracker store ----

_events = Table("events", MetaData(), Column("sender_id", String(255)))


class TrackerPurger:
    """Deletes conversations' events from Rasa's tracker store (the table api/conversation/tracker.py
    describes), many per connection, overwriting deleted content on SQLite."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.sqlite_file = Path(parsed.database or "") if parsed.get_backend_name() == "sqlite" else None
        connect_args = {"timeout": 15} if self.sqlite_file is not None else {}
        self._engine: AsyncEngine = create_async_engine(url, poolclass=NullPool, connect_args=connect_args)

    @classmethod
    def from_settings(cls, settings: Settings) -> TrackerPurger:
        return cls(tracker_store_url(settings))

    async def close(self) -> None:
        await self._engine.dispose()

    async def forget(self, conversation_ids: Sequence[str]) -> int:
        """Delete every event of these conversations; the number of events. Raises TrackerUnavailable."""
        ids = sorted({c for c in conversation_ids if c})
        if not ids:
            return 0
        if self.sqlite_file is not None and not self.sqlite_file.exists():
            return 0  # the bot never ran here: nothing to forget, and no file is created
        try:
            async with self._engine.begin() as connection:
                if self.sqlite_file is not None:
                    await connection.exec_driver_sql("PRAGMA secure_delete=ON")
                result = await connection.execute(delete(_events).where(_events.c.sender_id.in_(ids)))
        except SQLAlchemyError as exc:
            logger.error("tracker purge failed", extra={"error_type": type(exc).__name__})
            raise TrackerUnavailable() from exc
        return int(result.rowcount or 0)


# ---- erasing cases ----


async def _shred_receipts(session: AsyncSession, referral_ids: Sequence[uuid.UUID]) -> int:
    """Make the cases' consent receipts unreadable without breaking their append-only rule: destroy each
    case's own key (api/encryption/case_keys.py), which sealed the receipt's personal field, in one
    statement for the batch. The receipts keep their non-personal facts (kind, basis, purposes, wording
    versions, times). The number of keys destroyed: a case whose key is already gone (a repeat) counts 0."""
    return await case_keys.destroy_many(session, referral_ids)


async def _erase_rows(
    session: AsyncSession, referrals: Sequence[tuple[uuid.UUID, str | None, str, datetime]]
) -> Counter[str]:
    """Delete these referrals (id, conversation id, reference, created at) and everything that is theirs
    from the api database, in the caller's transaction. Tracker events are the caller's (before this)."""
    counts: Counter[str] = Counter()
    if not referrals:
        return counts
    ids = [r[0] for r in referrals]
    # The console's rows of these cases (api/queue/activity.py, api/alerts, re-triage decisions, phone
    # checks): before their queue entries.
    for model in (CaseActivity, Alert, DecisionVersion, PhoneCheck):
        removed = _rows(await session.execute(delete(model).where(model.referral_id.in_(ids))))
        if removed:
            counts[model.__tablename__] += removed
    counts["queue_entry"] += _rows(
        await session.execute(delete(QueueEntry).where(QueueEntry.referral_id.in_(ids)))
    )
    counts["consent_receipt_shredded"] += await _shred_receipts(session, ids)
    conversations = {r[1] for r in referrals if r[1]}
    if conversations:
        still_used = set(
            await session.scalars(
                select(Referral.conversation_id).where(
                    Referral.conversation_id.in_(conversations), Referral.id.not_in(ids)
                )
            )
        )
        counts.update(await _delete_conversations(session, sorted(conversations - still_used)))
    counts["idempotency_record"] += await _delete_idempotency_for(session, referrals)
    counts["referral"] += _rows(await session.execute(delete(Referral).where(Referral.id.in_(ids))))
    return counts


async def _delete_conversations(session: AsyncSession, conversation_ids: Sequence[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    if not conversation_ids:
        return counts
    ids = list(conversation_ids)
    counts["sms_inbound"] += _rows(
        await session.execute(delete(SmsInbound).where(SmsInbound.conversation_id.in_(ids)))
    )
    counts["sms_outbound"] += _rows(
        await session.execute(delete(SmsOutbound).where(SmsOutbound.conversation_id.in_(ids)))
    )
    counts["sms_contact"] += _rows(
        await session.execute(delete(SmsContact).where(SmsContact.conversation_id.in_(ids)))
    )
    counts["conversation"] += _rows(
        await session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
    )
    return counts


async def _delete_idempotency_for(
    session: AsyncSession, referrals: Sequence[tuple[uuid.UUID, str | None, str, datetime]]
) -> int:
    """Idempotency records replaying one of these referrals' answers (they hold its reference). They live a
    day at most, so only those made around the referral are read."""
    earliest = min(r[3] for r in referrals) - timedelta(minutes=5)
    latest = max(r[3] for r in referrals) + timedelta(minutes=5)
    rows = (
        await session.execute(
            select(IdempotencyRecord.principal, IdempotencyRecord.key, IdempotencyRecord.response_body).where(
                IdempotencyRecord.created_at >= earliest, IdempotencyRecord.created_at <= latest
            )
        )
    ).all()
    references = [r[2].encode() for r in referrals]
    doomed = [(p, k) for p, k, body in rows if any(ref in body for ref in references)]
    for principal, key in doomed:
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
            )
        )
    return len(doomed)


def _rows(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def erase_referral(
    session: AsyncSession,
    settings: Settings,
    referral: Referral,
    *,
    now: datetime,
    reason: str,
    tracker: TrackerPurger | None = None,
) -> dict[str, int]:
    """Erase one case from every store, now, in the caller's transaction (flushes; the caller commits).

    For subject rights (erasure on request) and anything else that must remove a case before its time.
    A case on legal hold raises CaseOnHold (nothing removed); other refusals (a safeguarding basis) are the
    caller's to decide first. After the commit, call
    `truncate_logs(settings)` so no deleted text stays in SQLite's write-ahead log. Rasa's tracker events
    go first: if the tracker store cannot be reached, TrackerUnavailable is raised and nothing else is
    removed. The audit event holds the case's id and the counts, never personal data. `reason` is a short
    code (e.g. `erasure_request`), recorded as is."""
    if referral.legal_hold_at is not None:
        raise CaseOnHold()
    own_tracker = tracker is None
    purger = tracker or TrackerPurger.from_settings(settings)
    counts: Counter[str] = Counter()
    try:
        if referral.conversation_id:
            counts["tracker_event"] += await purger.forget([referral.conversation_id])
    finally:
        if own_tracker:
            await purger.close()
    counts.update(
        await _erase_rows(
            session, [(referral.id, referral.conversation_id, referral.reference, referral.created_at)]
        )
    )
    session.expunge(referral)
    await audit.record(
        session, RETENTION, "retention.erase", referral.id, f"reason={reason} {_summary(counts)}"
    )
    await session.flush()
    del now  # the moment is the audit event's own (utcnow); kept in the signature for callers' clocks
    return dict(counts)


def _summary(counts: Counter[str] | dict[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(counts.items()) if v)


# ---- the job ----


@dataclass
class RunReport:
    """Counts per step or class and store: what went (or, in a dry run, what would go)."""

    dry_run: bool
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    batches: int = 0
    longest_batch_seconds: float = 0.0
    # Each batch's wall time (how long it held the SQLite write lock) and the process's CPU time in it (on a
    # busy machine the wall time includes waiting for a core; the CPU time does not): for benchmarks.
    batch_seconds: list[float] = field(default_factory=list)
    batch_cpu_seconds: list[float] = field(default_factory=list)

    def add(self, step: str, counts: Counter[str] | dict[str, int]) -> None:
        self.counts.setdefault(step, Counter()).update(counts)

    def lines(self) -> list[str]:
        verb = "would remove" if self.dry_run else "removed"
        return [f"{step}: {verb} {_summary(c) or 'nothing'}" for step, c in sorted(self.counts.items())]


class Disposal:
    """One run of the retention job over an api database and Rasa's tracker store."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        tracker: TrackerPurger | None = None,
        batch_size: int | None = None,
        pause_seconds: float = PAUSE_SECONDS,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.tracker = tracker or TrackerPurger.from_settings(settings)
        self._own_tracker = tracker is None
        self.batch = batch_size or settings.retention_batch_size
        self.pause = pause_seconds

    async def close(self) -> None:
        if self._own_tracker:
            await self.tracker.close()

    async def run(self, now: datetime, *, dry_run: bool = False) -> RunReport:
        report = RunReport(dry_run=dry_run)
        await self._reconcile(now, report, dry_run)
        for cls in RetentionClass:
            await self._referrals(cls, now, report, dry_run)
        await self._conversations(now, report, dry_run)
        await self._transcripts(now, report, dry_run)
        await self._sms_metadata(now, report, dry_run)
        await self._idempotency(now, report, dry_run)
        await self._callbacks(now, report, dry_run)
        if not dry_run:
            await self._checkpoint()
        logger.info("retention run", extra={"batches": report.batches, "dry_run": dry_run})
        return report

    # A batch: one short transaction. Returns how many records it handled (a full batch means: go on).
    async def _batch(self, report: RunReport, work: Any) -> int:
        loop = asyncio.get_running_loop()
        started, cpu_started = loop.time(), time.process_time()
        async with self.sessionmaker() as session, session.begin():
            if session.get_bind().dialect.name == "sqlite":
                await session.execute(text("PRAGMA secure_delete=ON"))
            handled: int = await work(session)
        took = loop.time() - started
        report.batches += 1
        report.longest_batch_seconds = max(report.longest_batch_seconds, took)
        report.batch_seconds.append(took)
        report.batch_cpu_seconds.append(time.process_time() - cpu_started)
        await asyncio.sleep(self.pause)
        return handled

    async def _reconcile(self, now: datetime, report: RunReport, dry_run: bool) -> None:
        """Move cases to the class their state now gives: taken up (a queue entry was accepted), and
        closed (taken up, nothing open any more: the closure clock starts; the counter of closures)."""

        async def taken_up(session: AsyncSession) -> int:
            accepted = exists().where(
                QueueEntry.referral_id == Referral.id, QueueEntry.accepted_at.is_not(None)
            )
            rows = list(
                await session.scalars(
                    select(Referral)
                    .where(Referral.retention_class == RetentionClass.not_taken_up, accepted)
                    .limit(self.batch)
                )
            )
            for referral in rows:
                referral.retention_class = policy.when_taken_up(referral.queue)
                # Receipt-clocked classes keep receipt; closure-clocked ones wait for the closure.
                closure = policy.CLOCKS[RetentionClass(referral.retention_class)] == policy.Clock.closure
                referral.retention_from = None if closure else referral.received_at
                accepted_at = await session.scalar(
                    select(func.min(QueueEntry.accepted_at)).where(QueueEntry.referral_id == referral.id)
                )
                await stats.count(session, stats.Event.taken_up, referral, accepted_at or now)
            report.add("reconcile", {"taken_up": len(rows)})
            return len(rows)

        async def closed(session: AsyncSession) -> int:
            open_entry = exists().where(
                QueueEntry.referral_id == Referral.id, QueueEntry.status.in_(OPEN_STATUSES)
            )
            closed_entry = exists().where(
                QueueEntry.referral_id == Referral.id, QueueEntry.closed_at.is_not(None)
            )
            rows = list(
                await session.scalars(
                    select(Referral)
                    .where(
                        Referral.closed_at.is_(None),
                        Referral.retention_class.in_(
                            [
                                RetentionClass.hate_crime,
                                RetentionClass.victim_support,
                                RetentionClass.childrens_front_door,
                                RetentionClass.signposting,
                            ]
                        ),
                        ~open_entry,
                        closed_entry,
                    )
                    .limit(self.batch)
                )
            )
            for referral in rows:
                last = (
                    await session.execute(
                        select(QueueEntry.closed_at, QueueEntry.outcome)
                        .where(QueueEntry.referral_id == referral.id, QueueEntry.closed_at.is_not(None))
                        .order_by(QueueEntry.closed_at.desc())
                        .limit(1)
                    )
                ).one()
                closed_at: datetime = last[0] or now
                referral.closed_at = closed_at
                if policy.CLOCKS[RetentionClass(referral.retention_class)] == policy.Clock.closure:
                    referral.retention_from = closed_at
                await stats.count(
                    session, stats.Event.closed, referral, closed_at, outcome=str(last[1] or "closed")
                )
            report.add("reconcile", {"closed": len(rows)})
            return len(rows)

        if dry_run:
            return  # nothing is moved: a dry run counts what is due by the classes as they stand
        for step in (taken_up, closed):
            while await self._batch(report, step) >= self.batch:
                pass

    async def _referrals(self, cls: RetentionClass, now: datetime, report: RunReport, dry_run: bool) -> None:
        cutoff = policy.period(self.settings, cls).before(now)
        due = and_(
            Referral.retention_class == cls,
            Referral.retention_from.is_not(None),
            Referral.retention_from <= cutoff,
            Referral.legal_hold_at.is_(None),
        )
        after: uuid.UUID | None = None
        while True:
            async with self.sessionmaker() as session:
                query = (
                    select(Referral.id, Referral.conversation_id)
                    .where(due)
                    .order_by(Referral.id)
                    .limit(self.batch)
                )
                if dry_run and after is not None:
                    query = query.where(Referral.id > after)
                picked = (await session.execute(query)).all()
                await session.rollback()
            if not picked:
                return
            if dry_run:
                report.add(str(cls), {"referral": len(picked)})
                after = picked[-1][0]
                if len(picked) < self.batch:
                    return
                continue
            # Rasa's transcripts first, with no api transaction open; then the rows, re-checked as still due
            # and not held (a hold set in between wins).
            tracker_events = await self.tracker.forget([c for _, c in picked if c])
            ids = [i for i, _ in picked]

            async def erase(
                session: AsyncSession, ids: list[uuid.UUID] = ids, tracker_events: int = tracker_events
            ) -> int:
                rows = (
                    await session.execute(
                        select(
                            Referral.id, Referral.conversation_id, Referral.reference, Referral.created_at
                        ).where(Referral.id.in_(ids), due)
                    )
                ).all()
                counts = await _erase_rows(session, [tuple(r) for r in rows])  # type: ignore[misc]
                counts["tracker_event"] += tracker_events
                if rows:
                    await audit.record(
                        session, RETENTION, "retention.dispose", None, f"class={cls} {_summary(counts)}"
                    )
                report.add(str(cls), counts)
                return len(rows)

            await self._batch(report, erase)
            if len(picked) < self.batch:
                return

    def _conversation_due(self, now: datetime) -> Any:
        idle_since = func.coalesce(Conversation.last_message_at, Conversation.created_at)
        has_referral = exists().where(Referral.conversation_id == Conversation.id)
        pending = exists().where(
            SmsInbound.conversation_id == Conversation.id,
            SmsInbound.status.in_([InboundStatus.received, InboundStatus.processing]),
        )
        return and_(idle_since <= now - policy.conversation_period(self.settings), ~has_referral, ~pending)

    async def _conversations(self, now: datetime, report: RunReport, dry_run: bool) -> None:
        """Conversations that made no referral: rows, SMS rows and transcript, 24 hours after the last
        message (declined, signposted, not safe to talk, under 13 alone, abandoned)."""
        step = "conversation_without_referral"
        due = self._conversation_due(now)
        while True:
            async with self.sessionmaker() as session:
                ids = list(
                    await session.scalars(
                        select(Conversation.id).where(due).order_by(Conversation.id).limit(self.batch)
                    )
                )
                await session.rollback()
            if not ids or dry_run:
                if ids:
                    report.add(step, {"conversation": len(ids)})
                return
            tracker_events = await self.tracker.forget(ids)

            async def erase(
                session: AsyncSession, ids: list[str] = ids, tracker_events: int = tracker_events
            ) -> int:
                still = list(
                    await session.scalars(select(Conversation.id).where(Conversation.id.in_(ids), due))
                )
                counts = await _delete_conversations(session, still)
                counts["tracker_event"] += tracker_events
                if still:
                    await audit.record(
                        session, RETENTION, "retention.dispose", None, f"class={step} {_summary(counts)}"
                    )
                report.add(step, counts)
                return len(still)

            await self._batch(report, erase)
            if len(ids) < self.batch:
                return

    async def _transcripts(self, now: datetime, report: RunReport, dry_run: bool) -> None:
        """Rasa transcripts: of a conversation that made a referral, an hour after hand-off or idle (the
        later); of any SMS conversation, when its session has been idle RETENTION_SMS_SESSION_MINUTES."""
        step = "transcript"
        last = func.coalesce(Conversation.last_message_at, Conversation.created_at)
        handed_off = (
            select(func.max(Referral.received_at))
            .where(Referral.conversation_id == Conversation.id)
            .scalar_subquery()
        )
        transcript_cutoff = now - policy.transcript_period(self.settings)
        due = and_(
            or_(Conversation.transcript_purged_at.is_(None), Conversation.transcript_purged_at < last),
            or_(
                and_(handed_off.is_not(None), handed_off <= transcript_cutoff, last <= transcript_cutoff),
                and_(
                    Conversation.channel == Channel.sms,
                    last <= now - policy.sms_session_period(self.settings),
                ),
            ),
        )
        while True:
            async with self.sessionmaker() as session:
                rows = (
                    await session.execute(
                        select(Conversation.id, Conversation.channel)
                        .where(due)
                        .order_by(Conversation.id)
                        .limit(self.batch)
                    )
                ).all()
                await session.rollback()
            if not rows or dry_run:
                if rows:
                    report.add(step, {"conversation": len(rows)})
                return
            events = await self.tracker.forget([r[0] for r in rows])

            async def mark(session: AsyncSession, rows: Sequence[Any] = rows, events: int = events) -> int:
                web = [r[0] for r in rows if r[1] != Channel.sms]
                await session.execute(
                    update(Conversation)
                    .where(Conversation.id.in_([r[0] for r in rows]))
                    .values(transcript_purged_at=now)
                )
                # A web chat whose transcript is gone is over: a later message is told so (410), not answered
                # by a bot that has forgotten it. An SMS conversation opens again when the number texts.
                await session.execute(
                    update(Conversation)
                    .where(Conversation.id.in_(web), Conversation.ended_at.is_(None))
                    .values(ended_at=now)
                )
                counts = Counter({"conversation": len(rows), "tracker_event": events})
                await audit.record(
                    session, RETENTION, "retention.dispose", None, f"class={step} {_summary(counts)}"
                )
                report.add(step, counts)
                return len(rows)

            await self._batch(report, mark)
            if len(rows) < self.batch:
                return

    async def _bulk(
        self, step: str, report: RunReport, dry_run: bool, ids_query: Any, act: Any, store: str
    ) -> None:
        """A step over rows with no transcript: pick a batch of keys, act on them, until none are due."""
        while True:
            handled = 0

            async def work(session: AsyncSession) -> int:
                nonlocal handled
                keys = list(await session.scalars(ids_query.limit(self.batch)))
                handled = len(keys)
                if not keys:
                    return 0
                if dry_run:
                    report.add(step, {store: len(keys)})
                    return 0
                changed = _rows(await session.execute(act(keys)))
                counts = {store: changed}
                await audit.record(
                    session, RETENTION, "retention.dispose", None, f"class={step} {_summary(counts)}"
                )
                report.add(step, counts)
                return changed

            await self._batch(report, work)
            if dry_run or handled < self.batch:
                return

    async def _sms_metadata(self, now: datetime, report: RunReport, dry_run: bool) -> None:
        cutoff = now - policy.sms_metadata_period(self.settings)
        await self._bulk(
            "sms_metadata",
            report,
            dry_run,
            select(SmsInbound.id).where(
                SmsInbound.status == InboundStatus.processed, SmsInbound.processed_at <= cutoff
            ),
            lambda keys: delete(SmsInbound).where(SmsInbound.id.in_(keys)),
            "sms_inbound",
        )
        await self._bulk(
            "sms_metadata",
            report,
            dry_run,
            select(SmsOutbound.id).where(
                SmsOutbound.state.in_(FINAL_OUTBOUND), SmsOutbound.updated_at <= cutoff
            ),
            lambda keys: delete(SmsOutbound).where(SmsOutbound.id.in_(keys)),
            "sms_outbound",
        )
        # A number texted outside any conversation (a one-time code to a web chat's number) keeps an SMS
        # contact row (the number, sealed) with no conversation of its own: it goes with its last message.
        await self._bulk(
            "sms_metadata",
            report,
            dry_run,
            select(SmsContact.conversation_id).where(
                SmsContact.updated_at <= cutoff,
                ~exists().where(Conversation.id == SmsContact.conversation_id),
                ~exists().where(SmsInbound.conversation_id == SmsContact.conversation_id),
                ~exists().where(SmsOutbound.conversation_id == SmsContact.conversation_id),
            ),
            lambda keys: delete(SmsContact).where(SmsContact.conversation_id.in_(keys)),
            "sms_contact",
        )

    async def _idempotency(self, now: datetime, report: RunReport, dry_run: bool) -> None:
        cutoff = now - policy.idempotency_period(self.settings)
        # Keyed by (principal, key): delete by the pair's concatenation would not index, so by created_at.
        await self._bulk(
            "idempotency",
            report,
            dry_run,
            select(IdempotencyRecord.key).where(IdempotencyRecord.created_at <= cutoff),
            lambda keys: delete(IdempotencyRecord).where(
                IdempotencyRecord.key.in_(keys), IdempotencyRecord.created_at <= cutoff
            ),
            "idempotency_record",
        )

    async def _callbacks(self, now: datetime, report: RunReport, dry_run: bool) -> None:
        cutoff = now - policy.callback_period(self.settings)
        await self._bulk(
            "callback_window",
            report,
            dry_run,
            select(Referral.id).where(
                Referral.callback_until.is_not(None), Referral.callback_until <= cutoff
            ),
            lambda keys: (
                update(Referral).where(Referral.id.in_(keys)).values(callback_from=None, callback_until=None)
            ),
            "referral",
        )

    async def _checkpoint(self) -> None:
        """Truncate the write-ahead logs (SQLite), where the pages of deleted rows would otherwise linger
        until overwritten. Outside any transaction, on a plain connection of its own."""
        url = self.sessionmaker.kw["bind"].url
        if url.get_backend_name() == "sqlite" and url.database:
            await asyncio.to_thread(_wal_truncate, Path(url.database))
        if self.tracker.sqlite_file is not None:
            await asyncio.to_thread(_wal_truncate, self.tracker.sqlite_file)


async def truncate_logs(settings: Settings) -> None:
    """After a committed erasure: truncate the SQLite write-ahead logs (the api database's and the tracker
    store's), so the pages of the deleted rows leave the files now, not at the next checkpoint. Nothing to
    do on PostgreSQL."""
    for url in (make_url(settings.database_url), make_url(tracker_store_url(settings))):
        if url.get_backend_name() == "sqlite" and url.database:
            await asyncio.to_thread(_wal_truncate, Path(url.database))


def _wal_truncate(path: Path) -> None:
    if not path.exists():
        return
    connection = sqlite3.connect(path, timeout=15)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:
        logger.error("wal checkpoint failed", extra={"error_type": type(exc).__name__})
    finally:
        connection.close()
