"""The cached tracker store's checks (tests/bot/tracker_store_checks.py) against a real PostgreSQL server, the
scaled-out configuration's tracker store, through psycopg2 in the bot's environment."""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy.engine import make_url

from tests.bot.bot_env import check_names
from tests.pg import PostgresCluster
from tools.paths import BOT_PYTHON, ROOT

CHECKS = check_names("tracker_store_checks")


@pytest.mark.parametrize("name", CHECKS)
def test_check_passes_on_postgresql(postgres_cluster: PostgresCluster, name: str) -> None:
    with postgres_cluster.database() as url:
        sync_url = make_url(url).set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)
        done = subprocess.run(
            [str(BOT_PYTHON), "-c", f"import tests.bot.tracker_store_checks as checks; checks.{name}()"],
            cwd=ROOT,
            env={**os.environ, "TRACKER_CHECK_URL": sync_url},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
