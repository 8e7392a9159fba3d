"""The access matrix: every route, called as every kind of principal, against an explicit table.

`ROWS` is the specification. Each row is one request (a route with its path filled in, a body) and the
status each principal must get. A route of the app with no row fails `test_every_route_has_a_row`, so a
new route cannot ship without deciding who may call it. A case the caller may not see must be a 404
exactly like a case that does not exist (`TestIndistinguishable`).

Each (row, principal) runs against a fresh copy of one database holding a small world, built once per
module through the API: two hate crime cases from the bot (the first claimed by the hate crime
caseworker), an ASB case referred by the agency, a web chat conversation. Rasa is a fake: nothing reaches
a real bot.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.police_feed.endpoints import EXAMPLE as POLICE_FEED_EXAMPLE
from tests.api.agency_form.test_form_access import FORM_ROUTES
from tests.api.console.test_console_access import CONSOLE_ROUTES
from tests.api.routes import endpoints, public_reason
from tests.api.world import (
    AGENCY,
    ANON,
    ASB,
    BOT,
    DPO,
    HATE,
    PRINCIPALS,
    BuiltWorld,
    World,
    build_world_file,
    copy_world,
    referral_body,
    wake,
)
from tests.builders import bearer

MISSING_REFERENCE = "SR-ZZZZ-ZZZZ"
MISSING_ENTRY = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Raw:
    """A body that is not JSON."""

    content: bytes
    content_type: str


Body = Callable[[World, str], Any]
Prepare = Callable[[World, httpx.AsyncClient], Awaitable[None]]


@dataclass(frozen=True)
class Row:
    method: str
    route: str  # the path template exactly as the app declares it
    expect: dict[str, int]
    path: str = ""  # the concrete path, `{name}` filled from World.values; the route when empty
    body: Body | None = None
    prepare: Prepare | None = None
    name: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.path or self.route}" + (f" [{self.name}]" if self.name else "")


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PRINCIPALS, status)


def only(**allowed: int) -> dict[str, int]:
    """Anonymous 401, the named principals their status, every other principal 403."""
    named = {{"hate": HATE, "asb": ASB, "dpo": DPO}.get(k, k): v for k, v in allowed.items()}
    return {p: 401 if p == ANON else named.get(p, 403) for p in PRINCIPALS}


# --- request bodies -----------------------------------------------------------------------------------


def nlg_body(_world: World, _principal: str) -> dict[str, Any]:
    return {"response": "utter_session_help", "tracker": {"slots": {"language": "en"}}}


def triage_body(_world: World, _principal: str) -> dict[str, Any]:
    return {"incident_type": "hate", "hate_strands": ["race"], "consent": "given"}


def hold_body(_world: World, _principal: str) -> dict[str, Any]:
    return {"reason": "litigation"}


def chat_start_body(_world: World, _principal: str) -> dict[str, Any]:
    return {"language": "en"}


def chat_message_body(_world: World, _principal: str) -> dict[str, Any]:
    return {"text": "hello"}


def return_body(_world: World, _principal: str) -> dict[str, Any]:
    return {"reason": "wrong_service", "note": "Synthetic: outside the area"}


def close_body(_world: World, _principal: str) -> dict[str, Any]:
    return {"outcome": "supported"}


def withdraw_body(conversation: str) -> Body:
    """The bot names the conversation the consent was given in; the others' bodies name none."""

    def body(world: World, principal: str) -> dict[str, Any]:
        request: dict[str, Any] = {"reason": "person_request", "requested_by": "person"}
        if principal == BOT:
            request["conversation_id"] = world.values[conversation]
        return request

    return body


def urgent_body(conversation: str) -> Body:
    """The bot names the conversation its case came from; an admin names none."""

    def body(world: World, principal: str) -> dict[str, Any]:
        request: dict[str, Any] = {"reason": "danger_reported"}
        if principal == BOT:
            request["conversation_id"] = world.values[conversation]
        return request

    return body


def callback_body(conversation: str) -> Body:
    """A call-back time; the app of these tests is out of hours, so a caller allowed to ask gets 409."""

    def body(world: World, principal: str) -> dict[str, Any]:
        request: dict[str, Any] = {"window": "asap"}
        if principal == BOT:
            request["conversation_id"] = world.values[conversation]
        return request

    return body


