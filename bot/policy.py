"""Rasa's RulePolicy, with a shorter search for the rules that apply (issue 16).

To find the rules that apply, RulePolicy walks the conversation's states from the latest back to the start
of the session and, at each step, keeps the rules whose state at that distance matches. This policy changes
two things about that walk, and nothing else:

- **It stops where no rule reaches.** A rule is at most a few states long (5 in this bot), and a rule shorter
  than the distance is kept without a look. So once the walk is further back than the longest rule still in
  play, nothing can change, yet Rasa walks on through the whole history: a cost that grows with the
  conversation, paid two or three times a turn (rules, then a form's unhappy paths).
- **The first step looks only at rules that can match the last action.** Every rule's latest state names
  the action before it (`prev_action`), and a rule whose state names an action matches a conversation state
  only if that state names the same action. Rasa tries all of the bot's 351 rules against the latest state,
  most of a prediction's time; a trained (loaded) policy files its rules by that action once, and the first
  step tries only the rules filed under the conversation's last action and the few that name none. While
  training, when Rasa changes the rules as it goes, the first step tries every rule, as Rasa does.

Every prediction, training and the contradiction check are Rasa's own; the rules found are the same
(tests/bot/policy_checks.py compares the walks on 1,800 generated rule sets and conversations; the Rasa
conversation tests in bot/tests pass).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
from rasa.shared.core.domain import State
from rasa.shared.nlu.constants import ACTION_NAME


@dataclass(frozen=True)
class RuleIndex:
    """One lookup's rules filed by the action their latest state names (`open`: the rules naming none)."""

    lookup: dict[str, str]
    size: int
    by_action: dict[str, frozenset[str]]
    open: frozenset[str]

    def fits(self, lookup: dict[str, str]) -> bool:
        return lookup is self.lookup and len(lookup) == self.size

    def candidates(self, state: State) -> set[str]:
        """The rules that can match `state` at distance 0: any other fails on its previous action."""
        previous = state.get(PREVIOUS_ACTION) or {}
        named = previous.get(ACTION_NAME)
        return set(self.open).union(self.by_action.get(named, ())) if named else set(self.open)


def named_action(rule_states: list[State]) -> str | None:
    """The action a rule's latest state requires before it, when it requires one by name."""
    if not rule_states:
        return None
    previous = rule_states[-1].get(PREVIOUS_ACTION)
    name = previous.get(ACTION_NAME) if previous else None
    return name if isinstance(name, str) and name and name != SHOULD_NOT_BE_SET else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class ShortScanRulePolicy(RulePolicy):
    _indexes: dict[int, RuleIndex]

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ShortScanRulePolicy:
        policy = super().load(config, model_storage, resource, execution_context, **kwargs)
        assert isinstance(policy, ShortScanRulePolicy)
        policy.index_rules()
        return policy

    def index_rules(self) -> None:
        """File each lookup's rules by their latest state's action (done once the rules no longer change)."""
        self._indexes = {}
        for lookup in self.lookup.values():
            if not isinstance(lookup, dict) or not lookup:
                continue
            by_action: dict[str, set[str]] = {}
            unnamed: set[str] = set()
            for key in lookup:
                name = named_action(self._rule_key_to_state(key))
                if name is None:
                    unnamed.add(key)
                else:
                    by_action.setdefault(name, set()).add(key)
            self._indexes[id(lookup)] = RuleIndex(
                lookup, len(lookup), {k: frozenset(v) for k, v in by_action.items()}, frozenset(unnamed)
            )

    def _get_possible_keys(self, lookup: dict[str, str], states: list[State]) -> set[str]:
        possible = set(lookup.keys())
        index = self.__dict__.get("_indexes", {}).get(id(lookup))
        if states and index is not None and index.fits(lookup):
            possible = {
                key for key in index.candidates(states[-1]) if self._is_rule_applicable(key, 0, states[-1])
            }
            start = 1
        else:
            start = 0
        reach = self._reach(possible)
        for distance in range(start, len(states)):
            if distance >= reach:
                break  # every rule left is shorter than this: Rasa would keep them all from here on
            state = states[-1 - distance]
            possible = {key for key in possible if self._is_rule_applicable(key, distance, state)}
            reach = self._reach(possible)
        return possible

    def _reach(self, keys: set[str]) -> int:
        return max((len(self._rule_key_to_state(key)) for key in keys), default=0)
