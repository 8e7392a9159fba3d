"""locales/form.<lang>.yml: every key of the English source in every language, the same placeholders, and a
review state (English is the source; the others are machine-drafted until a native speaker signs off)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from api.config import REPO_ROOT

LANGUAGES = ("en", "pl", "ro", "ur", "pa", "ar", "bn", "uk")
PLACEHOLDER = re.compile(r"%\{(\w+)\}")


def flat(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


def keys(language: str) -> dict[str, str]:
    path = REPO_ROOT / "locales" / f"form.{language}.yml"
    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert list(tree) == [language], f"{path.name}: the root key is the language"
    return flat(tree[language])


ENGLISH = keys("en")


class TestFormLocales:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_every_key_and_placeholder(self, language: str) -> None:
        found = keys(language)
        assert set(found) == set(ENGLISH)
        for key, text in ENGLISH.items():
            if key.startswith("meta."):
                continue
            assert sorted(PLACEHOLDER.findall(found[key])) == sorted(PLACEHOLDER.findall(text)), key
            assert found[key].strip(), key

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_review_state(self, language: str) -> None:
        expected = "source" if language == "en" else ("machine-drafted", "reviewed")
        review = keys(language)["meta.review"]
        assert review == expected if language == "en" else review in expected
