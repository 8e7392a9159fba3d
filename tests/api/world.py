"""A small world of principals and cases, built through the API, for the access matrix and schemathesis.

Two hate crime cases from the bot (the first claimed by the hate crime caseworker), an ASB case referred
by the agency, a web chat conversation, revoked tokens of each kind. `World.values` names each case's
reference (`hate_ref`), queue entry (`hate_entry`), consent receipt (`hate_consent`) and the conversation
it came from (`hate_conversation`). Synthetic data only. Rasa is a fake
(`fake_rasa`): nothing reaches a real bot.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from api.config import Settings
from api.conversation.relay import RasaRelay
from api.kit.models import utcnow
from api.main import create_app
from api.principal.models import Principal
from api.queue.models import QueueEntry
from api.referral.models import Referral
from api.worker.__main__ import run_once
from tests.builders import (
    agency_referral_payload,
    bearer,
    create_principal,
    referral_payload,
    shown_consent_versions,
)
from tests.conftest import BOT_TOKEN

ANON = "anonymous"
BOT = "bot"
AGENCY = "agency"
ADMIN = "admin"
HATE = "provider_hate_crime"
ASB = "provider_asb_mediation"
DPO = "data_protection"
PRINCIPALS = (ANON, BOT, AGENCY, ADMIN, HATE, ASB, DPO)


@dataclass
class World:
    tokens: dict[str, str]
    revoked: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)  # fills {placeholders} in paths

    def headers(self, principal: str) -> dict[str, str]:
        return bearer(self.tokens[principal]) if principal in self.tokens else {}


def referral_body(world: World, principal: str) -> dict[str, Any]:
    # An agency refers through a journey's flow (here ASB); the bot sends its own triage input.
    payload = agency_referral_payload("asb") if principal == AGENCY else referral_payload()
    payload["consent"]["wording_versions"] = world.values["versions"].split(",")
    return payload


def fake_rasa(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/webhooks/rest/webhook":
        return httpx.Response(200, json=[{"text": "Synthetic bot reply"}])
    return httpx.Response(200, text="Hello from Rasa (fake)")


async def revoke(app: FastAPI, token_name: str) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        row = await session.scalar(select(Principal).where(Principal.name == token_name))
        assert row is not None
        row.revoked_at = utcnow() - timedelta(minutes=1)


async def build_world(app: FastAPI, client: httpx.AsyncClient) -> World:
    tokens = {
        BOT: BOT_TOKEN,
        AGENCY: await create_principal(app, "agency", "Synthetic housing team"),
        ADMIN: await create_principal(app, "admin", "Synthetic admin"),
        HATE: await create_principal(app, "provider", "Synthetic hate crime team", ["hate_crime"]),
        ASB: await create_principal(app, "provider", "Synthetic ASB team", ["asb_mediation"]),
        DPO: await create_principal(app, "data_protection", "Synthetic data-protection officer"),
    }
    revoked = {}
    for kind, queues in (
        ("provider", ["hate_crime"]),
        ("agency", []),
        ("admin", []),
        ("data_protection", []),
    ):
        revoked[kind] = await create_principal(app, kind, f"Synthetic revoked {kind}", queues)
        await revoke(app, f"Synthetic revoked {kind}")
    world = World(tokens, revoked)
    world.values["versions"] = ",".join(await shown_consent_versions(client, bearer(BOT_TOKEN)))

    async def refer(name: str, principal: str, triage: dict[str, Any] | None = None) -> None:
        payload = referral_body(world, principal)
        if triage is not None:
            payload["triage"] = triage
        reply = await client.post("/v1/referrals", json=payload, headers=world.headers(principal))
        assert reply.status_code == 201, reply.text
        world.values[f"{name}_ref"] = str(reply.json()["reference"])
        world.values[f"{name}_consent"] = str(reply.json()["consent_receipt_id"])
        world.values[f"{name}_conversation"] = str(payload.get("conversation_id"))

    await refer("hate", BOT)
    await refer("hate_2", BOT)
    await refer("asb", AGENCY)
    claimed = await client.post("/v1/queues/hate_crime/claim", headers=world.headers(HATE))
    assert claimed.status_code == 200 and claimed.json()["case"]["reference"] == world.values["hate_ref"]
    async with app.state.sessionmaker() as session:
        for name in ("hate_ref", "asb_ref"):
            entry = await session.scalar(
                select(QueueEntry.id)
                .join(Referral, Referral.id == QueueEntry.referral_id)
                .where(Referral.reference == world.values[name])
            )
            world.values[name.replace("_ref", "_entry")] = str(entry)
    started = await client.post("/v1/chat/conversations", json={"language": "en"})
    world.values["conversation"] = started.json()["id"]
    return world


@dataclass(frozen=True)
class BuiltWorld:
    path: Path
    world: World


def build_world_file(template_db: Path, directory: Path) -> BuiltWorld:
    """Build the world once through the API, in a copy of the migrated template; return the file."""
    path = directory / "api.db"
    shutil.copyfile(template_db, path)
    settings = Settings(
        app_env="test",
        database_url=f"sqlite+aiosqlite:///{path}",
        bot_service_token=BOT_TOKEN,
        allow_fictional_phone_numbers=True,
        _env_file=None,
    )

    async def build() -> World:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await build_world(app, client)

    world = asyncio.run(build())
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return BuiltWorld(path, world)


def copy_world(built: BuiltWorld, directory: Path) -> str:
    """A fresh copy of the built world's database; returns its URL."""
    path = directory / "api.db"
    shutil.copyfile(built.path, path)
    return f"sqlite+aiosqlite:///{path}"


async def wake(app: FastAPI) -> None:
    """A running app as the world needs it: a fake Rasa, and a fresh worker heartbeat."""
    await app.state.relay.close()
    app.state.relay = RasaRelay("http://rasa.invalid", 5.0, transport=httpx.MockTransport(fake_rasa))
    await run_once(app.state.sessionmaker)
