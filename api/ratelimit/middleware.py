"""The rate-limit middleware: pure ASGI, before any body is read or any route runs.

Routes are matched by method and path; each has its rule and its key (the client address, or the
conversation in the path). Over the limit: `429 rate_limited` with `Retry-After`, in the usual error shape
and the caller's language; for pages a person sees in a browser (the /refer form), an HTML page instead.
The SMS webhook is limited in its route, after the signature check (api/sms/endpoints.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.i18n import Translator, negotiate_locale
from api.ratelimit import IpNetwork, RateLimiter, Rule, client_address

RATE_LIMITED = "rate_limited"
MESSAGE_KEY = "error.generic.rate_limited"
# An HTML page for a refusal a person sees in a browser: (request, locale, retry_after) → response.
HtmlRefusal = Callable[[Request, str, int], Awaitable[Response] | Response]


@dataclass(frozen=True)
class Route:
    method: str
    path: re.Pattern[str]
    rule: Rule
    by_conversation: bool = False  # key: the path's `conversation` group; else the client address
    html: bool = False  # a browser page: refused with the HTML refusal when one is configured


ROUTES: tuple[Route, ...] = (
    Route("POST", re.compile(r"^/v1/chat/conversations/?$"), Rule.chat_start),
    Route(
        "POST",
        re.compile(r"^/v1/chat/conversations/(?P<conversation>[^/]{1,128})/messages/?$"),
        Rule.chat_turn,
        by_conversation=True,
    ),
    Route("POST", re.compile(r"^/refer/sign-in/?$"), Rule.sign_in, html=True),
    Route("POST", re.compile(r"^/console/sign-in/?$"), Rule.sign_in, html=True),
    Route("POST", re.compile(r"^/refer/form/?$"), Rule.form, html=True),
)


def route_of(method: str, path: str) -> tuple[Route, re.Match[str]] | None:
    for route in ROUTES:
        if route.method == method:
            match = route.path.match(path)
            if match is not None:
                return route, match
    return None


class RateLimit:
    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        trusted_proxies: Sequence[IpNetwork] = (),
        html_refusal: HtmlRefusal | None = None,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.trusted = tuple(trusted_proxies)
        self.html_refusal = html_refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = route_of(scope["method"], scope["path"])
        if found is None:
            await self.app(scope, receive, send)
            return
        route, match = found
        if route.by_conversation:
            key = match.group("conversation")
        else:
            peer = scope.get("client")
            headers = Headers(scope=scope)
            key = client_address(peer[0] if peer else None, headers.get("x-forwarded-for"), self.trusted)
        decision = await self.limiter.hit(route.rule, key)
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        await self.refuse(scope, receive, send, route, decision.retry_after)

    async def refuse(
        self, scope: Scope, receive: Receive, send: Send, route: Route, retry_after: int
    ) -> None:
        app = scope.get("app")
        translator: Translator | None = getattr(getattr(app, "state", None), "translator", None)
        headers = Headers(scope=scope)
        locale = negotiate_locale(headers.get("accept-language"), translator.locales) if translator else "en"
        if route.html and self.html_refusal is not None:
            response = self.html_refusal(Request(scope, receive), locale, retry_after)
            if not isinstance(response, Response):
                response = await response
        else:
            detail = (
                translator.t(MESSAGE_KEY, locale)
                if translator
                else f"Too many requests; try again in {retry_after} seconds."
            )
            body = {"error": RATE_LIMITED, "code": 429, "detail": detail}
            response = Response(json.dumps(body, ensure_ascii=False), 429, media_type="application/json")
        response.status_code = 429
        response.headers["Retry-After"] = str(retry_after)
        await response(scope, receive, send)


def document(app: FastAPI) -> None:
    """Declare the 429 of every route the middleware limits in the OpenAPI document (the middleware is
    not a route dependency, so FastAPI cannot see it)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        translator: Translator = app.state.translator
        detail = translator.t(MESSAGE_KEY, translator.default_locale)
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if route_of(method.upper(), path) is not None:
                    operation.setdefault("responses", {}).setdefault("429", too_many_requests(detail))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def too_many_requests(detail: str) -> dict[str, Any]:
    example = {"error": RATE_LIMITED, "code": 429, "detail": detail}
    return {
        "description": "`rate_limited`: too many requests from this client (or for this conversation) in "
        "the window; `Retry-After` says in how many seconds to try again.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ErrorBody"},
                "examples": {RATE_LIMITED: {"value": example}},
            }
        },
    }
