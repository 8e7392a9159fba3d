"""Request bodies have a size limit, enforced before the body is read (issue 15).

Without it, any endpoint reads a body whole into memory before it can refuse it (`POST /v1/referrals` even
before authentication): a few 100 MB bodies at once exhaust the api's memory. This is a pure ASGI
middleware, outermost, so nothing behind it ever holds more than the limit:

- a declared `Content-Length` over the limit is refused at once, without reading a byte;
- a body without one (chunked) is read here, up to the limit, then handed on as it came; one byte more and
  it is refused (the rest is read and dropped, up to a bound, so the client gets the answer).

The refusal is the api's typed error, `413 request_too_large`, in the caller's language. The limit is
`MAX_REQUEST_BYTES` for every route, except routes that carry files (the police feed: its own 10 MB).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.i18n import Translator, negotiate_locale

TOO_LARGE = "request_too_large"
MESSAGE_KEY = "error.generic.too_large"
DRAIN_BYTES = (
    32 * 1024 * 1024
)  # past this, a refused body is cut off (the connection closes) rather than read


@dataclass(frozen=True)
class Limit:
    """A limit and the typed error that refuses a body over it."""

    size: int
    error: str = TOO_LARGE
    message_key: str = MESSAGE_KEY


def readable(size: int) -> str:
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


class BodyLimit:
    def __init__(self, app: ASGIApp, default: int, by_prefix: Mapping[str, Limit] | None = None) -> None:
        self.app = app
        self.default = Limit(default)
        # Longest prefix first, so a route's own limit wins over a shorter one.
        self.by_prefix = sorted((by_prefix or {}).items(), key=lambda item: -len(item[0]))

    def limit_for(self, path: str) -> Limit:
        return next((limit for prefix, limit in self.by_prefix if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit.size:
                await self.refuse(scope, send, limit)
                return
            await self.app(scope, receive, send)
            return
        if "chunked" not in headers.get("transfer-encoding", "").lower():
            await self.app(scope, receive, send)
            return
        # A body of unknown length: read it here, bounded, then replay it.
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit.size:
                await self.drain(receive, message)
                await self.refuse(scope, send, limit)
                return
            if not message.get("more_body", False):
                break
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)

    @staticmethod
    async def drain(receive: Receive, last: Message) -> None:
        """Read and drop the rest of a refused body (up to DRAIN_BYTES, holding none of it), so the client,
        still sending, reads the 413 instead of a reset connection."""
        drained = 0
        while last.get("more_body", False) and drained < DRAIN_BYTES:
            last = await receive()
            if last["type"] != "http.request":
                return
            drained += len(last.get("body", b""))

    async def refuse(self, scope: Scope, send: Send, limit: Limit) -> None:
        app = scope.get("app")
        translator: Translator | None = getattr(getattr(app, "state", None), "translator", None)
        headers = Headers(scope=scope)
        if translator is not None:
            locale = negotiate_locale(headers.get("accept-language"), translator.locales)
            detail = translator.t(limit.message_key, locale, limit=readable(limit.size))
        else:
            detail = f"The request is too large (at most {readable(limit.size)})."
        body = json.dumps({"error": limit.error, "code": 413, "detail": detail}, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
