"""Answers in a person's own words (flowkit/understand.py through flowkit/parse.py): the product owner's
reported cases, and the rules that keep a guess from being stored."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from flowkit.flows import question_by_id
from flowkit.logic import SKIPPED
from flowkit.parse import CONFIRM_RESPONSE, Parsed, parse_answer
from flowkit.understand import STRONG, WEAK, best, find, word_strength, words_of

TODAY = date(2026, 11, 24)  # a Tuesday


question = question_by_id


def parse(question_id: str, said: Any, language: str = "en", intent: str | None = None) -> Parsed:
    return parse_answer(question(question_id), said, intent, language, TODAY)


class TestReported:
    @pytest.mark.parametrize(
        ("question_id", "said", "language", "expected"),
        [
            ("hate_strand", "because I'm gay", "en", "sexual_orientation"),
            ("hate_strand", "they said it's because I'm Muslim", "en", "religion"),
            ("hate_strand", "przez moje pochodzenie", "pl", "race"),
            ("hate_strand", "کیونکہ میں پاکستانی ہوں", "ur", "race"),
            ("da_relationship", "my husband", "en", "partner"),
            ("da_relationship", "mój mąż", "pl", "partner"),
            ("da_relationship", "زوجي", "ar", "partner"),
            ("asb_how_long", "about 3 months now", "en", "one_to_six_months"),
            ("asb_how_long", "over a year", "en", "over_six_months"),
            ("perp_relationship", "my girlfriend", "en", "partner"),
            ("consent_store", "نعم لا مانع", "ar", True),
            ("consent_store", "نعم لا بأس", "ar", True),
            ("asb_reports", "ek baar bhi nahi", "ur", 0),
            ("asb_reports", "ikk vaar vi nahi", "pa", 0),
            ("asb_targeted", "ні, вони так роблять усім", "uk", False),
            ("da_strangulation", "once last year", "en", True),
            ("da_separation", "I'm trying to leave", "en", True),
            ("consent_share", "yeah that's fine", "en", True),
            ("consent_share", "not really", "en", False),
            ("consent_share", "no thanks", "en", False),
        ],
    )
    def test_understood_and_stored(self, question_id: str, said: str, language: str, expected: Any) -> None:
        parsed = parse(question_id, said, language)
        assert parsed.ok, parsed
        assert parsed.value == expected

    @pytest.mark.parametrize("language", ["en", "pl", "ro", "uk", "ar", "ur", "pa", "bn"])
    def test_no_to_the_support_need_question_is_none(self, language: str) -> None:
        no = {
            "en": "no",
            "pl": "nie",
            "ro": "nu",
            "uk": "ні",
            "ar": "لا",
            "ur": "نہیں",
            "pa": "ਨਹੀਂ",
            "bn": "না",
        }
        assert parse("support_need", no[language], language).value == "none"

    def test_last_tuesday_evening_is_last_tuesday_not_today(self) -> None:
        assert parse("incident_when", "w zeszły wtorek wieczorem", "pl").value["date"] == "2026-11-17"


class TestConfirmNeverStore:
    def test_a_misspelling_is_confirmed(self) -> None:
        parsed = parse("hate_strand", "homofobic")
        assert (parsed.ok, parsed.confirm, parsed.value) == (False, True, "sexual_orientation")
        assert parsed.error == CONFIRM_RESPONSE
        assert parsed.args == {"answer_key": "bot.button.strand_sexual_orientation"}

    def test_two_choices_named_are_confirmed(self) -> None:
        parsed = parse("hate_strand", "because I'm gay and muslim")
        assert parsed.confirm
        assert not parsed.ok

    def test_a_yes_and_a_no_are_confirmed(self) -> None:
        parsed = parse("consent_store", "yes no")
        assert parsed.confirm
        assert not parsed.ok

    @pytest.mark.parametrize("intent", ["affirm", "deny"])
    def test_an_intent_without_a_word_for_it_is_confirmed(self, intent: str) -> None:
        parsed = parse("consent_store", "mmm alright then I suppose whatever", intent=intent)
        assert not parsed.ok

    def test_a_hedged_consent_is_confirmed(self) -> None:
        parsed = parse("consent_store", "yes I think")
        assert (parsed.ok, parsed.confirm, parsed.value) == (False, True, True)

    def test_a_number_beside_a_negation_is_confirmed(self) -> None:
        parsed = parse("asb_reports", "not 3")
        assert (parsed.ok, parsed.confirm, parsed.value) == (False, True, 3)

    def test_a_negated_choice_is_dropped(self) -> None:
        assert parse("hate_strand", "not my religion, my colour").value == "race"


class TestButtonsAndSkip:
    def test_the_re_ask_counts_the_skip_button(self) -> None:
        parsed = parse("support_need", "blah blah")
        assert parsed.error == "utter_validation_choice"
        assert parsed.args == {"count": 7}

    def test_the_skip_buttons_number_skips(self) -> None:
        assert parse("support_need", "7").value == SKIPPED

    @pytest.mark.parametrize(("said", "language"), [("rather not say", "en"), ("wolę nie mówić", "pl")])
    def test_skip_in_words(self, said: str, language: str) -> None:
        assert parse("asb_frightened", said, language).value == SKIPPED

    def test_skip_on_a_required_question_says_it_is_needed(self) -> None:
        assert parse("asb_violence", "skip").error == "utter_validation_not_optional"

    @pytest.mark.parametrize(
        ("said", "language"), [("rather not", "en"), ("no comment", "en"), ("wolę nie mówić", "pl")]
    )
    def test_a_skip_phrase_to_consent_is_a_no_to_confirm(self, said: str, language: str) -> None:
        # Consent cannot be skipped: "rather not" there is the no it says, put to the person, not re-asked.
        parsed = parse("consent_store", said, language)
        assert (parsed.ok, parsed.confirm, parsed.value) == (False, True, False)

    def test_a_bare_skip_to_consent_still_says_it_is_needed(self) -> None:
        assert parse("consent_store", "skip").error == "utter_validation_not_optional"


class TestWords:
    @pytest.mark.parametrize(
        ("pattern", "prefix", "word", "strength"),
        [
            ("gay", False, "gay", STRONG),
            ("pochodzeni", True, "pochodzeniem", STRONG),
            ("pochodzenie", False, "pochodzenia", STRONG),
            ("lesbian", False, "lesbians", STRONG),
            ("زوج", False, "زوجي", STRONG),
            ("دين", False, "الدين", STRONG),
            ("nie", False, "niego", 0),
            ("homophobic", False, "homofobic", WEAK),
            ("damage", False, "aage", 0),
        ],
    )
    def test_word_strength(self, pattern: str, prefix: bool, word: str, strength: int) -> None:
        assert word_strength(pattern, prefix, word) == strength

    def test_the_longest_match_wins(self) -> None:
        kept = best(find({"partner": ["husband"], "ex_partner": ["ex husband"]}, words_of("my ex husband")))
        assert [m.meaning for m in kept] == ["ex_partner"]


class TestHintsAndWholeAnswers:
    def test_a_partner_named_alone_is_only_a_hint(self) -> None:
        parsed = parse("unsure_closest", "my partner")
        assert (parsed.ok, parsed.confirm, parsed.value) == (False, True, "someone_close")

    def test_a_behaviour_beats_a_partner_named_in_passing(self) -> None:
        assert parse("unsure_closest", "main biwi par ghussa karta hoon", "ur").value == "own_behaviour"

    def test_a_no_inside_a_sentence_is_not_the_none_choice(self) -> None:
        assert parse("support_need", "ami kane shuni na", "bn").value == "physical_disability"


class TestHeldOutRules:
    """The general rules added for the held-out answers of session 6 (ar, ur, pa, bn)."""

    def test_a_hedge_alone_is_no_misspelt_choice(self) -> None:
        # "pata ni" ("don't know") is near "patka" (a Sikh head covering, a religion word): no guess to offer
        parsed = parse("hate_strand", "pata ni", "pa")
        assert not parsed.ok and not parsed.confirm and parsed.value is None
        assert parse("hate_strand", "patka", "pa").value == "religion"  # the word itself still names it

    @pytest.mark.parametrize(
        ("said", "language"),
        [("لا ما في شي", "ar"), ("nahi koi nahi", "ur"), ("না কিছু না", "bn"), ("no, nothing", "en")],
    )
    def test_no_before_none_repeats_it(self, said: str, language: str) -> None:
        parsed = parse("support_need", said, language)
        assert parsed.ok and parsed.value == "none"

    def test_a_negation_before_another_choice_still_turns_it_round(self) -> None:
        parsed = parse("da_relationship", "not my husband, my brother", "en")
        assert parsed.ok and parsed.value == "family"

    @pytest.mark.parametrize(
        ("question_id", "said", "language", "expected"),
        [
            ("da_relationship", "mera shohar nahi, mera bhai", "ur", "family"),
            ("da_relationship", "আমার স্বামী না, আমার ভাই", "bn", "family"),
            ("da_weapon", "না ওর কাছে কোনো অস্ত্র নেই", "bn", False),
            ("da_weapon", "nahi ohde kol koi hathiyar ni", "pa", False),
        ],
    )
    def test_a_negation_after_what_it_denies(
        self, question_id: str, said: str, language: str, expected: Any
    ) -> None:
        parsed = parse(question_id, said, language)
        assert parsed.ok and parsed.value == expected

    def test_the_negation_after_is_per_language(self) -> None:
        # English puts its negation first: a "no" after a word is a new answer, not its negation
        parsed = parse("da_weapon", "a knife no", "en")
        assert not parsed.ok

    def test_a_turned_round_yes_on_consent_is_still_confirmed(self) -> None:
        parsed = parse("consent_store", "nahi, share karna theek nahi", "ur")
        assert not parsed.ok and parsed.confirm and parsed.value is False

    def test_a_no_with_a_yes_word_not_turned_round_is_still_confirmed(self) -> None:
        parsed = parse("da_weapon", "nahi, chaku tha", "ur")
        assert not parsed.ok and parsed.confirm
