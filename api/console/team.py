"""Console pages for running the teams: acknowledging an alert (caseworkers and team leads of its queue),
and the admin's queues page (each queue's counts and its team address for alert e-mails).

Kept apart from api/console/endpoints.py (the case pages) and installed by its `install`; the same rules:
every route names who may reach it, every POST checks the session's CSRF token, another team's alert is a
404 like a missing one, and the admin sees counts and staff names only, never a case.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.alerts import service as alerts
from api.audit import service as audit
from api.console.endpoints import (
    Lang,
    checked_form,
    locale_of,
    page,
    problem,
    redirect,
    translator_of,
)
from api.console.pages import duration_words
from api.console.sessions import Admin, CaseworkerOrLead, SignedIn
from api.deps import Session
from api.kit.models import utcnow
from api.queue.overview import QueueOverview, overview
from api.triage.schemas import Queue

router = APIRouter(tags=["console"], include_in_schema=False)


# --- alerts -----------------------------------------------------------------------------------------------


@router.post("/console/alerts/{alert_id}/acknowledge")
async def acknowledge_alert(
    request: Request, alert_id: uuid.UUID, signed: CaseworkerOrLead, db: Session
) -> Response:
    locale = locale_of(request, None, signed)
    if await checked_form(request, signed) is None:
        return problem(request, locale, signed, "console.error.csrf", 403)
    if not await alerts.acknowledge(db, signed.person.caller, alert_id, utcnow()):
        return problem(request, locale, signed, "console.error.alert_not_found", 404)
    return redirect("/console")


# --- queues (admin) -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    stats: QueueOverview
    oldest: str | None
    address: str | None


async def queues_page(
    request: Request,
    locale: str,
    signed: SignedIn,
    db: AsyncSession,
    status: int = 200,
    problem_key: str | None = None,
    notice_key: str | None = None,
) -> HTMLResponse:
    translator = translator_of(request)
    addresses = await alerts.team_addresses(db)
    rows = [
        QueueRow(
            stats,
            None
            if stats.oldest_waiting is None
            else duration_words(stats.oldest_waiting, translator, locale),
            addresses.get(stats.queue),
        )
        for stats in await overview(db, utcnow())
    ]
    await audit.record(db, signed.person.caller, "console.queue_overview", None, f"queues={len(rows)}")
    return page(
        request,
        locale,
        "admin_queues.html",
        "console.queues.heading",
        signed=signed,
        status=status,
        here="/console/admin/queues",
        rows=rows,
        problem=translator.t(problem_key, locale) if problem_key else None,
        notice=translator.t(notice_key, locale) if notice_key else None,
    )


@router.get("/console/admin/queues", response_class=HTMLResponse)
async def queues_overview(
    request: Request, signed: Admin, db: Session, lang: Lang = None, saved: bool = False
) -> HTMLResponse:
    locale = locale_of(request, lang, signed)
    return await queues_page(
        request, locale, signed, db, notice_key="console.queues.saved" if saved else None
    )


@router.post("/console/admin/queues/{queue}/team-address", response_class=HTMLResponse)
async def set_team_address(request: Request, queue: Queue, signed: Admin, db: Session) -> Response:
    """Where the queue's alerts are e-mailed; empty stops them. A bad address: 422, nothing changed."""
    locale = locale_of(request, None, signed)
    form = await checked_form(request, signed)
    if form is None:
        return problem(request, locale, signed, "console.error.csrf", 403)
    try:
        await alerts.set_team_address(db, queue, form.get("email", "")[:300], signed.person.caller)
    except ValueError:
        return await queues_page(request, locale, signed, db, 422, problem_key="console.queues.bad_address")
    return redirect("/console/admin/queues?saved=1")
