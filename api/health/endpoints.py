"""Liveness and readiness. Readiness checks the database, the bot and the worker's heartbeat."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select, text

from api.kit.models import utcnow
from api.kit.time import as_utc
from api.worker.models import WorkerHeartbeat

router = APIRouter(tags=["health"])
PUBLIC = True


@router.get("/healthz")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def ready(request: Request) -> JSONResponse:
    checks: dict[str, bool] = {}
    try:
        async with request.app.state.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
            beat = await session.scalar(
                select(WorkerHeartbeat.seen_at).where(WorkerHeartbeat.name == "worker")
            )
        checks["database"] = True
        stale_after = timedelta(seconds=max(10.0, request.app.state.settings.worker_poll_seconds * 5))
        checks["worker"] = beat is not None and utcnow() - as_utc(beat) < stale_after
    except Exception:
        checks["database"] = False
        checks["worker"] = False
    checks["bot"] = await request.app.state.relay.ready()
    ok = all(checks.values())
    return JSONResponse({"status": "ready" if ok else "not_ready", "checks": checks}, 200 if ok else 503)
