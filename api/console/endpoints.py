"""The caseworker console at /console: server-rendered pages for people signed in as themselves.

HTML for people, not API operations: out of the OpenAPI document, but every route declares who may reach
it (`public("why")`, or a console session of named roles, `signed_in(...)`, whose `allowed_kinds` the
access tests read). Deny by default: a role not named gets a 403 page; no session, a redirect to sign-in;
a case outside the person's queues is a 404 exactly like a missing one. Every page carries the strict
security headers (no script at all, no inline style, no framing, no referrer, never stored); every POST
checks the session's CSRF token. The queue rules are api/queue's: the console calls the same service.

Pages: sign-in; my queues (alerts, cases in triage order with time left and badges, claim next); the case
(safe-contact plan first, decision in words, answers, consent purposes, notes and contact, actions; consent
asked at first contact for a `consent_to_seek` case, api/intake/first_contact.py); the team lead's triage
inbox (returned cases, re-routed by transfer or re-triaged with changed answers into a new decision version,
api/intake/retriage.py); search (reference, crime reference, phone through the blind index); accounts
(admin); subject rights (data protection, api/console/rights_pages.py).
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api import deps
from api.accounts import service as accounts
from api.accounts.models import Account, AccountRole
from api.alerts import service as alerts
from api.audit import service as audit
from api.auth import public
from api.consent.models import ConsentReceipt
from api.console import case_view, sessions
from api.console.agency_status import router as agency_status_router
from api.console.pages import STATIC_FILES, duration_words, render, static_file
from api.console.sessions import Admin, AnyPerson, CaseworkerOrLead, SignedIn, TeamLead
from api.deps import AppSettings, AppVault, Session
from api.errors import AppError
from api.i18n import Translator
from api.intake import contact_checks, first_contact, retriage
from api.kit.crypto import DecryptionError, Vault
from api.kit.models import utcnow
from api.principal.models import Principal
from api.queue import activity
from api.queue import service as queue_service
from api.queue.models import (
    AttemptOutcome,
    CloseOutcome,
    ContactChannel,
    EntryStatus,
    FirstContactOutcome,
    QueueEntry,
    ReturnReason,
)
from api.queue.schemas import ReturnToTriage
from api.referral import service as referral_service
from api.referral.models import Referral
from api.referral.schemas import GivenBy, Purpose
from api.triage.deadlines import LONDON
from api.triage.schemas import Flag, Queue
from api.web.page import language_name
from api.web.security import html_page, secure
from flowkit.phone import InvalidPhoneNumber, normalise

router = APIRouter(tags=["console"], include_in_schema=False)
SIGN_IN = public("the console's sign-in page: a username, password and TOTP code is how a session starts")
STATIC = public("the console's stylesheet: no data")
STATIC_CACHE = "public, max-age=31536000, immutable"
MAX_BODY = 64 * 1024
Lang = Annotated[str | None, Query(max_length=16)]
REFERENCE = re.compile(r"^SR-[2-9A-Z]{4}-[2-9A-Z]{4}$")
HOLDING = (EntryStatus.claimed, EntryStatus.accepted)


# --- plumbing -------------------------------------------------------------------------------------------


def translator_of(request: Request) -> Translator:
    return deps.translator_of(request)


def locale_of(request: Request, lang: str | None, signed: SignedIn | None = None) -> str:
    """The page's language: `?lang=` (remembered in the session), else the session's, else the default."""
    translator = translator_of(request)
    if lang in translator.locales:
        if signed is not None:
            signed.session.locale = lang
        return str(lang)
    if signed is not None and signed.session.locale in translator.locales:
        return str(signed.session.locale)
    return translator.default_locale


def redirect(url: str) -> Response:
    return secure(RedirectResponse(url, status_code=303))


def page(
    request: Request,
    locale: str,
    template: str,
    title_key: str,
    *,
    signed: SignedIn | None,
    status: int = 200,
    here: str = "/console",
    csrf: str | None = None,
    **context: Any,
) -> HTMLResponse:
    translator = translator_of(request)
    html = render(
        translator,
        locale,
        template,
        title=translator.t(title_key, locale, **context.pop("title_params", {})),
        here=here,
        person=signed.person if signed else None,
        csrf=csrf if csrf is not None else signed.csrf if signed else "",
        **context,
    )
    return html_page(html, status)


def problem(
    request: Request, locale: str, signed: SignedIn | None, message_key: str, status: int
) -> HTMLResponse:
    return page(request, locale, "problem.html", message_key, signed=signed, status=status)


async def read_form(request: Request) -> list[tuple[str, str]] | None:
    """An urlencoded body as (name, value) pairs; None when it is not one or too large."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=100)


