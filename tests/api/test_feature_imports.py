"""The import arrows between features, read from the source (no import is executed).

- No feature imports another feature's repository: a feature's SQL is its own, and others go through its
  service (api/intake composes consent, triage, referral, queue and the SMS outbox that way).
- The settings (api/config.py) and the shared kit (api/kit/) import no feature: configuration and shared
  helpers depend on nothing above them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from api.config import REPO_ROOT

API = REPO_ROOT / "api"
# Not this change's to edit (another branch is changing the agency form); to go through
# `api.consent.service.register_wording` like api/nlg does.
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (`from api.x import repository` names api.x.repository)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "api" else None


def sources() -> list[Path]:
    return sorted(p for p in API.rglob("*.py") if "migrations" not in p.parts)


class TestFeatureImports:
    @pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
    def test_no_feature_imports_another_features_repository(self, path: Path) -> None:
        relative = path.relative_to(REPO_ROOT)
        own = relative.parts[1] if len(relative.parts) > 2 else None
        reaching = sorted(
            module
            for module in imported_modules(path)
            if module.endswith(".repository")
            and feature_of(module) not in (None, own)
            and (str(relative), module) not in KNOWN_EXCEPTIONS
        )
        assert reaching == []

    @pytest.mark.parametrize(
        "path", [API / "config.py", *sorted((API / "kit").rglob("*.py"))], ids=lambda p: p.name
    )
    def test_settings_and_the_kit_import_no_feature(self, path: Path) -> None:
        features = sorted(
            module
            for module in imported_modules(path)
            if module.startswith("api.") and not module.startswith(("api.kit", "api.config"))
        )
        assert features == []
