"""The bot's natural language generator: Rasa's callback NLG (the api's `/v1/nlg` writes every text), with
the reply schemas checked by validators built once.

Rasa 3.6 checks each NLG reply and each action-server reply with `jsonschema.validate(instance, schema)`,
which first checks the *schema* against its meta-schema and builds a new validator, every call: most of
Rasa's CPU under load (issue 16). Here each schema is checked and compiled once, at import; a reply is then
checked against the same schema with the same outcome: a valid reply passes, an invalid one raises the error
Rasa raises (`RasaException` for NLG, `jsonschema.ValidationError` with Rasa's hint for actions).

Each request carries only what the api's `/v1/nlg` reads: the response, its arguments, the channel and the
tracker's sender id and slots. Rasa would send the whole tracker, every event of the session (13-200 KB),
serialised anew for each reply (issue 16).

Rasa imports this module when it reads `nlg: type: bot.server.nlg.CallbackNLG` in `bot/endpoints.yml`, at
start, before the first action runs; importing it also gives `RemoteAction` the compiled check, and making
the generator gives every Rasa HTTP call kept-alive connections (bot/server/http.py).
"""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.core.nlg.callback import (
    CallbackNaturalLanguageGenerator,
    nlg_request_format,
    nlg_response_format_spec,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from bot.server import http

DOCS = "https://rasa.com/docs/rasa/custom-actions"


def compiled(schema: dict[str, Any]) -> Validator:
    """A validator for `schema`, the schema itself checked once (as `jsonschema.validate` does per call)."""
    cls = validator_for(schema)
    cls.check_schema(schema)
    validator: Validator = cls(schema)
    return validator


def check(validator: Validator, instance: Any) -> None:
    """Raise the error `jsonschema.validate` would raise for `instance` (its best match), else nothing."""
    error = best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


class ActionReplyCheck:
    """The action-server reply check, with a fast path for the events.

    Rasa's schema lets each event be `oneOf` 23 event schemas, told apart by the constant of their `event`
    field: checking a reply tries every event against every schema (~4 ms for a reply of 8 events, the
    failed tries building errors; a compiled validator does not help, fastjsonschema takes as long). Here a
    reply is first checked against the schema without the `oneOf`, then each event against the schemas whose
    constant is its `event`: exactly one must hold. That decides validity as the whole schema does (every
    other schema fails on the constant alone). When the fast path finds any fault, or the schema is not of
    that shape, the whole schema is checked and raises Rasa's own error: a valid reply passes either way, an
    invalid one raises what `jsonschema.validate` would.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        self.whole = compiled(schema)
        self.shell: Validator | None = None
        self.by_event: dict[str, list[Validator]] = {}
        items = schema.get("properties", {}).get("events", {}).get("items", {})
        branches = items.get("oneOf") if isinstance(items, dict) else None
        if not isinstance(branches, list):
            return
        for branch in branches:
            constant = branch.get("properties", {}).get("event", {}).get("const")
            if not isinstance(constant, str):
                return  # a schema not told apart by its constant: always the whole check
            self.by_event.setdefault(constant, []).append(compiled(branch))
        shell = copy.deepcopy(schema)
        del shell["properties"]["events"]["items"]["oneOf"]
        self.shell = compiled(shell)

    def fast_path_holds(self, reply: Any) -> bool:
        if self.shell is None or not self.shell.is_valid(reply):
            return False
        for event in reply.get("events") or ():  # the shell made it a list of objects with a string `event`
            if sum(1 for branch in self.by_event.get(event["event"], ()) if branch.is_valid(event)) != 1:
                return False
        return True

    def __call__(self, reply: Any) -> None:
        if not self.fast_path_holds(reply):
            check(self.whole, reply)


NLG_REPLY = compiled(nlg_response_format_spec())
ACTION_REPLY = ActionReplyCheck(RemoteAction.action_response_format_spec())


def validate_nlg_reply(content: dict[str, Any] | str | None) -> bool:
    if not content:
        return True  # the endpoint did not want to say anything
    try:
        check(NLG_REPLY, content)
    except ValidationError as exc:
        raise RasaException(f"{exc.message}. Failed to validate NLG response from API.") from exc
    return True


def validate_action_reply(self: RemoteAction, result: dict[str, Any]) -> bool:
    try:
        ACTION_REPLY(result)
    except ValidationError as exc:
        exc.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS}"
        )
        raise
    return True


class CallbackNLG(CallbackNaturalLanguageGenerator):
    """Rasa's callback NLG with the reply check compiled once."""

    def __init__(self, endpoint_config: EndpointConfig, domain: Domain | None = None) -> None:
        super().__init__(endpoint_config)
        # Both on unless the endpoint says otherwise (load/bench_turns.py measures with and without).
        self.slim_tracker = bool(endpoint_config.kwargs.get("slim_tracker", True))
        if endpoint_config.kwargs.get("keep_alive", True):
            http.install()

    async def generate(
        self, utter_action: str, tracker: DialogueStateTracker, output_channel: str, **kwargs: Any
    ) -> dict[str, Any]:
        """Rasa's `generate`, with a slim tracker (`nlg_request`)."""
        domain_responses = kwargs.pop("domain_responses", None)
        response_id = self.fetch_response_id(utter_action, tracker, output_channel, domain_responses)
        if self.slim_tracker:
            body = nlg_request(utter_action, response_id, tracker, output_channel, kwargs)
        else:
            body = nlg_request_format(
                utter_action, tracker, output_channel, response_id=response_id, **kwargs
            )
        response = await self.nlg_endpoint.request(method="post", json=body, timeout=DEFAULT_REQUEST_TIMEOUT)
        if isinstance(response, dict) and self.validate_response(response):
            return response
        raise RasaException("NLG web endpoint returned an invalid response.")

    @staticmethod
    def validate_response(content: dict[str, Any] | None) -> bool:
        return validate_nlg_reply(content)


def nlg_request(
    response: str,
    response_id: str | None,
    tracker: DialogueStateTracker,
    channel: str,
    arguments: dict[str, Any],
) -> dict[str, Any]:
    """Rasa's NLG request body (rasa/core/nlg/callback.py) with the tracker cut to its sender id and slots."""
    return {
        "response": response,
        "id": response_id,
        "arguments": arguments,
        "tracker": {"sender_id": tracker.sender_id, "slots": tracker.current_slot_values()},
        "channel": {"name": channel},
    }


RemoteAction._validate_action_result = validate_action_reply