def first(pairs: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in pairs if k == name), "")


async def checked_form(request: Request, signed: SignedIn) -> dict[str, str] | None:
    pairs = await read_form(request)
    if pairs is None or not sessions.csrf_ok(signed.csrf, first(pairs, "csrf_token")):
        return None
    return {k: v for k, v in reversed(pairs)}


async def sign_in_redirect(request: Request, _exc: Exception) -> Response:
    return redirect("/console/sign-in")


async def forbidden_page(request: Request, exc: Exception) -> Response:
    signed = exc.signed if isinstance(exc, sessions.ConsoleForbidden) else None
    locale = locale_of(request, request.query_params.get("lang"), signed)
    return problem(request, locale, signed, "console.error.forbidden", 403)


ERROR_PAGES: dict[str, tuple[str, int]] = {
    "case_not_found": ("console.error.not_found", 404),
    "queue_forbidden": ("console.error.not_found", 404),
    "queue_empty": ("console.error.queue_empty", 404),
    "consent_giver_invalid": ("console.consent.giver_invalid", 422),
    "consent_not_sought": ("console.consent.not_sought", 409),
    "retriage_unchanged": ("console.retriage.unchanged", 422),
    "retriage_not_routable": ("console.retriage.not_routable", 409),
}


def app_error_page(request: Request, locale: str, signed: SignedIn, error: AppError) -> HTMLResponse:
    key, status = ERROR_PAGES.get(error.error, ("console.error.conflict", 409))
    return problem(request, locale, signed, key, status)


# --- sign in and out ------------------------------------------------------------------------------------


def sign_in_page(
    request: Request,
    locale: str,
    status: int = 200,
    problem_key: str | None = None,
    notice_key: str | None = None,
) -> HTMLResponse:
    """The sign-in form, with a fresh double-submit CSRF value (cookie and hidden field)."""
    pre = secrets.token_urlsafe(32)
    store = sessions.store_of(request)
    t = translator_of(request)
    response = page(
        request,
        locale,
        "sign_in.html",
        "console.sign_in.heading",
        signed=None,
        status=status,
        here="/console/sign-in",
        csrf=pre,
        problem=t.t(problem_key, locale) if problem_key else None,
        notice=t.t(notice_key, locale) if notice_key else None,
    )
    sessions.set_cookie(request, response, sessions.PRE_COOKIE, store.sign(pre), sessions.PRE_MAX_AGE)
    return response


@router.get("/console/sign-in", response_class=HTMLResponse, dependencies=[SIGN_IN])
async def sign_in_form(request: Request, lang: Lang = None, signed_out: bool = False) -> HTMLResponse:
    return sign_in_page(
        request, locale_of(request, lang), notice_key="console.sign_in.signed_out" if signed_out else None
    )


def landing(role: AccountRole) -> str:
    if role == AccountRole.data_protection:
        return "/console/rights"
    return "/console/admin/accounts" if role == AccountRole.admin else "/console"


@router.post("/console/sign-in", dependencies=[SIGN_IN])
async def sign_in(request: Request, db: Session, vault: AppVault) -> Response:
    pairs = await read_form(request) or []
    locale = locale_of(request, first(pairs, "lang"))
    store = sessions.store_of(request)
    pre = store.unsign(request.cookies.get(sessions.PRE_COOKIE))
    if pre is None or not sessions.csrf_ok(pre, first(pairs, "csrf_token")):
        return problem(request, locale, None, "console.error.csrf", 403)
    username, password, code = (
        first(pairs, "username")[:64],
        first(pairs, "password")[:200],
        first(pairs, "code")[:8],
    )
    result, person = await accounts.sign_in(db, vault, username, password, code, utcnow())
    if result != accounts.SignInResult.ok or person is None:
        return sign_in_page(request, locale, 401, "console.sign_in.refused")
    opened = await store.open(db, person.account_id, utcnow(), {"locale": locale})
    response = redirect(landing(person.role))
    sessions.set_cookie(request, response, sessions.COOKIE, opened.cookie, store.policy.max_age)
    sessions.clear_cookie(request, response, sessions.PRE_COOKIE)
    return response


