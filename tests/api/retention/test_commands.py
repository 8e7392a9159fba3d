"""`python -m api retention …`: hold, release, run (dry and real), policy."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import select

from api.__main__ import main
from api.config import Settings, get_settings
from api.db import create_engine, create_sessionmaker
from api.kit.crypto import Vault
from api.kit.models import utcnow
from api.referral.models import Referral
from tests.builders import add_queued_case


async def a_case(settings: Settings) -> str:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            vault = Vault(settings.encryption_key_ring(), b"test-blind-index-key")
            entry = await add_queued_case(session, vault)
            referral = await session.get(Referral, entry.referral_id)
            assert referral is not None
            referral.retention_from = referral.received_at
            return referral.reference
    finally:
        await engine.dispose()


async def still_there(settings: Settings, reference: str) -> bool:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return (
                await session.scalar(select(Referral.id).where(Referral.reference == reference)) is not None
            )
    finally:
        await engine.dispose()


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("RASA_TRACKER_DB", settings.rasa_tracker_db)
    get_settings.cache_clear()
    return settings


class TestCommands:
    def test_a_held_case_is_not_due_until_released(self, cli: Settings, capsys: Any) -> None:
        reference = asyncio.run(a_case(cli))
        in_a_year = (utcnow().replace(year=utcnow().year + 1)).isoformat()

        assert main(["retention", "hold", reference, "--reason", "litigation"]) == 0
        assert json.loads(capsys.readouterr().out)["held"] is True
        assert main(["retention", "run", "--dry-run", "--at", in_a_year]) == 0
        assert "not_taken_up" not in capsys.readouterr().out

        assert main(["retention", "release", reference, "--reason", "litigation"]) == 0
        assert json.loads(capsys.readouterr().out)["held"] is False
        assert main(["retention", "run", "--dry-run", "--at", in_a_year]) == 0
        assert "not_taken_up: would remove referral=1" in capsys.readouterr().out
        assert asyncio.run(still_there(cli, reference))

    def test_a_real_run_may_not_pretend_another_time(self, cli: Settings, capsys: Any) -> None:
        assert main(["retention", "run", "--at", "2030-01-01T00:00:00+00:00"]) == 2

    def test_an_unknown_case_cannot_be_held(self, cli: Settings, capsys: Any) -> None:
        assert main(["retention", "hold", "SR-0000-0000", "--reason", "litigation"]) == 1

    def test_the_policy_prints_every_class(self, cli: Settings, capsys: Any) -> None:
        assert main(["retention", "policy"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert {"class": "hate_crime", "clock": "receipt", "period": "7 years"} in rows
        assert {"class": "victim_support", "clock": "closure", "period": "6 years"} in rows
