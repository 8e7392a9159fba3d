"""One real stack per test module (see tests/stacks.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stacks import running_stack
from tools.stack import Stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory) as running:
        yield running
