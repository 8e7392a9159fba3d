"""Checks of bot/server/nlg.py, run in the bot environment (tests/bot/bot_env.py): the compiled reply checks
decide exactly as `jsonschema.validate` does, and Rasa loads them from bot/endpoints.yml."""

from __future__ import annotations

import os
from typing import Any

import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.core.nlg.callback import nlg_response_format_spec
from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.core.utils import read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from bot.server import nlg
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


def test_action_replies_are_judged_as_rasa_judges_them() -> None:
    action = RemoteAction("action_handoff", EndpointConfig(url="http://127.0.0.1:9"))
    spec = RemoteAction.action_response_format_spec()
    verdicts = []
    for reply in ACTION_REPLIES:
        try:
            jsonschema.validate(reply, spec)
            expected = None
        except jsonschema.ValidationError as exc:
            expected = exc.message
        try:
            action._validate_action_result(reply)
            got = None
        except jsonschema.ValidationError as exc:
            got = exc.message
        if expected is None:
            assert got is None, (reply, got)
        else:
            assert got is not None and got.startswith(expected), (reply, expected, got)
            assert "Failed to validate Action server response" in got
        verdicts.append(expected is None)
    assert verdicts.count(True) >= 3 and verdicts.count(False) >= 3, verdicts


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