def phone_check_body(conversation: str, **extra: str) -> Body:
    """A one-time code for the case of a conversation (only the bot may ask)."""

    def body(world: World, _principal: str) -> dict[str, Any]:
        return {"conversation_id": world.values[conversation], **extra}

    return body


def subject_body(**subject: str) -> Body:
    """A subject rights request naming a case of the world (`{hate_ref}`) or a literal value."""

    def body(world: World, _principal: str) -> dict[str, Any]:
        return {k: v.format(**world.values) for k, v in subject.items()}

    return body


def twilio_form(_world: World, _principal: str) -> Raw:
    """A form shaped like Twilio's, without its signature: whatever token comes with it, it is refused."""
    form = "MessageSid=SM" + "0" * 32 + "&MessageStatus=delivered&From=%2B447700900123&Body=hello"
    return Raw(form.encode(), "application/x-www-form-urlencoded")


def police_feed(_world: World, _principal: str) -> Raw:
    return Raw(POLICE_FEED_EXAMPLE.encode(), "text/csv")


async def accept_first_case(world: World, client: httpx.AsyncClient) -> None:
    path = "/v1/queues/hate_crime/cases/{hate_entry}/accept".format(**world.values)
    reply = await client.post(path, headers=world.headers(HATE))
    assert reply.status_code == 200, reply.text


# --- the table ----------------------------------------------------------------------------------------

