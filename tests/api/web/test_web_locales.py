"""The web page's words (locales/web.<lang>.yml): every key of the English file in every language, the same
placeholders, a review marker, and every word the page template names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.config import REPO_ROOT
from api.web.page import PAGE_WORDS

LOCALES = REPO_ROOT / "locales"
LANGUAGES = ("en", "pl", "ro", "ur", "pa", "ar", "bn", "uk")  # DESIGN §6
PLACEHOLDER = re.compile(r"%\{(\w+)\}")


def flatten(node: Any, prefix: str = "web") -> dict[str, str]:
    if isinstance(node, dict):
        found: dict[str, str] = {}
        for name, child in node.items():
            found.update(flatten(child, f"{prefix}.{name}"))
        return found
    return {prefix: node}


def words(language: str) -> dict[str, str]:
    path: Path = LOCALES / f"web.{language}.yml"
    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert set(tree) == {language}, f"{path.name}: the root key must be the language"
    return flatten(tree[language])


ENGLISH = words("en")


class TestWebWords:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_every_key_and_placeholder(self, language: str) -> None:
        theirs = words(language)
        assert set(theirs) == set(ENGLISH)
        for key, text in theirs.items():
            assert isinstance(text, str), key
            assert text.strip() or key.startswith("web.meta."), key
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(ENGLISH[key])), key

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_review_marker(self, language: str) -> None:
        theirs = words(language)
        expected = {"source"} if language == "en" else {"machine-drafted", "reviewed"}
        assert theirs["web.meta.review"] in expected
        assert "web.meta.reviewed_by" in theirs and "web.meta.reviewed_on" in theirs

    def test_the_page_names_only_keys_that_exist(self) -> None:
        assert set(PAGE_WORDS.values()) <= set(ENGLISH)
        assert set(ENGLISH) - set(PAGE_WORDS.values()) == {
            "web.meta.review",
            "web.meta.reviewed_by",
            "web.meta.reviewed_on",
        }

    def test_no_other_web_files(self) -> None:
        found = {p.name.split(".")[1] for p in LOCALES.glob("web.*.yml")}
        assert found == set(LANGUAGES)
