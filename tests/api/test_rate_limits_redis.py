"""Rate limits on a real Redis (issue 15), as a scaled-out deployment runs them (RATE_LIMIT_STORAGE_URL): two
api processes (two apps, two limiters, two Redis clients) share one count and refuse with 429 + Retry-After
alike; the worker's per-number send limit is shared the same way. When Redis stops, requests are let through
(and the outage logged); when it is back, the limits hold again. A throwaway redis-server
(tests/redis_server.py); nothing else is faked."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI

from api.config import Settings
from api.main import create_app
from api.ratelimit import RateLimiter, Rule
from tests.redis_server import RedisServer, running_redis

LIMIT = 3


@pytest.fixture
def settings(settings: Settings, redis_url: str) -> Settings:
    return settings.model_copy(
        update={"rate_limit_storage_url": redis_url, "rate_limit_chat_start": f"{LIMIT}/minute"}
    )


async def two_processes(settings: Settings, stack: AsyncExitStack) -> tuple[httpx.AsyncClient, ...]:
    """Two apps on the same settings: each has its own limiter and Redis client, as two api processes."""
    clients = []
    for _ in range(2):
        app: FastAPI = create_app(settings)
        await stack.enter_async_context(app.router.lifespan_context(app))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        clients.append(
            await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://testserver")
            )
        )
    return tuple(clients)


@pytest.fixture
async def pair(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, ...]]:
    async with AsyncExitStack() as stack:
        yield await two_processes(settings, stack)


async def start(client: httpx.AsyncClient) -> int:
    reply = await client.post("/v1/chat/conversations", json={"language": "en"})
    if reply.status_code == 429:
        assert 1 <= int(reply.headers["retry-after"]) <= 60
        assert reply.json()["error"] == "rate_limited"
    return reply.status_code


class TestShared:
    async def test_two_api_processes_share_one_count(self, pair: tuple[httpx.AsyncClient, ...]) -> None:
        one, two = pair
        assert [await start(one), await start(two), await start(one)] == [201, 201, 201]
        assert await start(two) == 429  # the fourth start from this address, whichever process takes it
        assert await start(one) == 429

    async def test_the_workers_send_limit_is_shared_too(self, redis_url: str) -> None:
        workers = [RateLimiter.from_settings(redis_url, {Rule.sms_outbound: "2/minute"}) for _ in range(2)]
        first, second = workers
        assert (await first.hit(Rule.sms_outbound, "index")).allowed
        assert (await second.hit(Rule.sms_outbound, "index")).allowed
        refused = await first.hit(Rule.sms_outbound, "index")
        assert not refused.allowed and 1 <= refused.retry_after <= 60
        assert (await second.hit(Rule.sms_outbound, "another")).allowed


@pytest.fixture
def own_redis(redis_server: RedisServer) -> Iterator[RedisServer]:
    """A server of this test's own (the session's is shared): it is stopped and started again."""
    del redis_server  # only so that a missing redis-server skips (or fails under CI) as everywhere else
    with running_redis() as server:
        yield server


class TestOutage:
    async def test_requests_pass_while_redis_is_down_and_are_limited_once_it_is_back(
        self, settings: Settings, own_redis: RedisServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        settings = settings.model_copy(update={"rate_limit_storage_url": own_redis.url(0)})
        async with AsyncExitStack() as stack:
            one, two = await two_processes(settings, stack)
            assert [await start(one), await start(two)] == [201, 201]

            own_redis.stop_process()
            # The apps' lifespans set the root logger's handlers (api/observability.py): listen on ours.
            ratelimit_log = logging.getLogger("api.ratelimit")
            ratelimit_log.addHandler(caplog.handler)
            stack.callback(ratelimit_log.removeHandler, caplog.handler)
            during = [await start(client) for client in (one, two, one, two, one)]
            assert during == [201] * 5  # over the limit, but nothing can count them: let through
            outages = [r for r in caplog.records if r.getMessage() == "rate limit storage unavailable"]
            assert len(outages) == 5
            assert {getattr(r, "error_type", None) for r in outages} <= {"ConnectionError", "TimeoutError"}

            own_redis.restart()  # empty: the counts start again
            after = [await start(client) for client in (one, two, one, two)]
            assert after == [201] * LIMIT + [429]
