"""The channel gateway: danger first, then the language (api/conversation/gateway.py)."""

from __future__ import annotations

import json

import pytest

from api.config import REPO_ROOT
from api.conversation.danger import DangerPhrases
from api.conversation.gateway import CHOOSE_LANGUAGE, EMERGENCY, Gateway, emergency_payload
from api.conversation.language import LanguageDetection, named_language, native_name
from api.i18n import Translator
from bot.nlu.text import fold

LOCALES = REPO_ROOT / "locales"
TRANSLATOR = Translator(LOCALES)
GATEWAY = Gateway(TRANSLATOR, DangerPhrases.load(LOCALES / "danger"), LanguageDetection(TRANSLATOR.locales))


def inbound(
    text: str, first: bool = False, chosen: bool = False, menu: bool = False
) -> tuple[str, str | None]:
    result = GATEWAY.inbound(text, first=first, language_chosen=chosen, menu_open=menu)
    return result.text, result.detected_language


class TestFold:
    @pytest.mark.parametrize(
        ("text", "folded"),
        [
            ("HE'S HERE NOW!!", "he's here now"),
            ("he’s  here,now", "he's here now"),
            ("'quoted'", "quoted"),
            ("Zażółć gęślą", "zazolc gesla"),
            ("Ajută-mă ACUM", "ajuta ma acum"),
            ("ਮੈਨੂੰ ਮਦਦ, ਜਲਦੀ!", "ਮੈਨੂੰ ਮਦਦ ਜਲਦੀ"),
            ("মেয়ে।", "মেয়ে"),
            ("مدد چاہیے؟", "مدد چاہیے"),
        ],
    )
    def test_folds_case_accents_and_punctuation_but_keeps_vowel_signs(self, text: str, folded: str) -> None:
        assert fold(text) == folded


class TestDanger:
    @pytest.mark.parametrize(
        "text", ["HE'S HERE NOW!!", "hes here now", "Help, he is here now.", "i’m in danger"]
    )
    def test_a_danger_phrase_becomes_the_emergency_intent(self, text: str) -> None:
        assert inbound(text) == (emergency_payload(text), None)

    def test_the_emergency_intent_carries_the_words(self) -> None:
        sent, _ = inbound("так, у нього ніж")
        assert sent == '/emergency{"said":"так, у нього ніж"}'
        assert sent.startswith(EMERGENCY + "{")

    @pytest.mark.parametrize("text", ["he was here last year", "my neighbours are noisy", "hello", "/affirm"])
    def test_other_messages_pass_unchanged(self, text: str) -> None:
        assert inbound(text) == (text, None)

    @pytest.mark.parametrize(
        "text",
        [
            "وہ ابھی یہاں ہے",  # Urdu, as an Urdu keyboard writes it
            "وه ابهي يهاں هي",  # the same typed on an Arabic keyboard (ه for ہ and ھ, ي for ی and ے)
            "وہ ابھی یہاں ہے".replace("ی", "ى"),  # alef maksura for yeh
        ],
    )
    def test_urdu_typed_with_arabic_letters_is_still_danger(self, text: str) -> None:
        assert inbound(text) == (emergency_payload(text), None)

    def test_danger_comes_before_everything_even_in_the_menu(self) -> None:
        assert inbound("he's here now", first=True, menu=True) == (emergency_payload("he's here now"), None)

    def test_every_language_has_danger_phrases(self) -> None:
        phrases = DangerPhrases.load(LOCALES / "danger").phrases
        assert sorted(phrases) == sorted(TRANSLATOR.locales)
        assert all(len(found) >= 10 for found in phrases.values())

    def test_each_language_s_phrases_are_matched(self) -> None:
        danger = DangerPhrases.load(LOCALES / "danger")
        for language, phrases in danger.phrases.items():
            for phrase in phrases:
                assert danger.match(f"please {phrase}!") is not None, (language, phrase)


class TestLanguage:
    def test_the_first_message_picks_the_language(self) -> None:
        assert inbound("dzień dobry, potrzebuję pomocy", first=True) == (
            "dzień dobry, potrzebuję pomocy",
            "pl",
        )

    def test_a_later_message_never_switches_it(self) -> None:
        assert inbound("dzień dobry, potrzebuję pomocy", first=False) == (
            "dzień dobry, potrzebuję pomocy",
            None,
        )

    def test_a_chosen_language_is_not_second_guessed(self) -> None:
        assert inbound("dzień dobry, potrzebuję pomocy", first=True, chosen=True)[1] is None

    @pytest.mark.parametrize("text", ["ok", "hi", "?", "1", "/greet"])
    def test_too_little_to_tell(self, text: str) -> None:
        assert inbound(text, first=True)[1] is None

    @pytest.mark.parametrize(
        ("text", "code"),
        [
            ("Polski", "pl"),
            ("polish", "pl"),
            ("urdu please", "ur"),
            ("اردو", "ur"),
            ("Romana", "ro"),
            ("UK", "uk"),
        ],
    )
    def test_a_message_that_only_names_a_language_switches_to_it(self, text: str, code: str) -> None:
        said, _ = inbound(text)
        assert said == CHOOSE_LANGUAGE + json.dumps({"language": code}, separators=(",", ":"))

    def test_a_sentence_mentioning_a_language_is_not_a_switch(self) -> None:
        assert named_language("they mocked me for speaking polish", TRANSLATOR.locales) is None

    def test_a_number_answers_the_menu_only_when_it_is_open(self) -> None:
        order = GATEWAY.menu_order()
        assert order[0] == "en"
        assert inbound("2", menu=True)[0] == CHOOSE_LANGUAGE + json.dumps(
            {"language": order[1]}, separators=(",", ":")
        )
        assert inbound("2", menu=False) == ("2", None)
        assert inbound(str(len(order) + 1), menu=True) == (str(len(order) + 1), None)

    def test_the_confirmation_is_in_the_language_with_a_one_tap_change(self) -> None:
        for code in TRANSLATOR.locales:
            note = GATEWAY.confirmation(code)
            assert note.text == TRANSLATOR.t("bot.language.detected", code)
            assert [b.payload for b in note.buttons] == [CHOOSE_LANGUAGE]

    def test_languages_are_named_in_themselves(self) -> None:
        assert native_name("pl") == "Polski"
        assert native_name("en") == "English"
        assert native_name("ur") == "اردو"
