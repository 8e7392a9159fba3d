"""The worker runs disposal on its own: at start, then every RETENTION_RUN_MINUTES, until it is stopped."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select

from api.config import Settings
from api.conversation.models import Conversation
from api.kit.models import utcnow
from api.retention.disposal import Disposal
from api.worker.__main__ import dispose_periodically


class TestWorker:
    async def test_an_abandoned_conversation_is_gone_after_the_workers_first_round(
        self, app: FastAPI, settings: Settings
    ) -> None:
        long_ago = utcnow() - timedelta(hours=settings.retention_conversation_hours, minutes=1)
        recent = utcnow() - timedelta(hours=settings.retention_conversation_hours - 1)
        async with app.state.sessionmaker() as session, session.begin():
            session.add(
                Conversation(id="w_abandoned", channel="web_chat", language="en", last_message_at=long_ago)
            )
            session.add(
                Conversation(id="w_recent", channel="web_chat", language="en", last_message_at=recent)
            )
        stopping = asyncio.Event()
        disposal = Disposal(app.state.sessionmaker, settings)
        task = asyncio.create_task(dispose_periodically(disposal, 3600, stopping))
        try:
            for _ in range(200):
                async with app.state.sessionmaker() as session:
                    left = set(await session.scalars(select(Conversation.id)))
                if "w_abandoned" not in left:
                    break
                await asyncio.sleep(0.05)
        finally:
            stopping.set()
            await asyncio.wait_for(task, timeout=10)
            await disposal.close()

        assert left == {"w_recent"}
