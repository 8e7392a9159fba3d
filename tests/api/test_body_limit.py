"""Request bodies over the limit are refused before they are read (api/body_limit.py, issue 15), through a
real uvicorn server: a declared Content-Length over the limit, a chunked body that grows past it, and the
police feed's own larger limit. A body within the limit still arrives whole."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request

from api.body_limit import BodyLimit, Limit
from api.config import Settings
from api.i18n import Translator
from tools.paths import ROOT

LIMIT = 8 * 1024


def limited_app() -> FastAPI:
    app = FastAPI()
    app.state.translator = Translator(ROOT / "locales")
    seen: list[int] = []
    app.state.seen = seen

    @app.post("/v1/echo")
    async def echo(request: Request) -> dict[str, int]:
        body = await request.body()
        seen.append(len(body))
        return {"bytes": len(body)}

    @app.post("/v1/admin/police-feed")
    async def feed(request: Request) -> dict[str, int]:
        body = await request.body()
        seen.append(len(body))
        return {"bytes": len(body)}

    own = Limit(4 * LIMIT, "police_feed_too_large", "error.police_feed.too_large")
    app.add_middleware(BodyLimit, default=LIMIT, by_prefix={"/v1/admin/police-feed": own})
    return app


@pytest.fixture
async def client() -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    import uvicorn

    app = limited_app()
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(1000):  # up to 10 s
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started
    port = server.servers[0].sockets[0].getsockname()[1]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        yield http, app
    server.should_exit = True
    await task


async def chunks(total: int, size: int = 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


async def test_a_body_within_the_limit_arrives_whole(client: tuple[httpx.AsyncClient, FastAPI]) -> None:
    http, app = client
    response = await http.post("/v1/echo", content=b"x" * LIMIT)
    assert response.json() == {"bytes": LIMIT}
    response = await http.post("/v1/echo", content=chunks(LIMIT - 10))  # chunked, no Content-Length
    assert response.json() == {"bytes": LIMIT - 10}
    assert app.state.seen == [LIMIT, LIMIT - 10]


async def test_a_declared_length_over_the_limit_is_refused_unread(
    client: tuple[httpx.AsyncClient, FastAPI],
) -> None:
    http, app = client
    response = await http.post("/v1/echo", content=b"x" * (LIMIT + 1), headers={"Accept-Language": "pl"})
    assert response.status_code == 413
    assert response.json() == {
        "error": "request_too_large",
        "code": 413,
        "detail": "Żądanie jest za duże: przyjmujemy tu najwyżej 8 KB.",
    }
    assert app.state.seen == []  # the endpoint never ran


async def test_a_chunked_body_growing_past_the_limit_is_refused(
    client: tuple[httpx.AsyncClient, FastAPI],
) -> None:
    http, app = client
    response = await http.post("/v1/echo", content=chunks(LIMIT * 20))
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"
    assert app.state.seen == []


async def test_a_route_with_its_own_limit(client: tuple[httpx.AsyncClient, FastAPI]) -> None:
    http, app = client
    ok = await http.post("/v1/admin/police-feed", content=b"x" * (3 * LIMIT))
    refused = await http.post("/v1/admin/police-feed", content=b"x" * (4 * LIMIT + 1))
    assert (ok.status_code, refused.status_code) == (200, 413)
    assert refused.json()["error"] == "police_feed_too_large"
    assert app.state.seen == [3 * LIMIT]


def test_the_api_is_limited_by_the_setting() -> None:
    from api.main import create_app

    settings = Settings(app_env="test", max_request_bytes=64 * 1024, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings)
    limits = [m for m in app.user_middleware if m.cls is BodyLimit]
    assert len(limits) == 1
    assert limits[0].kwargs["default"] == 64 * 1024
    # Outermost of all that read anything: only EdgeHeaders (api/web/security.py), which adds headers to the
    # answer and never touches the body, is outside it, so the 413 carries them too.
    assert [m.cls.__name__ for m in app.user_middleware[:3]] == ["EdgeHeaders", "BodyLimit", "RateLimit"]
