"""Typed errors, rendered as `{"error", "code", "detail"}` with a localised detail.

`error` is a stable machine-readable name, `code` the HTTP status, `detail` a sentence in the caller's
language (from `locales/error.<lang>.yml`). Expected outcomes are 4xx, never 500.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from api.i18n import Translator, negotiate_locale

logger = logging.getLogger("api.errors")


class Problem(BaseModel):
    field: str = Field(description="Where the problem is, dotted (`person.phone`); never the value sent.")
    message: str


class ErrorBody(BaseModel):
    """Every error the api answers, whatever its status."""

    error: str = Field(description="A stable machine-readable name.", examples=["referral_not_found"])
    code: int = Field(description="The HTTP status, repeated.", examples=[404])
    detail: str | list[Problem] = Field(
        description="A sentence in the caller's language (Accept-Language); for `invalid_request`, one "
        "entry per field at fault."
    )


class AppError(Exception):
    """Base of every expected error. Subclasses set `error`, `status_code` and a locale key."""

    error = "app_error"
    status_code = 400
    message_key = "error.generic.bad_request"
    # For the OpenAPI example of this error: parameters of its message, or a detail given whole.
    example_params: ClassVar[dict[str, str]] = {}
    example_detail: ClassVar[Any] = None

    def __init__(self, **params: Any) -> None:
        super().__init__(self.error)
        self.params = params

    def detail(self, translator: Translator, locale: str) -> str | list[dict[str, str]]:
        """The `detail` of the body: the localised sentence, or (for errors about several fields) one
        `Problem` per field."""
        return translator.t(self.message_key, locale, **self.params)


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


class InvalidRequest(AppError):
    """A payload, path, query or header that does not match its schema (see the validation handler)."""

    error = "invalid_request"
    status_code = 422
    example_detail: ClassVar[Any] = [{"field": "person.phone", "message": "Value error, not a phone number"}]


_DOCUMENTED: dict[str, type[AppError]] = {}


def error_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status it may answer with an error, with an example of each error.

    The examples' details are filled in English when the OpenAPI document is first built (see below).
    """
    responses: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        _DOCUMENTED[error.error] = error
        entry = responses.setdefault(
            error.status_code,
            {"model": ErrorBody, "description": "", "content": {"application/json": {"examples": {}}}},
        )
        names = [n for n in entry["description"].split(", ") if n] + [f"`{error.error}`"]
        entry["description"] = ", ".join(names)
        entry["content"]["application/json"]["examples"][error.error] = {
            "value": {"error": error.error, "code": error.status_code, "detail": error.message_key}
        }
    return responses


def _fill_error_examples(schema: dict[str, Any], translator: Translator) -> None:
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for response in operation.get("responses", {}).values():
                examples = response.get("content", {}).get("application/json", {}).get("examples", {})
                for example in examples.values():
                    value = example.get("value")
                    error = _DOCUMENTED.get(value.get("error", "")) if isinstance(value, dict) else None
                    if error is None or value.get("detail") != error.message_key:
                        continue
                    locale = translator.default_locale
                    value["detail"] = (
                        error.example_detail
                        if error.example_detail is not None
                        else translator.t(error.message_key, locale, **error.example_params)
                    )


def _body(error: str, code: int, detail: Any) -> dict[str, Any]:
    return {"error": error, "code": code, "detail": detail}


def install_error_handlers(app: FastAPI) -> None:
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _fill_error_examples(build_openapi(), app.state.translator)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]

    def translator(request: Request) -> Translator:
        t: Translator = request.app.state.translator
        return t

    def locale_of(request: Request) -> str:
        return negotiate_locale(request.headers.get("accept-language"), translator(request).locales)

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        detail = exc.detail(translator(request), locale_of(request))
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
        if exc.status_code == 400:
            # FastAPI's answer to a body it cannot decode (bytes that are not UTF-8); well-formed but invalid
            # JSON is already 422. One answer for a broken payload, as every route declares: 422.
            problem = {"field": "body", "message": "The body could not be parsed as JSON."}
            return JSONResponse(_body(InvalidRequest.error, 422, [problem]), 422)
        names = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        key = {404: "error.generic.not_found", 405: "error.generic.method_not_allowed"}.get(
            exc.status_code, "error.generic.bad_request"
        )
        detail = translator(request).t(key, locale_of(request))
        return JSONResponse(
            _body(names.get(exc.status_code, "http_error"), exc.status_code, detail),
            exc.status_code,
            headers=exc.headers,  # e.g. `Allow` on a 405 (RFC 9110)
        )

    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, exc: ClientDisconnect) -> JSONResponse:
        # The client left while sending its body (a closed tab, a dropped network): nothing arrived whole, so
        # nothing was done (the request's transaction rolls back). Not an error of ours: the route template
        # only, never the URL or the partial body. The answer reaches nobody; 400 for the access log.
        route = request.scope.get("route")
        logger.info(
            "client disconnected before the body arrived",
            extra={"route": getattr(route, "path", "unmatched"), "method": request.method},
        )
        detail = translator(request).t("error.generic.bad_request", locale_of(request))
        return JSONResponse(_body("client_disconnected", 400, detail), 400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The type and the route only: an exception message can carry submitted personal data.
        logger.error("unhandled error", extra={"path": request.url.path, "error_type": type(exc).__name__})
        detail = translator(request).t("error.generic.internal", locale_of(request))
        return JSONResponse(_body("internal_error", 500, detail), 500)