@router.post("/console/sign-out")
async def sign_out(request: Request, signed: AnyPerson, db: Session) -> Response:
    if await checked_form(request, signed) is None:
        return problem(request, locale_of(request, None, signed), signed, "console.error.csrf", 403)
    locale = locale_of(request, None, signed)
    await sessions.store_of(request).close(db, signed.session)
    response = redirect(f"/console/sign-in?{urlencode({'lang': locale, 'signed_out': 'true'})}")
    sessions.clear_cookie(request, response, sessions.COOKIE)
    return response


# --- my queues ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    kind: str
    text: str


@dataclass(frozen=True)
class Row:
    entry_id: uuid.UUID
    reference: str
    queue: str
    status: str
    time_left: str | None
    overdue: bool
    badges: list[Badge]
    reason: str | None = None


def badges(translator: Translator, locale: str, referral: Referral) -> list[Badge]:
    def t(key: str, **params: Any) -> str:
        return translator.t(f"console.badge.{key}", locale, **params)

    flags = set(referral.flags or [])
    shown = []
    if referral.emergency:
        shown.append(Badge("emergency", t("emergency")))
    if Flag.SAFEGUARDING.value in flags:
        shown.append(Badge("safeguarding", t("safeguarding")))
    if Flag.CHILD.value in flags:
        shown.append(Badge("child", t("child")))
    if referral.callback_from is not None:
        shown.append(Badge("callback", t("callback")))
    if Flag.CONSENT_TO_SEEK.value in flags:
        shown.append(Badge("consent", t("consent_to_seek")))
    if referral.language != translator.default_locale:
        shown.append(Badge("language", t("language", language=language_name(referral.language))))
    return shown


def row_of(translator: Translator, locale: str, entry: QueueEntry, referral: Referral, now: datetime) -> Row:
    left = None if entry.deadline is None else entry.deadline - now
    reason, _ = queue_service.decode_return(entry.return_reason)
    return Row(
        entry.id,
        referral.reference,
        str(entry.queue),
        str(entry.status),
        None if left is None else duration_words(left, translator, locale),
        left is not None and left < timedelta(0),
        badges(translator, locale, referral),
        str(reason) if reason else None,
    )


@dataclass(frozen=True)
class QueueView:
    name: str
    rows: list[Row]


@router.get("/console", response_class=HTMLResponse)
async def home(request: Request, signed: CaseworkerOrLead, db: Session, lang: Lang = None) -> HTMLResponse:
    locale = locale_of(request, lang, signed)
    translator = translator_of(request)
    now = utcnow()
    caller = signed.person.caller
    queues = []
    for queue in sorted(caller.queues, key=lambda q: list(Queue).index(Queue(q))):
        rows = await queue_service.open_entries(db, queue, 100)
        queues.append(QueueView(queue, [row_of(translator, locale, e, r, now) for e, r in rows]))
    await audit.record(
        db, caller, "console.queues", None, f"queues={len(queues)} items={sum(len(q.rows) for q in queues)}"
    )
    shown_alerts = await alerts.for_queues(db, caller.queues)
    return page(
        request,
        locale,
        "home.html",
        "console.home.heading",
        signed=signed,
        queues=queues,
        alerts=shown_alerts,
    )


@router.post("/console/queues/{queue}/claim")
async def claim(
    request: Request,
    queue: Queue,
    signed: CaseworkerOrLead,
    db: Session,
    vault: AppVault,
    settings: AppSettings,
) -> Response:
    locale = locale_of(request, None, signed)
    if await checked_form(request, signed) is None:
        return problem(request, locale, signed, "console.error.csrf", 403)
    try:
        claimed = await queue_service.claim(
            db, vault, signed.person.caller, queue, settings.queue_lease_seconds
        )
    except AppError as error:
        return app_error_page(request, locale, signed, error)
    return redirect(f"/console/cases/{claimed.entry_id}")


# --- the case -------------------------------------------------------------------------------------------


