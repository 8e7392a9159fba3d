"""Benchmark (not a test): what the size-limit and rate-limit middleware cost a request, as a ratio against
the same route without them, measured side by side in one run.

Run from the repository root:

    .venvs/api/bin/python load/bench_edges.py [--calls 500] [--route-calls 50] [--rounds 31]

Two views. In each, the variants are timed in interleaved rounds (one batch of each variant a round, the
order reversed every round, so neither always goes first), and the figure is the **median of the per-round
ratios** to the baseline of the same round: a round slowed by the shared machine slows every variant in it
alike and cancels out of its ratio, and the median drops the rounds a disturbance hit only one variant of.
The quartiles of the per-round ratios show how stable the figure is.

1. The middleware alone, straight ASGI calls (no HTTP client): a trivial endpoint that reads a 200-byte JSON
   body and answers a small JSON object; the same wrapped in `BodyLimit` (api/body_limit.py); in
   `RateLimit` (api/ratelimit, in-process storage, the chat-start rule counted per client address under a
   limit it never reaches); and in both. This is the middleware's own cost per request.
2. The real route: `POST /v1/chat/conversations` through `create_app()` on a fresh migrated SQLite
   database (one conversation row committed per call), with the app's middleware as built, beside the
   same app with `BodyLimit` and `RateLimit` taken out of its middleware stack. This is what a person's
   request pays.

The ratio (with / without) is the figure to compare between runs and machines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("APP_ENV", "test")

from alembic import command
from alembic.config import Config
from benchkit import settings_for
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.body_limit import BodyLimit
from api.config import REPO_ROOT
from api.main import create_app
from api.ratelimit import RateLimiter, Rule
from api.ratelimit.middleware import RateLimit

BODY = json.dumps({"language": "en", "padding": "x" * 170}).encode()
ROUTE_BODY = json.dumps({"language": "en"}).encode()  # what the chat page sends
NEVER_REACHED = "1000000000/minute"
Call = Callable[[], Any]


async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    """The trivial route: read the whole body, answer a small JSON object."""
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    body = b'{"ok":true}'
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"11")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def scope_for(path: str, body: bytes) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("198.51.100.7", 50000),
        "server": ("bench", 80),
    }


async def call(app: ASGIApp, path: str, body: bytes = BODY) -> int:
    sent = False
    status = 0

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope_for(path, body), receive, send)
    return status


def limiter() -> RateLimiter:
    return RateLimiter.from_settings("", {rule: NEVER_REACHED for rule in Rule})


def timed(
    loop: asyncio.AbstractEventLoop, app: ASGIApp, path: str, calls: int, expect: int, body: bytes = BODY
) -> Call:
    async def batch() -> None:
        for _ in range(calls):
            status = await call(app, path, body)
            assert status == expect, status

    return lambda: loop.run_until_complete(batch())


def interleaved(variants: dict[str, Call], calls: int, rounds: int) -> dict[str, list[float]]:
    """Seconds per request of each variant in each round: one batch of every variant a round, the order
    reversed every round (neither goes first every time; SQLite's WAL checkpoints land on whoever is next)."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for fn in variants.values():
        fn()  # warm up
    order = list(variants.items())
    for _ in range(rounds):
        for name, fn in order:
            started = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - started) / calls)
        order.reverse()
    return times


def ratios(times: dict[str, list[float]], name: str, baseline: str) -> list[float]:
    """The per-round ratios of `name` to `baseline` (the same round's batches, side by side)."""
    return [mine / base for mine, base in zip(times[name], times[baseline], strict=True)]


def summary(values: list[float]) -> tuple[float, float, float]:
    """Median and quartiles."""
    low, median, high = statistics.quantiles(values, n=4, method="inclusive")
    return median, low, high


def without_edges(app: FastAPI) -> FastAPI:
    """The same app with BodyLimit and RateLimit taken out (the stack is built on first call)."""
    app.user_middleware = [m for m in app.user_middleware if m.cls not in (BodyLimit, RateLimit)]
    return app


