"""Danger phrases and what cancels them (bot/nlu/danger.py): the api's emergency layer and the NLU guard both
read locales/danger/ through it."""

from __future__ import annotations

import pytest

from bot.nlu.danger import DangerPhrases, relabel_calm

DANGER = DangerPhrases.load()
RANKING = [
    {"name": "emergency", "confidence": 0.6},
    {"name": "affirm", "confidence": 0.3},
    {"name": "inform", "confidence": 0.1},
]


def build(**overrides: list[str]) -> DangerPhrases:
    """A one-language set of phrases and cues, English unless overridden."""
    data = {"phrases": ["he's here", "in danger"], "negations": ["not", "nu e"], "reassurance": ["i'm safe"]}
    data.update(overrides)
    return DangerPhrases(
        {"xx": frozenset(data["phrases"])},
        {"xx": frozenset(data["negations"])},
        {"xx": frozenset(data.get("negations_after", []))},
        {"xx": frozenset(data["reassurance"])},
    )


class TestNegation:
    @pytest.mark.parametrize("text", ["I'm not in danger", "im not in danger now", "we were NOT in danger"])
    def test_a_negation_right_before_a_phrase_cancels_it(self, text: str) -> None:
        assert build().match(text) is None

    @pytest.mark.parametrize("text", ["not now, he's here", "not sure. in danger", "not again he's here"])
    def test_a_negation_in_another_clause_or_not_touching_the_phrase_does_not(self, text: str) -> None:
        assert build().match(text) == "xx"

    def test_a_negation_ending_inside_the_phrase_cancels_it(self) -> None:
        phrases = build(phrases=["e aici"])
        assert phrases.match("nu e aici") is None
        assert phrases.match("nu, e aici") == "xx"

    def test_one_uncancelled_occurrence_is_enough(self) -> None:
        assert build().match("not in danger before, in danger now") == "xx"

    def test_a_negation_after_the_phrase_cancels_it_where_the_language_says_so(self) -> None:
        phrases = build(phrases=["se ekhane"], negations_after=["nei"])
        assert phrases.match("se ekhane nei") is None
        assert phrases.match("se ekhane, nei?") == "xx"

    @pytest.mark.parametrize(
        "text",
        [
            "no, he's here now",
            "no hes here",
            "nu, e aici",
            "nu el e aici acum",
            "nie, on tu jest",
            "ні, він тут",
            "ні він тут зараз",
            "لا، هو هون هلأ",
            "لا هو هون",
            "না, সে এখন এখানে",
            "বাঁচাও না",
            "amake bachao na",
            "نہیں، وہ ابھی یہاں ہے",
            "ਨਹੀਂ, ਉਹ ਹੁਣ ਇੱਥੇ ਹੈ",
            "i was safe but he's here now",
            "he was outside and now he's trying to get in",
            "mai e aici",
            "el e inca aici",
        ],
    )
    def test_no_before_present_danger_is_still_danger(self, text: str) -> None:
        assert DANGER.match(text) is not None

    @pytest.mark.parametrize(
        "text",
        [
            "Nu mai e aici",
            "nu e aici",
            "its not an emergency",
            "nie jestem już w niebezpieczeństwie",
            "це не екстрена ситуація",
            "সে এখন এখানে নেই",
            "یہ ایمرجنسی نہیں ہے",
            "ਇਹ ਐਮਰਜੈਂਸੀ ਨਹੀਂ ਹੈ",
            "مو حالة طوارئ",
            "yeh emergency nahi hai",
        ],
    )
    def test_negated_danger_in_every_language_is_not_danger(self, text: str) -> None:
        assert DANGER.match(text) is None, DANGER.matched_phrases(text)


class TestReassurance:
    @pytest.mark.parametrize(
        "text",
        [
            "yes, he's gone out, I'm safe now",
            "tak jestem bezpieczna, wyszedł",
            "da, sunt in siguranta",
            "جی میں محفوظ ہوں",
            "ਹਾਂ ਜੀ, ਮੈਂ ਸੁਰੱਖਿਅਤ ਹਾਂ",
            "نعم أنا بأمان",
            "হ্যাঁ আমি নিরাপদ",
            "так, я в безпеці",
        ],
    )
    def test_safe_now_is_reassurance_in_every_language(self, text: str) -> None:
        assert DANGER.reassured(text) is not None
        assert DANGER.calm(text)

    @pytest.mark.parametrize(
        "text",
        [
            "i don't think i'm safe",
            "im not safe now",
            "i'm not sure i'm safe",
            "nu sunt in siguranta",
            "nu pot vorbi",
            "nie jestem bezpieczna",
            "nie mogę rozmawiać",
            "я не в безпеці",
            "আমি নিরাপদ না",
            "ami nirapod na",
            "میں محفوظ نہیں ہوں",
            "ਮੈਂ ਸੁਰੱਖਿਅਤ ਨਹੀਂ ਹਾਂ",
            "أنا مش بأمان",
            "ما بقدر احكي",
        ],
    )
    def test_not_safe_is_never_reassurance(self, text: str) -> None:
        assert DANGER.reassured(text) is None

    def test_reassurance_with_a_danger_phrase_is_not_calm(self) -> None:
        assert not DANGER.calm("i'm safe now but he's outside")


class TestRelabelCalm:
    def test_an_emergency_that_only_reassures_takes_the_best_other_intent(self) -> None:
        assert relabel_calm(RANKING[0], RANKING, "yes i'm safe now, he left", DANGER) == RANKING[1]

    def test_an_emergency_with_a_danger_phrase_stays(self) -> None:
        assert relabel_calm(RANKING[0], RANKING, "i'm safe? no he's here now", DANGER) is None

    def test_an_emergency_without_reassurance_stays(self) -> None:
        assert relabel_calm(RANKING[0], RANKING, "please come quickly", DANGER) is None

    def test_other_intents_are_left_alone(self) -> None:
        assert relabel_calm(RANKING[1], RANKING, "yes i'm safe", DANGER) is None

    def test_a_ranking_of_emergency_alone_becomes_an_answer(self) -> None:
        assert relabel_calm(RANKING[0], RANKING[:1], "i'm safe", DANGER) == {
            "name": "inform",
            "confidence": 0.0,
        }
