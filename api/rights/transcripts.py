"""What Rasa's tracker store still holds of a person's conversations: the messages they typed and the bot's
replies, one list per conversation id (Rasa's `sender_id`). The store belongs to Rasa (SQLite file or
PostgreSQL, as the bot is configured: api/conversation/tracker.py); this opens one short read-only
connection and never creates the file. Retention purges transcripts soon after hand-off, so usually there
is little or nothing left: the export says so rather than leaving the store out."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from api.config import Settings
from api.conversation.tracker import tracker_store_url

logger = logging.getLogger("api.rights")

# Only the columns read; Rasa owns the table (rasa.core.tracker_store.SQLTrackerStore, Rasa 3.6).
_events = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("data", Text),
)
SAID = ("user", "bot")


class TranscriptsUnavailable(Exception):
    """The tracker store could not be read: the export must not pretend it holds nothing."""


async def transcripts(settings: Settings, conversation_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """The messages still held per conversation (only conversations with some), oldest first."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return {}
    url = tracker_store_url(settings)
    parsed = make_url(url)
    sqlite_file = Path(parsed.database or "") if parsed.get_backend_name() == "sqlite" else None
    if sqlite_file is not None and not await asyncio.to_thread(sqlite_file.exists):
        return {}  # the bot never ran here: nothing held, and no file is created
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(_events.c.sender_id, _events.c.type_name, _events.c.timestamp, _events.c.data)
                .where(_events.c.sender_id.in_(ids), _events.c.type_name.in_(SAID))
                .order_by(_events.c.sender_id, _events.c.id)
            )
            found: dict[str, list[dict[str, Any]]] = {}
            for sender, kind, stamp, data in rows:
                text = _text(data)
                if text:
                    found.setdefault(sender, []).append(
                        {"by": "person" if kind == "user" else "bot", "text": text, "timestamp": stamp}
                    )
            return found
    except SQLAlchemyError as exc:
        logger.error("tracker store not readable", extra={"error_type": type(exc).__name__})
        raise TranscriptsUnavailable() from exc
    finally:
        await engine.dispose()


def _text(data: str | None) -> str | None:
    try:
        event = json.loads(data or "{}")
    except ValueError:
        return None
    text = event.get("text") if isinstance(event, dict) else None
    return text if isinstance(text, str) and text else None
