"""Checks of Rasa's selective domain (issue 16), run in the bot environment (tests/bot/bot_env.py).

bot/endpoints.yml sets `enable_selective_domain`, so Rasa sends its ~33 KB domain only to the actions the
domain declares with `send_domain: true` and to every `validate_<form>` (Rasa's own rule,
`Domain._collect_actions_which_explicitly_need_domain`); every other action gets `{}`. An action that reads
the domain without being declared would silently see an empty one (a form validator would validate nothing:
rasa_sdk's `FormValidationAction.domain_slots` reads the form's slots from it). These checks read every action
the action server registers and fail when one that reads the domain does not get it, or one that does not
read it gets it anyway."""

from __future__ import annotations

import ast
import inspect
import os
import textwrap
from typing import Any

from rasa.core.actions.action import RemoteAction
from rasa.core.utils import read_endpoint_config
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.forms import ValidationAction

from tools.paths import ROOT

ENDPOINTS = str(ROOT / "bot" / "endpoints.yml")


def action_endpoint() -> Any:
    """bot/endpoints.yml's action endpoint, its ${VARS} set to synthetic values."""
    for name, value in {
        "API_URL": "http://127.0.0.1:9",
        "BOT_SERVICE_TOKEN": "synthetic-token",
        "ACTION_SERVER_URL": "http://127.0.0.1:9/webhook",
        "RASA_TRACKER_DIALECT": "sqlite",
        "RASA_TRACKER_HOST": "",
        "RASA_TRACKER_DB": "unused.db",
    }.items():
        os.environ.setdefault(name, value)
    return read_endpoint_config(ENDPOINTS, "action_endpoint")


def served_actions() -> dict[str, type]:
    """Every action the action server serves (`python -m rasa_sdk --actions bot.actions`), by name."""
    executor = ActionExecutor()
    executor.register_package("bot.actions")
    return {name: run.__self__.__class__ for name, run in executor.actions.items()}


def _function_reads_domain(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    names = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
    if "domain" not in names:
        return False
    return any(
        isinstance(inner, ast.Name) and inner.id == "domain" and isinstance(inner.ctx, ast.Load)
        for inner in ast.walk(node)
    )


def class_reads_domain(cls: type) -> bool:
    """Whether an action's code looks at the domain Rasa sends: rasa_sdk's validation actions always do
    (required slots, slot mappings); our own classes do when a method that takes `domain` uses it (passing it
    on to a helper counts)."""
    if issubclass(cls, ValidationAction):
        return True
    for klass in cls.__mro__:
        if klass in (Action, object) or not klass.__module__.startswith(("bot.", "tests.")):
            continue
        if klass.__name__ not in vars(inspect.getmodule(klass)):
            continue  # made with type() (a flow's validator): its methods are its bases'
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        functions = (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
        if any(_function_reads_domain(f) for f in functions):
            return True
    return False


class _Reads(Action):
    def name(self) -> str:
        return "action_reads"

    async def run(self, dispatcher: Any, tracker: Any, domain: Any) -> list[Any]:
        return list(domain.get("slots") or [])


class _Ignores(Action):
    def name(self) -> str:
        return "action_ignores"

    async def run(self, dispatcher: Any, tracker: Any, domain: Any) -> list[Any]:
        return [tracker]


class _ReadsThroughBase(_Ignores):
    def helper(self, domain: Any) -> Any:
        return domain["forms"]


def test_the_endpoint_enables_the_selective_domain() -> None:
    config = action_endpoint()
    assert config is not None
    assert config.kwargs.get("enable_selective_domain") is True


def test_the_detector_tells_a_read_from_no_read() -> None:
    assert class_reads_domain(_Reads) is True
    assert class_reads_domain(_Ignores) is False
    assert class_reads_domain(_ReadsThroughBase) is True


def test_every_action_gets_the_domain_exactly_when_it_reads_it() -> None:
    domain = Domain.load(str(ROOT / "bot" / "domain"))
    actions = served_actions()
    needs = {name for name, cls in actions.items() if class_reads_domain(cls)}
    declared = {name for name in actions if domain.does_custom_action_explicitly_need_domain(name)}
    # The abstract flow validator (`validate__form`) is registered by the SDK but in no domain.
    served = {name for name in actions if name in domain.action_names_or_texts}
    assert needs & served == declared & served, {
        "read it but are not sent it": sorted((needs - declared) & served),
        "are sent it but do not read it": sorted((declared - needs) & served),
    }
    # Every custom action the domain names is served, and most calls go without the domain.
    custom = {name for name in domain.user_actions if not name.startswith("utter_")}
    assert custom <= set(actions), sorted(custom - set(actions))
    assert {"action_session_start", "validate_start_form", "validate_phone_check_form"} <= declared
    assert len(custom - declared) >= 8, sorted(custom - declared)


def test_rasa_sends_the_domain_only_to_declared_actions() -> None:
    """What goes over the wire: Rasa's own request body for a declared and an undeclared action."""
    domain = Domain.load(str(ROOT / "bot" / "domain"))
    endpoint = action_endpoint()
    tracker = DialogueStateTracker("selective-domain-check", domain.slots)
    declared = RemoteAction("action_session_start", endpoint)._action_call_format(tracker, domain)
    undeclared = RemoteAction("action_start_journey", endpoint)._action_call_format(tracker, domain)
    assert declared["domain"]["forms"]["start_form"]["required_slots"]
    assert "domain" not in undeclared
