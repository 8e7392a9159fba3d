"""Checks of bot/server/nlg.py and http.py, run in the bot environment (tests/bot/bot_env.py): the compiled
reply checks decide exactly as `jsonschema.validate` does, Rasa loads them from bot/endpoints.yml, and an NLG
request carries only the sender id and slots, over one kept-alive connection."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime
from typing import Any

import jsonschema
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.core.nlg.callback import nlg_response_format_spec
from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.core.utils import read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    EntitiesAdded,
    FollowupAction,
    LoopInterrupted,
    ReminderCancelled,
    ReminderScheduled,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.server import http, nlg
from tools.paths import ROOT

NLG_REPLIES: list[Any] = [
    {"text": "Are you safe to talk right now?", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
    {"text": "Thank you.", "buttons": [], "image": None, "elements": [], "attachments": [], "custom": {}},
    {"text": None, "custom": {"quick_exit": True}},
    {"text": 5},
    {"text": "x", "buttons": "not a list"},
    {"text": "x", "buttons": [{"title": "Yes"}]},
    {"text": "x", "elements": {"a": 1}},
]

ACTION_REPLIES: list[Any] = [
    {"events": [{"event": "slot", "name": "reference", "value": "SR-1"}], "responses": [{"text": "hi"}]},
    {"events": [], "responses": []},
    {"events": [{"event": "followup", "name": "callback_form"}]},
    {"events": "slot"},
    {"events": [{"name": "no event type"}]},
    {"events": [{"event": "slot", "name": 3}], "responses": "text"},
    {"responses": [5]},
]


def outcome(check: Any, reply: Any) -> str:
    try:
        check(reply)
    except (jsonschema.ValidationError, RasaException) as exc:
        return type(exc).__name__
    return "ok"


def reference_nlg(reply: Any) -> None:
    try:
        jsonschema.validate(reply, nlg_response_format_spec())
    except jsonschema.ValidationError as exc:
        raise RasaException(exc.message) from exc


def test_nlg_replies_are_judged_as_rasa_judges_them() -> None:
    results = [
        (outcome(reference_nlg, r), outcome(nlg.CallbackNLG.validate_response, r)) for r in NLG_REPLIES
    ]
    assert all(old == new for old, new in results), results
    assert {new for _, new in results} == {"ok", "RasaException"}, results
    assert nlg.CallbackNLG.validate_response(None) and nlg.CallbackNLG.validate_response({})


def action_verdicts(reply: Any) -> tuple[str | None, str | None]:
    """The error message `jsonschema.validate` gives the reply under Rasa's schema, and the one Rasa's action
    (with bot/server/nlg.py's check) raises; None for no error."""
    action = RemoteAction("action_handoff", EndpointConfig(url="http://127.0.0.1:9"))
    try:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
        expected = None
    except jsonschema.ValidationError as exc:
        expected = exc.message
    try:
        action._validate_action_result(reply)
        got = None
    except jsonschema.ValidationError as exc:
        got = exc.message
    return expected, got


def test_action_replies_are_judged_as_rasa_judges_them() -> None:
    verdicts = []
    for reply in ACTION_REPLIES:
        expected, got = action_verdicts(reply)
        if expected is None:
            assert got is None, (reply, got)
        else:
            assert got is not None and got.startswith(expected), (reply, expected, got)
            assert "Failed to validate Action server response" in got
        verdicts.append(expected is None)
    assert verdicts.count(True) >= 3 and verdicts.count(False) >= 3, verdicts


def rasa_events() -> list[dict[str, Any]]:
    """One event of every kind an action can return, as Rasa writes it."""
    events = [
        SlotSet("reference", "SR-1"),
        SlotSet("age", 34),
        ActiveLoop("hate_crime_form"),
        ActiveLoop(None),
        FollowupAction("action_handoff"),
        UserUttered("yes", {"name": "affirm", "confidence": 1.0}, []),
        BotUttered("Thank you.", {"buttons": [{"title": "Yes", "payload": "/affirm"}]}),
        ActionExecuted("action_listen"),
        SessionStarted(),
        Restarted(),
        AllSlotsReset(),
        ActionReverted(),
        UserUtteranceReverted(),
        ConversationPaused(),
        ConversationResumed(),
        LoopInterrupted(True),
        ActionExecutionRejected("hate_crime_form"),
        ReminderScheduled("EXTERNAL_reminder", datetime(2026, 12, 7, 18, 0)),
        ReminderCancelled(name="reminder"),
        EntitiesAdded([{"entity": "choice", "value": "race"}]),
    ]
    return [event.as_dict() for event in events]


def broken(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The event with each of its fields in turn of a wrong type, an unknown kind, and no kind."""
    variants = [{**event, key: 5 if not isinstance(value, int) else "x"} for key, value in event.items()]
    variants.append({**event, "event": "no_such_event"})
    variants.append({k: v for k, v in event.items() if k != "event"})
    return variants


def test_every_rasa_event_whole_or_broken_is_judged_as_rasa_judges_it() -> None:
    valid = rasa_events()
    replies = [{"events": [event]} for event in valid] + [{"events": valid, "responses": [{"text": "hi"}]}]
    replies += [{"events": [event]} for whole in valid for event in broken(whole)]
    judged = {True: 0, False: 0}
    for reply in replies:
        expected, got = action_verdicts(reply)
        assert (got is None) == (expected is None), (reply, expected, got)
        if expected is not None:
            assert got is not None and got.startswith(expected), (reply, expected, got)
        judged[expected is None] += 1
        # A valid reply takes the fast path (not the whole schema); an invalid one never passes it.
        assert nlg.ACTION_REPLY.fast_path_holds(reply) is (expected is None), reply
    assert judged[True] >= len(valid) and judged[False] >= len(valid), judged


def test_rasa_loads_the_generator_named_in_endpoints_yml() -> None:
    os.environ.update(
        API_URL="http://127.0.0.1:9",
        BOT_SERVICE_TOKEN="synthetic-token",
        ACTION_SERVER_URL="http://127.0.0.1:9/webhook",
        RASA_TRACKER_DIALECT="sqlite",
        RASA_TRACKER_HOST="",
        RASA_TRACKER_DB="unused.db",
    )
    endpoints = read_endpoints_from_path(str(ROOT / "bot" / "endpoints.yml"))
    generator = NaturalLanguageGenerator.create(endpoints.nlg, Domain.empty())
    assert type(generator) is nlg.CallbackNLG
    assert generator.nlg_endpoint.url == "http://127.0.0.1:9/v1/nlg"
    assert RemoteAction._validate_action_result is nlg.validate_action_reply
    assert EndpointConfig.request is http.pooled_request


async def _serve_nlg(seen: list[dict[str, Any]]) -> tuple[web.AppRunner, str]:
    async def nlg_endpoint(request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        seen.append(
            {"body": await request.json(), "peer": peer, "auth": request.headers.get("Authorization")}
        )
        return web.json_response({"text": "Are you safe to talk right now?"})

    return await _serve("/v1/nlg", nlg_endpoint)


async def _serve(path: str, handler: Any) -> tuple[web.AppRunner, str]:
    """A local server answering POSTs to `path` with `handler`: its runner (to clean up) and the URL."""
    app = web.Application()
    app.router.add_post(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}{path}"


def test_nlg_requests_carry_a_slim_tracker_over_one_kept_connection() -> None:
    async def scenario() -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        runner, url = await _serve_nlg(seen)
        try:
            endpoint = EndpointConfig(url=url, headers={"Authorization": "Bearer synthetic-token"})
            generator = nlg.CallbackNLG(endpoint)
            tracker = DialogueStateTracker.from_events(
                "w_synthetic", [UserUttered("hello", {"name": "greet"}), SlotSet("language", "pl")], []
            )
            tracker.slots["language"] = TextSlot("language", mappings=[])
            tracker.slots["language"].value = "pl"
            for _ in range(3):
                reply = await generator.generate("utter_safety_check", tracker, "rest", count=2)
                assert reply == {"text": "Are you safe to talk right now?"}
            await http.close_sessions()
        finally:
            await runner.cleanup()
        return seen

    seen = asyncio.run(scenario())
    assert len(seen) == 3
    body = seen[0]["body"]
    assert body["tracker"] == {"sender_id": "w_synthetic", "slots": {"language": "pl"}}, body
    assert body["response"] == "utter_safety_check" and body["arguments"] == {"count": 2}
    assert body["channel"] == {"name": "rest"}
    assert seen[0]["auth"] == "Bearer synthetic-token"
    assert len({s["peer"] for s in seen}) == 1, [s["peer"] for s in seen]


def test_an_nlg_error_status_is_raised_as_rasa_raises_it() -> None:
    async def scenario() -> str:
        async def refuse(request: web.Request) -> web.Response:
            return web.json_response({"error": "forbidden"}, status=403)

        runner, url = await _serve("/v1/nlg", refuse)
        try:
            http.install()
            endpoint = EndpointConfig(url=url)
            try:
                await endpoint.request(method="post", json={})
            except ClientResponseError as exc:
                return f"{exc.status}"
            finally:
                await http.close_sessions()
        finally:
            await runner.cleanup()
        return "no error"

    assert asyncio.run(scenario()) == "403"


def test_request_bodies_parse_to_what_the_standard_encoder_would_write() -> None:
    tracker = DialogueStateTracker.from_events(
        "w_synthetic",
        [
            UserUttered(
                "Zgłaszam/zgłosić: ktoś krzyczał «wracaj do domu» 😟",
                {"name": "inform", "confidence": 0.9731},
            ),
            UserUttered("مجھے ڈر لگتا ہے", {"name": "emergency", "confidence": 1e-7}),
            SlotSet("language", "ur"),
        ],
        [],
    )
    body = {"next_action": "validate_hate_crime_form", "tracker": tracker.current_state(EventVerbosity.ALL)}
    body["extra"] = {"nothing": None, "yes": True, "many": [1, 2.5, -3e-12, 'a/b\\c\n"q"']}

    async def scenario() -> bytes:
        raw: list[bytes] = []

        async def keep(request: web.Request) -> web.Response:
            raw.append(await request.read())
            return web.json_response({"events": []})

        runner, url = await _serve("/webhook", keep)
        try:
            http.install()
            assert await EndpointConfig(url=url).request(json=body) == {"events": []}
            await http.close_sessions()
        finally:
            await runner.cleanup()
        return raw[0]

    sent = asyncio.run(scenario())
    assert json.loads(sent.decode("utf-8")) == json.loads(json.dumps(body))
    assert "مجھے ڈر لگتا ہے".encode() in sent  # written as UTF-8, not as \u escapes
    assert (
        b'"next_action":"validate_hate_crime_form"' in sent
    )  # ujson's compact form: the standard one has ": "
