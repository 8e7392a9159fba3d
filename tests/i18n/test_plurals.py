"""Plural texts (api/nlg/plural.py): a locale value that is a mapping of CLDR plural categories has exactly
the categories of its language's plural rule (Babel) plus `other`, the same placeholders in each, and the
form a count needs is the one said, with the count written by Babel."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from babel.numbers import format_decimal

from api.config import REPO_ROOT
from api.i18n import MissingTranslation, Translator, cldr_locale
from api.nlg import plural

LOCALES = REPO_ROOT / "locales"
TRANSLATOR = Translator(LOCALES)
LANGUAGES = TRANSLATOR.locales
PLACEHOLDER = re.compile(r"%\{([a-z_]+)\}")
CASE_REVIEW = "bot.handoff.case_review"


def plural_texts(path: Path) -> dict[str, dict[str, Any]]:
    """Every plural text of a locale file, by key (`bot.handoff.case_review`)."""
    namespace, language = path.name.split(".")[:2]
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any, prefix: str) -> None:
        if plural.is_plural(node):
            found[prefix] = node
        elif isinstance(node, dict):
            for name, child in node.items():
                walk(child, f"{prefix}.{name}")

    walk((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(language), namespace)
    return found


def looks_plural(node: Any) -> bool:
    """A mapping whose keys are all plural categories (a text that meant to be plural, even a broken one)."""
    return isinstance(node, dict) and bool(node) and set(node) <= set(plural.CATEGORIES)


@pytest.mark.parametrize("language", LANGUAGES)
class TestCatalogue:
    def test_every_plural_text_has_the_categories_of_its_language(self, language: str) -> None:
        expected = plural.categories(language)
        assert "other" in expected
        for path in sorted(LOCALES.glob(f"*.{language}.yml")):
            for key, forms in plural_texts(path).items():
                assert set(forms) == expected, (key, sorted(forms), sorted(expected))

    def test_no_mapping_of_categories_lacks_other(self, language: str) -> None:
        def walk(node: Any, prefix: str) -> None:
            if looks_plural(node):
                assert plural.is_plural(node), f"{prefix}: a plural text needs `other`"
            elif isinstance(node, dict):
                for name, child in node.items():
                    walk(child, f"{prefix}.{name}")

        for path in sorted(LOCALES.glob(f"*.{language}.yml")):
            walk(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)

    def test_every_form_has_the_same_placeholders_and_words(self, language: str) -> None:
        for path in sorted(LOCALES.glob(f"*.{language}.yml")):
            for key, forms in plural_texts(path).items():
                shapes = {name: set(PLACEHOLDER.findall(str(form))) for name, form in forms.items()}
                assert len({frozenset(s) for s in shapes.values()}) == 1, (key, shapes)
                assert all(isinstance(form, str) and form.strip() for form in forms.values()), key

    def test_the_same_plural_texts_as_english(self, language: str) -> None:
        for english in sorted(LOCALES.glob("*.en.yml")):
            other = english.with_name(english.name.replace(".en.", f".{language}."))
            assert set(plural_texts(other)) == set(plural_texts(english)), other.name

    def test_the_case_review_is_a_plural_text_with_its_count(self, language: str) -> None:
        forms = plural.plural_forms(TRANSLATOR, CASE_REVIEW, language)
        assert forms is not None
        assert all("%{count}" in form for form in forms.values())


class TestCategory:
    @pytest.mark.parametrize(
        ("language", "count", "expected"),
        [
            ("en", 1, "one"),
            ("en", 0, "other"),
            ("en", 3, "other"),
            ("pl", 1, "one"),
            ("pl", 2, "few"),
            ("pl", 5, "many"),
            ("pl", 12, "many"),
            ("pl", 22, "few"),
            ("pl", 25, "many"),
            ("uk", 1, "one"),
            ("uk", 3, "few"),
            ("uk", 5, "many"),
            ("uk", 11, "many"),
            ("uk", 21, "one"),
            ("uk", 24, "few"),
            ("ar", 0, "zero"),
            ("ar", 1, "one"),
            ("ar", 2, "two"),
            ("ar", 3, "few"),
            ("ar", 11, "many"),
            ("ar", 100, "other"),
            ("ro", 1, "one"),
            ("ro", 3, "few"),
            ("ro", 19, "few"),
            ("ro", 20, "other"),
            ("ro", 101, "few"),
        ],
    )
    def test_cldr_category(self, language: str, count: int, expected: str) -> None:
        assert plural.category(language, count) == expected


class TestRender:
    @pytest.mark.parametrize(
        ("language", "count", "words"),
        [
            ("en", 3, "reported this 3 times"),
            ("en", 1, "reported this 1 time "),
            ("en", 1234, "reported this 1,234 times"),
            ("pl", 1, "zgłaszana 1 raz "),
            ("pl", 2, "zgłaszana 2 razy "),
            ("pl", 5, "zgłaszana 5 razy "),
            ("pl", 22, "zgłaszana 22 razy "),
            ("pl", 25, "zgłaszana 25 razy "),
            ("pl", 1.5, "zgłaszana 1,5 raza "),
            ("uk", 3, "3 рази "),
            ("uk", 5, "5 разів "),
            ("uk", 21, "21 раз "),
            ("ro", 3, "3 sesizări "),
            ("ro", 20, "20 de sesizări "),
            ("ar", 0, "0 مرة"),
            ("ar", 1, "مرة واحدة (1)"),
            ("ar", 2, "مرتين (2)"),
            ("ar", 3, "3 مرات"),
            ("ar", 11, "11 مرة"),
            ("ar", 100, "100 مرة"),
        ],
    )
    def test_the_form_the_count_needs(self, language: str, count: float, words: str) -> None:
        text = plural.t(TRANSLATOR, CASE_REVIEW, language, count, {})
        assert words in text
        forms = plural.plural_forms(TRANSLATOR, CASE_REVIEW, language)
        assert forms is not None
        written = format_decimal(count, locale=cldr_locale(language))
        assert text == plural.fill(forms[plural.category(language, count)], count=written)

    def test_a_count_given_as_text(self) -> None:
        assert "zgłaszana 5 razy" in plural.t(TRANSLATOR, CASE_REVIEW, "pl", "5", {})

    @pytest.mark.parametrize("count", [None, "many", True])
    def test_a_plural_text_needs_a_count(self, count: Any) -> None:
        with pytest.raises(MissingTranslation):
            plural.t(TRANSLATOR, CASE_REVIEW, "en", count, {})

    def test_an_ordinary_text_is_the_translators(self) -> None:
        said = plural.t(TRANSLATOR, "bot.validation.number", "pl", None, {"min": "0", "max": "99"})
        assert said == TRANSLATOR.t("bot.validation.number", "pl", min="0", max="99")

    def test_an_unknown_language_falls_back_to_english(self) -> None:
        assert "reported this 4 times" in plural.t(TRANSLATOR, CASE_REVIEW, "xx", 4, {})

    async def test_through_the_nlg_endpoint(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reply = await client.post(
            "/v1/nlg",
            json={
                "response": "utter_handoff_case_review",
                "arguments": {"count": 5},
                "tracker": {"slots": {"language": "pl"}},
            },
            headers=bot_headers,
        )
        assert reply.status_code == 200, reply.text
        assert "Ta sprawa była już zgłaszana 5 razy w ciągu pół roku" in reply.json()["text"]
