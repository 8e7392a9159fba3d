"""Structured logs: one JSON object a line, ids and counts only.

Nothing here logs a request body, a query string or a header; the access log is replaced by one line per
request with method, route template, status and duration.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's access log prints full paths (which may hold tokens or ids); ours logs the route template.
    logging.getLogger("uvicorn.access").disabled = True


class RequestLog:
    """One log line per HTTP request: method, route template, status and milliseconds to the response's start.

    A plain ASGI middleware: Starlette's `BaseHTTPMiddleware` (what `app.middleware("http")` makes) runs the
    rest of the app in a task of its own and pipes the response through memory streams, for every request
    (issue 16)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                route = scope.get("route")  # the router puts the matched route in this same scope
                logging.getLogger("api.request").info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "route": getattr(route, "path", "unmatched"),
                        "status": message["status"],
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            await send(message)

        await self.app(scope, receive, send_logged)
