"""Through the trained NLU model: the bot's own classifier (bot/config.yml's settings, its emergency floor)
and guard, trained in the bot's environment on every example of bot/data/nlu/ (bot/nlu/danger_eval.py, as
tools/nlu_report.py trains Rasa's), never calls reassurance an emergency (tests/fixtures/reassurance.yml,
sentences it has not seen), and every `emergency` example is still an emergency, or caught by a danger
phrase before any NLU."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from typing import Any

import pytest

from tools.model import rasa_env
from tools.paths import BOT_PYTHON, ROOT

LANGUAGES = sorted(p.name for p in (ROOT / "bot" / "data" / "nlu").iterdir() if p.is_dir())
pytestmark = pytest.mark.skipif(not BOT_PYTHON.exists(), reason="needs the bot environment (make env)")


@pytest.fixture(scope="session")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Measured once per test run: the pytest-xdist workers share the first one's result (the directory above
    a worker's base temp is the run's), under a lock so the second waits instead of training again."""
    shared = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        shared = shared.parent
    result_file = shared / "danger_eval.json"
    with open(shared / "danger_eval.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result_file.exists():
            command = [str(BOT_PYTHON), "-m", "bot.nlu.danger_eval", "--folds", "1", "--json"]
            done = subprocess.run(
                command, cwd=ROOT, env=rasa_env(), check=True, capture_output=True, text=True
            )
            result_file.write_text(done.stdout)
    result: dict[str, Any] = json.loads(result_file.read_text())
    return result


class TestTheTrainedModel:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_never_calls_reassurance_an_emergency(self, measured: dict[str, Any], language: str) -> None:
        assert measured[language]["reassurance"]["classifier"] == []

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_every_emergency_is_still_caught(self, measured: dict[str, Any], language: str) -> None:
        assert measured[language]["missed_by_both_trained"] == []