async def entry_of(
    db: AsyncSession, signed: SignedIn, entry_id: uuid.UUID
) -> tuple[QueueEntry, Referral] | None:
    return await queue_service.entry_in(db, entry_id, signed.person.caller.queues)


def may_read(signed: SignedIn, entry: QueueEntry) -> bool:
    """Personal data is shown to the caseworker holding the case, and to a team lead re-routing it."""
    if EntryStatus(entry.status) in HOLDING and entry.claimed_by == signed.person.principal_id:
        return True
    return signed.person.role == AccountRole.team_lead and EntryStatus(entry.status) == EntryStatus.returned


def actions_for(signed: SignedIn, entry: QueueEntry) -> list[str]:
    status = EntryStatus(entry.status)
    mine = entry.claimed_by == signed.person.principal_id and status in HOLDING
    if status == EntryStatus.returned and signed.person.role == AccountRole.team_lead:
        return ["transfer"]
    if not mine or queue_lease_lapsed(entry):
        return []
    shown = ["accept"] if status == EntryStatus.claimed else ["close"]
    if entry.first_contact_at is None:
        shown.append("first_contact")
    return [*shown, "attempt", "note", "transfer", "return"]


def queue_lease_lapsed(entry: QueueEntry) -> bool:
    return queue_service.lease_lapsed(entry, utcnow())


async def purposes_of(db: AsyncSession, referral: Referral) -> list[str]:
    receipt = await db.get(ConsentReceipt, referral.consent_receipt_id)
    return list(receipt.purposes) if receipt is not None else []


async def consent_at_first_contact(
    db: AsyncSession, referral: Referral, shown: list[activity.ShownActivity]
) -> activity.ShownActivity | None:
    """The first contact at which the case's consent was recorded, when it was (its receipt's source)."""
    receipt = await db.get(ConsentReceipt, referral.consent_receipt_id)
    if receipt is None or receipt.channel != first_contact.CHANNEL:
        return None
    return next((a for a in shown if a.kind == "first_contact" and a.consent_given), None)


@router.get("/console/cases/{entry_id}", response_class=HTMLResponse)
async def case_page(
    request: Request,
    entry_id: uuid.UUID,
    signed: CaseworkerOrLead,
    db: Session,
    vault: AppVault,
    lang: Lang = None,
) -> HTMLResponse:
    locale = locale_of(request, lang, signed)
    return await render_case(request, locale, signed, db, vault, entry_id)


async def render_case(
    request: Request,
    locale: str,
    signed: SignedIn,
    db: AsyncSession,
    vault: Vault,
    entry_id: uuid.UUID,
    status: int = 200,
) -> HTMLResponse:
    found = await entry_of(db, signed, entry_id)
    if found is None:
        return problem(request, locale, signed, "console.error.not_found", 404)
    entry, referral = found
    translator = translator_of(request)
    view = None
    shown_activity: list[activity.ShownActivity] = []
    consent_source: activity.ShownActivity | None = None
    shown_decisions: list[DecisionRow] = []
    retriage_form: list[RetriageField] = []
    warnings: list[str] = []
    phone_source: str | None = None
    if may_read(signed, entry):
        try:
            detail = referral_service.detail(vault, referral)
            decision = referral_service.decision_of(vault, referral)
        except DecryptionError:
            return problem(request, locale, signed, "console.error.not_found", 404)
        view = case_view.build(
            person=detail.person or {},
            answers_=detail.answers or {},
            decision=decision,
            purposes=await purposes_of(db, referral),
            callback=(referral.callback_from, referral.callback_until),
            translator=translator,
            locale=locale,
        )
        shown_activity = await activity.of_referral(db, vault, referral.id)
        consent_source = await consent_at_first_contact(db, referral, shown_activity)
        try:
            made = await referral_service.decisions(db, vault, referral)
        except DecryptionError:
            return problem(request, locale, signed, "console.error.not_found", 404)
        shown_decisions = await decision_rows(db, made, translator, locale)
        retriage_form = retriage_form_of(signed, entry, made[-1].triage_input)
        # Before first contact: the number's provenance, other cases' use of it, a shared household (the
        # newest triage input: a re-triage may have changed who did it).
        person = {**(detail.person or {}), contact_checks.PROVENANCE: detail.contact_provenance}
        checks = await contact_checks.check(db, referral, person, made[-1].triage_input)
        warnings, phone_source = checks.warnings, checks.phone_source
        await audit.record(db, signed.person.caller, "console.case_read", referral.id, f"entry={entry.id}")
    status_now = EntryStatus(entry.status)
    held_by_other = status_now in HOLDING and entry.claimed_by != signed.person.principal_id
    return page(
        request,
        locale,
        "case.html",
        "console.case.heading",
        signed=signed,
        status=status,
        here=f"/console/cases/{entry.id}",
        title_params={"reference": referral.reference},
        entry=entry,
        referral=referral,
        view=view,
        warnings=warnings,
        phone_source=phone_source,
        activity=shown_activity,
        badges=badges(translator, locale, referral),
        held_until=entry.lease_expires_at
        if status_now == EntryStatus.claimed and not held_by_other
        else None,
        held_by_other=held_by_other,
        deadline_met=entry.deadline is None
        or (entry.first_contact_at is not None and entry.first_contact_at <= entry.deadline),
        actions=actions_for(signed, entry),
        consent_to_seek=first_contact.seeks_consent(referral),
        consent_source=consent_source,
        decisions=shown_decisions,
        retriage=retriage_form,
        consent_purposes=[p.value for p in Purpose],
        consent_givers=[g.value for g in CONSENT_GIVERS],
        now=utcnow(),
        channels=[c.value for c in ContactChannel],
        attempt_outcomes=[o.value for o in AttemptOutcome],
        first_outcomes=[o.value for o in FirstContactOutcome],
        close_outcomes=[o.value for o in CloseOutcome if o != CloseOutcome.consent_declined],
        return_reasons=[r.value for r in ReturnReason],
        targets=[q.value for q in Queue if q.value != entry.queue],
    )


