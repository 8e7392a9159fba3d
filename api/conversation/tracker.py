"""Rasa's tracker store, seen from the api: only to forget a conversation.

Rasa keeps every event of a conversation (each message in plain text) in its SQL tracker store, table
`events`, one row per event keyed by `sender_id`, which is our conversation id (Rasa 3.6,
`rasa.core.tracker_store.SQLTrackerStore`). A transcript is personal data, so ending a conversation deletes
those rows. The api reads the same settings the bot does (RASA_TRACKER_*; see bot/endpoints.yml).
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table, delete
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from api.config import Settings

logger = logging.getLogger("api.conversation")

# Only the column we filter on; Rasa owns the table and its other columns.
_events = Table("events", MetaData(), Column("sender_id", String(255)))

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def tracker_store_url(settings: Settings) -> str:
    """An async SQLAlchemy URL for the tracker store the bot is configured with."""
    host = settings.rasa_tracker_host.strip()
    if "://" in host:
        url = make_url(host)
        driver = _ASYNC_DRIVERS.get(url.drivername.split("+")[0])
        if driver is None:
            raise ValueError(f"RASA_TRACKER_HOST: unsupported database {url.drivername!r}")
        return url.set(drivername=driver).render_as_string(hide_password=False)
    driver = _ASYNC_DRIVERS.get(settings.rasa_tracker_dialect)
    if driver is None:
        raise ValueError(f"RASA_TRACKER_DIALECT: unsupported dialect {settings.rasa_tracker_dialect!r}")
    if driver.startswith("sqlite"):
        return f"{driver}:///{settings.rasa_tracker_db}"
    return f"{driver}://{host}/{settings.rasa_tracker_db}"


class TrackerStore:
    def __init__(self, url: str) -> None:
        # One short connection per purge: the file or server belongs to Rasa, so hold nothing open.
        parsed = make_url(url)
        self._sqlite_file = Path(parsed.database or "") if parsed.get_backend_name() == "sqlite" else None
        connect_args = {"timeout": 15} if self._sqlite_file is not None else {}
        self._engine: AsyncEngine = create_async_engine(url, poolclass=NullPool, connect_args=connect_args)

    async def close(self) -> None:
        await self._engine.dispose()

    async def forget(self, conversation_id: str) -> int | None:
        """Delete every event of the conversation. The number of rows deleted, or None when it failed."""
        if self._sqlite_file is not None and not self._sqlite_file.exists():
            return 0  # no tracker file (the bot never ran here): nothing to forget, and do not create one
        try:
            async with self._engine.begin() as connection:
                result = await connection.execute(
                    delete(_events).where(_events.c.sender_id == conversation_id)
                )
        except SQLAlchemyError as exc:
            # The id (of a conversation that has ended, so no longer a capability), so an operator can
            # finish the purge; never the statement or its parameters.
            logger.error(
                "tracker purge failed",
                extra={"conversation_id": conversation_id, "error_type": type(exc).__name__},
            )
            return None
        deleted = int(result.rowcount or 0)
        logger.info("tracker purged", extra={"events": deleted})
        return deleted
