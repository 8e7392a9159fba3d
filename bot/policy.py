"""Rasa's RulePolicy, stopping its scan of the conversation where no rule can reach (issue 16).

To find the rules that apply, RulePolicy walks the conversation's states from the latest back to the start
of the session and, at each step, keeps the rules whose state at that distance matches. A rule is at most a
few states long (5 in this bot), and a rule shorter than the distance is kept without a look. So once the
walk is further back than the longest rule still in play, nothing can change, yet Rasa walks on through the
whole history: a cost that grows with the conversation, paid two or three times a turn (rules, then a form's
unhappy paths). This policy stops there. Every prediction, training and the contradiction check are Rasa's
own; only the walk is shorter, so the rules found are the same (tests/bot/policy_checks.py compares the two
walks on 1,800 generated rule sets and conversations; the Rasa conversation tests in bot/tests pass).
"""

from __future__ import annotations

from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import State


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class ShortScanRulePolicy(RulePolicy):
    def _get_possible_keys(self, lookup: dict[str, str], states: list[State]) -> set[str]:
        possible = set(lookup.keys())
        reach = self._reach(possible)
        for distance, state in enumerate(reversed(states)):
            if distance >= reach:
                break  # every rule left is shorter than this: Rasa would keep them all from here on
            possible = {key for key in possible if self._is_rule_applicable(key, distance, state)}
            reach = self._reach(possible)
        return possible

    def _reach(self, keys: set[str]) -> int:
        return max((len(self._rule_key_to_state(key)) for key in keys), default=0)
