"""Twilio at the edges: checking a webhook's signature, and sending one SMS through the REST API.

The signature is checked by the `twilio` library's own validator, against the URL Twilio called: our public
base URL (PUBLIC_BASE_URL) and the request's path and query. Behind a reverse proxy that terminates TLS, the
scheme and host Twilio used arrive in `X-Forwarded-Proto` and `X-Forwarded-Host`; they are believed only
when TRUST_PROXY_HEADERS is on (the proxy must then overwrite, never pass on, what a client sends).

Sending uses httpx against TWILIO_API_BASE_URL (https://api.twilio.com, or the local fake in development
and tests): the same path, HTTP Basic auth with the account SID and auth token, form-encoded parameters.

Reconciling (`sent_matching`): when an attempt's outcome is unknown (the worker died after handing the SMS
over, or Twilio's answer never came), the next attempt first lists Twilio's messages to that number from
that sender (`GET …/Messages.json?To=&From=&PageSize=`, newest first) and looks for ours among those created
since the unsure attempt began (less the clock skew). Twilio keeps no client-side idempotency key on a
message, so the marker is the number, the time and the body, compared robustly: Twilio may store a body
other than the one sent (a trial account puts "Sent from your Twilio trial account - " before it; Smart
Encoding swaps curly quotes and dashes for plain ones), so both are compared normalised (`comparable`) and
ours may be contained in theirs, an equal body ranking before a containing one. The caller also passes over
a sid already recorded for another SMS.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from starlette.requests import Request
from twilio.request_validator import RequestValidator

from api.config import Settings
from api.sms.schemas import FormParams

logger = logging.getLogger("api.sms")

SIGNATURE_HEADER = "X-Twilio-Signature"


def public_url(request: Request, settings: Settings) -> str:
    """The URL Twilio signed: our public base URL with this request's path and query."""
    base = urlsplit(settings.public_base_url)
    scheme, host = base.scheme, base.netloc
    if settings.trust_proxy_headers:
        forwarded_proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        forwarded_host = request.headers.get("x-forwarded-host", "").split(",")[0].strip()
        if forwarded_proto in ("http", "https"):
            scheme = forwarded_proto
        if forwarded_host:
            host = forwarded_host
    path = base.path.rstrip("/") + request.url.path
    return urlunsplit((scheme, host, path, request.url.query, ""))


def signature_valid(url: str, params: FormParams, signature: str | None, auth_token: str) -> bool:
    if not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))


@dataclass(frozen=True)
class SendResult:
    """What one attempt to send came to. `retry` is for 429, 5xx and network errors; `code` is Twilio's
    error code when it refused the message."""

    ok: bool
    sid: str | None = None
    status: str | None = None
    retry: bool = False
    http_status: int | None = None
    code: int | None = None

    @property
    def unanswered(self) -> bool:
        """No answer came (a network error or timeout): Twilio may have accepted the message."""
        return not self.ok and self.retry and self.http_status is None


class ReconcileFailed(Exception):
    """Twilio's message list could not be read: the outcome stays unknown, so nothing may be sent."""


SKEW = timedelta(seconds=60)  # clock difference allowed between us and Twilio
# What Twilio's Smart Encoding replaces (the common ones) and NFKC leaves alone.
_SMART = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)


def comparable(text: str) -> str:
    """A message body as compared when reconciling: NFKC, Smart Encoding's swaps undone, whitespace runs as
    one space."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_SMART).split())


def match_rank(message: dict[str, object], to: str, sender: str, body: str, since: datetime) -> int | None:
    """0 when Twilio's `message` is this SMS with the same body, 1 when its body contains ours (a prefix or
    suffix added by Twilio), None when it is not ours: another number or sender, created before the unsure
    attempt (less the clock skew), or other words."""
    if message.get("to") not in (None, to) or message.get("from") not in (None, sender):
        return None
    if not isinstance(message.get("sid"), str) or not isinstance(message.get("body"), str):
        return None
    try:
        created = parsedate_to_datetime(str(message.get("date_created")))
    except (TypeError, ValueError):
        return None
    if created.tzinfo is None or created < since - SKEW:
        return None
    ours, theirs = comparable(body), comparable(str(message["body"]))
    if not ours:
        return None
    if theirs == ours:
        return 0
    return 1 if ours in theirs else None


class TwilioClient:
    def __init__(
        self,
        base_url: str,
        account_sid: str,
        auth_token: str,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._account_sid = account_sid
        self._client = httpx.AsyncClient(
            base_url=base_url, auth=(account_sid, auth_token), timeout=timeout, transport=transport
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def sent_matching(
        self, to: str, sender: str, body: str, since: datetime, page_size: int = 50
    ) -> list[tuple[str, str]]:
        """(sid, status) of Twilio's messages from `sender` to `to` that are this SMS (`match_rank`), created
        since `since`: equal bodies first, then containing ones, newest first in each. ReconcileFailed when
        the list cannot be read."""
        path = f"/2010-04-01/Accounts/{self._account_sid}/Messages.json"
        params = {"To": to, "From": sender, "PageSize": str(page_size)}
        try:
            response = await self._client.get(path, params=params)
            response.raise_for_status()
            payload = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("twilio list failed", extra={"error_type": type(exc).__name__})
            raise ReconcileFailed() from exc
        messages = payload.get("messages") if isinstance(payload, dict) else None
        if not isinstance(messages, list):
            raise ReconcileFailed()
        ranked: list[tuple[int, str, str]] = []
        for message in messages:
            if not isinstance(message, dict):
                continue
            rank = match_rank(message, to, sender, body, since)
            if rank is not None:
                ranked.append((rank, message["sid"], str(message.get("status") or "queued")))
        ranked.sort(key=lambda found: found[0])  # stable: newest first within a rank
        return [(sid, status) for _, sid, status in ranked]

    async def send(self, to: str, sender: str, body: str, status_callback: str) -> SendResult:
        path = f"/2010-04-01/Accounts/{self._account_sid}/Messages.json"
        form = {"To": to, "From": sender, "Body": body, "StatusCallback": status_callback}
        try:
            response = await self._client.post(path, data=form)
        except httpx.HTTPError as exc:
            logger.warning("twilio send failed", extra={"error_type": type(exc).__name__})
            return SendResult(ok=False, retry=True)
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        status = response.status_code
        if status in (200, 201) and isinstance(payload.get("sid"), str):
            return SendResult(ok=True, sid=payload["sid"], status=str(payload.get("status") or "queued"))
        code = payload.get("code")
        code = code if isinstance(code, int) else None
        # 401: our credentials are wrong, which an operator can fix; keep the messages and retry meanwhile.
        retry = status == 429 or status >= 500 or status == 401
        return SendResult(ok=False, retry=retry, http_status=status, code=code)
