"""schemathesis against the app's own OpenAPI document, in process (ASGI, no network), as each principal.

For every operation schemathesis sends the document's examples, then boundary values (its coverage
phase), then generated requests, valid and invalid, and checks each answer: never a 5xx, a status the
operation declares, a body matching the declared schema for that status, invalid input refused with 4xx.
It runs once per principal against a fresh copy of the small world of tests/api/world.py, with the example
reference in the document (`SR-2345-6789`) given to a real case, so the examples reach real data.

Nothing is excluded: the chat operations talk to a fake Rasa (tests/api/world.py), never a real one.
Example counts are bounded so the whole run stays well under two minutes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi
from sqlalchemy import update

from api.config import Settings
from api.conversation.relay import RasaRelay
from api.db import create_engine, create_sessionmaker
from api.kit.models import utcnow
from api.kit.sql import upsert
from api.main import create_app
from api.referral.models import Referral
from api.worker.models import WorkerHeartbeat
from tests.api.world import ADMIN, AGENCY, BOT, HATE, BuiltWorld, build_world_file, copy_world, fake_rasa
from tests.conftest import BOT_TOKEN

EXAMPLE_REFERENCE = "SR-2345-6789"  # the example in the OpenAPI document of GET /v1/referrals/{reference}
MAX_EXAMPLES = 10

ACCEPTED = ["2xx", "401", "403", "404", "409"]  # what a schema-valid request may get, by default
# Operations where a request the schema allows may still be refused with 422, by a rule JSON Schema cannot
# state. Each says which; everything else must accept schema-valid input (or answer 401/403/404/409).
RULES_BEYOND_THE_SCHEMA = [
    # The consent wording versions must be ones the service has shown (a database lookup), and an agency
    # must attest the person's consent (depends on who calls).
    ("POST", "/v1/referrals"),
    # A return note may not carry contact details (a phone-number-like run of digits is refused).
    ("POST", "/v1/queues/{queue}/cases/{entry_id}/return"),
]
CONFIG = SchemathesisConfig.from_dict(
    {
        "base-url": "http://testserver",
        "operations": [
            {
                "include-method": method,
                "include-path": path,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
            }
            for method, path in RULES_BEYOND_THE_SCHEMA
        ],
    }
)
# The document is the app's own, built without a database (nothing at import needs one).
schema = schemathesis.openapi.from_dict(
    create_app(Settings(app_env="test", _env_file=None)).openapi(), config=CONFIG
)


@pytest.fixture(scope="module")
def built_world(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltWorld:
    return build_world_file(template_db, tmp_path_factory.mktemp("world"))


async def seed(database_url: str, built: BuiltWorld) -> None:
    """Give the document's example reference to a real case, and beat the worker's heartbeat."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(
                update(Referral)
                .where(Referral.reference == built.world.values["hate_ref"])
                .values(reference=EXAMPLE_REFERENCE)
            )
            await upsert(session, WorkerHeartbeat, {"name": "worker", "seen_at": utcnow()}, ["name"])
    finally:
        await engine.dispose()


@pytest.fixture
def live_app(built_world: BuiltWorld, tmp_path: Path) -> Iterator[FastAPI]:
    """The app on a fresh copy of the world, its lifespan running in schemathesis' ASGI event loop."""
    database_url = copy_world(built_world, tmp_path)
    asyncio.run(seed(database_url, built_world))
    app = create_app(
        Settings(
            app_env="test",
            database_url=database_url,
            bot_service_token=BOT_TOKEN,
            allow_fictional_phone_numbers=True,
            worker_poll_seconds=60,  # the heartbeat above stays fresh for the whole run
            # Fuzzing sends hundreds of requests from one address: the limits have their own tests.
            rate_limit_chat_start="100000/minute",
            rate_limit_chat_turn="100000/minute",
            _env_file=None,
        )
    )
    with asgi.get_client(app):  # starts the lifespan; it runs until shutdown_lifespans()
        app.state.relay = RasaRelay("http://rasa.invalid", 5.0, transport=httpx.MockTransport(fake_rasa))
    try:
        yield app
    finally:
        asgi.shutdown_lifespans()


def run(case: schemathesis.Case, app: FastAPI, headers: dict[str, str]) -> None:
    # The operation's schema carries the app, so that checks which send requests of their own (e.g. the
    # same request without the token, to prove authentication is enforced) reach this app too.
    case.operation.app = case.operation.schema.app = app
    case.call_and_validate(headers=headers)


# One test per principal: the whole run repeats with each token, each operation on a fresh copy of the world.
slow_enough = settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


@schema.parametrize()
@slow_enough
def test_as_the_bot(case: schemathesis.Case, live_app: FastAPI, built_world: BuiltWorld) -> None:
    run(case, live_app, built_world.world.headers(BOT))


@schema.parametrize()
@slow_enough
def test_as_an_agency(case: schemathesis.Case, live_app: FastAPI, built_world: BuiltWorld) -> None:
    run(case, live_app, built_world.world.headers(AGENCY))


@schema.parametrize()
@slow_enough
def test_as_an_admin(case: schemathesis.Case, live_app: FastAPI, built_world: BuiltWorld) -> None:
    run(case, live_app, built_world.world.headers(ADMIN))


@schema.parametrize()
@slow_enough
def test_as_a_provider(case: schemathesis.Case, live_app: FastAPI, built_world: BuiltWorld) -> None:
    run(case, live_app, built_world.world.headers(HATE))
