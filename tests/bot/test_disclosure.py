"""Disclosure first (flowkit/disclosure.py, bot/actions/forms.py and journey.py), checked in the bot's own
environment: each check of tests/bot/disclosure_checks.py runs in a bot-environment process
(tests/bot/bot_env.py)."""

from __future__ import annotations

import pytest

from tests.bot.bot_env import check_names, run_check

MODULE = "disclosure_checks"
NAMES = check_names(MODULE)


def test_there_are_checks() -> None:
    assert len(NAMES) >= 5


@pytest.mark.parametrize("name", NAMES)
def test_check_passes_in_the_bot_environment(name: str) -> None:
    done = run_check(MODULE, name)
    assert done.returncode == 0, done.stderr[-3000:]
