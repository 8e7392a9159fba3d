"""The agency referral form at /refer: sign in with an agency token, choose the journey, answer its
questions (generated from the flow's agency variant), attest consent, and get the reference.

HTML for people, not API operations: out of the OpenAPI document, but every route declares who may reach
it (`public("why")`, or `AgencyUser`, the form session's own `allow`), and the access tests walk them.
Every page carries the strict security headers (no inline script or style, no framing, no referrer, never
stored); every POST checks a CSRF token. It works without JavaScript (there is none).
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import InvalidRequestError

from api import deps
from api.agency_form import sessions
from api.agency_form.fields import form_questions
from api.agency_form.pages import STATIC_FILES, render, static_file
from api.agency_form.sessions import AgencyUser, FormSession, SignInRequired
from api.agency_form.submit import ATTEST_KEY, CONSENT_BY, SAFEGUARDING_KEY, FormErrors, submit
from api.auth import Caller, public
from api.deps import (
    AppSettings,
    AppVault,
    Session,
)
from api.flow.journeys import journeys
from api.i18n import Translator
from api.kit.models import utcnow
from api.principal.models import PrincipalKind
from api.referral.schemas import ReferrerRole
from api.web.security import html_page, secure

router = APIRouter(tags=["agency form"], include_in_schema=False)
Db = Session
Lang = Annotated[str | None, Query(max_length=16)]
SIGN_IN = public("the sign-in page of the agency form: pasting an agency token is how a session starts")
STATIC = public("the agency form's stylesheet: no data")
MAX_BODY = 256 * 1024
STATIC_CACHE = "public, max-age=31536000, immutable"
JOURNEY_ORDER = ("hate_crime", "asb", "domestic_abuse", "young_person", "perpetrator")


def translator_of(request: Request) -> Translator:
    return deps.translator_of(request)


def locale_of(request: Request, lang: str | None) -> str:
    translator = translator_of(request)
    return lang if lang in translator.locales else translator.default_locale


def caller_of(user: FormSession) -> Caller:
    return Caller(
        user.principal_id,
        PrincipalKind.agency,
        user.name,
        may_refer_without_consent=user.may_refer_without_consent,
    )


def redirect(url: str) -> Response:
    return secure(RedirectResponse(url, status_code=303))


def page(request: Request, locale: str, template: str, status: int = 200, **context: object) -> HTMLResponse:
    return html_page(render(translator_of(request), locale, template, **context), status)  # type: ignore[arg-type]


def problem(request: Request, locale: str, message_key: str, status: int) -> HTMLResponse:
    return page(
        request,
        locale,
        "problem.html",
        status,
        title_key="form.page.title_problem",
        language_action="/refer",
        message=translator_of(request).t(message_key, locale),
    )


async def read_form(request: Request) -> dict[str, str] | None:
    """An urlencoded body as a dict (first value of each name); None when it is not one or too large."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=300)
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return form


async def sign_in_redirect(request: Request, _exc: Exception) -> Response:
    """No live form session: to the sign-in page, in the page's language."""
    lang = locale_of(request, request.query_params.get("lang"))
    return redirect(f"/refer/sign-in?{urlencode({'lang': lang})}")


# --- signing in and out ---------------------------------------------------------------------------------


