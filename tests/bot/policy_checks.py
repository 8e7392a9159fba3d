"""Checks of bot/policy.py, run in the bot environment (tests/bot/bot_env.py): the shorter walk finds exactly
the rules Rasa's RulePolicy finds, on many generated rule sets and conversations, looks no further back than
the longest rule in play, and is the policy the bot is trained with. Synthetic states only."""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path
from typing import Any

import yaml
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import SHOULD_NOT_BE_SET

from bot.policy import ShortScanRulePolicy

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = ["action_listen", "utter_ask_place", "hate_crime_form", "action_deactivate_loop", "utter_goodbye"]
INTENTS = ["affirm", "deny", "inform", "start_again", "withdraw_consent", "emergency"]
LOOPS = ["hate_crime_form", "consent_form", SHOULD_NOT_BE_SET]
SLOTS = ["consent_given", "requested_slot"]


def state(rng: random.Random, *, in_rule: bool) -> dict[str, Any]:
    """A rule's state (some features, SHOULD_NOT_BE_SET allowed) or a conversation's (features as set)."""
    made: dict[str, Any] = {"prev_action": {"action_name": rng.choice(ACTIONS)}}
    if rng.random() < 0.04:
        made["prev_action"] = {"action_text": "a bot message"}  # an end-to-end state names no action
    if rng.random() < 0.6:
        made["user"] = {"intent": rng.choice(INTENTS)}
    if rng.random() < 0.6:
        loop = rng.choice(LOOPS if in_rule else LOOPS[:2])
        made["active_loop"] = {"name": loop}
    if rng.random() < 0.3:
        value = (1.0,) if in_rule or rng.random() < 0.5 else (0.0,)  # a tuple, as Rasa's states have it
        made["slots"] = {rng.choice(SLOTS): value}
    if not in_rule and rng.random() < 0.05:
        del made["prev_action"]  # a conversation's first state
    return made


def lookup(rng: random.Random, rules: int) -> dict[str, str]:
    keys = {}
    for _ in range(rules):
        length = rng.randint(1, 5)
        states = [state(rng, in_rule=True) for _ in range(length)]
        if rng.random() < 0.1:
            states[0].pop("prev_action")  # a rule for the conversation's start
        keys[json.dumps(states, sort_keys=True)] = rng.choice(ACTIONS)
    return keys


def history(
    rng: random.Random, rules: dict[str, str], length: int, *, follows: bool = False
) -> list[dict[str, Any]]:
    """A conversation whose recent states often (or, `follows`, always) follow a rule, so that rules match."""
    states = [state(rng, in_rule=False) for _ in range(length)]
    if rules and (follows or rng.random() < 0.7):
        rule = json.loads(rng.choice(list(rules)))
        tail = [{kind: conversation_side(sub) for kind, sub in s.items()} for s in rule]
        states[-len(tail) :] = tail
    return states


