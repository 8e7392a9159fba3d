"""Rate limits (issue 15): bursts over a limit get 429 with Retry-After in the usual error shape (the /refer
form: its own page, in the person's language); under the limit pass; each key counts alone; the client
address comes from X-Forwarded-For only through a configured proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from api.config import Settings
from api.i18n import Translator
from api.main import create_app
from api.ratelimit import client_address, parse_networks, storage_url

TRANSLATOR = Translator(Settings(app_env="test", _env_file=None).locales_dir)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "rate_limit_chat_start": "3/minute",
            "rate_limit_chat_turn": "2/minute",
            "rate_limit_sign_in": "2/minute",
        }
    )


def assert_refused(reply: httpx.Response) -> None:
    assert reply.status_code == 429, reply.text
    assert 1 <= int(reply.headers["retry-after"]) <= 60
    assert reply.headers["cache-control"] == "no-store"


async def start(client: httpx.AsyncClient, **headers: str) -> httpx.Response:
    return await client.post("/v1/chat/conversations", json={"language": "en"}, headers=headers)


class TestChatStart:
    async def test_a_burst_over_the_limit_is_429_with_retry_after(self, client: httpx.AsyncClient) -> None:
        under = [await start(client) for _ in range(3)]
        assert [r.status_code for r in under] == [201, 201, 201]
        over = await start(client, **{"accept-language": "pl"})
        assert_refused(over)
        assert over.json() == {
            "error": "rate_limited",
            "code": 429,
            "detail": TRANSLATOR.t("error.generic.rate_limited", "pl"),
        }
        assert over.json()["detail"] != TRANSLATOR.t("error.generic.rate_limited", "en")

    async def test_a_forwarded_header_from_an_untrusted_peer_changes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        for n in range(3):
            assert (await start(client, **{"x-forwarded-for": f"203.0.113.{n}"})).status_code == 201
        assert_refused(await start(client, **{"x-forwarded-for": "203.0.113.99"}))


class TestBehindATrustedProxy:
    @pytest.fixture
    async def proxied(self, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
        # httpx's ASGI transport connects from 127.0.0.1: that is our configured proxy here.
        app = create_app(settings.model_copy(update={"trusted_proxies": "127.0.0.1/32, 10.0.0.0/8"}))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield http

    async def test_each_client_address_counts_alone(self, proxied: httpx.AsyncClient) -> None:
        alice = {"x-forwarded-for": "198.51.100.7"}
        bob = {"x-forwarded-for": "198.51.100.8, 10.1.2.3"}  # through a second proxy of ours
        for _ in range(3):
            assert (await start(proxied, **alice)).status_code == 201
        assert_refused(await start(proxied, **alice))
        assert [(await start(proxied, **bob)).status_code for _ in range(3)] == [201, 201, 201]
        assert_refused(await start(proxied, **bob))

    async def test_a_spoofed_left_hop_does_not_escape(self, proxied: httpx.AsyncClient) -> None:
        for n in range(3):
            # The client makes up the left part; our proxy appends the address it really saw.
            spoofed = {"x-forwarded-for": f"192.0.2.{n}, 198.51.100.9"}
            assert (await start(proxied, **spoofed)).status_code == 201
        assert_refused(await start(proxied, **{"x-forwarded-for": "192.0.2.77, 198.51.100.9"}))


class TestChatTurns:
    async def test_counted_per_conversation(self, client: httpx.AsyncClient) -> None:
        first = (await start(client)).json()["id"]
        second = (await start(client)).json()["id"]

        async def say(conversation: str) -> httpx.Response:
            return await client.post(
                f"/v1/chat/conversations/{conversation}/messages", json={"text": "hello"}
            )

        # The bot is down in these tests (503): the limit counts turns whatever the bot answers.
        assert [(await say(first)).status_code for _ in range(2)] == [503, 503]
        assert_refused(await say(first))
        assert (await say(second)).status_code == 503


class TestSignIn:
    async def test_the_form_refuses_with_its_own_page_in_the_persons_language(
        self, client: httpx.AsyncClient
    ) -> None:
        for _ in range(2):  # no CSRF cookie: each refused by the form itself, and counted
            reply = await client.post("/refer/sign-in", data={"token": "x", "lang": "ro"})
            assert reply.status_code == 403
        over = await client.post("/refer/sign-in", data={"token": "x"}, headers={"accept-language": "ro"})
        assert_refused(over)
        assert over.headers["content-type"].startswith("text/html")
        assert TRANSLATOR.t("error.generic.rate_limited", "ro") in over.text

    async def test_the_console_sign_in_is_limited_per_address_too(self, client: httpx.AsyncClient) -> None:
        for _ in range(2):  # wrong or missing fields: refused by the console itself, and counted
            reply = await client.post("/console/sign-in", data={"username": "nobody", "password": "x"})
            assert reply.status_code != 429
        over = await client.post("/console/sign-in", data={"username": "nobody", "password": "x"})
        assert_refused(over)
        assert over.headers["content-type"].startswith("text/html")


class TestClientAddress:
    TRUSTED = parse_networks("10.0.0.0/8,127.0.0.1")

    @pytest.mark.parametrize(
        ("peer", "forwarded", "expected"),
        [
            ("198.51.100.1", None, "198.51.100.1"),
            ("198.51.100.1", "203.0.113.5", "198.51.100.1"),  # the peer is no proxy of ours
            ("10.0.0.2", "203.0.113.5", "203.0.113.5"),
            ("10.0.0.2", "1.2.3.4, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
            ("10.0.0.2", "not-an-address", "10.0.0.2"),
            ("10.0.0.2", "10.0.0.3", "10.0.0.3"),  # only proxies: the farthest one
            ("10.0.0.2", None, "10.0.0.2"),
        ],
    )
    def test_read_from_the_right_through_trusted_proxies_only(
        self, peer: str, forwarded: str | None, expected: str
    ) -> None:
        assert client_address(peer, forwarded, self.TRUSTED) == expected

    def test_nothing_is_trusted_by_default(self) -> None:
        assert client_address("10.0.0.2", "203.0.113.5", ()) == "10.0.0.2"
        assert parse_networks("") == ()
        assert parse_networks("::1")[0] == ipaddress.ip_network("::1")


class TestSettings:
    def test_a_limit_that_does_not_parse_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="rate_limit_chat_turn"):
            Settings(app_env="test", rate_limit_chat_turn="lots", _env_file=None)
        with pytest.raises(ValidationError, match="trusted_proxies"):
            Settings(app_env="test", trusted_proxies="10.0.0.0/33", _env_file=None)
        with pytest.raises(ValidationError, match="rate_limit_storage_url"):
            Settings(app_env="test", rate_limit_storage_url="memcached://x", _env_file=None)

    def test_storage_is_memory_by_default_and_redis_when_set(self) -> None:
        assert storage_url("") == "async+memory://"
        assert storage_url("redis://cache:6379/2") == "async+redis://cache:6379/2"
        assert storage_url("rediss://cache:6380") == "async+rediss://cache:6380"

    async def test_an_unreachable_redis_lets_requests_through(self, settings: Settings) -> None:
        app: FastAPI = create_app(
            settings.model_copy(update={"rate_limit_storage_url": "redis://127.0.0.1:9/0"})
        )
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
        ):
            replies = [await start(http) for _ in range(5)]  # over 3/minute, but nothing counts them
        assert [r.status_code for r in replies] == [201] * 5