ENTRY = "/v1/queues/{queue}/cases/{entry_id}"
ROWS: list[Row] = [
    Row("GET", "/healthz", everyone(200)),
    Row("GET", "/readyz", everyone(200)),
    Row("GET", "/metrics", only(admin=200)),
    Row("GET", "/chat", everyone(200), path="/chat?lang=en"),
    Row("GET", "/chat/static/{name}", everyone(200), path="/chat/static/chat.js"),
    Row("GET", "/chat/static/{name}", everyone(404), path="/chat/static/secrets.env", name="not a page file"),
    Row("POST", "/v1/chat/conversations", everyone(201), body=chat_start_body),
    Row(
        "POST",
        "/v1/chat/conversations/{conversation_id}/messages",
        everyone(200),
        path="/v1/chat/conversations/{conversation}/messages",
        body=chat_message_body,
    ),
    Row(
        "DELETE",
        "/v1/chat/conversations/{conversation_id}",
        everyone(204),
        path="/v1/chat/conversations/{conversation}",
    ),
    # Twilio's webhooks: the signature is the authentication, so no principal's token opens them.
    Row("POST", "/v1/channels/sms/inbound", everyone(403), body=twilio_form),
    Row("POST", "/v1/channels/sms/status", everyone(403), body=twilio_form),
    Row("POST", "/v1/nlg", only(bot=200), body=nlg_body),
    Row("POST", "/v1/referrals", only(bot=201, agency=201), body=referral_body),
    Row(
        "GET",
        "/v1/referrals/{reference}",
        only(admin=200, hate=200, asb=404, agency=404),
        path="/v1/referrals/{hate_ref}",
        name="bot's hate crime case",
    ),
    Row(
        "GET",
        "/v1/referrals/{reference}",
        only(admin=200, agency=200, asb=200, hate=404),
        path="/v1/referrals/{asb_ref}",
        name="agency's ASB case",
    ),
    Row(
        "GET",
        "/v1/referrals/{reference}",
        only(admin=404, agency=404, hate=404, asb=404),
        path=f"/v1/referrals/{MISSING_REFERENCE}",
        name="no such case",
    ),
    Row(
        "POST",
        "/v1/referrals/{reference}/urgent",
        only(bot=200, admin=200),
        path="/v1/referrals/{hate_2_ref}/urgent",
        body=urgent_body("hate_2_conversation"),
        name="the bot's own conversation",
    ),
    Row(
        "POST",
        "/v1/referrals/{reference}/urgent",
        only(bot=404, admin=200),
        path="/v1/referrals/{hate_2_ref}/urgent",
        body=urgent_body("hate_conversation"),
        name="the bot names another conversation",
    ),
    Row(
        "POST",
        "/v1/referrals/{reference}/urgent",
        only(bot=404, admin=404),
        path=f"/v1/referrals/{MISSING_REFERENCE}/urgent",
        body=urgent_body("hate_conversation"),
        name="no such case",
    ),
    Row(
        "POST",
        "/v1/referrals/{reference}/callback",
        only(bot=409, admin=409),
        path="/v1/referrals/{hate_2_ref}/callback",
        body=callback_body("hate_2_conversation"),
        name="the bot's own conversation, out of hours",
    ),
    Row(
        "POST",
        "/v1/referrals/{reference}/callback",
        only(bot=404, admin=409),
        path="/v1/referrals/{hate_2_ref}/callback",
        body=callback_body("hate_conversation"),
        name="the bot names another conversation",
    ),
    Row(
        "POST",
        "/v1/referrals/{reference}/phone-check",
        only(bot=200),
        path="/v1/referrals/{hate_2_ref}/phone-check",
        body=phone_check_body("hate_2_conversation"),
        name="the bot's own conversation: a code is sent",
    ),
    Row(
        "POST",
        "/v1/referrals/{reference}/phone-check",
        only(bot=404),
        path="/v1/referrals/{hate_2_ref}/phone-check",
        body=phone_check_body("hate_conversation"),
        name="the bot names another conversation",
    ),
    Row(
        "POST",
        "/v1/referrals/{reference}/phone-check/confirm",
        only(bot=404),
        path="/v1/referrals/{hate_2_ref}/phone-check/confirm",
        body=phone_check_body("hate_conversation", code="123456"),
        name="the bot names another conversation",
    ),
    Row("GET", "/v1/service/hours", everyone(200)),
    Row("GET", "/v1/queues/{queue}/cases", only(hate=200), path="/v1/queues/hate_crime/cases"),
    Row("GET", "/v1/queues/{queue}/cases", only(asb=200), path="/v1/queues/asb_mediation/cases"),
    Row("POST", "/v1/queues/{queue}/claim", only(hate=200), path="/v1/queues/hate_crime/claim"),
    Row("POST", "/v1/queues/{queue}/claim", only(asb=200), path="/v1/queues/asb_mediation/claim"),
    Row(
        "POST",
        ENTRY + "/accept",
        only(hate=200),
        path="/v1/queues/hate_crime/cases/{hate_entry}/accept",
    ),
    Row(
        "POST",
        ENTRY + "/accept",
        only(asb=404),
        path="/v1/queues/asb_mediation/cases/{hate_entry}/accept",
        name="another provider's entry through my queue",
    ),
    Row(
        "POST",
        ENTRY + "/extend-lease",
        only(hate=200),
        path="/v1/queues/hate_crime/cases/{hate_entry}/extend-lease",
    ),
    Row(
        "POST",
        ENTRY + "/extend-lease",
        only(asb=404),
        path="/v1/queues/asb_mediation/cases/{hate_entry}/extend-lease",
        name="another provider's entry through my queue",
    ),
    Row(
        "POST",
        ENTRY + "/return",
        only(hate=200),
        path="/v1/queues/hate_crime/cases/{hate_entry}/return",
        body=return_body,
    ),
    Row(
        "POST",
        ENTRY + "/return",
        only(asb=404),
        path="/v1/queues/asb_mediation/cases/{hate_entry}/return",
        body=return_body,
        name="another provider's entry through my queue",
    ),
    Row(
        "POST",
        ENTRY + "/close",
        only(hate=200),
        path="/v1/queues/hate_crime/cases/{hate_entry}/close",
        body=close_body,
        prepare=accept_first_case,
    ),
    Row(
        "POST",
        ENTRY + "/close",
        only(asb=404),
        path="/v1/queues/asb_mediation/cases/{hate_entry}/close",
        body=close_body,
        prepare=accept_first_case,
        name="another provider's entry through my queue",
    ),
    Row(
        "POST",
        "/v1/triage/evaluate",
        only(bot=200, agency=200, admin=200, hate=200, asb=200),
        body=triage_body,
    ),
    Row("GET", "/v1/admin/audit/verify", only(admin=200)),
    Row("GET", "/v1/admin/stats", only(admin=200)),
    Row(
        "PUT",
        "/v1/admin/retention/holds/{reference}",
        only(admin=200),
        path="/v1/admin/retention/holds/{hate_ref}",
        body=hold_body,
    ),
    Row(
        "POST",
        "/v1/admin/retention/holds/{reference}/release",
        only(admin=200),
        path="/v1/admin/retention/holds/{hate_ref}/release",
        body=hold_body,
    ),
    Row(
        "POST",
        "/v1/consents/{consent_id}/withdraw",
        only(bot=201, admin=201, agency=404),
        path="/v1/consents/{hate_consent}/withdraw",
        body=withdraw_body("hate_conversation"),
        name="given to the bot",
    ),
    Row(
        "POST",
        "/v1/consents/{consent_id}/withdraw",
        only(agency=201, admin=201, bot=404),
        path="/v1/consents/{asb_consent}/withdraw",
        body=withdraw_body("hate_conversation"),
        name="attested by the agency; the bot names another conversation",
    ),
    Row(
        "POST",
        "/v1/consents/{consent_id}/withdraw",
        only(bot=404, agency=404, admin=404),
        path=f"/v1/consents/{MISSING_ENTRY}/withdraw",
        body=withdraw_body("hate_conversation"),
        name="no such consent",
    ),
    Row("GET", "/v1/consents/{consent_id}", only(admin=200), path="/v1/consents/{hate_consent}"),
    Row(
        "GET",
        "/v1/consents/{consent_id}",
        only(admin=404),
        path=f"/v1/consents/{MISSING_ENTRY}",
        name="no such consent",
    ),
    Row("POST", "/v1/admin/police-feed", only(admin=200), body=police_feed),
    # Subject rights: the data-protection officer only (not an admin: separation of duties).
    Row("POST", "/v1/rights/find", only(dpo=200), body=subject_body(reference="{hate_ref}")),
    Row("POST", "/v1/rights/export", only(dpo=200), body=subject_body(reference="{hate_ref}")),
    Row(
        "POST",
        "/v1/rights/export",
        only(dpo=404),
        body=subject_body(reference=MISSING_REFERENCE),
        name="nothing held",
    ),
    Row(
        "POST",
        "/v1/rights/rectify",
        only(dpo=200),
        body=subject_body(reference="{hate_ref}", field="name", value="Synthetic Corrected"),
    ),
    Row("POST", "/v1/rights/erase", only(dpo=404), body=subject_body(reference=MISSING_REFERENCE)),
    # The returning person: the bot, for the conversation it names (its own case found by the api).
    Row(
        "POST",
        "/v1/conversations/{conversation_id}/consent-withdrawal",
        only(bot=200),
        path="/v1/conversations/{hate_2_conversation}/consent-withdrawal",
    ),
    Row(
        "POST",
        "/v1/conversations/{conversation_id}/urgent",
        only(bot=200),
        path="/v1/conversations/{hate_2_conversation}/urgent",
    ),
]


