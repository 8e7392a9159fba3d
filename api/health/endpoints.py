"""Liveness and readiness. Readiness checks the database, the bot and the worker's heartbeat."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select, text

from api.auth import public
from api.deps import (
    AppRelay,
    AppSettings,
    Sessions,
)
from api.kit.models import utcnow
from api.worker.models import WorkerHeartbeat

router = APIRouter(tags=["health"])
# Load balancers and `make run` probe these without a token; they say nothing about any case.
PROBE = public("liveness and readiness probes; they reveal no case data")


class ReadyChecks(BaseModel):
    database: bool
    worker: bool
    bot: bool


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: ReadyChecks


@router.get("/healthz", dependencies=[PROBE])
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    dependencies=[PROBE],
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency is not ready; `checks` says which"}},
)
async def ready(sessions: Sessions, settings: AppSettings, relay: AppRelay) -> JSONResponse:
    checks: dict[str, bool] = {}
    try:
        async with sessions() as session:
            await session.execute(text("SELECT 1"))
            beat = await session.scalar(
                select(WorkerHeartbeat.seen_at).where(WorkerHeartbeat.name == "worker")
            )
        checks["database"] = True
        stale_after = timedelta(seconds=max(10.0, settings.worker_poll_seconds * 5))
        checks["worker"] = beat is not None and utcnow() - beat < stale_after
    except Exception:
        checks["database"] = False
        checks["worker"] = False
    checks["bot"] = await relay.ready()
    ok = all(checks.values())
    return JSONResponse({"status": "ready" if ok else "not_ready", "checks": checks}, 200 if ok else 503)
