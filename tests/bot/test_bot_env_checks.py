"""Checks that need the Rasa SDK, run in the bot's own environment (tests/bot/bot_env.py): the intent
classifier's prediction path (tests/bot/classifier_checks.py), the form
validator's one-tap confirmation (tests/bot/confirm_checks.py) and disclosure first
(tests/bot/disclosure_checks.py; flowkit/disclosure.py, bot/actions/forms.py and journey.py), and the
returning person whose session forgot their case (tests/bot/returning_checks.py), Rasa's selective
domain (every action that reads the domain is sent it: tests/bot/selective_domain_checks.py), and the
cached tracker store on SQLite (tests/bot/tracker_store_checks.py; on PostgreSQL:
tests/bot/test_tracker_store_pg.py), and the faster equivalents of Rasa's inner parts (the rule policy's
search, the graph runner, the slot and tracker copies: policy_checks, graph_runner_checks, slot_copy_checks,
tracker_copy_checks)."""

from __future__ import annotations

import pytest

from tests.bot.bot_env import check_names, run_check

MODULES = (
    "answer_over_interruption_checks",
    "classifier_checks",
    "confirm_checks",
    "disclosure_checks",
    "graph_runner_checks",
    "nlg_checks",
    "phone_check_offer_checks",
    "policy_checks",
    "returning_checks",
    "selective_domain_checks",
    "slot_copy_checks",
    "start_again_checks",
    "tracker_copy_checks",
    "tracker_store_checks",
)
CHECKS = [(module, name) for module in MODULES for name in check_names(module)]


@pytest.mark.parametrize("module", MODULES)
def test_there_are_checks(module: str) -> None:
    assert len(check_names(module)) >= 3


@pytest.mark.parametrize(("module", "name"), CHECKS)
def test_check_passes_in_the_bot_environment(module: str, name: str) -> None:
    done = run_check(module, name)
    assert done.returncode == 0, done.stderr[-3000:]
