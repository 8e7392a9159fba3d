"""POST /v1/admin/police-feed — an administrator uploads the police daily feed (the CSV body itself)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.auth import AdminCaller
from api.deps import (
    AppSettings,
    AppVault,
    Session,
)
from api.errors import Forbidden, Unauthenticated, error_responses
from api.kit.models import utcnow
from api.police_feed import csv_format, service
from api.police_feed.errors import PoliceFeedNotCsv, PoliceFeedTooLarge, PoliceFeedUnreadable
from api.police_feed.schemas import ImportSummary

router = APIRouter(prefix="/v1/admin/police-feed", tags=["admin"])

MAX_BYTES = 10 * 1024 * 1024
CSV_TYPES = ("text/csv", "application/csv")
EXAMPLE = (
    ",".join(csv_format.COLUMNS)
    + "\nAvery Testcase,1988-03-14,1 Example Street Stoke-on-Trent,ST4 1AA,07700 900461,,,,N,Y,"
    "Synthetic: shouted at in a shop,repeat_victim,stranger,SP/26/000101,26-000101,105/01,"
    "Public order,Hanley,PC 0000,2026-11-19,2026-11-20T09:30,,\n"
)


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BYTES:
        raise PoliceFeedTooLarge(limit="10 MB")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BYTES:
            raise PoliceFeedTooLarge(limit="10 MB")
    return bytes(data)


@router.post(
    "",
    response_model=ImportSummary,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The feed file as it is (UTF-8 CSV, header row first; columns in the README).",
            "content": {"text/csv": {"schema": {"type": "string"}, "example": EXAMPLE}},
        }
    },
    responses=error_responses(
        Unauthenticated, Forbidden, PoliceFeedUnreadable, PoliceFeedTooLarge, PoliceFeedNotCsv
    ),
)
async def import_police_feed(
    request: Request, caller: AdminCaller, session: Session, settings: AppSettings, vault: AppVault
) -> ImportSummary:
    """Import the feed: good rows become referrals (lawful basis `police_referral`), each in its own
    transaction; bad rows are reported by row, column and problem (never the value) and skipped; a crime
    reference already imported, or repeated in the file, is reported as a duplicate and not imported again.

    Answers 200 with the summary even when rows were refused; 422 when the file as a whole cannot be read
    (nothing is imported).
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise PoliceFeedNotCsv()
    data = await _body(request)
    try:
        feed = csv_format.parse(
            data,
            now=utcnow(),
            allow_fictional_phone_numbers=settings.allow_fictional_phone_numbers,
        )
    except csv_format.FeedUnreadable as exc:
        raise PoliceFeedUnreadable(problem=exc.problem) from None
    # End the read-only transaction that looked up the caller's token: each row takes its own (see service).
    await session.commit()
    return await service.import_feed(session, vault, feed, caller, caller.id)
