"""Rasa's lock store (bot/server/lock_store.py) in the bot's environment: in memory without a URL, and in a
real Redis shared by several processes (tests/bot/lock_store_checks.py holds the checks)."""

from __future__ import annotations

import pytest

from tests.bot.bot_env import check_names, run_check

MODULE = "lock_store_checks"
IN_MEMORY = "test_endpoints_yml_names_this_store_and_it_keeps_locks_in_memory_without_a_url"


def test_there_are_checks() -> None:
    assert len(check_names(MODULE)) >= 5


def test_without_a_url_the_locks_are_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RASA_LOCK_STORE_URL", raising=False)
    done = run_check(MODULE, IN_MEMORY)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize("name", [n for n in check_names(MODULE) if n != IN_MEMORY])
def test_in_redis(name: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_LOCK_STORE_URL", redis_url)
    done = run_check(MODULE, name)
    assert done.returncode == 0, done.stderr[-3000:]
