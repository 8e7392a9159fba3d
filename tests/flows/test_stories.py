"""The generated Rasa test stories follow the golden runs and the generated rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.config import REPO_ROOT
from tests.flows.stories import render


class TestGeneratedStories:
    @pytest.mark.parametrize("path", sorted(render()), ids=lambda p: str(Path(p).relative_to(REPO_ROOT)))
    def test_up_to_date(self, path: Path) -> None:
        assert path.read_text(encoding="utf-8") == render()[path], (
            f"{path.relative_to(REPO_ROOT)} is stale: run `python -m tests.flows.stories`"
        )
