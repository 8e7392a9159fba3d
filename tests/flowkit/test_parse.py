"""The bot's answer parser (flowkit/parse.py): what a person types, in their words, becomes a canonical
answer, or a named validation response. Plain Python: runs here without Rasa."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from flowkit.flows import load_flow
from flowkit.logic import SKIPPED
from flowkit.parse import Parsed, _clean, _number_in, parse_answer, parse_date
from flowkit.spec import AnswerType, Question
from flowkit.text import fold_letters

TODAY = date(2026, 11, 24)  # a Tuesday
ASB = load_flow("asb")
HATE = load_flow("hate_crime")
DA = load_flow("domestic_abuse")
# A date question up to ten years back.
DATE_QUESTION = Question(id="incident_when", type=AnswerType.date, text_key="bot.x.ask", max_days_ago=3650)


def parse(flow_question: Question, said: Any, intent: str | None = None) -> Parsed:
    return parse_answer(flow_question, said, intent, "en", TODAY)


class TestDates:
    @pytest.mark.parametrize(
        ("said", "expected"),
        [
            ("today", "2026-11-24"),
            ("earlier this morning", "2026-11-24"),
            ("yesterday", "2026-11-23"),
            ("yesterday evening", "2026-11-23"),
            ("last night", "2026-11-23"),
            ("the day before yesterday", "2026-11-22"),
            ("last friday", "2026-11-20"),
            ("on Monday", "2026-11-23"),
            ("last Tuesday", "2026-11-17"),
            ("sat", "2026-11-21"),
            ("3 weeks ago", "2026-11-03"),
            ("two weeks ago", "2026-11-10"),
            ("a week ago", "2026-11-17"),
            ("about 10 days ago", "2026-11-14"),
            ("a fortnight ago", "2026-11-10"),
            ("a month ago", "2026-10-24"),
            ("2 months ago", "2026-09-24"),
            ("a year ago", "2025-11-24"),
            ("12/11/2026", "2026-11-12"),
            ("12.11.26", "2026-11-12"),
            ("1/12", "2025-12-01"),
            ("2026-11-01", "2026-11-01"),
            ("12 November", "2026-11-12"),
            ("3rd of march 2025", "2025-03-03"),
            ("in december", "2025-12-01"),
        ],
    )
    def test_words_and_digits(self, said: str, expected: str) -> None:
        parsed = parse(HATE.question("incident_when"), said)
        assert parsed.ok, parsed.error
        assert parsed.value == {"date": expected, "words": said}

    @pytest.mark.parametrize(
        ("said", "error"),
        [
            ("next week", "utter_validation_date"),
            ("31/02/2026", "utter_validation_date"),
            ("13/13/2026", "utter_validation_date"),
            ("25/12/2026", "utter_validation_date_future"),
            ("tomorrow", "utter_validation_date"),
            ("12/11/2001", "utter_validation_date_too_old"),
        ],
    )
    def test_refused(self, said: str, error: str) -> None:
        assert parse(HATE.question("incident_when"), said).error == error

    def test_a_stricter_limit_for_the_last_report(self) -> None:
        assert parse(ASB.question("asb_last_report"), "2 years ago").error == "utter_validation_date_too_old"

    def test_an_answer_already_given_is_kept(self) -> None:
        value = {"date": "2026-11-01", "words": "a while ago"}
        assert parse(HATE.question("incident_when"), value).value == value


class TestNumbers:
    @pytest.mark.parametrize(
        ("said", "expected"),
        [
            ("3", 3),
            ("three", 3),
            ("about 5 times", 5),
            ("none", 0),
            ("never", 0),
            ("no", 0),
            ("once", 1),
            (7, 7),
        ],
    )
    def test_accepted(self, said: Any, expected: int) -> None:
        assert parse(ASB.question("asb_reports"), said).value == expected

    @pytest.mark.parametrize("said", ["lots", "100", "-"])
    def test_refused_with_the_range(self, said: str) -> None:
        parsed = parse(ASB.question("asb_reports"), said)
        assert (parsed.error, parsed.args) == ("utter_validation_number", {"min": 0, "max": 99})


class TestPostcodes:
    @pytest.mark.parametrize(
        ("said", "expected"),
        [
            ("st4 1aa", "ST4 1AA"),
            ("ST41AA", "ST4 1AA"),
            ("it's WS11 1AB", "WS11 1AB"),
            ("st4", "ST4"),
            ("M1", "M1"),
            ("b79 7aa", "B79 7AA"),
        ],
    )
    def test_normalised(self, said: str, expected: str) -> None:
        assert parse(ASB.question("postcode"), said).value == expected

    @pytest.mark.parametrize("said", ["stoke", "12345", "ST"])
    def test_refused(self, said: str) -> None:
        assert parse(ASB.question("postcode"), said).error == "utter_validation_postcode"

    def test_skipped(self) -> None:
        assert parse(ASB.question("postcode"), "/skip_question", "skip_question").value == SKIPPED


class TestPhones:
    @pytest.fixture(autouse=True)
    def _fictional(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ALLOW_FICTIONAL_PHONE_NUMBERS", "true")

    @pytest.mark.parametrize("said", ["07700 900123", "+44 7700 900123", "my number is 07700900123"])
    def test_e164(self, said: str) -> None:
        assert parse(HATE.question("contact_phone"), said).value == "+447700900123"

    def test_fictional_numbers_only_when_allowed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ALLOW_FICTIONAL_PHONE_NUMBERS", "false")
        assert parse(HATE.question("contact_phone"), "07700 900123").error == "utter_validation_phone"

    @pytest.mark.parametrize("said", ["123", "call me", "0770"])
    def test_refused(self, said: str) -> None:
        assert parse(HATE.question("contact_phone"), said).error == "utter_validation_phone"


class TestChoices:
    @pytest.mark.parametrize(
        ("said", "expected"),
        [
            ('/inform{"choice":"religion"}', "religion"),
            ("2", "religion"),
            ("Religion or belief", "religion"),
            ("religion", "religion"),
            ("race", "race"),
            ("sexual orientation", "sexual_orientation"),
            ("6", "other"),
            ("something else", "other"),
        ],
    )
    def test_by_button_number_or_label(self, said: str, expected: str) -> None:
        assert parse(HATE.question("hate_strand"), said).value == expected

    @pytest.mark.parametrize("said", ["7", "0", "purple", '/inform{"choice":"purple"}'])
    def test_refused_with_the_count(self, said: str) -> None:
        parsed = parse(HATE.question("hate_strand"), said)
        assert (parsed.error, parsed.args) == ("utter_validation_choice", {"count": 6})


class TestYesNo:
    @pytest.mark.parametrize(
        ("said", "intent", "expected"),
        [("/affirm", "affirm", True), ("yeah", "affirm", True), ("no", "deny", False), ("Yes", None, True)],
    )
    def test_by_intent_or_label(self, said: str, intent: str | None, expected: bool) -> None:
        assert parse(HATE.question("sms_safe"), said, intent).value is expected

    def test_by_number_for_sms(self) -> None:
        assert parse(DA.question("da_weapon"), "1").value is True
        assert parse(DA.question("da_weapon"), "2").value is False
        assert parse(DA.question("da_weapon"), "3").value == SKIPPED

    def test_not_understood(self) -> None:
        assert (
            parse(HATE.question("sms_safe"), "maybe later", "out_of_scope").error == "utter_validation_yes_no"
        )

    @pytest.mark.parametrize("intent", ["skip_question", "unsure"])
    def test_skip_when_optional(self, intent: str) -> None:
        assert parse(DA.question("da_weapon"), "rather not say", intent).value == SKIPPED

    def test_no_skip_when_required(self) -> None:
        parsed = parse(HATE.question("sms_safe"), "skip", "skip_question")
        assert parsed.error == "utter_validation_not_optional"


class TestFreeText:
    def test_trimmed(self) -> None:
        assert parse(HATE.question("incident_description"), "  shouted   at me  ").value == "shouted at me"

    def test_too_short(self) -> None:
        assert parse(HATE.question("incident_description"), "a").error == "utter_validation_too_short"

    def test_too_long(self) -> None:
        parsed = parse(HATE.question("incident_description"), "x" * 1001)
        assert (parsed.error, parsed.args) == ("utter_validation_too_long", {"max": 1000})


class TestSkipping:
    def test_an_answer_that_looks_like_a_skip_is_still_an_answer(self) -> None:
        assert parse(HATE.question("incident_when"), "last friday", "skip_question").ok
        assert parse(ASB.question("asb_reports"), "none", "skip_question").value == 0

    def test_i_dont_know_to_a_required_question(self) -> None:
        parsed = parse(HATE.question("incident_when"), "i don't know", "unsure")
        assert parsed.error == "utter_validation_not_optional"

    def test_skip_to_a_required_question(self) -> None:
        assert parse(HATE.question("incident_when"), "/skip_question", "skip_question").error == (
            "utter_validation_not_optional"
        )
        assert parse(HATE.question("incident_description"), "skip", "skip_question").error == (
            "utter_validation_not_optional"
        )

    def test_i_dont_know_to_an_optional_question_skips_it(self) -> None:
        assert parse(DA.question("da_weapon"), "i'm not sure", "unsure").value == SKIPPED

    def test_rather_not_say_is_never_kept_as_free_text(self) -> None:
        assert parse(DA.question("da_description"), "rather not say", "skip_question").value == SKIPPED

    def test_the_skip_button(self) -> None:
        assert parse(ASB.question("asb_frightened"), "/skip_question", "skip_question").value == SKIPPED


class TestOtherScriptsAndForms:
    """What the Romanian and Bengali writers found: words inside words, forms of a number, accents."""

    @pytest.mark.parametrize(
        ("said", "language", "expected"),
        [
            ("তিনি কখনো পুলিশ ডাকেননি", "bn", None),  # "he never called the police": তিন (3) is inside তিনি
            ("তিন বার", "bn", 3),
            ("দু বার", "bn", 2),
            ("de două ori", "ro", 2),
            ("doi", "ro", 2),
            ("doua", "ro", 2),
            ("not once", "en", 0),
            ("once", "en", 1),
            ("sab3a", "ar", None),  # Arabizi: the 3 is a letter
            ("3 times", "en", 3),
        ],
    )
    def test_numbers(self, said: str, language: str, expected: int | None) -> None:
        assert _number_in(_clean(said), language) == expected

    def test_a_short_month_name_alone_is_not_a_date(self) -> None:
        question = DATE_QUESTION
        assert parse_date(question, "nu mai știu", "ro", TODAY).value is None
        assert parse_date(question, "12 mai", "ro", TODAY).value == {"date": "2026-05-12", "words": "12 mai"}

    def test_weekdays_without_accents(self) -> None:
        question = DATE_QUESTION
        plain = parse_date(question, "sambata", "ro", TODAY).value
        accented = parse_date(question, "sâmbătă", "ro", TODAY).value
        assert plain is not None and accented is not None
        assert plain["date"] == accented["date"] == "2026-11-21"


def when(said: str, language: str) -> str | None:
    """The date an answer gives in a language, or the validation response it gets."""
    question = DATE_QUESTION
    parsed = parse_date(question, said, language, TODAY)
    return parsed.value["date"] if parsed.ok else parsed.error


class TestWeekdays:
    """Weekday names as people write them: inflected, after "last", without accents or apostrophes."""

    @pytest.mark.parametrize(
        ("said", "language"),
        [
            ("last friday", "en"),
            ("w zeszły piątek", "pl"),
            ("vinerea trecută", "ro"),
            ("в минулу п'ятницю", "uk"),
            ("в минулу пʼятницю", "uk"),
            ("الجمعة الماضية", "ar"),
            ("الجمعه اللي فاتت", "ar"),
            ("پچھلے جمعہ", "ur"),
            ("pichle jumma", "ur"),
            ("ਪਿਛਲੇ ਸ਼ੁੱਕਰਵਾਰ", "pa"),
            ("ਪਿਛਲੇ ਸ਼ੁਕਰਵਾਰ", "pa"),
            ("গত শুক্রবার", "bn"),
        ],
    )
    def test_last_friday_in_every_language(self, said: str, language: str) -> None:
        assert when(said, language) == "2026-11-20"

    @pytest.mark.parametrize(
        ("said", "language", "expected"),
        [
            ("w poniedziałek", "pl", "2026-11-23"),
            ("we wtorek", "pl", "2026-11-17"),  # today is a Tuesday: the one before
            ("w środę", "pl", "2026-11-18"),
            ("w srode", "pl", "2026-11-18"),
            ("w zeszłą sobotę", "pl", "2026-11-21"),
            ("w niedzielę", "pl", "2026-11-22"),
            ("у понеділок", "uk", "2026-11-23"),
            ("в середу", "uk", "2026-11-18"),
            ("в суботу", "uk", "2026-11-21"),
            ("минулої неділі", "uk", "2026-11-22"),  # Sunday, though "неділю тому" is a week ago
            ("lunea trecută", "ro", "2026-11-23"),
            ("luni", "ro", "2026-11-23"),  # Monday; "acum 2 luni" is two months ago
            ("joia trecuta", "ro", "2026-11-19"),
            ("يوم الاثنين", "ar", "2026-11-23"),
            ("السبت اللي فات", "ar", "2026-11-21"),
            ("پیر کو", "ur", "2026-11-23"),
            ("ਸੋਮਵਾਰ ਨੂੰ", "pa", "2026-11-23"),
            ("সোমবারে", "bn", "2026-11-23"),
            ("on weds", "en", "2026-11-18"),
        ],
    )
    def test_inflected_forms(self, said: str, language: str, expected: str) -> None:
        assert when(said, language) == expected

    @pytest.mark.parametrize(
        ("said", "language"), [("I sat there for hours", "en"), ("mie mi-a spus ceva urât", "ro")]
    )
    def test_a_short_name_in_a_longer_answer_is_an_everyday_word(self, said: str, language: str) -> None:
        assert when(said, language) == "utter_validation_date"

    def test_a_short_name_alone_is_a_weekday(self) -> None:
        assert when("sat", "en") == when("last sat", "en") == "2026-11-21"


class TestLastAndAgo:
    """A "last" week is a week ago; "a few" is 3 and "a couple" 2 (documented approximations: the words
    typed are kept beside the date for the caseworker)."""

    @pytest.mark.parametrize(
        ("said", "language", "expected"),
        [
            ("last week", "en", "2026-11-17"),
            ("last month", "en", "2026-10-24"),
            ("last year", "en", "2025-11-24"),
            ("w zeszłym tygodniu", "pl", "2026-11-17"),
            ("w zeszłym miesiącu", "pl", "2026-10-24"),
            ("săptămâna trecută", "ro", "2026-11-17"),
            ("luna trecută", "ro", "2026-10-24"),
            ("минулого тижня", "uk", "2026-11-17"),
            ("неділю тому", "uk", "2026-11-17"),
            ("الأسبوع الماضي", "ar", "2026-11-17"),
            ("الشهر الماضي", "ar", "2026-10-24"),
            ("پچھلے ہفتے", "ur", "2026-11-17"),
            ("پچھلے مہینے", "ur", "2026-10-24"),
            ("ਪਿਛਲੇ ਹਫ਼ਤੇ", "pa", "2026-11-17"),
            ("গত সপ্তাহে", "bn", "2026-11-17"),
        ],
    )
    def test_last_unit_is_one_unit_ago(self, said: str, language: str, expected: str) -> None:
        assert when(said, language) == expected

    @pytest.mark.parametrize(
        ("said", "language"),
        [
            ("a few days ago", "en"),
            ("in the last few days", "en"),
            ("kilka dni temu", "pl"),
            ("câteva zile în urmă", "ro"),
            ("acum câteva zile", "ro"),
            ("кілька днів тому", "uk"),
            ("قبل كم يوم", "ar"),
            ("من بضعة أيام", "ar"),
            ("چند دن پہلے", "ur"),
            ("کچھ دن پہلے", "ur"),
            ("ਕੁਝ ਦਿਨ ਪਹਿਲਾਂ", "pa"),
            ("kujh din pehlan", "pa"),
            ("কয়েক দিন আগে", "bn"),
            ("কয়েকদিন আগে", "bn"),
        ],
    )
    def test_a_few_days_ago_is_three(self, said: str, language: str) -> None:
        assert when(said, language) == "2026-11-21"

    @pytest.mark.parametrize(
        ("said", "language", "expected"),
        [
            ("a couple of weeks ago", "en", "2026-11-10"),
            ("parę tygodni temu", "pl", "2026-11-10"),
            ("пару тижнів тому", "uk", "2026-11-10"),
            ("ek do din pehle", "ur", "2026-11-22"),
            ("দু-এক দিন আগে", "bn", "2026-11-22"),
        ],
    )
    def test_a_couple_is_two(self, said: str, language: str, expected: str) -> None:
        assert when(said, language) == expected

    def test_hours_ago_are_still_today(self) -> None:
        assert when("acum câteva ore", "ro") == "2026-11-24"
        assert when("کچھ دیر پہلے", "ur") == "2026-11-24"

    @pytest.mark.parametrize("said", ["a few times", "a couple of times", "several"])
    def test_a_vague_count_is_confirmed_never_stored(self, said: str) -> None:
        parsed = parse(ASB.question("asb_reports"), said)
        assert parsed.confirm
        assert not parsed.ok


class TestMonthAlone:
    """A month without a day is its 1st, the latest not after today (today is 24 November 2026)."""

    @pytest.mark.parametrize(
        ("said", "language"),
        [
            ("in November", "en"),
            ("w listopadzie", "pl"),
            ("în noiembrie", "ro"),
            ("у листопаді", "uk"),
            ("в ноябре", "uk"),
            ("في نوفمبر", "ar"),
            ("في تشرين الثاني", "ar"),
            ("نومبر میں", "ur"),
            ("november mein", "ur"),
            ("ਨਵੰਬਰ ਵਿੱਚ", "pa"),
            ("নভেম্বরে", "bn"),
            ("নভেম্বর মাসে", "bn"),
        ],
    )
    def test_this_month_is_its_first(self, said: str, language: str) -> None:
        assert when(said, language) == "2026-11-01"

    @pytest.mark.parametrize(
        ("said", "language"),
        [("in December", "en"), ("w grudniu", "pl"), ("у грудні", "uk"), ("في كانون الأول", "ar")],
    )
    def test_a_later_month_is_last_year(self, said: str, language: str) -> None:
        assert when(said, language) == "2025-12-01"

    def test_the_words_are_kept_as_typed(self) -> None:
        question = DATE_QUESTION
        parsed = parse_date(question, "  w  listopadzie ", "pl", TODAY)
        assert parsed.value == {"date": "2026-11-01", "words": "w listopadzie"}


class TestArabicScript:
    """Arabic duals and two-word teens; letter variants (أ/إ/آ, ة/ه, ى/ي; Urdu ی/ي, ک/ك, ہ/ه) read alike."""

    @pytest.mark.parametrize(
        ("said", "expected"),
        [
            ("يومين", "2026-11-22"),
            ("قبل يومين", "2026-11-22"),
            ("من أسبوعين", "2026-11-10"),
            ("قبل اسبوعين", "2026-11-10"),
            ("قبل شهرين", "2026-09-24"),
            ("قبل سنتين", "2024-11-24"),
            ("قبل ثلاثة عشر يوما", "2026-11-11"),
            ("قبل يوم", "2026-11-23"),
        ],
    )
    def test_dates(self, said: str, expected: str) -> None:
        assert when(said, "ar") == expected

    @pytest.mark.parametrize(
        ("said", "expected"),
        [
            ("ثلاثة عشر", 13),
            ("ثلاث عشرة", 13),
            ("ثلاث عشره", 13),
            ("إحدى عشرة", 11),
            ("احدى عشر", 11),
            ("اثنا عشر", 12),
            ("تسعة عشر", 19),
            ("عشرة", 10),
            ("مرتين", 2),
            ("مرّتين", 2),
            ("أربعة", 4),
            ("اربعه", 4),
        ],
    )
    def test_numbers(self, said: str, expected: int) -> None:
        assert _number_in(_clean(said), "ar") == expected

    @pytest.mark.parametrize(
        ("said", "language", "expected"),
        [
            ("الجمعه الماضيه", "ar", "2026-11-20"),
            ("في اذار", "ar", "2026-03-01"),
            ("چند دن پهلے", "ur", "2026-11-21"),  # Arabic heh for Urdu heh goal
            ("كچھ دن پہلے", "ur", "2026-11-21"),  # Arabic kaf for keheh
            ("ايك دو دن پہلے", "ur", "2026-11-22"),  # Arabic yeh and kaf
            ("پچھلے جمعه", "ur", "2026-11-20"),
        ],
    )
    def test_letter_variants(self, said: str, language: str, expected: str) -> None:
        assert when(said, language) == expected

    def test_fold_letters_leaves_other_scripts(self) -> None:
        assert fold_letters("أسبوعين إثنين آذار مرّة ی ک ہ ة ى") == "اسبوعين اثنين اذار مره ي ك ه ه ي"
        assert fold_letters("Zażółć ਸ਼ੁੱਕਰਵਾਰ শুক্রবার") == "Zażółć ਸ਼ੁੱਕਰਵਾਰ শুক্রবার"


class TestGuessesAreConfirmed:
    """What the seventh batch of tests/fixtures/answers found: a wrong value is never stored, a guess is
    confirmed."""

    @pytest.mark.parametrize(
        ("said", "language"),
        [
            ("next friday", "en"),
            ("this coming monday", "en"),
            ("w przyszły piątek", "pl"),
            ("vinerea viitoare", "ro"),
            ("наступної п'ятниці", "uk"),
            ("الجمعة الجاية", "ar"),
            ("agle jumme", "ur"),
            ("agle shukarvar", "pa"),
            ("agami shukrobar", "bn"),
        ],
    )
    def test_next_weekday_is_asked_again(self, said: str, language: str) -> None:
        parsed = parse_answer(DATE_QUESTION, said, None, language, TODAY)
        assert not parsed.ok and not parsed.confirm

    @pytest.mark.parametrize(
        "said", ["my next door neighbour did it on friday", "they were coming round last friday"]
    )
    def test_next_beside_no_weekday_is_not_next(self, said: str) -> None:
        assert parse_answer(DATE_QUESTION, said, None, "en", TODAY).value["date"] == "2026-11-20"

    @pytest.mark.parametrize(
        ("said", "language"),
        [("the 12th of novemeber", "en"), ("12 listopda", "pl"), ("12 листапада", "uk"), ("12 novmbr", "ur")],
    )
    def test_a_misspelt_month_is_confirmed(self, said: str, language: str) -> None:
        parsed = parse_answer(DATE_QUESTION, said, None, language, TODAY)
        assert parsed.confirm and not parsed.ok
        assert parsed.value["date"] == "2026-11-12"

    @pytest.mark.parametrize(("said", "expected"), [("34yrs", 34), ("2x", 2), ("34 years old", 34)])
    def test_digits_with_a_unit(self, said: str, expected: int) -> None:
        asked = ASB.question("asb_reports") if expected < 10 else HATE.question("age")
        assert parse(asked, said).value == expected

    @pytest.mark.parametrize(
        ("said", "expected"),
        [("i live in ST4 near the park", "ST4"), ("st 4 1aa thanks", "ST4 1AA"), ("its DE1", "DE1")],
    )
    def test_a_postcode_in_a_sentence_is_confirmed(self, said: str, expected: str) -> None:
        parsed = parse(ASB.question("postcode"), said)
        assert parsed.confirm and parsed.value == expected

    @pytest.mark.parametrize("said", ["st4 1a", "ST99 9ZZZ", "near the M6 and the A50"])
    def test_no_postcode_guess(self, said: str) -> None:
        parsed = parse(ASB.question("postcode"), said)
        assert not parsed.ok and not parsed.confirm

    def test_a_phone_number_followed_by_a_time(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ALLOW_FICTIONAL_PHONE_NUMBERS", "true")
        said = "0770 0900 123 6 baje ke baad"
        assert parse_answer(HATE.question("contact_phone"), said, None, "ur", TODAY).value == "+447700900123"

    def test_two_phone_numbers_are_asked_again(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ALLOW_FICTIONAL_PHONE_NUMBERS", "true")
        parsed = parse(HATE.question("contact_phone"), "0770 0900 123 or 0770 0900 456")
        assert not parsed.ok


class TestNumberWordsToNinetyNine:
    """Urdu, Punjabi and Bengali say 11 to 99 each with a word of its own (35 is "پینتیس", not "thirty five"):
    all of them are data, `bot.parse.numbers` in locales/bot.<lang>.yml, in script and romanised."""

    @pytest.mark.parametrize(
        ("said", "language", "expected"),
        [
            ("پینتیس", "ur", 35),
            ("pentees", "ur", 35),
            ("main chauntis saal ka hoon", "ur", 34),
            ("اکیاون سال", "ur", 51),
            ("ninanve", "ur", 99),
            ("পঁয়ত্রিশ", "bn", 35),
            ("আমার বয়স বাহান্ন", "bn", 52),
            ("poyshotti", "bn", 65),
            ("ਪੈਂਤੀ", "pa", 35),
            ("painti saal", "pa", 35),
            ("ਮੈਂ ਅਠੱਤੀ ਸਾਲ ਦੀ ਹਾਂ", "pa", 38),
        ],
    )
    def test_an_age_in_one_word(self, said: str, language: str, expected: int) -> None:
        parsed = parse_answer(HATE.question("age"), said, None, language, TODAY)
        assert parsed.ok and not parsed.confirm
        assert parsed.value == expected

    @pytest.mark.parametrize("language", ["ur", "pa", "bn"])
    def test_every_number_to_ninety_nine_has_a_word(self, language: str) -> None:
        from flowkit.parse import alternatives_in_order

        numbers = alternatives_in_order("numbers", language)
        assert len(numbers) == 99
        spellings = [word for forms in numbers for word in forms.split("/") if word]
        assert len(spellings) == len(set(spellings)), "a spelling stands for two numbers"
        for value, forms in enumerate(numbers, start=1):
            assert _number_in(_clean(forms.split("/")[0]), language) == value, (language, value, forms)


class TestADayOfTheMonthAlone:
    """A day alone ("pe 12", "12-го", "w dniu 12", "on the 12th"): that day of this month, or of last month
    when it is still to come (`bot.parse.day_of_month`, data in every language)."""

    @pytest.mark.parametrize(
        ("said", "language"),
        [
            ("pe 12", "ro"),
            ("în data de 12", "ro"),
            ("on the 12th", "en"),
            ("the 12th", "en"),
            ("12-го", "uk"),
            ("12 числа", "uk"),
            ("w dniu 12", "pl"),
            ("12-go", "pl"),
            ("يوم 12", "ar"),
            ("12 tareekh ko", "ur"),
            ("12 ਤਰੀਕ ਨੂੰ", "pa"),
            ("১২ তারিখে", "bn"),
            ("12th", "ro"),  # English's phrasings are read in every language
        ],
    )
    def test_a_past_day_this_month(self, said: str, language: str) -> None:
        parsed = parse_answer(DATE_QUESTION, said, None, language, TODAY)
        assert parsed.ok and not parsed.confirm
        assert parsed.value["date"] == "2026-11-12"

    @pytest.mark.parametrize(("said", "language"), [("pe 25", "ro"), ("25-го", "uk"), ("on the 25th", "en")])
    def test_a_day_still_to_come_is_last_month_s(self, said: str, language: str) -> None:
        assert parse_answer(DATE_QUESTION, said, None, language, TODAY).value["date"] == "2026-10-25"

    @pytest.mark.parametrize(("said", "language"), [("pe 40", "ro"), ("12", "en"), ("pe 12 sau 13", "ro")])
    def test_not_a_day_alone(self, said: str, language: str) -> None:
        assert not parse_answer(DATE_QUESTION, said, None, language, TODAY).ok
