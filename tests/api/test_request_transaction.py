"""A request's transaction is committed before its response is sent (issue 15): a client that holds a 201
can rely on the rows being there, and a failed commit is an error response, not a reference to nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.db import create_engine, create_sessionmaker
from api.deps import Session


class RecordResponseStart:
    def __init__(self, app: ASGIApp, order: list[str]) -> None:
        self.app, self.order = app, order

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.order.append(f"response {message['status']}")
            await send(message)

        await self.app(scope, receive, sending)


@pytest.fixture
async def app_and_order(tmp_path: Path) -> AsyncIterator[tuple[FastAPI, list[str]]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE author (id INTEGER PRIMARY KEY)"))
        await conn.execute(text("INSERT INTO author (id) VALUES (1)"))
        # Checked at COMMIT, not at INSERT: a statement that fails only after the endpoint returned.
        await conn.execute(
            text(
                "CREATE TABLE note (body TEXT, author_id INTEGER"
                " REFERENCES author (id) DEFERRABLE INITIALLY DEFERRED)"
            )
        )
    app = FastAPI()
    app.state.sessionmaker = create_sessionmaker(engine)
    order: list[str] = []

    @app.post("/notes", status_code=201)
    async def add(session: Session, body: dict[str, Any]) -> dict[str, str]:
        event.listen(session.sync_session, "after_commit", lambda _s: order.append("commit"))
        await session.execute(
            text("INSERT INTO note (body, author_id) VALUES (:b, :a)"),
            {"b": "synthetic", "a": body["author"]},
        )
        return {"status": "stored"}

    app.add_middleware(RecordResponseStart, order=order)
    yield app, order
    await engine.dispose()


async def test_the_commit_comes_before_the_response(app_and_order: tuple[FastAPI, list[str]]) -> None:
    app, order = app_and_order
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.post("/notes", json={"author": 1})
    assert response.status_code == 201
    assert order == ["commit", "response 201"]


async def test_a_failed_commit_is_an_error_not_a_201(app_and_order: tuple[FastAPI, list[str]]) -> None:
    app, order = app_and_order
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/notes", json={"author": 2})  # no such author: refused at COMMIT
    assert response.status_code == 500
    # The app raised before any response started: no commit happened and no 201 went out first (the 500 is
    # the server's answer to the exception; in the api, its error handler writes the typed error body).
    assert order == []
    async with app.state.sessionmaker() as session:
        assert (await session.execute(text("SELECT count(*) FROM note"))).scalar_one() == 0
