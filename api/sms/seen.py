"""Did Rasa see this SMS? Asked before a turn is replayed after a crash (issue 15, exactly-once).

Each SMS goes to Rasa with a key made from its MessageSid in the message's metadata (`message_id`: `turn_key`,
a hash, so Twilio's id never enters the bot's tracker, whose retention is not the SMS metadata's), and the
worker marks the
inbound row (`bot_asked_at`, committed) before it asks. A row found with that mark was sent to Rasa by an
attempt that never recorded the answer (the worker died, or the bot's answer was lost). Rasa saves a turn's
tracker once, at the end of the turn (`MessageProcessor.handle_message` → `save_tracker`: the user event and
the bot's replies together), so its tracker store tells exactly one of two things:

- no user event carries the MessageSid: Rasa never took the turn, and the text is sent again;
- one does: the turn happened, and the bot's messages that followed that event are the answer. They are
  read back from the tracker instead of asking again, so the answer never lands on the next question.

The tracker store is Rasa's (`events`: one row per event, `data` the event as JSON); this module only reads.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from api.conversation.relay import BotTurn

logger = logging.getLogger("api.sms")

_events = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("data", Text),
)


def _bot_message(event: dict[str, Any], turn: BotTurn) -> None:
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    assert isinstance(data, dict)
    turn.add(event.get("text"), data.get("custom"), data.get("buttons"))


def turn_key(message_sid: str) -> str:
    """The id an SMS's turn carries to Rasa: derived from the MessageSid (unique per message, the same on
    every attempt) but not the MessageSid itself."""
    return "sms-" + hashlib.sha256(message_sid.encode()).hexdigest()[:32]


def answer_in(events: list[tuple[str, str]], message_id: str) -> BotTurn | None:
    """From one conversation's events in order (type, JSON data): the bot's answer to the user message
    carrying `message_id`, or None when there is no such message."""
    turn: BotTurn | None = None
    for type_name, raw in events:
        try:
            event = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        if type_name == "user":
            if turn is not None:
                break  # the next message: the answer is complete
            metadata = event.get("metadata")
            if isinstance(metadata, dict) and metadata.get("message_id") == message_id:
                turn = BotTurn()
        elif type_name == "bot" and turn is not None:
            _bot_message(event, turn)
    return turn


class SeenByBot:
    """Reads Rasa's tracker store (RASA_TRACKER_*, as api/conversation/tracker.py): one short connection."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self._sqlite_file = Path(parsed.database or "") if parsed.get_backend_name() == "sqlite" else None
        connect_args = {"timeout": 15} if self._sqlite_file is not None else {}
        self._engine: AsyncEngine = create_async_engine(url, poolclass=NullPool, connect_args=connect_args)

    async def close(self) -> None:
        await self._engine.dispose()

    async def answer(self, conversation_id: str, message_id: str) -> BotTurn | None:
        """The bot's answer to that message if Rasa took the turn, None if it never did. Errors propagate:
        the caller must not replay a turn it could not check."""
        if self._sqlite_file is not None and not self._sqlite_file.exists():
            return None  # no tracker file: the bot never took any turn here
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(_events.c.type_name, _events.c.data)
                .where(
                    _events.c.sender_id == conversation_id,
                    _events.c.type_name.in_(("user", "bot")),
                )
                .order_by(_events.c.id)
            )
            events = [(str(t), str(d or "")) for t, d in rows.all()]
        return answer_in(events, message_id)
