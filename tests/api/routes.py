"""Every route of the app, as the access tests see it: its method, its path template and its dependencies.

FastAPI 0.165 keeps an included router as one `_IncludedRouter` in `app.routes`; its `original_router`
holds the routes (or further included routers) and its `include_context` the prefix and dependencies the
include added. This walks the whole tree, so a router included anywhere is seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Route


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    calls: tuple[Callable[..., Any], ...]  # every dependency callable, however deep
    module: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


@dataclass(frozen=True)
class FrameworkRoute:
    """A route that is not an APIRoute: FastAPI's own documentation routes, mounts, plain Starlette routes."""

    path: str
    methods: frozenset[str]


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _walk(
    routes: Sequence[BaseRoute], prefix: str, extra: tuple[Callable[..., Any], ...]
) -> Iterator[Endpoint | FrameworkRoute]:
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            context = route.include_context  # type: ignore[attr-defined]
            calls = tuple(d.dependency for d in context.dependencies if d.dependency is not None)
            yield from _walk(original.routes, prefix + context.prefix, extra + calls)
        elif isinstance(route, APIRoute):
            calls = extra + tuple(_calls(route.dependant))
            for method in sorted(route.methods or ()):
                yield Endpoint(method, prefix + route.path, calls, route.endpoint.__module__)
        elif isinstance(route, Route):
            yield FrameworkRoute(prefix + route.path, frozenset(route.methods or ()))
        else:
            yield FrameworkRoute(prefix + str(getattr(route, "path", route)), frozenset())


def endpoints(app: FastAPI) -> list[Endpoint]:
    return [r for r in _walk(app.routes, "", ()) if isinstance(r, Endpoint)]


def framework_routes(app: FastAPI) -> list[FrameworkRoute]:
    return [r for r in _walk(app.routes, "", ()) if isinstance(r, FrameworkRoute)]


def allowed_kinds(endpoint: Endpoint) -> frozenset[str] | None:
    """The kinds of principal an `allow(...)` dependency admits, or None when there is none."""
    kinds = [getattr(call, "allowed_kinds", None) for call in endpoint.calls]
    found = [frozenset(str(k) for k in k_) for k_ in kinds if k_ is not None]
    if not found:
        return None
    # Several allow() on one route all apply: the caller must pass each.
    return frozenset.intersection(*found)


def public_reason(endpoint: Endpoint) -> str | None:
    reasons = [getattr(call, "public_reason", None) for call in endpoint.calls]
    return next((r for r in reasons if r), None)