def migrate(database_url: str) -> None:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=500, help="requests a batch (middleware alone)")
    parser.add_argument("--route-calls", type=int, default=50, help="requests a batch (the real route)")
    parser.add_argument("--rounds", type=int, default=31, help="interleaved rounds (one batch of each)")
    args = parser.parse_args()
    loop = asyncio.new_event_loop()
    path = "/v1/chat/conversations"

    size = BodyLimit(endpoint, default=256 * 1024)
    rate = RateLimit(endpoint, limiter())
    both = BodyLimit(RateLimit(endpoint, limiter()), default=256 * 1024)
    alone = interleaved(
        {
            "bare": timed(loop, endpoint, path, args.calls, 200),
            "size": timed(loop, size, path, args.calls, 200),
            "rate": timed(loop, rate, path, args.calls, 200),
            "size+rate": timed(loop, both, path, args.calls, 200),
        },
        args.calls,
        args.rounds,
    )

    with tempfile.TemporaryDirectory(prefix="bench-edges-") as tmp:
        # One migrated database each, so neither app's writes (or WAL checkpoints) land on the other.
        migrate(f"sqlite+aiosqlite:///{tmp}/with.db")
        shutil.copyfile(f"{tmp}/with.db", f"{tmp}/without.db")

        def app_on(name: str) -> FastAPI:
            settings = settings_for(f"sqlite+aiosqlite:///{tmp}/{name}.db")
            return create_app(
                settings.model_copy(update={"rate_limit_chat_start": NEVER_REACHED, "log_level": "WARNING"})
            )

        with_edges = app_on("with")
        bare_app = without_edges(app_on("without"))
        assert not any(m.cls in (BodyLimit, RateLimit) for m in bare_app.user_middleware)
        assert any(m.cls is RateLimit for m in with_edges.user_middleware)

        async def start(app: FastAPI) -> Any:
            context = app.router.lifespan_context(app)
            await context.__aenter__()
            return context

        contexts = [loop.run_until_complete(start(a)) for a in (with_edges, bare_app)]
        try:
            route = interleaved(
                {
                    "route without": timed(loop, bare_app, path, args.route_calls, 201, ROUTE_BODY),
                    "route with": timed(loop, with_edges, path, args.route_calls, 201, ROUTE_BODY),
                },
                args.route_calls,
                args.rounds,
            )
        finally:
            for context in contexts:
                loop.run_until_complete(context.__aexit__(None, None, None))
    loop.close()

    print(
        f"# bench_edges: Python {platform.python_version()}, {platform.machine()}, {args.rounds} interleaved "
        f"rounds ({args.calls} and {args.route_calls} requests a batch); medians, quartiles in brackets"
    )
    print("\n| variant (middleware alone, ASGI) | µs per request | ratio to bare (per-round median) |")
    print("| --- | ---: | ---: |")
    for name, seconds in alone.items():
        median, low, high = summary(ratios(alone, name, "bare"))
        print(f"| {name} | {statistics.median(seconds) * 1e6:.1f} | {median:.3f} [{low:.3f}–{high:.3f}] |")
    cost = {
        name: statistics.median([m - b for m, b in zip(alone[name], alone["bare"], strict=True)]) * 1e6
        for name in ("size", "rate", "size+rate")
    }
    print(
        f"\nmiddleware's own cost a request (per-round median): size {cost['size']:.1f} µs, "
        f"rate {cost['rate']:.1f} µs, both {cost['size+rate']:.1f} µs"
    )
    print("\n| POST /v1/chat/conversations (SQLite, commit a call) | ms per request (median) |")
    print("| --- | ---: |")
    for name, seconds in route.items():
        print(f"| {name} size + rate limit | {statistics.median(seconds) * 1e3:.2f} |")
    median, low, high = summary(ratios(route, "route with", "route without"))
    print(f"\nratio with / without (per-round median): {median:.3f} [quartiles {low:.3f}–{high:.3f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
