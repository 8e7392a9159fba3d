"""Request dependencies, typed: the database session (one transaction per request) and what `create_app`
and its lifespan built (settings, the translator, the vault, the bot's relay…). Endpoints take these as
`Annotated` parameters instead of reaching into `request.app.state`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar, cast

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.config import Settings
from api.conversation.gateway import Gateway
from api.conversation.relay import RasaRelay
from api.conversation.tracker import TrackerStore
from api.db import create_read_sessionmaker, session_dependency
from api.i18n import Translator
from api.kit.crypto import Vault
from api.nlg.catalogue import ResponseSpec

T = TypeVar("T")


def settings_of(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def translator_of(request: Request) -> Translator:
    return cast(Translator, request.app.state.translator)


def sessionmaker_of(request: Request) -> async_sessionmaker[AsyncSession]:
    return cast(async_sessionmaker[AsyncSession], request.app.state.sessionmaker)


def read_sessionmaker_of(request: Request) -> async_sessionmaker[AsyncSession]:
    """Sessions that only read (api/db.py): on SQLite they never take the write lock. Made in the lifespan;
    made here from the engine when an app was started without it."""
    state = request.app.state
    if getattr(state, "read_sessionmaker", None) is None:
        state.read_sessionmaker = create_read_sessionmaker(state.engine)
    return cast(async_sessionmaker[AsyncSession], state.read_sessionmaker)


def vault_of(request: Request) -> Vault:
    return cast(Vault, request.app.state.vault)


def gateway_of(request: Request) -> Gateway:
    return cast(Gateway, request.app.state.gateway)


def relay_of(request: Request) -> RasaRelay:
    return cast(RasaRelay, request.app.state.relay)


def tracker_store_of(request: Request) -> TrackerStore:
    return cast(TrackerStore, request.app.state.tracker_store)


def response_catalogue_of(request: Request) -> dict[str, ResponseSpec]:
    return cast(dict[str, ResponseSpec], request.app.state.response_catalogue)


def on_loop(getter: Callable[[Request], T]) -> Callable[[Request], Awaitable[T]]:
    """`getter` as a dependency run on the event loop. FastAPI runs a plain `def` dependency in a worker
    thread, a thread hop for each one a request needs (five for one `/v1/nlg` call); these only read what
    `create_app` built, so they need no thread (issue 16)."""

    async def dependency(request: Request) -> T:
        return getter(request)

    dependency.__name__ = getter.__name__
    dependency.__doc__ = getter.__doc__
    return dependency


# The request's transaction: committed when the endpoint returns and before the response is sent (scope
# "function"; FastAPI's default runs the code after `yield` once the response has gone, so a client could
# hold a 201 for rows not yet committed, or never committed), rolled back on any error.
Session = Annotated[AsyncSession, Depends(session_dependency, scope="function")]
# For endpoints that must not hold a transaction open (a bot turn): they open short ones themselves.
Sessions = Annotated[async_sessionmaker[AsyncSession], Depends(on_loop(sessionmaker_of))]
# For reads that never write (token lookups, readiness): no write lock on SQLite; a session must not write.
ReadSessions = Annotated[async_sessionmaker[AsyncSession], Depends(on_loop(read_sessionmaker_of))]
AppSettings = Annotated[Settings, Depends(on_loop(settings_of))]
AppTranslator = Annotated[Translator, Depends(on_loop(translator_of))]
AppVault = Annotated[Vault, Depends(on_loop(vault_of))]
AppGateway = Annotated[Gateway, Depends(on_loop(gateway_of))]
AppRelay = Annotated[RasaRelay, Depends(on_loop(relay_of))]
AppTrackerStore = Annotated[TrackerStore, Depends(on_loop(tracker_store_of))]
AppResponseCatalogue = Annotated[dict[str, ResponseSpec], Depends(on_loop(response_catalogue_of))]
