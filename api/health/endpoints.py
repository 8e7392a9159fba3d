"""Liveness, readiness and metrics.

Readiness checks the database, the bot, the worker's heartbeat and the SMS queues: past any threshold
(READY_MAX_*: inbound waiting, the oldest waiting inbound's age, the outbox's lag, dead letters; 0 turns one
off) it answers 503 `degraded`, naming the check. `/metrics` is Prometheus's text format (prometheus_client)
and admin-only: scrape it with an admin token (`authorization: {credentials: <token>}` in the scrape config);
it carries counts and ages only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from pydantic import BaseModel
from sqlalchemy import select, text

from api.auth import AdminCaller, public
from api.config import Settings
from api.deps import AppRelay, AppSettings, ReadSessions
from api.errors import Forbidden, Unauthenticated, error_responses
from api.kit.models import utcnow
from api.sms.dead_letters import QueueHealth, queue_health
from api.worker.models import WorkerHeartbeat

router = APIRouter(tags=["health"])
# Load balancers and `make run` probe these without a token; they say nothing about any case.
PROBE = public("liveness and readiness probes; they reveal no case data")


class ReadyChecks(BaseModel):
    database: bool
    worker: bool
    bot: bool
    sms_queues: bool = True


class Readiness(BaseModel):
    status: Literal["ready", "not_ready", "degraded"]
    checks: ReadyChecks
    degraded: list[str] = []


@router.get("/healthz", dependencies=[PROBE])
async def health() -> dict[str, str]:
    return {"status": "ok"}


def over_thresholds(health: QueueHealth, settings: Settings) -> list[str]:
    """Which queue figures are past their READY_MAX_* threshold (a threshold of 0 is off)."""
    limits = (
        ("inbound_waiting", health.inbound_waiting, settings.ready_max_inbound_waiting),
        ("oldest_inbound_age", health.oldest_inbound_age_seconds, settings.ready_max_inbound_age_seconds),
        ("outbox_lag", health.outbox_lag_seconds, settings.ready_max_outbox_lag_seconds),
        ("dead_letters", health.dead_letters, settings.ready_max_dead_letters),
    )
    return [name for name, value, limit in limits if limit and value > limit]


@router.get(
    "/readyz",
    dependencies=[PROBE],
    response_model=Readiness,
    responses={
        503: {
            "model": Readiness,
            "description": "A dependency is not ready, or a queue is past its threshold (`degraded`)",
        }
    },
)
async def ready(reads: ReadSessions, settings: AppSettings, relay: AppRelay) -> JSONResponse:
    # Read-only sessions (api/db.py): readiness, probed every few seconds, never takes the write lock.
    checks: dict[str, bool] = {}
    degraded: list[str] = []
    try:
        async with reads() as session, session.begin():
            await session.execute(text("SELECT 1"))
            beat = await session.scalar(
                select(WorkerHeartbeat.seen_at).where(WorkerHeartbeat.name == "worker")
            )
            degraded = over_thresholds(await queue_health(session), settings)
        checks["database"] = True
        stale_after = timedelta(seconds=max(10.0, settings.worker_poll_seconds * 5))
        checks["worker"] = beat is not None and utcnow() - beat < stale_after
    except Exception:
        checks["database"] = False
        checks["worker"] = False
    checks["sms_queues"] = not degraded
    checks["bot"] = await relay.ready()
    ok = all(checks.values())
    failing = [name for name, passed in checks.items() if not passed]
    status = "ready" if ok else ("degraded" if failing == ["sms_queues"] else "not_ready")
    return JSONResponse({"status": status, "checks": checks, "degraded": degraded}, 200 if ok else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"description": "Prometheus text format: SMS queue figures.", "content": {"text/plain": {}}},
        **error_responses(Unauthenticated, Forbidden),
    },
)
async def metrics(_caller: AdminCaller, reads: ReadSessions) -> Response:
    async with reads() as session, session.begin():
        health = await queue_health(session)
    registry = CollectorRegistry()
    figures = (
        ("sms_inbound_waiting", "Inbound SMS waiting for their bot turn", health.inbound_waiting),
        (
            "sms_inbound_oldest_age_seconds",
            "Age of the oldest inbound SMS waiting for its turn (0 when none waits)",
            health.oldest_inbound_age_seconds,
        ),
        ("sms_outbox_due", "Outbox SMS due or being sent", health.outbox_due),
        (
            "sms_outbox_lag_seconds",
            "How long the oldest unsent due outbox SMS has waited (0 when none)",
            health.outbox_lag_seconds,
        ),
        ("sms_inbound_dead_letters", "Inbound SMS given up after every attempt", health.dead_letters),
    )
    for name, doc, value in figures:
        Gauge(name, doc, registry=registry).set(value)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