def parse_london(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=LONDON) if moment.tzinfo is None else moment


ACTIONS = ("accept", "note", "attempt", "first-contact", "return", "transfer", "close")


async def act(
    request: Request, action: str, entry_id: uuid.UUID, signed: SignedIn, db: AsyncSession, vault: Vault
) -> Response:
    """One action on a case the person may act on; the queue service decides and audits."""
    locale = locale_of(request, None, signed)
    form = await checked_form(request, signed)
    if form is None:
        return problem(request, locale, signed, "console.error.csrf", 403)
    found = await entry_of(db, signed, entry_id)
    if found is None:
        return problem(request, locale, signed, "console.error.not_found", 404)
    entry, _referral = found
    caller = signed.person.caller
    queue = Queue(entry.queue)
    after = f"/console/cases/{entry.id}"
    try:
        if action == "accept":
            await queue_service.accept(db, caller, queue, entry.id)
        elif action == "close":
            await queue_service.close(db, caller, queue, entry.id, CloseOutcome(form.get("outcome", "")))
            after = "/console"
        elif action in ("return", "transfer"):
            request_ = ReturnToTriage(
                reason=ReturnReason(form.get("reason", "")), note=form.get("note") or None
            )
            if action == "return":
                await queue_service.return_to_triage(db, caller, queue, entry.id, request_)
            else:
                moved = await queue_service.transfer(
                    db,
                    caller,
                    queue,
                    entry.id,
                    Queue(form.get("target", "")),
                    request_,
                    may_reroute=signed.person.role == AccountRole.team_lead,
                )
                after = f"/console/cases/{moved.id}" if moved.queue in caller.queues else "/console"
            if action == "return" or after == "/console":
                after = "/console/inbox" if signed.person.role == AccountRole.team_lead else "/console"
        else:
            locked = await queue_service.entry_for_update(db, queue, entry.id)
            assert locked is not None
            if queue_service.lease_lapsed(locked, utcnow()):
                return problem(request, locale, signed, "console.error.conflict", 409)
            if action == "note":
                await activity.add_note(db, vault, caller, locked, form.get("text", ""))
            elif action == "attempt":
                await activity.record_attempt(
                    db,
                    vault,
                    caller,
                    locked,
                    ContactChannel(form.get("channel", "")),
                    AttemptOutcome(form.get("outcome", "")),
                    form.get("text"),
                )
            else:
                at = parse_london(form.get("at", ""))
                if at is None or form.get("identity_checked") != "yes":
                    return problem(request, locale, signed, "console.error.invalid", 422)
                consent = None
                if first_contact.seeks_consent(_referral):
                    answer = form.get("consent", "")
                    if answer not in ("agreed", "declined"):
                        return problem(request, locale, signed, "console.error.invalid", 422)
                    consent = answer == "agreed"
                channel = ContactChannel(form.get("channel", ""))
                outcome = FirstContactOutcome(form.get("outcome", ""))
                try:
                    if consent is True:  # checked and stored first: a refusal leaves nothing behind
                        await record_consent(request, form, signed, db, vault, _referral, at)
                    await activity.record_first_contact(
                        db,
                        vault,
                        caller,
                        locked,
                        at=at,
                        channel=channel,
                        outcome=outcome,
                        identity_checked=True,
                        consent_given=consent,
                        text=form.get("text"),
                    )
                    if consent is False:
                        await first_contact.decline(db, caller, _referral, queue, entry.id, utcnow())
                        after = "/console"
                except (AppError, ValueError):
                    await db.rollback()  # nothing of a refused first contact is kept
                    raise
    except AppError as error:
        return app_error_page(request, locale, signed, error)
    except (ValueError, ValidationError):
        return problem(request, locale, signed, "console.error.invalid", 422)
    return redirect(after)


