"""The data-protection officer's pages at /console/rights: find what is held about a person, export it,
rectify a contact detail, erase a case (refused with the reason under a legal hold or a safeguarding
basis). Server-rendered like the rest of the console: a console session of the `data_protection` role,
CSRF on every POST, no-store, strict headers.

Every act goes through api/rights/service.py, the same code as the `/v1/rights/*` API and the CLI, so it is
audited there (the kind of lookup and counts, never the values). Personal data travels in POST bodies only,
never in a path or query string (they reach access logs): finding is a POST that answers with the results
page, and each result's actions carry the case reference.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.background import BackgroundTask

from api.accounts.models import AccountRole
from api.console import endpoints as console
from api.console.sessions import SignedIn, signed_in
from api.deps import AppSettings, AppVault, Session
from api.errors import AppError
from api.retention import disposal
from api.rights import document
from api.rights import service as rights
from api.rights.errors import ErasureUnavailable, InvalidSubject, NothingHeld
from api.rights.schemas import ExportRequest, RectifiableField, Rectification, Subject
from api.web.security import secure

router = APIRouter(tags=["console"], include_in_schema=False)
DataProtection = Annotated[SignedIn, signed_in(AccountRole.data_protection)]
HERE = "/console/rights"
KINDS = ("phone", "email", "reference", "crime_reference")
BOOLEAN_FIELDS = (RectifiableField.sms_safe, RectifiableField.voicemail_safe)


def subject_of(form: dict[str, str]) -> Subject:
    """The one way to find the person the form names (ValueError when it names none, or a bad value)."""
    kind = form.get("kind", "")
    value = form.get("value", "").strip()
    if kind not in KINDS or not value:
        raise ValueError("kind and value")
    if kind == "reference":
        value = value.upper()
    try:
        return Subject.model_validate({kind: value})
    except ValidationError as exc:
        raise ValueError(kind) from exc


def rights_page(
    request: Request,
    locale: str,
    signed: SignedIn,
    *,
    status: int = 200,
    found: Any = None,
    subject: Subject | None = None,
    outcome: str | None = None,
    outcome_params: dict[str, str] | None = None,
    export: str | None = None,
) -> HTMLResponse:
    return console.page(
        request,
        locale,
        "rights.html",
        "console.rights.heading",
        signed=signed,
        status=status,
        here=HERE,
        kinds=KINDS,
        found=found,
        subject_kind=subject.kind if subject else "",
        subject_value=str(getattr(subject, subject.kind)) if subject else "",
        fields=[f.value for f in RectifiableField],
        outcome=outcome,
        outcome_params=outcome_params or {},
        export=export,
    )


def failed(request: Request, locale: str, signed: SignedIn, error: Exception) -> HTMLResponse:
    if isinstance(error, NothingHeld):
        return rights_page(request, locale, signed, status=404, outcome="nothing_held")
    if isinstance(error, InvalidSubject | ValueError):
        return rights_page(request, locale, signed, status=422, outcome="invalid")
    if isinstance(error, ErasureUnavailable):
        return rights_page(request, locale, signed, status=409, outcome="erasure_unavailable")
    return rights_page(request, locale, signed, status=409, outcome="conflict")


@router.get(HERE, response_class=HTMLResponse)
async def rights_home(request: Request, signed: DataProtection, lang: console.Lang = None) -> HTMLResponse:
    return rights_page(request, console.locale_of(request, lang, signed), signed)


@router.post(HERE + "/find", response_class=HTMLResponse)
async def rights_find(
    request: Request, signed: DataProtection, db: Session, vault: AppVault, settings: AppSettings
) -> Response:
    locale = console.locale_of(request, None, signed)
    form = await console.checked_form(request, signed)
    if form is None:
        return console.problem(request, locale, signed, "console.error.csrf", 403)
    try:
        subject = subject_of(form)
        found = await rights.find(db, vault, settings, signed.person.caller, subject)
    except (AppError, ValueError) as error:
        return failed(request, locale, signed, error)
    return rights_page(request, locale, signed, found=found, subject=subject)


@router.post(HERE + "/export", response_class=HTMLResponse)
async def rights_export(
    request: Request, signed: DataProtection, db: Session, vault: AppVault, settings: AppSettings
) -> Response:
    """The subject access export: readable on the page (in the language chosen), or the JSON as a file."""
    locale = console.locale_of(request, None, signed)
    form = await console.checked_form(request, signed)
    if form is None:
        return console.problem(request, locale, signed, "console.error.csrf", 403)
    translator = console.translator_of(request)
    try:
        subject = subject_of(form)
        language = form.get("language") or None
        body = ExportRequest.model_validate(
            {subject.kind: getattr(subject, subject.kind), "language": language}
        )
        held, data = await rights.export(db, vault, settings, signed.person.caller, body)
    except ValidationError:
        return failed(request, locale, signed, ValueError("language"))
    except (AppError, ValueError) as error:
        return failed(request, locale, signed, error)
    if form.get("format") == "json":
        content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        response = Response(content, media_type="application/json")
        response.headers["content-disposition"] = 'attachment; filename="subject-access-export.json"'
        return secure(response)
    readable = translator.supported(
        body.language or (held.referrals[-1].language if held.referrals else None)
    )
    return rights_page(
        request, locale, signed, subject=subject, export=document.render(translator, data, readable)
    )


@router.post(HERE + "/rectify", response_class=HTMLResponse)
async def rights_rectify(
    request: Request, signed: DataProtection, db: Session, vault: AppVault, settings: AppSettings
) -> Response:
    locale = console.locale_of(request, None, signed)
    form = await console.checked_form(request, signed)
    if form is None:
        return console.problem(request, locale, signed, "console.error.csrf", 403)
    try:
        field = RectifiableField(form.get("field", ""))
        raw = form.get("value", "").strip()
        value: str | bool | None
        if field in BOOLEAN_FIELDS:
            if raw not in ("yes", "no", ""):
                raise ValueError("yes or no")
            value = None if raw == "" else raw == "yes"
        else:
            value = raw or None
        body = Rectification.model_validate(
            {"reference": form.get("reference", "").strip().upper(), "field": field, "value": value}
        )
        await rights.rectify(db, vault, settings, signed.person.caller, body)
    except ValidationError:
        return failed(request, locale, signed, ValueError("rectification"))
    except (AppError, ValueError) as error:
        await db.rollback()
        return failed(request, locale, signed, error)
    return rights_page(
        request,
        locale,
        signed,
        outcome="rectified",
        outcome_params={"reference": body.reference, "field": field.value},
    )


@router.post(HERE + "/erase", response_class=HTMLResponse)
async def rights_erase(
    request: Request, signed: DataProtection, db: Session, settings: AppSettings
) -> Response:
    """Erase a case from every store, or say why it must be kept (a legal hold, a safeguarding basis);
    the refusal is audited too. Needs the confirmation box ticked."""
    locale = console.locale_of(request, None, signed)
    form = await console.checked_form(request, signed)
    if form is None:
        return console.problem(request, locale, signed, "console.error.csrf", 403)
    reference = form.get("reference", "").strip().upper()
    if not console.REFERENCE.match(reference) or form.get("confirm") != "yes":
        return failed(request, locale, signed, ValueError("reference"))
    try:
        outcome = await rights.erase(db, settings, signed.person.caller, reference)
    except (AppError, ValueError) as error:
        await db.rollback()
        return failed(request, locale, signed, error)
    if outcome.refused is not None:
        return rights_page(
            request,
            locale,
            signed,
            status=409,
            outcome="erase_refused",
            outcome_params={"reference": reference, "reason": outcome.refused},
        )
    # After the commit (which comes before the response is sent): the deleted pages leave SQLite's logs.
    response = rights_page(request, locale, signed, outcome="erased", outcome_params={"reference": reference})
    response.background = BackgroundTask(disposal.truncate_logs, settings)
    return response
