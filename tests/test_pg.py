"""The PostgreSQL test server (tests/pg.py): skipped without binaries, except in CI, where that fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from api.config import REPO_ROOT

NEEDS_POSTGRES = """
def test_needs_postgres(postgres_cluster):
    pass
"""


def run_without_binaries(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    test = tmp_path / "test_needs_postgres.py"
    test.write_text(NEEDS_POSTGRES)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PG_BINDIR"] = str(tmp_path / "no-postgres-here")
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.pg",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            str(test),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class TestMissingPostgres:
    def test_outside_ci_the_tests_are_skipped_with_the_reason(self, tmp_path: Path) -> None:
        result = run_without_binaries(tmp_path, ci=None)
        assert result.returncode == 0, result.stdout
        assert "1 skipped" in result.stdout
        assert "initdb/pg_ctl not found" in result.stdout

    def test_in_ci_they_fail(self, tmp_path: Path) -> None:
        result = run_without_binaries(tmp_path, ci="true")
        assert result.returncode == 1, result.stdout
        assert "1 error" in result.stdout
        assert "PostgreSQL is required when CI is set" in result.stdout