def conversation_side(sub: dict[str, Any]) -> dict[str, Any]:
    """A rule's sub-state as a conversation has it: values set, as tuples; "should not be set" left out."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in sub.items() if v != SHOULD_NOT_BE_SET}


def policies(rules: dict[str, str] | None = None) -> tuple[RulePolicy, ShortScanRulePolicy]:
    """Rasa's policy and this one; given `rules`, this one is persisted with them and loaded back, as Rasa
    loads a trained model (its rules filed by action)."""
    folder = tempfile.mkdtemp()
    storage = LocalModelStorage(Path(folder))
    context = ExecutionContext(GraphSchema({}), "checks")
    made = []
    for kind in (RulePolicy, ShortScanRulePolicy):
        made.append(kind(kind.get_default_config(), storage, Resource(kind.__name__), context))
    short = made[1]
    if rules is not None:
        short.lookup = {RULES: rules, RULES_FOR_LOOP_UNHAPPY_PATH: {}}
        short.persist()
        short = ShortScanRulePolicy.load(short.config, storage, Resource("ShortScanRulePolicy"), context)
    return made[0], short  # type: ignore[return-value]


def compare_with_rasas_walk(seed: int, *, loaded: bool) -> None:
    """On 300 generated rule sets and 6 conversations each, this policy finds the rules Rasa's walk finds
    (`loaded`: this policy as Rasa loads a trained model, its rules filed by action)."""
    rng = random.Random(seed)
    rasa, short = policies()
    compared = found = 0
    for _ in range(300):
        rules = lookup(rng, rng.randint(0, 60))
        if loaded:
            rasa, short = policies(rules)
            assert short.lookup[RULES] == rules
        walked = short.lookup[RULES] if loaded else rules
        for length in (0, 1, 2, 4, 7, 30):
            states = history(rng, rules, length)
            expected = rasa._get_possible_keys(rules, states)
            assert short._get_possible_keys(walked, states) == expected
            compared += 1
            found += bool(expected)
    assert compared == 1800
    assert found > 300  # the generated conversations do match rules, so the comparison means something


def count_looks(policy: RulePolicy) -> list[int]:
    """The distance of every rule the policy looks at from now on."""
    looked: list[int] = []
    original = policy._is_rule_applicable

    def counted(key: str, distance: int, current: dict[str, Any]) -> bool:
        looked.append(distance)
        return original(key, distance, current)

    policy._is_rule_applicable = counted  # type: ignore[method-assign]
    return looked


def test_the_same_rules_are_found_as_by_rasas_walk() -> None:
    compare_with_rasas_walk(2026, loaded=False)


def test_the_walk_goes_no_further_back_than_the_longest_rule() -> None:
    rasa, short = policies()
    rng = random.Random(7)
    rules = lookup(rng, 40)
    longest = max(len(json.loads(key)) for key in rules)
    states = history(rng, rules, 300, follows=True)
    looked = {"rasa": count_looks(rasa), "short": count_looks(short)}
    found = short._get_possible_keys(rules, states)
    assert found and found == rasa._get_possible_keys(rules, states)
    assert max(looked["short"]) < longest
    assert max(looked["rasa"]) == 299  # Rasa walks the whole conversation
    assert len(looked["short"]) < len(looked["rasa"])


def test_the_bot_is_trained_with_it() -> None:
    config = yaml.safe_load((ROOT / "bot" / "config.yml").read_text(encoding="utf-8"))
    names = [policy["name"] for policy in config["policies"]]
    assert names == ["bot.policy.ShortScanRulePolicy"]
    assert issubclass(ShortScanRulePolicy, RulePolicy)


def test_a_loaded_policy_finds_the_same_rules_looking_first_at_those_of_the_last_action() -> None:
    compare_with_rasas_walk(16, loaded=True)


def test_the_first_step_tries_only_the_rules_that_can_match() -> None:
    rng = random.Random(3)
    rules = lookup(rng, 200)
    _, short = policies(rules)
    loaded = short.lookup[RULES]
    tried = count_looks(short)
    states = history(rng, rules, 10, follows=True)
    found = short._get_possible_keys(loaded, states)
    assert found
    first = tried.count(0)
    assert 0 < first < len(loaded) / 2  # five actions: about a fifth of the rules share the last one


def test_rules_changed_after_loading_are_walked_as_rasa_walks_them() -> None:
    rng = random.Random(5)
    rules = lookup(rng, 60)
    rasa, short = policies(rules)
    loaded = short.lookup[RULES]
    for key in list(loaded)[:10]:
        loaded.pop(key)  # as Rasa's training drops rules it finds contradicted
    states = history(rng, loaded, 7, follows=True)
    assert short._get_possible_keys(loaded, states) == rasa._get_possible_keys(loaded, states)
    unfiled = dict(loaded)  # a lookup the policy never filed
    assert short._get_possible_keys(unfiled, states) == rasa._get_possible_keys(unfiled, states)
