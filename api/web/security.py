"""Security headers for every page and static file the api serves to a browser. Reusable by any page.

The pages carry no inline script or style at all, so the Content-Security-Policy allows only files from this
origin; the chat talks to this origin's JSON API only. Nothing may frame a page (quick exit must always be
the page's own top-level navigation), and no referrer leaves a page (a neutral site must not learn that the
person came from a victims' service).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.responses import HTMLResponse, Response

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
