"""`python -m api rights find|export|rectify|erase`: the same service from a shell, as the data-protection
operator; JSON on stdout, the reason on stderr, exit codes that say what happened."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI

from api.__main__ import main
from api.config import Settings, get_settings
from api.main import create_app
from tests.builders import create_referral, referral_payload
from tests.conftest import BOT_TOKEN

T = TypeVar("T")
BOT = {"Authorization": f"Bearer {BOT_TOKEN}"}


def with_client(settings: Settings, work: Callable[[FastAPI, httpx.AsyncClient], Awaitable[T]]) -> T:
    async def run() -> T:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await work(app, client)

    return asyncio.run(run())


@pytest.fixture
def reference(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> str:
    async def make(_app: FastAPI, client: httpx.AsyncClient) -> str:
        payload = referral_payload(
            person={"phone": "07700 900771", "name": "Foxtrotcanary-name"}, language="uk"
        )
        return str((await create_referral(client, BOT, payload))["reference"])

    made = with_client(settings, make)
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ALLOW_FICTIONAL_PHONE_NUMBERS", "true")
    get_settings.cache_clear()
    return made


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["rights", *argv])
    out, err = capsys.readouterr()
    return code, out, err


class TestCommands:
    def test_find_export_rectify_and_erase(self, reference: str, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(capsys, "find", "--phone", "07700 900771")
        assert code == 0 and json.loads(out)["references"] == [reference]

        code, out, _ = run(capsys, "export", "--reference", reference)
        exported: dict[str, Any] = json.loads(out)
        assert code == 0 and exported["language"] == "uk"
        assert (
            "Foxtrotcanary-name" in json.dumps(exported["data"])
            and "Foxtrotcanary-name" in exported["document"]
        )
        code, out, _ = run(capsys, "export", "--reference", reference, "--document", "--language", "ro")
        assert code == 0 and out.startswith("Ce informații păstrăm despre dumneavoastră")

        code, out, _ = run(
            capsys, "rectify", "--reference", reference, "--field", "sms_safe", "--value", "no"
        )
        assert code == 0 and json.loads(out) == {"reference": reference, "field": "sms_safe"}
        code, _, err = run(
            capsys, "rectify", "--reference", reference, "--field", "phone", "--value", "nonsense"
        )
        assert code == 2 and "invalid_subject" in err and "nonsense" not in err

        code, out, _ = run(capsys, "erase", "--reference", reference)
        assert code == 0 and json.loads(out)["removed"]["referral"] == 1
        code, _, err = run(capsys, "export", "--reference", reference)
        assert code == 1 and "nothing_held" in err

    def test_nothing_held_and_a_request_that_is_not_one(
        self, reference: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, _, err = run(capsys, "export", "--email", "nobody@example.org")
        assert code == 1 and "nothing_held" in err
        code, _, err = run(capsys, "find", "--reference", "not-a-reference")
        assert code == 2 and "reference" in err