def sign_in_page(
    request: Request,
    locale: str,
    status: int = 200,
    problem_key: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    pre = secrets.token_urlsafe(32)
    store = sessions.store_of(request)
    t = translator_of(request)
    response = page(
        request,
        locale,
        "sign_in.html",
        status,
        title_key="form.sign_in.heading",
        language_action="/refer/sign-in",
        csrf=pre,
        problem=t.t(problem_key, locale) if problem_key else None,
        notice=t.t(notice, locale) if notice else None,
    )
    sessions.set_cookie(request, response, sessions.PRE_COOKIE, store.sign(pre), sessions.PRE_MAX_AGE)
    return response


@router.get("/refer/sign-in", response_class=HTMLResponse, dependencies=[SIGN_IN])
async def sign_in_form(request: Request, lang: Lang = None, signed_out: bool = False) -> HTMLResponse:
    notice = "form.sign_in.signed_out" if signed_out else None
    return sign_in_page(request, locale_of(request, lang), notice=notice)


@router.post("/refer/sign-in", dependencies=[SIGN_IN])
async def sign_in(request: Request, db: Db) -> Response:
    form = await read_form(request) or {}
    locale = locale_of(request, form.get("lang"))
    store = sessions.store_of(request)
    pre = store.unsign(request.cookies.get(sessions.PRE_COOKIE))
    if pre is None or not sessions.csrf_ok(pre, form.get("csrf_token")):
        return problem(request, locale, "form.error.csrf", 403)
    token = form.get("token", "").strip()
    principal = await sessions.agency_principal(db, token) if token and len(token) <= 200 else None
    if principal is None:
        return sign_in_page(request, locale, 401, "form.sign_in.bad_token")
    if principal.kind != PrincipalKind.agency:
        return sign_in_page(request, locale, 403, "form.sign_in.not_agency")
    opened = await store.open(db, principal.id, utcnow())
    response = redirect(f"/refer?{urlencode({'lang': locale})}")
    sessions.set_cookie(request, response, sessions.COOKIE, opened.cookie, store.policy.max_age)
    sessions.clear_cookie(request, response, sessions.PRE_COOKIE)
    return response


@router.post("/refer/sign-out")
async def sign_out(request: Request, user: AgencyUser, db: Db) -> Response:
    form = await read_form(request) or {}
    locale = locale_of(request, form.get("lang"))
    if not sessions.csrf_ok(user.csrf, form.get("csrf_token")):
        return problem(request, locale, "form.error.csrf", 403)
    await sessions.store_of(request).close(db, user.row)
    response = redirect(f"/refer/sign-in?{urlencode({'lang': locale, 'signed_out': 'true'})}")
    sessions.clear_cookie(request, response, sessions.COOKIE)
    return response


# --- the form ---------------------------------------------------------------------------------------------


def journey_ids() -> list[str]:
    available = journeys()
    return [j for j in JOURNEY_ORDER if j in available] + sorted(set(available) - set(JOURNEY_ORDER))


@router.get("/refer", response_class=HTMLResponse)
async def choose_journey(request: Request, user: AgencyUser, lang: Lang = None) -> HTMLResponse:
    return journeys_page(request, user, locale_of(request, lang))


def journeys_page(request: Request, user: FormSession, locale: str, missing: bool = False) -> HTMLResponse:
    return page(
        request,
        locale,
        "journeys.html",
        422 if missing else 200,
        title_key="form.page.title_journeys",
        language_action="/refer",
        user=user.name,
        csrf=user.csrf,
        journeys=journey_ids(),
        missing=missing,
        errors=None,
    )


def labels_for(translator: Translator, locale: str, journey: str) -> dict[str, str]:
    flow = journeys()[journey]
    labels = {q.name: translator.t(q.text_key, locale) for q in form_questions(flow)}
    for name in (
        "person_name",
        "person_email",
        "person_language",
        "referrer_name",
        "referrer_organisation",
        "referrer_role",
        "referrer_contact",
        "consent_by",
    ):
        labels[name] = translator.t(f"form.form.{name}", locale)
    labels["attest"] = translator.t(ATTEST_KEY, locale)
    labels["safeguarding"] = translator.t(SAFEGUARDING_KEY, locale)
    labels["journey"] = translator.t(f"form.journey.{journey}.title", locale)
    return labels


def short_label(label: str) -> str:
    """A question's first sentence, for the error summary ("When did it happen?")."""
    for index, char in enumerate(label):
        if char in "?.!؟۔।" and index > 0:
            return label[: index + 1]
    return label


def form_page(
    request: Request,
    user: FormSession,
    locale: str,
    journey: str,
    values: dict[str, str],
    errors: FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    translator = translator_of(request)
    labels = labels_for(translator, locale, journey)
    return page(
        request,
        locale,
        "form.html",
        status,
        title_key="form.page.title_form",
        language_action="/refer/form",
        language_keep=[("journey", journey)],
        user=user.name,
        csrf=user.csrf,
        journey=journey,
        journey_title=translator.t(f"form.journey.{journey}.title", locale),
        questions=form_questions(journeys()[journey]),
        labels=labels,
        summary_labels={name: short_label(label) for name, label in labels.items()},
        values=values,
        errors=errors or FormErrors(),
        nonce=secrets.token_urlsafe(16),
        roles=[r.value for r in ReferrerRole],
        consent_options=list(CONSENT_BY),
    )


@router.get("/refer/form", response_class=HTMLResponse)
async def referral_form(
    request: Request, user: AgencyUser, journey: Annotated[str, Query(max_length=48)] = "", lang: Lang = None
) -> HTMLResponse:
    locale = locale_of(request, lang)
    if journey not in journeys():
        return journeys_page(request, user, locale, missing=True)
    return form_page(request, user, locale, journey, {"person_language": locale})


@router.post("/refer/form", response_class=HTMLResponse)
async def send_referral(
    request: Request, user: AgencyUser, db: Db, settings: AppSettings, vault: AppVault
) -> Response:
    form = await read_form(request)
    locale = locale_of(request, (form or {}).get("lang"))
    if form is None or not sessions.csrf_ok(user.csrf, form.get("csrf_token")):
        return problem(request, locale, "form.error.csrf", 403)
    journey = form.get("journey", "")
    if journey not in journeys():
        return journeys_page(request, user, locale, missing=True)
    nonce = form.get("nonce", "")[:64]
    # Another api process may be handling the same submission (a double click): the session's row is
    # locked until this request commits, so the second sees the first's reference (PostgreSQL; SQLite's
    # write transactions are serial already).
    try:
        await db.refresh(user.row, with_for_update=True)
    except InvalidRequestError:  # signed out (the row deleted) since this request began
        raise SignInRequired() from None
    done = dict((user.row.data or {}).get("submitted") or {})
    if nonce and nonce in done:
        return redirect(f"/refer/done/{done[nonce]}?{urlencode({'lang': locale})}")
    outcome = await submit(
        db,
        vault,
        caller_of(user),
        journeys()[journey],
        form,
        translator_of(request),
        locale,
        settings.allow_fictional_phone_numbers,
    )
    if outcome.reference is None:
        values = {k: v for k, v in form.items() if k not in ("csrf_token", "nonce")}
        return form_page(request, user, locale, journey, values, outcome.errors, 422)
    if nonce:
        user.remember(nonce, outcome.reference)
    return redirect(f"/refer/done/{outcome.reference}?{urlencode({'lang': locale})}")


@router.get("/refer/done/{reference}", response_class=HTMLResponse)
async def referral_sent(
    request: Request, user: AgencyUser, reference: Annotated[str, Path(max_length=16)], lang: Lang = None
) -> HTMLResponse:
    locale = locale_of(request, lang)
    if reference not in user.submitted.values():
        return problem(request, locale, "form.error.not_found", 404)
    return page(
        request,
        locale,
        "done.html",
        title_key="form.page.title_done",
        language_action=f"/refer/done/{reference}",
        user=user.name,
        csrf=user.csrf,
        reference=reference,
    )


@router.get("/refer/static/{name}", dependencies=[STATIC])
async def form_static(request: Request, name: str) -> Response:
    if name not in STATIC_FILES:
        return problem(request, locale_of(request, None), "form.error.not_found", 404)
    content, media_type = static_file(name)
    return secure(Response(content, media_type=media_type), STATIC_CACHE)


__all__ = ["SignInRequired", "router", "sign_in_redirect"]
