"""Keys and responses the bot's actions name in code exist: in every locale, and in the domain."""

from __future__ import annotations

import re

import pytest
import yaml

from api.config import REPO_ROOT
from api.triage import Queue
from flowkit.flows import locale_keys

LOCALES = locale_keys(REPO_ROOT / "locales")
ACTIONS = REPO_ROOT / "bot" / "actions"


def domain_responses() -> set[str]:
    names: set[str] = set()
    for path in (REPO_ROOT / "bot" / "domain").glob("*.yml"):
        names |= set((yaml.safe_load(path.read_text()) or {}).get("responses") or {})
    return names


class TestKeysNamedInCode:
    @pytest.mark.parametrize("language", sorted(LOCALES))
    def test_every_queue_has_a_name_and_a_help_line(self, language: str) -> None:
        for queue in Queue:
            assert f"bot.queue_name.{queue}" in LOCALES[language]
            assert f"bot.help_line.{queue}" in LOCALES[language]

    @pytest.mark.parametrize("language", sorted(LOCALES))
    def test_the_answer_parser_has_its_words(self, language: str) -> None:
        words = ("today", "yesterday", "day_before_yesterday", "last", "ago", "day", "week", "fortnight")
        more = ("month", "year", "numbers", "none_words", "single_words")
        for name in (*words, *more):
            assert f"bot.parse.{name}" in LOCALES[language], name

    def test_every_response_an_action_names_is_in_the_domain(self) -> None:
        named: set[str] = set()
        for path in [*ACTIONS.glob("*.py"), REPO_ROOT / "flowkit" / "parse.py"]:
            named |= set(re.findall(r'"(utter_[a-z0-9_]+)"', path.read_text()))
        named.discard("utter_action")  # Rasa's metadata key for the response a bot event came from
        assert named
        assert named <= domain_responses()
