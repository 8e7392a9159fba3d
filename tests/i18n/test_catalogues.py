"""Parity of every language (DESIGN §6): every key of every catalogue, the same placeholders, nothing empty
or left in English, a review marker; danger phrases, conversation-test phrases and NLU examples for every
intent. A ninth language is these files and nothing else, so these tests are what it must pass."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.config import REPO_ROOT
from api.i18n import Translator
from api.nlg.plural import is_plural
from bot.nlu.text import fold
from tools.nlu_report import examples

LOCALES = REPO_ROOT / "locales"
TRANSLATOR = Translator(LOCALES)
LANGUAGES = TRANSLATOR.locales
OTHERS = [code for code in LANGUAGES if code != "en"]
NAMESPACES = sorted(p.name.split(".")[0] for p in LOCALES.glob("*.en.yml"))
PLACEHOLDER = re.compile(r"%\{([a-z_]+)\}")
REVIEW_STATES = ("machine-drafted", "reviewed")
MIN_EXAMPLES = 15
MIN_DANGER_PHRASES = 15


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if is_plural(node):  # a plural text is one key here, its `other` form; test_plurals.py checks every form
        return {prefix: node["other"]}
    if isinstance(node, dict):
        flat: dict[str, Any] = {}
        for name, child in node.items():
            flat.update(flatten(child, f"{prefix}.{name}" if prefix else str(name)))
        return flat
    return {prefix: node}


def catalogue(namespace: str, language: str) -> dict[str, Any]:
    path = LOCALES / f"{namespace}.{language}.yml"
    assert path.exists(), f"{path.name} is missing"
    tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    assert list(tree) == [language], f"{path.name}: the root key must be {language!r}"
    return flatten(tree[language])


def untranslatable(text: str) -> bool:
    """Text that may stay as in English: numbers, phone numbers, placeholders, a name of one word."""
    words = re.findall(r"[A-Za-z]{4,}", PLACEHOLDER.sub("", text))
    return len(words) <= 1


def test_the_eight_languages_are_there() -> None:
    assert set(LANGUAGES) >= {"en", "pl", "ro", "ur", "pa", "ar", "bn", "uk"}


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("language", OTHERS)
class TestCatalogue:
    def test_same_keys_as_english(self, namespace: str, language: str) -> None:
        english, other = catalogue(namespace, "en"), catalogue(namespace, language)
        assert sorted(set(english) - set(other)) == [], "missing"
        assert sorted(set(other) - set(english)) == [], "not in English"

    def test_same_placeholders(self, namespace: str, language: str) -> None:
        english, other = catalogue(namespace, "en"), catalogue(namespace, language)
        for key, text in english.items():
            if key in other:
                assert set(PLACEHOLDER.findall(str(other[key]))) == set(PLACEHOLDER.findall(str(text))), key

    def test_nothing_empty_or_left_in_english(self, namespace: str, language: str) -> None:
        english, other = catalogue(namespace, "en"), catalogue(namespace, language)
        for key, text in other.items():
            if key.startswith("meta."):
                continue
            assert isinstance(text, str), key
            # Only a separator may be blank ("\n"), and only where English's is too.
            assert text.strip() or (text and not str(english.get(key, "x")).strip()), f"{key} is empty"
            if key in english and text == english[key]:
                assert untranslatable(text), f"{key} is still in English: {text!r}"

    def test_review_marker(self, namespace: str, language: str) -> None:
        meta = {k: v for k, v in catalogue(namespace, language).items() if k.startswith("meta.")}
        assert meta.get("meta.review") in REVIEW_STATES
        if meta["meta.review"] == "reviewed":
            assert meta.get("meta.reviewed_by") and meta.get("meta.reviewed_on"), (
                "who signed it off, and when"
            )


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_english_is_the_source(namespace: str) -> None:
    assert catalogue(namespace, "en")["meta.review"] == "source"


@pytest.mark.parametrize("language", LANGUAGES)
class TestEveryLanguageHasItsData:
    def test_danger_phrases(self, language: str) -> None:
        path = LOCALES / "danger" / f"{language}.yml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["review"] in (*REVIEW_STATES, "source")
        folded = [fold(str(p)) for p in data["phrases"]]
        assert all(folded), "a phrase folds to nothing"
        # Spellings with and without accents fold to one phrase: count the distinct ones.
        assert len(set(folded)) >= MIN_DANGER_PHRASES

    def test_conversation_test_phrases(self, language: str) -> None:
        def shape(path: Path) -> dict[str, list[str]]:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            return {group: sorted(values) for group, values in data.items()}

        phrases = REPO_ROOT / "tests" / "flows" / "phrases"
        assert shape(phrases / f"{language}.yml") == shape(phrases / "en.yml")

    def test_nlu_examples_for_every_intent(self, language: str) -> None:
        english = set(examples("en").values())
        found = examples(language)
        counts = {intent: sum(1 for i in found.values() if i == intent) for intent in english}
        assert {i for i, n in counts.items() if n < MIN_EXAMPLES} == set(), counts
        assert set(found.values()) == english, "the same intents as English"

    def test_direction(self, language: str) -> None:
        assert TRANSLATOR.direction(language) == ("rtl" if language in ("ar", "ur") else "ltr")


def test_no_example_is_shared_between_languages() -> None:
    seen: dict[str, str] = {}
    for language in LANGUAGES:
        for text in examples(language):
            key = text.casefold()
            assert seen.setdefault(key, language) == language, f"{text!r} is in {seen[key]} and {language}"
