"""The end-to-end modules share the session's real stack (tests/conftest.py `shared_stack`; see
tests/stacks.py). A module that needs other settings overrides `stack` with one of its own."""

from __future__ import annotations

import pytest

from tools.stack import Stack


@pytest.fixture(scope="module")
def stack(shared_stack: Stack) -> Stack:
    return shared_stack
