"""The returning person (bot/actions/session.py): when the slots name no case (the session expired; an SMS
number keeps one conversation id for good), consent withdrawal and a danger message ask the api by
conversation, and the bot's words follow what the api found: "withdrawn" with the references when there was
a referral, "nothing has been kept" only when there was none, how to withdraw by phone when the api could not
be asked. The api is a local stand-in on a real port (aiohttp), reached through the real api client.

Needs the Rasa SDK, so these checks run in the bot's environment (tests/bot/test_bot_env_checks.py)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import session

ANSWERS: dict[str, dict[str, Any]] = {
    "s_one": {"references": ["SR-2345-6789"], "withdrawn_now": 1},
    "s_two": {"references": ["SR-2345-6789", "SR-3456-789A"], "withdrawn_now": 2},
    "s_none": {"references": [], "withdrawn_now": 0},
}


def tracker(sender: str, slots: dict[str, Any] | None = None) -> Tracker:
    """A tracker at the start of a new session: no slots but the language (unless given)."""
    return Tracker(
        sender,
        {"language": "en", **(slots or {})},
        {"text": "i withdraw my consent", "intent": {"name": "withdraw_consent"}},
        [],
        False,
        None,
        {},
        None,
    )


async def with_api(work: Callable[[list[str]], Awaitable[None]]) -> None:
    seen: list[str] = []

    async def by_conversation(request: web.Request) -> web.Response:
        seen.append(request.path)
        conversation = request.match_info["conversation"]
        if conversation not in ANSWERS:
            return web.json_response({"error": "forbidden", "code": 403, "detail": "x"}, status=403)
        return web.json_response(ANSWERS[conversation])

    async def by_consent(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response({"id": request.match_info["consent"], "kind": "withdrawal"}, status=201)

    app = web.Application()
    app.router.add_post("/v1/conversations/{conversation}/consent-withdrawal", by_conversation)
    app.router.add_post("/v1/conversations/{conversation}/urgent", by_conversation)
    app.router.add_post("/v1/consents/{consent}/withdraw", by_consent)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    os.environ["API_URL"] = f"http://127.0.0.1:{port}"
    os.environ["BOT_SERVICE_TOKEN"] = "synthetic-bot-token"
    try:
        await work(seen)
    finally:
        await runner.cleanup()


def withdraw(sender: str, slots: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    dispatcher = CollectingDispatcher()
    paths: list[str] = []

    async def work(seen: list[str]) -> None:
        await session.ActionWithdrawConsent().run(dispatcher, tracker(sender, slots), {})
        paths.extend(seen)

    asyncio.run(with_api(work))
    return dispatcher.messages, paths


def test_a_referral_the_slots_forgot_is_withdrawn_and_named() -> None:
    messages, paths = withdraw("s_one")
    assert [(m["response"], m.get("reference")) for m in messages] == [
        ("utter_consent_withdrawn_referral", "SR-2345-6789")
    ]
    assert paths == ["/v1/conversations/s_one/consent-withdrawal"]


def test_every_referral_of_the_number_is_named() -> None:
    messages, _ = withdraw("s_two")
    assert [m.get("reference") for m in messages] == ["SR-2345-6789, SR-3456-789A"]


def test_nothing_kept_only_when_the_api_found_nothing() -> None:
    messages, _ = withdraw("s_none")
    assert [m["response"] for m in messages] == ["utter_consent_withdrawn_nothing_kept"]


def test_when_the_api_cannot_be_asked_the_person_is_told_how_to_withdraw() -> None:
    messages, _ = withdraw("s_refused")
    assert [m["response"] for m in messages] == ["utter_consent_withdraw_unchecked"]


def test_a_case_the_slots_still_name_is_withdrawn_by_its_consent() -> None:
    slots = {
        "referral_reference": "SR-2345-6789",
        "consent_receipt_id": "0b0e1c1e-0000-4000-8000-000000000001",
    }
    messages, paths = withdraw("s_none", slots)
    assert [(m["response"], m.get("reference")) for m in messages] == [
        ("utter_consent_withdrawn_referral", "SR-2345-6789")
    ]
    assert paths == ["/v1/consents/0b0e1c1e-0000-4000-8000-000000000001/withdraw"]


def test_danger_with_no_case_in_the_slots_asks_by_conversation() -> None:
    async def work(seen: list[str]) -> None:
        events = await session.ActionRecordDanger().run(CollectingDispatcher(), tracker("s_one"), {})
        assert events == [{"event": "slot", "timestamp": None, "name": "danger_reported", "value": True}]
        await asyncio.gather(*session._URGENT_TASKS)
        assert seen == ["/v1/conversations/s_one/urgent"]

    asyncio.run(with_api(work))
