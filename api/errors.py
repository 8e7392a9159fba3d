"""Typed errors, rendered as `{"error", "code", "detail"}` with a localised detail.

`error` is a stable machine-readable name, `code` the HTTP status, `detail` a sentence in the caller's
language (from `locales/error.<lang>.yml`). Expected outcomes are 4xx, never 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.i18n import Translator, negotiate_locale

logger = logging.getLogger("api.errors")


class AppError(Exception):
    """Base of every expected error. Subclasses set `error`, `status_code` and a locale key."""

    error = "app_error"
    status_code = 400
    message_key = "error.generic.bad_request"

    def __init__(self, **params: Any) -> None:
        super().__init__(self.error)
        self.params = params


class NotFound(AppError):
    error = "not_found"
    status_code = 404
    message_key = "error.generic.not_found"


class Unauthenticated(AppError):
    error = "unauthenticated"
    status_code = 401
    message_key = "error.auth.unauthenticated"


class Forbidden(AppError):
    error = "forbidden"
    status_code = 403
    message_key = "error.auth.forbidden"


class Conflict(AppError):
    error = "conflict"
    status_code = 409
    message_key = "error.generic.conflict"


class UpstreamUnavailable(AppError):
    error = "upstream_unavailable"
    status_code = 503
    message_key = "error.generic.upstream_unavailable"


def _body(error: str, code: int, detail: Any) -> dict[str, Any]:
    return {"error": error, "code": code, "detail": detail}


def install_error_handlers(app: FastAPI) -> None:
    def translator(request: Request) -> Translator:
        t: Translator = request.app.state.translator
        return t

    def locale_of(request: Request) -> str:
        return negotiate_locale(request.headers.get("accept-language"), translator(request).locales)

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        detail = translator(request).t(exc.message_key, locale_of(request), **exc.params)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(_body(exc.error, exc.status_code, detail), exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Name the field and the problem; never echo the submitted value (it may be personal data).
        problems = [
            {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "message": err["msg"]}
            for err in exc.errors()
        ]
        return JSONResponse(_body("invalid_request", 422, problems), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {404: "not_found", 405: "method_not_allowed", 400: "bad_request", 413: "payload_too_large"}
        key = {404: "error.generic.not_found", 405: "error.generic.method_not_allowed"}.get(
            exc.status_code, "error.generic.bad_request"
        )
        detail = translator(request).t(key, locale_of(request))
        return JSONResponse(
            _body(names.get(exc.status_code, "http_error"), exc.status_code, detail), exc.status_code
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The type and the route only: an exception message can carry submitted personal data.
        logger.error("unhandled error", extra={"path": request.url.path, "error_type": type(exc).__name__})
        detail = translator(request).t("error.generic.internal", locale_of(request))
        return JSONResponse(_body("internal_error", 500, detail), 500)
