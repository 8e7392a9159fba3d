"""Checks that need the Rasa SDK, which lives only in the bot's environment: a module of plain `test_*`
functions (tests/bot/*_checks.py) is read for its check names here, and each check runs in a
bot-environment process that must exit cleanly."""

from __future__ import annotations

import ast
import subprocess

from tools.paths import BOT_PYTHON, ROOT


def check_names(module: str) -> list[str]:
    """The `test_*` functions of `tests/bot/<module>.py`, read without importing it (no Rasa SDK here)."""
    source = (ROOT / "tests" / "bot" / f"{module}.py").read_text(encoding="utf-8")
    return sorted(
        node.name
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    )


def run_check(module: str, name: str) -> subprocess.CompletedProcess[str]:
    code = f"import tests.bot.{module} as checks; checks.{name}()"
    return subprocess.run(
        [str(BOT_PYTHON), "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
