"""Every reason key the rules can emit is in locales/triage.en.yml (read directly, as python-i18n would)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.triage import REASON_KEYS, REASONS

REPO_ROOT = Path(__file__).resolve().parents[3]
LOCALE_FILE = REPO_ROOT / "locales" / "triage.en.yml"
RULES_SOURCE = REPO_ROOT / "api" / "triage" / "rules.py"


def load_locale() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(LOCALE_FILE.read_text(encoding="utf-8"))
    return data


def lookup(data: dict[str, Any], key: str) -> object:
    """python-i18n with filename_format '{namespace}.{locale}.{format}': the namespace is the file name."""
    namespace, _, rest = key.partition(".")
    assert namespace == "triage"
    node: object = data["en"]
    for part in rest.split("."):
        assert isinstance(node, dict), key
        node = node.get(part)
    return node


class TestTriageLocale:
    def test_root_key_is_the_language(self) -> None:
        assert list(load_locale()) == ["en"]

    @pytest.mark.parametrize("key", sorted(REASON_KEYS))
    def test_reason_key_has_plain_text(self, key: str) -> None:
        text = lookup(load_locale(), key)

        assert isinstance(text, str)
        assert text.strip()
        assert "%{" not in text  # no placeholders: the rules pass none

    def test_every_reason_in_the_rules_source_is_registered(self) -> None:
        declared = {
            f"triage.reason.{rule.lower()}_{what}"
            for rule, what in re.findall(
                r'_reason\("(R\d)", "(\w+)"\)', RULES_SOURCE.read_text(encoding="utf-8")
            )
        }

        assert declared == REASON_KEYS

    def test_locale_has_no_stale_reasons(self) -> None:
        in_locale = {f"triage.reason.{name}" for name in load_locale()["en"]["reason"]}

        assert in_locale == REASON_KEYS

    @pytest.mark.parametrize("reason", REASONS, ids=lambda reason: reason.key)
    def test_key_is_named_after_its_rule(self, reason: Any) -> None:
        assert reason.key.startswith(f"triage.reason.{reason.rule.lower()}_")
