"""A flood of texts from one number (issue 15): beyond RATE_LIMIT_SMS_INBOUND a signed text is acknowledged
to Twilio (200, so it is not retried) but not stored, so it makes no bot turn and no reply; the sender gets
one "slow down" text per window, in the language they write in. Other numbers are not affected; a text
matching a danger phrase and STOP are never held back."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from api.config import Settings
from api.i18n import Translator
from api.sms import segments
from api.sms.schemas import EMPTY_TWIML
from tests.api.sms.conftest import INBOUND, PERSON, inbound_params, inbound_rows, post_signed

OTHER = "+447700900456"
LOCALES = ("en", "pl", "ro", "uk", "ar", "ur", "pa", "bn")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"rate_limit_sms_inbound": "2/minute", "rate_limit_sms_notice": "1/hour"}
    )


async def text(
    client: httpx.AsyncClient, body: str, n: int, sender: str = PERSON, **extra: str
) -> httpx.Response:
    reply = await post_signed(client, INBOUND, inbound_params(body, n=n, sender=sender, **extra))
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/xml")
    return reply


class TestFlood:
    async def test_beyond_the_limit_acknowledged_not_stored_and_told_once(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        assert (await text(client, "hello", 1)).text == EMPTY_TWIML
        assert (await text(client, "are you there", 2)).text == EMPTY_TWIML
        told = await text(client, "hello again", 3)
        notice = app.state.translator.t("api.sms.rate_limited", "en")
        assert told.text.endswith(f"<Response><Message>{notice}</Message></Response>")
        assert (await text(client, "hello hello", 4)).text == EMPTY_TWIML  # told once per window only
        stored = await inbound_rows(app)
        assert sorted(r.message_sid for r in stored) == sorted(
            inbound_params(n=n)["MessageSid"] for n in (1, 2)
        )

    async def test_each_number_counts_alone(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        for n in range(1, 4):
            await text(client, "hello", n)
        assert (await text(client, "hello", 10, sender=OTHER)).text == EMPTY_TWIML
        assert (await text(client, "hello", 11, sender=OTHER)).text == EMPTY_TWIML
        assert len(await inbound_rows(app)) == 4

    async def test_the_notice_is_in_the_senders_language(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        for n in range(1, 3):
            await text(client, "dzień dobry", n)
        told = await text(client, "Potrzebuję pomocy, sąsiad znowu krzyczy na mnie pod drzwiami", 3)
        assert app.state.translator.t("api.sms.rate_limited", "pl") in told.text

    async def test_danger_and_stop_are_never_held_back(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        for n in range(1, 4):
            await text(client, "hello", n)
        assert (await text(client, "he's here now", 4)).text == EMPTY_TWIML
        assert (await text(client, "STOP", 5, OptOutType="STOP")).text == EMPTY_TWIML
        sids = {r.message_sid for r in await inbound_rows(app)}
        assert inbound_params(n=4)["MessageSid"] in sids
        assert inbound_params(n=5)["MessageSid"] in sids
        assert inbound_params(n=3)["MessageSid"] not in sids


@pytest.mark.parametrize("language", LOCALES)
def test_the_notice_fits_one_sms_budget(language: str, settings: Settings) -> None:
    notice = Translator(settings.locales_dir).t("api.sms.rate_limited", language)
    assert notice and "api.sms" not in notice
    assert "999" in notice
    assert segments.fits(notice)  # at most 3 segments (DESIGN §6)
