"""Checks of Rasa's selective domain (issue 16), run in the bot environment (tests/bot/bot_env.py).

bot/endpoints.yml sets `enable_selective_domain`, so Rasa sends its ~33 KB domain only to the actions the
domain declares with `send_domain: true` and to every `validate_<form>` listed without a `send_domain: false`
(Rasa's own rule, `Domain._collect_actions_which_explicitly_need_domain`); every other action gets `{}`. An
action that reads the domain without being sent it would silently see an empty one (a form validator would
validate nothing: rasa_sdk's `FormValidationAction.domain_slots` reads the form's slots from it). Our form
validators take their slots from bot/domain/ themselves (bot/actions/form_slots.py) and are declared
`send_domain: false`. These checks read every action the action server registers and fail when one that
reads the domain does not get it, or one that does not read it gets it anyway; they run each validator with a
domain that refuses to be read, and compare its slots with the domain Rasa loads."""

from __future__ import annotations

import ast
import asyncio
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

from bot.actions.form_slots import LocalFormSlots, form_slots
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


def _passed_to_own_method(node: ast.AST) -> set[int]:
    """The `domain` names handed straight to one of the action's own methods (`self.x(..., domain)`): those
    methods are read too, so handing it on is not itself a read."""
    passed: set[int] = set()
    for call in ast.walk(node):
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
            continue
        if not (isinstance(call.func.value, ast.Name) and call.func.value.id == "self"):
            continue
        for arg in (*call.args, *(k.value for k in call.keywords)):
            if isinstance(arg, ast.Name) and arg.id == "domain":
                passed.add(id(arg))
    return passed


def _function_reads_domain(node: ast.FunctionDef | ast.AsyncFunctionDef, through_self: bool) -> bool:
    names = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
    if "domain" not in names:
        return False
    handed_on = _passed_to_own_method(node) if through_self else set()
    return any(
        isinstance(inner, ast.Name)
        and inner.id == "domain"
        and isinstance(inner.ctx, ast.Load)
        and id(inner) not in handed_on
        for inner in ast.walk(node)
    )


def class_reads_domain(cls: type) -> bool:
    """Whether an action's code looks at the domain Rasa sends. rasa_sdk's validation actions do (the form's
    required slots, slot mappings) unless their slots come from bot/domain/ (`LocalFormSlots`, whose runs
    without a domain are checked below), and then only their own code counts, which may hand the domain on
    to the SDK's methods. Our own code reads it when a method that takes `domain` uses it (passing it on to
    anything but one of the action's own methods counts)."""
    local_slots = issubclass(cls, LocalFormSlots)
    if issubclass(cls, ValidationAction) and not local_slots:
        return True
    for klass in cls.__mro__:
        if klass in (Action, object) or not klass.__module__.startswith(("bot.", "tests.")):
            continue
        if klass.__name__ not in vars(inspect.getmodule(klass)):
            continue  # made with type() (a flow's validator): its methods are its bases'
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        functions = (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
        if any(_function_reads_domain(f, through_self=local_slots) for f in functions):
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


def _the_endpoint_enables_the_selective_domain() -> None:
    config = action_endpoint()
    assert config is not None
    assert config.kwargs.get("enable_selective_domain") is True


def _the_detector_tells_a_read_from_no_read() -> None:
    assert class_reads_domain(_Reads) is True
    assert class_reads_domain(_Ignores) is False
    assert class_reads_domain(_ReadsThroughBase) is True


def test_every_action_gets_the_domain_exactly_when_it_reads_it() -> None:
    _the_detector_tells_a_read_from_no_read()
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
    assert "action_session_start" in declared
    assert {"validate_start_form", "validate_callback_form", "validate_phone_check_form"} <= custom - declared
    assert len(custom - declared) >= 18, sorted(custom - declared)


def test_rasa_sends_the_domain_only_to_declared_actions() -> None:
    """What goes over the wire: Rasa's own request body for a declared and an undeclared action."""
    _the_endpoint_enables_the_selective_domain()
    domain = Domain.load(str(ROOT / "bot" / "domain"))
    endpoint = action_endpoint()
    tracker = DialogueStateTracker("selective-domain-check", domain.slots)
    declared = RemoteAction("action_session_start", endpoint)._action_call_format(tracker, domain)
    undeclared = RemoteAction("action_start_journey", endpoint)._action_call_format(tracker, domain)
    validator = RemoteAction("validate_start_form", endpoint)._action_call_format(tracker, domain)
    assert declared["domain"]["forms"]["start_form"]["required_slots"]
    assert "domain" not in undeclared
    assert "domain" not in validator


def _the_validators_form_slots_are_the_domains() -> None:
    domain = Domain.load(str(ROOT / "bot" / "domain"))
    assert set(form_slots()) == set(domain.form_names)
    for form in domain.form_names:
        assert list(form_slots()[form]) == domain.required_slots_for_form(form), form


class Unreadable(dict):  # type: ignore[type-arg]
    """A domain that fails the test when anything looks at it."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the action read the domain")

    __getitem__ = get = keys = items = values = __iter__ = __contains__ = __len__ = __bool__ = _refuse


def _form_call(name: str, domain: Any) -> dict[str, Any]:
    """Rasa's call to a form's validator after the person answered its first question with "yes"."""
    form = name.removeprefix("validate_")
    slot = form_slots()[form][0]
    message = {"text": "yes", "intent": {"name": "affirm", "confidence": 1.0}, "entities": []}
    tracker = {
        "sender_id": "selective-domain-check",
        "slots": {"requested_slot": slot, "language": "en", "channel": "web_chat", slot: "yes"},
        "latest_message": message,
        "events": [
            {"event": "user", "text": "yes", "parse_data": message},
            {"event": "slot", "name": slot, "value": "yes"},
        ],
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": form},
        "latest_action_name": "action_listen",
    }
    return {"next_action": name, "sender_id": "selective-domain-check", "tracker": tracker, "domain": domain}


def test_every_validator_runs_the_same_without_the_domain() -> None:
    _the_validators_form_slots_are_the_domains()
    whole = Domain.load(str(ROOT / "bot" / "domain")).as_dict()
    executor = ActionExecutor()
    executor.register_package("bot.actions")
    validators = sorted(name for name, cls in served_actions().items() if issubclass(cls, LocalFormSlots))
    served = set(Domain.load(str(ROOT / "bot" / "domain")).action_names_or_texts)
    validators = [name for name in validators if name in served]
    assert len(validators) >= 10, validators
    for name in validators:
        with_domain = asyncio.run(executor.run(_form_call(name, whole)))
        without = asyncio.run(executor.run(_form_call(name, Unreadable())))
        assert without == with_domain, name
        assert with_domain and with_domain["events"], name
