"""Security headers for every page and static file the api serves to a browser. Reusable by any page.

The pages carry no inline script or style at all, so the Content-Security-Policy allows only files from this
origin; the chat talks to this origin's JSON API only. Nothing may frame a page (quick exit must always be
the page's own top-level navigation), and no referrer leaves a page (a neutral site must not learn that the
person came from a victims' service).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
    "display-capture=(), browsing-topics=()"
)
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# A page may hold what the person typed (a form, a chat): never kept by the browser or any cache.
NO_STORE = "no-store"


def secure(response: Response, cache_control: str = NO_STORE) -> Response:
    """Add the security headers and the cache rule to a response, and return it."""
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = cache_control
    return response


def html_page(content: str, status_code: int = 200) -> HTMLResponse:
    """An HTML page with the security headers, never stored by the browser or any cache."""
    response = HTMLResponse(content, status_code=status_code)
    secure(response, NO_STORE)
    return response


class EdgeHeaders:
    """Pure ASGI middleware, outermost: the headers every response at the edge carries, whatever made it
    (a route, an error handler, the size or rate limit).

    - `Strict-Transport-Security` outside development: the service is only ever reached over https.
    - `Cache-Control: no-store` on every `/v1` response: the JSON api carries personal data (cases, chat
      turns, consent), and the simplest rule that cannot miss one is all of it; so does every HTML page
      (a form, the chat, case data). Static files (CSS, scripts) keep their own rule.
    """

    def __init__(self, app: ASGIApp, hsts: str | None) -> None:
        self.app = app
        self.hsts = hsts.encode() if hsts else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = scope["path"].startswith("/v1/") or scope["path"] == "/v1"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if self.hsts is not None:
                    headers["strict-transport-security"] = self.hsts.decode()
                html = headers.get("content-type", "").startswith("text/html")
                if no_store or html:  # an HTML page may hold a form or case data: never stored either
                    headers["cache-control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, send_with_headers)


def hsts_value(max_age_seconds: int) -> str:
    return f"max-age={max_age_seconds}; includeSubDomains"