# Who may give consent at first contact (api/consent/giver.py decides against the person's age).
CONSENT_GIVERS = (GivenBy.person, GivenBy.young_person_gillick, GivenBy.parent_guardian)
CONSENT_SCRIPT = "console.consent.script"


async def record_consent(
    request: Request,
    form: dict[str, str],
    signed: SignedIn,
    db: AsyncSession,
    vault: Vault,
    referral: Referral,
    at: datetime,
) -> None:
    """The person agreed at first contact: what to, who gave it, and the words read out in their language."""
    translator = translator_of(request)
    language = form.get("consent_language", "")
    if language not in translator.locales:
        raise ValueError("consent language")
    given_by = GivenBy(form.get("given_by", ""))
    if given_by not in CONSENT_GIVERS:
        raise ValueError("consent giver")
    await first_contact.record_consent(
        db,
        vault,
        signed.person.caller,
        referral,
        purposes=[p for p in Purpose if form.get(f"purpose_{p.value}") == "yes"],
        given_by=given_by,
        wording=first_contact.Wording(CONSENT_SCRIPT, language, translator.t(CONSENT_SCRIPT, language)),
        at=min(at, utcnow()),
        recorded_by=signed.person.name,
    )


def _action_route(action: str) -> None:
    async def endpoint(
        request: Request, entry_id: uuid.UUID, signed: CaseworkerOrLead, db: Session, vault: AppVault
    ) -> Response:
        return await act(request, action, entry_id, signed, db, vault)

    endpoint.__name__ = f"case_{action.replace('-', '_')}"
    router.add_api_route(f"/console/cases/{{entry_id}}/{action}", endpoint, methods=["POST"])


for _action in ACTIONS:
    _action_route(_action)


# --- the team lead's triage inbox -----------------------------------------------------------------------


@router.get("/console/inbox", response_class=HTMLResponse)
async def inbox(request: Request, signed: TeamLead, db: Session, lang: Lang = None) -> HTMLResponse:
    locale = locale_of(request, lang, signed)
    translator = translator_of(request)
    now = utcnow()
    rows = await queue_service.returned_entries(db, signed.person.caller.queues, 100)
    await audit.record(db, signed.person.caller, "console.inbox", None, f"items={len(rows)}")
    return page(
        request,
        locale,
        "inbox.html",
        "console.inbox.heading",
        signed=signed,
        here="/console/inbox",
        rows=[row_of(translator, locale, e, r, now) for e, r in rows],
    )


# --- versioned re-triage (the team lead's inbox) --------------------------------------------------------


@dataclass(frozen=True)
class DecisionRow:
    """One triage decision of the case, in words: who made it, when, why, where it sent the case."""

    version: int
    at: datetime
    by: str | None  # None: triage when the case arrived
    reason: str | None
    changed: list[str]
    queue: str | None
    priority: str
    reasons: list[str]


