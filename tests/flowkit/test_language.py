"""Naming a language (flowkit/language.py), for both its callers: the api's gateway, which switches on a
message that only names a language, and the bot's language action, which reads the language named in a
message the NLU took for `choose_language`."""

from __future__ import annotations

import pytest

from flowkit.language import language_names, named_language
from flowkit.words import languages

LANGUAGES = list(languages())


class TestAMessageThatOnlyNamesALanguage:
    """The gateway: `alone` (the default)."""

    @pytest.mark.parametrize(
        ("text", "code"),
        [
            ("Polski", "pl"),
            ("polish", "pl"),
            ("POLISH", "pl"),
            ("urdu please", "ur"),
            ("اردو", "ur"),
            ("Romana", "ro"),
            ("română", "ro"),
            ("UK", "uk"),
            ("ur", "ur"),
            ("angielski", "en"),
        ],
    )
    def test_names_it(self, text: str, code: str) -> None:
        assert named_language(text, LANGUAGES) == code

    @pytest.mark.parametrize(
        "text", ["they mocked me for speaking polish", "in urdu please", "change language", "hello", "2"]
    )
    def test_a_sentence_or_anything_else_names_none(self, text: str) -> None:
        assert named_language(text, LANGUAGES) is None

    def test_only_the_languages_given_count(self) -> None:
        assert named_language("polski", ["en", "ur"]) is None


class TestALanguageNamedInARequest:
    """The bot's language action: not `alone`; the person asked to change language."""

    @pytest.mark.parametrize(
        ("text", "code"),
        [
            ("change language to polish", "pl"),
            ("I want Urdu", "ur"),
            ("can we speak in Romanian please", "ro"),
            ("Polski", "pl"),
            ("ur", "ur"),
            ("українська будь ласка", "uk"),
        ],
    )
    def test_names_it(self, text: str, code: str) -> None:
        assert named_language(text, LANGUAGES, alone=False) == code

    @pytest.mark.parametrize("text", ["change language", "language", "another language please", "welsh"])
    def test_no_language_we_speak(self, text: str) -> None:
        assert named_language(text, LANGUAGES, alone=False) is None

    def test_a_two_letter_code_inside_a_sentence_is_not_a_choice(self) -> None:
        # "uk" and "ur" are codes; inside a sentence they are something else ("the UK", "ur" for "your").
        assert named_language("i live in the uk", LANGUAGES, alone=False) is None
        assert named_language("change ur language", LANGUAGES, alone=False) is None


class TestNames:
    def test_a_language_is_named_by_its_code_and_in_itself_and_in_english(self) -> None:
        names = language_names("pl", tuple(LANGUAGES))
        assert {"pl", "polski", "polish"} <= names
