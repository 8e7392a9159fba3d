"""The one way actions reach case data: the api's referral and consent endpoints, with the bot's service
token.

Retries on connection errors, timeouts and 5xx with the same Idempotency-Key, so a retried submission can
never create a second referral, and a retry after a timeout answers the referral the first attempt made
(its reference reaches the person). Every failure ends as ApiError, which each action turns into words
the person hears (for a referral: `utter_handoff_failed`, "please try again"); nothing else escapes.

Every client of a process shares one `aiohttp.ClientSession` per event loop, so the action server keeps its
connections to the api open between requests instead of opening one per request (issue 16).
"""

import asyncio
import hashlib
import json
import logging
import os
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)


class ApiError(Exception):
    pass


_SESSIONS: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


def shared_session() -> aiohttp.ClientSession:
    """The running loop's session, made on first use (a session belongs to the loop it was made on)."""
    loop = asyncio.get_running_loop()
    session = _SESSIONS.get(loop)
    if session is None or session.closed:
        for ended in [other for other in _SESSIONS if other.is_closed()]:
            del _SESSIONS[ended]
        # Idle connections go after 2 s, well before the api's server closes them (uvicorn: 5 s).
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(keepalive_timeout=2))
        _SESSIONS[loop] = session
    return session


class ApiClient:
    def __init__(self, base_url: str | None = None, token: str | None = None, timeout: float = 15.0) -> None:
        self.base_url = (base_url or os.environ["API_URL"]).rstrip("/")
        self.token = token or os.environ["BOT_SERVICE_TOKEN"]
        self.timeout = timeout  # seconds for one attempt, connecting and reading included

    async def create_referral(self, payload: dict[str, Any], attempts: int = 3) -> dict[str, Any]:
        """POST /v1/referrals. The Idempotency-Key is the body's hash: a retry can never make a second one."""
        return await self._post("/v1/referrals", payload, "referral", attempts)

    async def withdraw_consent(
        self, consent_id: str, conversation_id: str, attempts: int = 3
    ) -> dict[str, Any]:
        """POST /v1/consents/{id}/withdraw for the person, in the conversation the consent was given in.
        Withdrawing twice returns the first withdrawal, so a retry is harmless."""
        body = {"reason": "person_request", "requested_by": "person", "conversation_id": conversation_id}
        return await self._post(f"/v1/consents/{consent_id}/withdraw", body, "withdrawal", attempts)

    async def mark_urgent(self, reference: str, conversation_id: str, attempts: int = 3) -> dict[str, Any]:
        """POST /v1/referrals/{reference}/urgent: the person said they are in danger after hand-off. The
        api makes it urgent once; a retry answers the same."""
        body = {"reason": "danger_reported", "conversation_id": conversation_id}
        return await self._post(f"/v1/referrals/{reference}/urgent", body, "urgent", attempts)

    async def withdraw_by_conversation(self, conversation_id: str, attempts: int = 3) -> list[str]:
        """POST /v1/conversations/{id}/consent-withdrawal: the bot no longer knows the case (its session
        expired), the api does. Withdraws every referral the bot made in this conversation and answers
        their references; an empty list means nothing is held from this conversation."""
        answer = await self._post(
            f"/v1/conversations/{conversation_id}/consent-withdrawal", {}, "withdrawal", attempts
        )
        return [str(r) for r in answer.get("references") or []]

    async def urgent_by_conversation(self, conversation_id: str, attempts: int = 3) -> list[str]:
        """POST /v1/conversations/{id}/urgent: danger said after the bot forgot the case; every open case
        of this conversation becomes urgent. Answers their references (none: nothing open)."""
        answer = await self._post(f"/v1/conversations/{conversation_id}/urgent", {}, "urgent", attempts)
        return [str(r) for r in answer.get("references") or []]

    async def request_callback(
        self, reference: str, conversation_id: str, window: str, attempts: int = 3
    ) -> dict[str, Any]:
        """POST /v1/referrals/{reference}/callback: the call-back time the person chose (a window id from
        service_hours). Refused (ApiError) when that time is no longer on offer."""
        body = {"window": window, "conversation_id": conversation_id}
        return await self._post(f"/v1/referrals/{reference}/callback", body, "callback", attempts)

    async def send_phone_code(
        self, reference: str, conversation_id: str, attempts: int = 3
    ) -> dict[str, Any]:
        """POST /v1/referrals/{reference}/phone-check: text a one-time code to the case's number (through
        the outbox). Answers {"outcome": "sent" | "verified", "attempts_left"}; refused (ApiError) when no
        code can be sent."""
        body = {"conversation_id": conversation_id}
        return await self._post(f"/v1/referrals/{reference}/phone-check", body, "phone_check", attempts)

    async def confirm_phone_code(
        self, reference: str, conversation_id: str, code: str, attempts: int = 1
    ) -> dict[str, Any]:
        """POST /v1/referrals/{reference}/phone-check/confirm with what the person typed. Answers
        {"outcome": "verified" | "wrong" | "failed" | "expired", "attempts_left"}. One attempt: a retry
        could count a wrong code twice."""
        body = {"conversation_id": conversation_id, "code": code[:64]}
        return await self._post(
            f"/v1/referrals/{reference}/phone-check/confirm", body, "phone_check", attempts
        )

    async def service_hours(self) -> dict[str, Any]:
        """GET /v1/service/hours: open now or not, when that changes, and the call-back times on offer."""
        timeout = aiohttp.ClientTimeout(total=5)
        try:
            async with shared_session().get(f"{self.base_url}/v1/service/hours", timeout=timeout) as resp:
                if resp.status == 200:
                    hours: dict[str, Any] = await resp.json()
                    return hours
                logger.warning("service hours status=%s", resp.status)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            logger.warning("service hours transport error=%s", type(exc).__name__)
        raise ApiError("the api did not say its opening hours")

    async def _post(self, path: str, payload: dict[str, Any], what: str, attempts: int) -> dict[str, Any]:
        body = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": "bot-" + hashlib.sha256(path.encode("utf-8") + body).hexdigest(),
        }
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        for attempt in range(attempts):
            try:
                url = f"{self.base_url}{path}"
                async with shared_session().post(url, data=body, headers=headers, timeout=timeout) as resp:
                    if resp.status in (200, 201):
                        answer: dict[str, Any] = await resp.json()
                        return answer
                    if resp.status < 500:
                        error = (await resp.json(content_type=None) or {}).get("error")
                        # Ids and codes only: the body may echo personal data.
                        logger.warning("%s refused status=%s error=%s", what, resp.status, error)
                        raise ApiError(f"refused: {resp.status} {error}")
                    logger.warning("%s failed status=%s attempt=%s", what, resp.status, attempt + 1)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                # A timeout may come after the api stored it: the retry's Idempotency-Key answers that one.
                logger.warning("%s transport error=%s attempt=%s", what, type(exc).__name__, attempt + 1)
            await asyncio.sleep(0.5 * 2**attempt)
        raise ApiError(f"the api did not accept the {what}")
