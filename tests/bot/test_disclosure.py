"""Disclosure first (flowkit/disclosure.py, bot/actions/forms.py and journey.py), checked in the bot's own
environment: the Rasa SDK lives only there, so each check of tests/bot/disclosure_checks.py runs in a
bot-environment process and must exit cleanly."""

from __future__ import annotations

import ast
import subprocess

import pytest

from tools.paths import BOT_PYTHON, ROOT

CHECKS = ROOT / "tests" / "bot" / "disclosure_checks.py"
NAMES = sorted(
    node.name
    for node in ast.parse(CHECKS.read_text(encoding="utf-8")).body
    if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
)


def test_there_are_checks() -> None:
    assert len(NAMES) >= 5


@pytest.mark.parametrize("name", NAMES)
def test_check_passes_in_the_bot_environment(name: str) -> None:
    code = f"import tests.bot.disclosure_checks as checks; checks.{name}()"
    done = subprocess.run(
        [str(BOT_PYTHON), "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