async def decision_rows(
    db: AsyncSession, made: list[referral_service.ShownDecision], translator: Translator, locale: str
) -> list[DecisionRow]:
    """Every decision of the case in words, oldest first (the first as triage made it, then each
    re-triage)."""
    rows = []
    for shown in made:
        author = await db.get(Principal, shown.decided_by) if shown.decided_by else None
        rows.append(
            DecisionRow(
                shown.version,
                shown.decided_at,
                author.name if author else None,
                translator.t(f"console.return_reason.{shown.reason}", locale) if shown.reason else None,
                [translator.t(f"console.retriage.field.{name}", locale) for name in shown.changed],
                shown.queue,
                shown.priority,
                [translator.t(r["key"], locale) for r in shown.decision.get("reasons", []) if "key" in r],
            )
        )
    return rows


@dataclass(frozen=True)
class RetriageField:
    name: str
    kind: str
    values: tuple[str, ...]
    current: Any


def retriage_form_of(signed: SignedIn, entry: QueueEntry, current: dict[str, Any]) -> list[RetriageField]:
    """The answers a team lead may change on a returned case: those its return reason concerns, filled
    in from the case's newest triage input."""
    if signed.person.role != AccountRole.team_lead or EntryStatus(entry.status) != EntryStatus.returned:
        return []
    return [
        RetriageField(f.name, str(f.kind), f.values, current.get(f.name))
        for f in retriage.fields_for(entry.return_reason)
    ]


@router.post("/console/cases/{entry_id}/retriage")
async def case_retriage(
    request: Request, entry_id: uuid.UUID, signed: TeamLead, db: Session, vault: AppVault
) -> Response:
    """Re-triage a returned case with changed answers: a new decision version, the case in its queue."""
    locale = locale_of(request, None, signed)
    form = await checked_form(request, signed)
    if form is None:
        return problem(request, locale, signed, "console.error.csrf", 403)
    found = await entry_of(db, signed, entry_id)
    if found is None:
        return problem(request, locale, signed, "console.error.not_found", 404)
    entry, _referral = found
    try:
        answers = retriage.parse(retriage.fields_for(entry.return_reason), form)
        moved = await retriage.retriage(db, vault, signed.person.caller, entry.id, answers, utcnow())
    except AppError as error:
        await db.rollback()
        return app_error_page(request, locale, signed, error)
    except ValueError:
        await db.rollback()
        return problem(request, locale, signed, "console.error.invalid", 422)
    if moved.queue in signed.person.caller.queues:
        return redirect(f"/console/cases/{moved.id}")
    return redirect("/console/inbox")


# --- search ---------------------------------------------------------------------------------------------


@router.get("/console/search", response_class=HTMLResponse)
async def search(
    request: Request,
    signed: CaseworkerOrLead,
    db: Session,
    vault: AppVault,
    settings: AppSettings,
    q: Annotated[str, Query(max_length=64)] = "",
    lang: Lang = None,
) -> HTMLResponse:
    """By case reference, crime reference or phone number, each through its exact value or blind index:
    never by name, never a partial match. Only entries in the person's queues are shown."""
    locale = locale_of(request, lang, signed)
    translator = translator_of(request)
    query = q.strip()
    rows: list[Row] = []
    if query:
        reference = query.upper() if REFERENCE.match(query.upper()) else None
        try:
            phone = vault.index.of("phone", normalise(query, settings.allow_fictional_phone_numbers))
        except InvalidPhoneNumber:
            phone = None
        crime = referral_service.external_ref_index(vault, query)
        found = await queue_service.search(
            db, signed.person.caller.queues, reference=reference, phone_index=phone, external_ref_index=crime
        )
        now = utcnow()
        rows = [row_of(translator, locale, e, r, now) for e, r in found]
        # The query itself may be personal (a phone number): the audit keeps only what kind it was.
        kind = "reference" if reference else "phone" if phone else "other"
        await audit.record(
            db, signed.person.caller, "console.search", None, f"kind={kind} results={len(rows)}"
        )
    return page(
        request,
        locale,
        "search.html",
        "console.search.heading",
        signed=signed,
        here="/console/search",
        query=query,
        rows=rows,
    )


# --- accounts (admin) -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRow:
    id: uuid.UUID
    username: str
    name: str
    role: str
    queues: list[str]
    state: str