@pytest.fixture(scope="module")
def built_world(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltWorld:
    return build_world_file(template_db, tmp_path_factory.mktemp("world"))


@pytest.fixture
def database_url(built_world: BuiltWorld, tmp_path: Path) -> str:
    """Overrides conftest's: every test of this module starts from a copy of the built world."""
    return copy_world(built_world, tmp_path)


@pytest.fixture
async def world(app: FastAPI, built_world: BuiltWorld) -> World:
    await wake(app)
    return copy.deepcopy(built_world.world)


async def call(
    client: httpx.AsyncClient, world: World, row: Row, headers: dict[str, str], principal: str
) -> httpx.Response:
    """Make the row's request with these headers; the body is the one `principal` would send."""
    if row.prepare is not None:
        await row.prepare(world, client)
    path = (row.path or row.route).format(**world.values)
    body = row.body(world, principal) if row.body else None
    if isinstance(body, Raw):
        headers = {**headers, "Content-Type": body.content_type}
        return await client.request(row.method, path, content=body.content, headers=headers)
    return await client.request(row.method, path, json=body, headers=headers)


# --- the tests ----------------------------------------------------------------------------------------


class TestMatrix:
    def test_every_route_has_a_row(self, app: FastAPI) -> None:
        routes = {e.key for e in endpoints(app)}
        # The agency form's pages are reached with a form session, not a token: their rows are in
        # tests/api/agency_form/test_form_access.py; the console's (a console session of a person's
        # account) in tests/api/console/test_console_access.py.
        rows = {(row.method, row.route) for row in ROWS} | FORM_ROUTES | CONSOLE_ROUTES
        assert routes - rows == set(), "routes without a row in the access matrix: add one"
        assert rows - routes == set(), "rows for routes the app no longer has"

    def test_every_row_names_every_principal(self) -> None:
        for row in ROWS:
            assert set(row.expect) == set(PRINCIPALS), row.id

    @pytest.mark.parametrize("principal", PRINCIPALS)
    @pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
    async def test_status(self, world: World, client: httpx.AsyncClient, row: Row, principal: str) -> None:
        reply = await call(client, world, row, world.headers(principal), principal)
        assert reply.status_code == row.expect[principal], reply.text
        if reply.status_code >= 400:
            assert set(reply.json()) == {"error", "code", "detail"}
            assert reply.json()["code"] == reply.status_code


def protected_rows() -> list[Row]:
    """The first row of each route that needs a token."""
    by_route: dict[tuple[str, str], Row] = {}
    for row in ROWS:
        if row.expect[ANON] == 401:
            by_route.setdefault((row.method, row.route), row)
    return list(by_route.values())


class TestBadTokens:
    @pytest.mark.parametrize("row", protected_rows(), ids=lambda r: r.id)
    async def test_wrong_revoked_or_malformed_tokens_are_401(
        self, world: World, client: httpx.AsyncClient, row: Row
    ) -> None:
        attempts = {
            "wrong": bearer("srt_" + "x" * 43),
            "not bearer": {"Authorization": "Basic c3ludGhldGljOnVzZXI="},
            "empty bearer": {"Authorization": "Bearer "},
            **{f"revoked {kind}": bearer(token) for kind, token in world.revoked.items()},
        }
        if row.prepare is not None:
            await row.prepare(world, client)
        for attempt, headers in attempts.items():
            reply = await call(client, world, replace(row, prepare=None), headers, BOT)
            assert reply.status_code == 401, attempt
            assert reply.json()["error"] == "unauthenticated", attempt
            assert reply.headers["www-authenticate"] == "Bearer", attempt

    @pytest.mark.parametrize("row", [r for r in ROWS if r.expect[ANON] != 401], ids=lambda r: r.id)
    async def test_public_routes_ignore_tokens(
        self, app: FastAPI, world: World, client: httpx.AsyncClient, row: Row
    ) -> None:
        assert all(public_reason(e) for e in endpoints(app) if e.key == (row.method, row.route))
        reply = await call(client, world, row, bearer("srt_wrong"), ANON)
        assert reply.status_code == row.expect[ANON]


class TestIndistinguishable:
    """Another provider's case answers exactly as a case that does not exist: same status, same body."""

    async def test_a_referral_of_another_provider(self, world: World, client: httpx.AsyncClient) -> None:
        theirs = await client.get(
            "/v1/referrals/{hate_ref}".format(**world.values), headers=world.headers(ASB)
        )
        missing = await client.get(f"/v1/referrals/{MISSING_REFERENCE}", headers=world.headers(ASB))
        assert (theirs.status_code, theirs.content) == (missing.status_code, missing.content)
        assert theirs.status_code == 404

    @pytest.mark.parametrize("action", ["accept", "extend-lease"])
    async def test_a_queue_entry_of_another_provider(
        self, world: World, client: httpx.AsyncClient, action: str
    ) -> None:
        base = "/v1/queues/asb_mediation/cases"
        theirs = await client.post(
            f"{base}/{world.values['hate_entry']}/{action}", headers=world.headers(ASB)
        )
        missing = await client.post(f"{base}/{MISSING_ENTRY}/{action}", headers=world.headers(ASB))
        assert (theirs.status_code, theirs.content) == (missing.status_code, missing.content)
        assert theirs.status_code == 404

    async def test_a_consent_of_another_referrer(self, world: World, client: httpx.AsyncClient) -> None:
        body = {"reason": "person_request", "requested_by": "agency"}
        theirs = await client.post(
            "/v1/consents/{hate_consent}/withdraw".format(**world.values),
            json=body,
            headers=world.headers(AGENCY),
        )
        missing = await client.post(
            f"/v1/consents/{MISSING_ENTRY}/withdraw", json=body, headers=world.headers(AGENCY)
        )
        assert (theirs.status_code, theirs.content) == (missing.status_code, missing.content)
        assert theirs.status_code == 404
