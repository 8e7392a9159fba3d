"""An agency worker's referrals and their status, at /refer/status (signed in to the agency form).

Only the reference and one status word per referral (waiting, accepted, first contact made, closed,
withdrawn): no queue, no priority, no person, no notes. The page is the agency form's (its session, its
header and stylesheet, `form.*` words around `console.agency.*` ones)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import deps
from api.agency_form import pages as form_pages
from api.agency_form.sessions import AgencyUser
from api.audit import service as audit
from api.auth import Caller
from api.deps import Session
from api.principal.models import PrincipalKind
from api.queue.models import EntryStatus, QueueEntry
from api.referral.models import Referral
from api.web.security import html_page

router = APIRouter(tags=["agency status"], include_in_schema=False)
HERE = Path(__file__).resolve().parent
LIMIT = 200


class AgencyStatus(StrEnum):
    queued = "queued"
    accepted = "accepted"
    first_contact = "first_contact"
    closed = "closed"
    withdrawn = "withdrawn"


def status_of(referral: Referral, entries: Sequence[QueueEntry]) -> AgencyStatus:
    """The furthest any service got with the case."""
    if referral.withdrawn_at is not None:
        return AgencyStatus.withdrawn
    if any(e.status == EntryStatus.closed for e in entries):
        return AgencyStatus.closed
    if any(e.first_contact_at is not None for e in entries):
        return AgencyStatus.first_contact
    if any(e.status == EntryStatus.accepted for e in entries):
        return AgencyStatus.accepted
    return AgencyStatus.queued


async def statuses(session: AsyncSession, principal_id: uuid.UUID) -> list[tuple[str, AgencyStatus]]:
    referrals = list(
        await session.scalars(
            select(Referral)
            .where(Referral.created_by == principal_id)
            .order_by(Referral.created_at.desc())
            .limit(LIMIT)
        )
    )
    ids = [r.id for r in referrals]
    entries: dict[uuid.UUID, list[QueueEntry]] = {i: [] for i in ids}
    if ids:
        for entry in await session.scalars(select(QueueEntry).where(QueueEntry.referral_id.in_(ids))):
            entries[entry.referral_id].append(entry)
    return [(r.reference, status_of(r, entries[r.id])) for r in referrals]


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(HERE / "templates" / "agency"), FileSystemLoader(form_pages.HERE / "templates")]
        ),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@router.get("/refer/status", response_class=HTMLResponse)
async def agency_status(
    request: Request, user: AgencyUser, db: Session, lang: Annotated[str | None, Query(max_length=16)] = None
) -> HTMLResponse:
    translator = deps.translator_of(request)
    locale = lang if lang in translator.locales else translator.default_locale
    rows = await statuses(db, user.principal_id)
    caller = Caller(user.principal_id, PrincipalKind.agency, user.name)
    await audit.record(db, caller, "agency.status", None, f"referrals={len(rows)}")

    def t(key: str, **params: Any) -> str:
        return translator.t(key, locale, **params)

    html = (
        environment()
        .get_template("status.html")
        .render(
            t=t,
            lang=locale,
            dir=translator.direction(locale),
            title=t("console.agency.heading"),
            css_url=form_pages.static_url("form.css"),
            languages=form_pages.languages(translator),
            language_action="/refer/status",
            language_keep=[],
            user=user.name,
            csrf=user.csrf,
            errors=None,
            rows=rows,
        )
    )
    return html_page(html)