async def accounts_page(
    request: Request,
    locale: str,
    signed: SignedIn,
    db: AsyncSession,
    issued: accounts.Issued | None = None,
    status: int = 200,
) -> HTMLResponse:
    now = utcnow()
    rows = [
        AccountRow(
            a.id,
            a.username,
            p.name,
            str(a.role),
            list(p.queues or []),
            "disabled"
            if a.disabled_at
            else "locked"
            if a.locked_until and a.locked_until > now
            else "active",
        )
        for a, p in await accounts.listing(db)
    ]
    return page(
        request,
        locale,
        "accounts.html",
        "console.admin.heading",
        signed=signed,
        status=status,
        here="/console/admin/accounts",
        rows=rows,
        issued=issued,
        roles=[r.value for r in AccountRole],
        all_queues=[q.value for q in Queue],
    )


@router.get("/console/admin/accounts", response_class=HTMLResponse)
async def accounts_list(request: Request, signed: Admin, db: Session, lang: Lang = None) -> HTMLResponse:
    return await accounts_page(request, locale_of(request, lang, signed), signed, db)


@router.post("/console/admin/accounts", response_class=HTMLResponse)
async def account_create(request: Request, signed: Admin, db: Session, vault: AppVault) -> Response:
    locale = locale_of(request, None, signed)
    pairs = await read_form(request)
    if pairs is None or not sessions.csrf_ok(signed.csrf, first(pairs, "csrf_token")):
        return problem(request, locale, signed, "console.error.csrf", 403)
    try:
        role = AccountRole(first(pairs, "role"))
        queues = [Queue(v).value for k, v in pairs if k == "queue"]
        if role in (AccountRole.caseworker, AccountRole.team_lead) and not queues:
            raise ValueError("queues needed")
        issued = await accounts.create(
            db,
            vault,
            signed.person.caller,
            username=first(pairs, "username"),
            name=first(pairs, "name"),
            role=role,
            queues=queues,
        )
    except ValueError:
        return problem(request, locale, signed, "console.error.invalid", 422)
    return await accounts_page(request, locale, signed, db, issued, 201)


async def _account_change(
    request: Request, signed: SignedIn, db: AsyncSession, vault: Vault, account_id: uuid.UUID, reset: bool
) -> Response:
    locale = locale_of(request, None, signed)
    if await checked_form(request, signed) is None:
        return problem(request, locale, signed, "console.error.csrf", 403)
    account = await db.get(Account, account_id)
    if account is None:
        return problem(request, locale, signed, "console.error.not_found", 404)
    if reset:
        issued = await accounts.reset(db, vault, signed.person.caller, account)
        await sessions.store_of(request).close_subject(db, account.id)
        return await accounts_page(request, locale, signed, db, issued)
    await accounts.disable(db, signed.person.caller, account, utcnow())
    await sessions.store_of(request).close_subject(db, account.id)
    return redirect("/console/admin/accounts")


@router.post("/console/admin/accounts/{account_id}/disable")
async def account_disable(
    request: Request, account_id: uuid.UUID, signed: Admin, db: Session, vault: AppVault
) -> Response:
    return await _account_change(request, signed, db, vault, account_id, reset=False)


@router.post("/console/admin/accounts/{account_id}/reset", response_class=HTMLResponse)
async def account_reset(
    request: Request, account_id: uuid.UUID, signed: Admin, db: Session, vault: AppVault
) -> Response:
    return await _account_change(request, signed, db, vault, account_id, reset=True)


# --- static ---------------------------------------------------------------------------------------------


@router.get("/console/static/{name}", dependencies=[STATIC])
async def console_static(request: Request, name: str) -> Response:
    if name not in STATIC_FILES:
        return problem(request, locale_of(request, None), None, "console.error.not_found", 404)
    content, media_type = static_file(name)
    return secure(Response(content, media_type=media_type), STATIC_CACHE)


def install(app: FastAPI) -> None:
    """The console's routes and the two answers of its session rule (sign in; not for your role)."""
    # The team and data-protection pages use this module's page helpers, so they are imported here.
    from api.console.rights_pages import router as rights_router
    from api.console.team import router as team_router

    app.include_router(router)
    app.include_router(team_router)
    app.include_router(agency_status_router)
    app.include_router(rights_router)
    app.add_exception_handler(sessions.ConsoleSignInRequired, sign_in_redirect)
    app.add_exception_handler(sessions.ConsoleForbidden, forbidden_page)
