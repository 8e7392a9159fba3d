"""The conversation relay: one bot turn through Rasa's REST channel (127.0.0.1 only)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from api.conversation.errors import BotUnavailable
from api.conversation.schemas import BotMessage, Button

logger = logging.getLogger("api.conversation")


@dataclass
class BotTurn:
    messages: list[BotMessage] = field(default_factory=list)
    language: str | None = None

    def add(self, text: Any, custom: Any, buttons: Any) -> None:
        """One bot message as Rasa gives it (the REST channel's reply, or a tracker's bot event): a custom
        `{"set_language": …}` switches the language and is not shown; a message without text is not shown."""
        if isinstance(custom, dict) and isinstance(custom.get("set_language"), str):
            self.language = custom["set_language"]
        if not text:
            return
        shown = [
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in buttons or []
            if isinstance(b, dict)
        ]
        self.messages.append(BotMessage(text=str(text), buttons=shown))


class RasaRelay:
    def __init__(
        self, base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def close(self) -> None:
        await self._client.aclose()

    async def turn(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> list[BotMessage]:
        return (await self.exchange(conversation_id, text, metadata)).messages

    async def exchange(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> BotTurn:
        """One bot turn: its messages, and the language the bot switched to, if it did (the bot says so
        with a custom message `{"set_language": "<code>"}`, which is not shown)."""
        body = {"sender": conversation_id, "message": text, "metadata": metadata}
        try:
            response = await self._client.post("/webhooks/rest/webhook", json=body)
            response.raise_for_status()
            payload = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("bot turn failed", extra={"error_type": type(exc).__name__})
            raise BotUnavailable() from exc
        turn = BotTurn()
        for item in payload if isinstance(payload, list) else []:
            if isinstance(item, dict):
                turn.add(item.get("text"), item.get("custom"), item.get("buttons"))
        return turn

    async def ready(self) -> bool:
        try:
            response = await self._client.get("/", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200
