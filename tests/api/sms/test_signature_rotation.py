"""Twilio's secondary auth token (issue 15): while Twilio rotates its tokens, a webhook signed with either the
primary or the secondary is accepted; any other token is still 403. Signatures made by the real twilio
RequestValidator."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select

from api.config import Settings
from api.sms.models import SmsInbound
from tests.api.sms.conftest import INBOUND, PUBLIC, inbound_params, post_signed, sign

SECONDARY = "test-twilio-secondary-token-98765"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"twilio_auth_token_secondary": SecretStr(SECONDARY)})


async def stored(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(SmsInbound)) or 0)


class TestSecondaryToken:
    async def test_primary_and_secondary_both_pass(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        primary = inbound_params("hello", n=1)
        assert (await post_signed(client, INBOUND, primary)).status_code == 200
        secondary = inbound_params("hello again", n=2)
        signature = sign(PUBLIC + INBOUND, secondary, token=SECONDARY)
        assert (await post_signed(client, INBOUND, secondary, signature=signature)).status_code == 200
        assert await stored(app) == 2

    async def test_another_token_is_403(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        params = inbound_params("hello", n=3)
        signature = sign(PUBLIC + INBOUND, params, token="some-other-token-000000000000000")
        assert (await post_signed(client, INBOUND, params, signature=signature)).status_code == 403
        assert await stored(app) == 0

    async def test_without_a_secondary_only_the_primary_passes(
        self, settings: Settings, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        app.state.settings = settings.model_copy(update={"twilio_auth_token_secondary": None})
        params = inbound_params("hello", n=4)
        signature = sign(PUBLIC + INBOUND, params, token=SECONDARY)
        assert (await post_signed(client, INBOUND, params, signature=signature)).status_code == 403
        assert (await post_signed(client, INBOUND, inbound_params("hi", n=5))).status_code == 200
