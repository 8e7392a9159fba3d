"""Checks that need the Rasa SDK, which lives only in the bot's environment: a module of plain `test_*`
functions (tests/bot/*_checks.py) is read for its check names here, and each check runs in a
bot-environment process that must exit cleanly."""

from __future__ import annotations

import ast
import atexit
import json
import os
import select
import signal
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


# Imported once by the check runner (below) before it forks a process per check: the third-party modules the
# checks import (~2-5 s of CPU per check when every check imported them afresh), and the bot's actions. Not
# `rasa.core.actions.action` or anything else that imports TensorFlow: its runtime is not safe to fork (the
# runner stays single-threaded, and a check that needs TensorFlow imports it in its own process).
PRELOAD = (
    "aiohttp.web",
    "jsonschema",
    "redis",
    "sqlalchemy",
    "rasa_sdk",
    "rasa_sdk.executor",
    "rasa_sdk.forms",
    "rasa.core.lock_store",
    "rasa.core.nlg.callback",
    "rasa.core.nlg.generator",
    "rasa.core.tracker_store",
    "rasa.core.utils",
    "rasa.shared.core.domain",
    "rasa.shared.core.events",
    "rasa.shared.core.slots",
    "rasa.shared.core.trackers",
    "rasa.shared.exceptions",
    "rasa.utils.endpoints",
    "bot.actions",
)

# The runner, in the bot's environment: imports PRELOAD, then for each request (a JSON line: module, check)
# forks a child that runs the check exactly as `python -c "import tests.bot.<module> as checks;
# checks.<check>()"` would (its own process: nothing a check does reaches the runner or the next check; an
# exception is printed and exits 1; the interpreter then shuts down as usual), with its output in files,
# and answers with a JSON line: exit status, stdout, stderr.
RUNNER = """
import importlib, json, os, sys, tempfile, traceback
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
answers = os.fdopen(os.dup(1), "w")
for line in sys.stdin:
    module, name, current = json.loads(line)
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:
        sys.stdin.close()
        answers.close()
        sys.stdout.flush(); sys.stderr.flush()
        os.dup2(out.fileno(), 1); os.dup2(err.fileno(), 2)
        sys.argv = ["-c"]
        os.environ.pop("PYTEST_CURRENT_TEST", None)
        os.environ.update(current)
        status = 0
        try:
            checks = importlib.import_module("tests.bot." + module)
            getattr(checks, name)()
        except SystemExit:
            raise
        except BaseException:
            traceback.print_exc()
            status = 1
        sys.exit(status)
    _, status = os.waitpid(pid, 0)
    texts = []
    for f in (out, err):
        f.seek(0); texts.append(f.read().decode(errors="replace")); f.close()
    answers.write(json.dumps([os.waitstatus_to_exitcode(status), *texts]) + "\\n")
    answers.flush()
"""


CURRENT_TEST = "PYTEST_CURRENT_TEST"  # set by pytest for each test: the runner passes it on to the check


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != CURRENT_TEST}


class _Runner:
    def __init__(self) -> None:
        self.env = _environment()
        self.process = subprocess.Popen(
            [str(BOT_PYTHON), "-c", RUNNER, json.dumps(PRELOAD)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        atexit.register(self.close)

    def run(self, module: str, name: str, timeout: float) -> subprocess.CompletedProcess[str]:
        assert self.process.stdin and self.process.stdout
        current = {k: v for k, v in os.environ.items() if k == CURRENT_TEST}
        self.process.stdin.write(json.dumps([module, name, current]) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            self.close()
            raise subprocess.TimeoutExpired(f"{module}.{name}", timeout)
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the check runner stopped (exit {self.process.wait()})")
        status, out, err = json.loads(line)
        return subprocess.CompletedProcess([module, name], status, out, err)

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


_runner: _Runner | None = None


def run_check(module: str, name: str) -> subprocess.CompletedProcess[str]:
    """Runs one check in a process of its own in the bot environment: forked from the check runner, which
    has the heavy modules imported already, unless the environment differs from the one the runner started
    with (a test that set a variable: modules may read it as they are imported), then in a new process."""
    global _runner
    if _runner is None or _runner.process.poll() is not None:
        _runner = _Runner()
    if _environment() == _runner.env:
        return _runner.run(module, name, timeout=300)
    code = f"import tests.bot.{module} as checks; checks.{name}()"
    return subprocess.run(
        [str(BOT_PYTHON), "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
