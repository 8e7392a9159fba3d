"""The web chat page and its two static files. No account, no cookie, nothing stored in the browser.

`GET /chat?lang=xx` renders the page in that language (or the browser's, or English), with `lang` and
`dir` set on the document. The page's script starts a conversation through the JSON API and keeps its id
in a variable only, so the conversation lives as long as the tab. These routes are HTML for people, not
API operations, so they stay out of the OpenAPI document (the access tests still walk them).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import public
from api.deps import (
    AppSettings,
    AppTranslator,
)
from api.errors import NotFound
from api.i18n import negotiate_locale
from api.web.page import STATIC_FILES, render_chat, static_file
from api.web.security import html_page, secure

router = APIRouter(tags=["web pages"], include_in_schema=False)
WEB_PAGE = public("the web chat page is for the public, with no account; it holds no personal data")
# A year: each file's address carries a hash of its content, so a changed file is a new address.
STATIC_CACHE = "public, max-age=31536000, immutable"


@router.get("/chat", response_class=HTMLResponse, dependencies=[WEB_PAGE])
async def chat_page(
    request: Request,
    translator: AppTranslator,
    settings: AppSettings,
    lang: Annotated[str | None, Query(description="A language code; an unknown one is ignored.")] = None,
) -> HTMLResponse:
    if lang in translator.locales:
        locale = lang
    else:
        # No choice (or an unknown one) yet: the browser's language when the service speaks it.
        locale = negotiate_locale(
            request.headers.get("accept-language"), translator.locales, translator.default_locale
        )
    return html_page(render_chat(translator, locale, settings.quick_exit_url))


@router.get("/chat/static/{name}", dependencies=[WEB_PAGE])
async def chat_static(name: str) -> Response:
    if name not in STATIC_FILES:
        raise NotFound()
    content, media_type = static_file(name)
    return secure(Response(content, media_type=media_type), STATIC_CACHE)
