"""Through the trained NLU model: the bot's own classifier (bot/config.yml's settings, its emergency floor)
and guard, trained in the bot's environment on every example of bot/data/nlu/ (bot/nlu/danger_eval.py, as
tools/nlu_report.py trains Rasa's), never calls reassurance an emergency (tests/fixtures/reassurance.yml,
sentences it has not seen), and every `emergency` example is still an emergency, or caught by a danger
phrase before any NLU."""

from __future__ import annotations

import json
import subprocess
from functools import lru_cache
from typing import Any

import pytest

from tools.model import rasa_env
from tools.paths import BOT_PYTHON, ROOT

LANGUAGES = sorted(p.name for p in (ROOT / "bot" / "data" / "nlu").iterdir() if p.is_dir())
pytestmark = pytest.mark.skipif(not BOT_PYTHON.exists(), reason="needs the bot environment (make env)")


@lru_cache(maxsize=1)
def measured() -> dict[str, Any]:
    command = [str(BOT_PYTHON), "-m", "bot.nlu.danger_eval", "--folds", "1", "--json"]
    done = subprocess.run(command, cwd=ROOT, env=rasa_env(), check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


class TestTheTrainedModel:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_never_calls_reassurance_an_emergency(self, language: str) -> None:
        assert measured()[language]["reassurance"]["classifier"] == []

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_every_emergency_is_still_caught(self, language: str) -> None:
        assert measured()[language]["missed_by_both_trained"] == []
