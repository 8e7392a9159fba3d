"""What the in-process api benchmarks share: the app's settings for a benchmark database, and an ASGI
client over the app with its lifespan running. Imported by load/bench_*.py (run as scripts, so load/ is on
sys.path and the repository is put there by each script)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from api.config import Settings

BOT_TOKEN = "bench-bot-service-token-0123456789abcdef"  # noqa: S105  (synthetic, local only)


def settings_for(database_url: str) -> Settings:
    return Settings(
        app_env="test",
        database_url=database_url,
        rasa_url="http://127.0.0.1:9",
        bot_service_token=BOT_TOKEN,
        allow_fictional_phone_numbers=True,
        log_level="WARNING",  # one log line a request would measure the terminal
        _env_file=None,  # type: ignore[call-arg]
    )


@asynccontextmanager
async def served(application: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield client
