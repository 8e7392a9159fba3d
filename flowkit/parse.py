"""Turn what a person typed (or tapped) into a canonical answer, by the question's type and the flow's
limits, in the person's language. A failure names the response that explains it, with its arguments.

Canonical answers: choice → value; yes_no → bool; number → int; date → {"date": "YYYY-MM-DD", "words": ...};
phone → E.164; postcode → "ST4 1AA" or "ST4"; free_text → the text; skipped → "prefer_not_to_say".

Three outcomes: understood (`ok`: store `value`), to confirm (`confirm`: `value` is a guess the person must
confirm with one tap before it is stored; `error` is the confirmation response, so a caller that ignores
`confirm` asks again rather than store a guess), or not understood (`error` names the response that says
why). When in doubt (two choices named, only a misspelling matched, a yes and a no, an NLU intent with no
word to back it) the answer is to confirm, never stored: a wrong stored answer is worse than one more tap.
"""

from __future__ import annotations

import calendar
import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import get_day_names, get_month_names

from flowkit.answers import MIN_TEXT_LENGTH
from flowkit.choices import nth_option, option_number, tapped_choice, tapped_yes_no
from flowkit.logic import SKIPPED
from flowkit.phone import allow_fictional_from_environment, phone_in
from flowkit.postcode import postcode_guess, postcode_in
from flowkit.spec import AnswerType, Question, Strictness
from flowkit.text import fold_letters
from flowkit.understand import (
    STRONG,
    WEAK,
    Match,
    best,
    find,
    general,
    listed,
    negated,
    negations_around,
    words_of,
)
from flowkit.words import alternatives, text

YES_INTENTS = {"affirm"}
NO_INTENTS = {"deny"}
SKIP_INTENTS = {"skip_question", "unsure"}  # "I don't know" skips an optional question
CONFIRM_RESPONSE = "utter_confirm_answer"
SHORT_SKIP_WORDS = (
    3  # "i dont know", "not sure", "idk": a skip; a longer message to a free-text question is text
)
# Choice values read as a length of time ("about 3 months now", "over a year"): the days each covers.
DURATION_CHOICES = {
    "under_month": (0, 29),
    "one_to_six_months": (30, 186),
    "over_six_months": (187, 100_000),
}
# A choice named by a single word in an answer longer than this is confirmed, not stored.
LONG_ANSWER_WORDS = 10
NONE_CHOICE = "none"  # the value of a choice that means "none of these" (support_need, unsure_closest)
UNIT_DAYS = {"day": 1, "week": 7, "fortnight": 14, "month": 30, "year": 365}


@dataclass
class Parsed:
    value: Any = None
    error: str | None = None  # a response name
    args: dict[str, Any] = field(default_factory=dict)
    confirm: bool = False  # `value` is a guess: ask "did you mean …?" and store it only after a yes

    @property
    def ok(self) -> bool:
        return self.error is None


# A word character, including the vowel signs and viramas of Arabic, Bengali, Gurmukhi and Urdu script (which
# `\w` leaves out): so "তিন" (three) is not found inside "তিনি" (he), nor "ਦੋ" inside a longer word.
_WORD = r"[\w\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0900-\u0dff]"
# Marks after a letter below this code point are accents (Latin, Greek, Cyrillic): "două" is read as "doua".
_ACCENTED_SCRIPTS_END = 0x0530
_APOSTROPHES = str.maketrans(dict.fromkeys("’‘ʼ`´", "'"))
# Letters with a stroke have no accent to drop: phones type them plain ("zeszlym" for "zeszłym").
_STROKES = str.maketrans({"ł": "l", "Ł": "l", "đ": "d", "ø": "o", "ı": "i"})
# Approximations for vague amounts in dates ("a couple of weeks ago", "a few days ago"): bot.parse.couple/few.
COUPLE = 2
FEW = 3
# An abbreviated weekday ("sat", "mie", "ਸੋਮ") is read as one only in an answer of at most this many words:
# in a longer one it is more likely an everyday word ("I sat down", Romanian "mie" = "to me").
ABBREVIATION_MAX_WORDS = 3
# Letters typed straight after a number that still leave it a number ("34yrs", "2x"); other letters after
# digits are a word of their own (Arabizi "sab3a").
_DIGIT_UNITS = r"x|yrs?|years?|yo"
# A misspelt month ("novemeber", "listopda") is put to the person to confirm: names this long or longer, this
# close (difflib's ratio) to the word typed.
MONTH_GUESS_MIN_LENGTH = 5
MONTH_GUESS_RATIO = 0.8


def _plain(value: str) -> str:
    """Without the accents of Latin and Cyrillic letters; other scripts' marks are letters and stay (NFC);
    Arabic-script letter variants in one spelling ("أسبوع" and "اسبوع", Urdu "ی" and Arabic "ي")."""
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", fold_letters(value).translate(_STROKES)):
        if unicodedata.category(char) == "Mn" and kept and ord(kept[-1]) < _ACCENTED_SCRIPTS_END:
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _clean(value: str) -> str:
    return " ".join(_plain(unicodedata.normalize("NFC", value).casefold().translate(_APOSTROPHES)).split())


def _words_pattern(words: list[str]) -> str:
    return "|".join(
        re.escape(_plain(w.translate(_APOSTROPHES))) for w in sorted(words, key=len, reverse=True)
    )


def _has(words: list[str], text_: str) -> bool:
    """Whether any of the words is in the (cleaned) text as a whole word."""
    return (
        bool(words) and re.search(rf"(?<!{_WORD})(?:{_words_pattern(words)})(?!{_WORD})", text_) is not None
    )


def parse_answer(
    question: Question,
    raw: Any,
    intent: str | None,
    language: str,
    today: date,
) -> Parsed:
    skipping = raw == SKIPPED or (isinstance(raw, str) and intent in SKIP_INTENTS)
    if skipping and (
        raw == SKIPPED or raw.startswith("/") or _skips_free_text(question, raw, intent, language)
    ):
        return _skip(question)
    if isinstance(raw, str) and question.type != AnswerType.free_text and said_skip(raw, language):
        if not question.optional and question.type == AnswerType.yes_no:
            # A question that cannot be skipped (consent): "rather not" there is the no its words say, put to
            # the person to confirm ("no comment" is no clear no to keeping their details), never re-asked.
            worded = parse_yes_no(question, raw, intent, language)
            if worded.ok or worded.confirm:
                return to_confirm(question, worded.value, language)
        return _skip(question)  # the whole answer is "skip", "rather not say", "wolę nie mówić"
    parsed = _parse_by_type(question, raw, intent, language, today)
    if not parsed.ok and skipping:
        # "I don't know" or "skip" that is not also an answer ("last friday" taken for "skip" still counts).
        return _skip(question)
    return parsed


def _skips_free_text(question: Question, raw: str, intent: str | None, language: str) -> bool:
    """A message labelled "skip" skips a free-text question; one labelled "I don't know" only when it is short
    ("idk", "not sure") or only a skip phrase: longer, it is what the person wants to say ("don't know his
    name, he lives upstairs", "idk what to write")."""
    if question.type != AnswerType.free_text:
        return False
    if intent != "unsure":
        return True
    return len(words_of(raw)) <= SHORT_SKIP_WORDS or said_skip(raw, language)


def _skip(question: Question) -> Parsed:
    return Parsed(SKIPPED) if question.optional else Parsed(error="utter_validation_not_optional")


def _parse_by_type(question: Question, raw: Any, intent: str | None, language: str, today: date) -> Parsed:
    kind = question.type
    if kind == "yes_no":
        return parse_yes_no(question, raw, intent, language)
    if kind == "number":
        return parse_number(question, raw, language)
    if kind == "date" and isinstance(raw, dict):
        return Parsed(raw)  # already an answer (a form re-checks answers it was given)
    if not isinstance(raw, str):
        return Parsed(error=_retry(question))
    if kind == "choice":
        return parse_choice(question, raw, language, today)
    if kind == "date":
        return parse_date(question, raw, language, today)
    if kind == "phone":
        return parse_phone(raw)
    if kind == "postcode":
        return parse_postcode(question, raw, language)
    return parse_free_text(question, raw)


def _retry(question: Question) -> str:
    return {
        "choice": "utter_validation_choice",
        "date": "utter_validation_date",
        "phone": "utter_validation_phone",
        "postcode": "utter_validation_postcode",
    }.get(question.type.value, "utter_validation_too_short")


def to_confirm(question: Question, value: Any, language: str) -> Parsed:
    """A guess to confirm: the response asks "Did you mean: <answer>?" (see `confirm_args`)."""
    return Parsed(value, CONFIRM_RESPONSE, confirm_args(question, value, language), confirm=True)


def confirm_args(question: Question, value: Any, language: str) -> dict[str, Any]:
    """How a guess is shown back: its button's words (`answer_key`, worded by the NLG in the conversation's
    language), else the number, or the date as the person typed it (`answer`)."""
    if question.type == AnswerType.choice:
        key = next((c.text_key for c in question.choices or () if c.value == value), None)
        return {"answer_key": key} if key else {"answer": str(value)}
    if question.type == AnswerType.yes_no:
        yes = question.yes_text_key or "bot.button.answer_yes"
        return {"answer_key": yes if value else question.no_text_key or "bot.button.answer_no"}
    if isinstance(value, dict):
        return {"answer": str(value.get("date") or "")}
    return {"answer": str(value)}


def said_skip(raw: str, language: str) -> bool:
    """Whether the whole answer only asks to skip ("skip", "rather not say", "pomiń")."""
    words = words_of(raw)
    kept = best(find({"skip": general("skip", language) + general("skip", "en")}, words))
    return bool(kept) and sum(len(m.span) for m in kept if m.strength == STRONG) == len(words)


def _meanings(question: Question, language: str) -> dict[str, list[str]]:
    """The phrasings of each meaning of a yes/no answer: this question's own, then every yes/no question's."""
    return {
        meaning: listed(f"bot.answers.{question.id}.{meaning}", language)
        + listed(f"bot.answers.yes_no.{meaning}", language)
        for meaning in ("affirm", "deny", "happened")
    }


def careful(question: Question) -> bool:
    """A yes/no question where a wrong yes costs most: consent, and whether it is safe to talk, text, call or
    leave a voicemail: the flows mark them `strict`. There a hedge, a long answer or "sometimes" is confirmed,
    never stored."""
    return question.strict is not None


def _leading_answer(raw: str, kept: list[Match]) -> bool | None:
    """The yes or no an answer starts with, set off by punctuation ("No, they do it to everyone")."""
    first = kept[0] if kept else None
    if first is None or first.start != 0 or first.meaning not in ("affirm", "deny"):
        return None
    head = words_of(raw)[first.end - 1]
    after = raw.casefold().split(head, 1)[-1] if head in raw.casefold() else ""
    return (first.meaning == "affirm") if after[:1] in (",", ".", "!", ";", "-", "—", "،") else None


def parse_yes_no(question: Question, raw: Any, intent: str | None, language: str) -> Parsed:
    """Yes or no, from a tapped button, its number, or words. Words decide over the NLU intent (which reads
    "نعم لا مانع", "yes, no objection", as no); a yes and a no together, only a misspelling, a hedge on a
    consent question, or an intent with no word to back it is confirmed, never stored."""
    if isinstance(raw, bool):
        return Parsed(raw)
    tapped = tapped_yes_no(str(raw or ""))
    if tapped is not None:
        value, shown_with = tapped
        if shown_with is not None and shown_with != question.id:
            # The Yes or No of an earlier question, tapped again: it does not answer this one.
            return Parsed(error="utter_validation_yes_no")
        return Parsed(value)
    said = _clean(str(raw or ""))
    yes = {_clean(text(question.yes_text_key or "bot.button.answer_yes", language) or "")}
    no = {_clean(text(question.no_text_key or "bot.button.answer_no", language) or "")}
    bare = said.strip(" .!")
    if bare == "1" or bare in yes:
        return Parsed(True)
    if bare == "2" or bare in no:
        return Parsed(False)
    if bare == "3" and question.optional:
        return Parsed(SKIPPED)
    words = words_of(str(raw or ""))
    meanings = _meanings(question, language)
    meanings["negation"] = general("negation", language)
    meanings["hedge"] = general("hedge", language)
    if question.strict == Strictness.safety:
        meanings["condition"] = general("condition", language)
    kept = best(find(meanings, words))
    if any(m.meaning == "condition" for m in kept) and not any(m.meaning == "deny" for m in kept):
        # "only after 6", "yes, when he's at work": safe at some times only, a yes to confirm; the times
        # are the safe_times question's (a plain or leading no is read below, and stored: the safe side).
        return to_confirm(question, True, language)
    negations, after = negations_around(kept, words, language)
    hedged = any(m.meaning == "hedge" for m in kept)
    votes: list[tuple[bool, int]] = []
    wary = careful(question)
    for match in kept:
        if match.meaning in ("affirm", "happened"):
            # "once last year" answers "has he ever…?"; "sometimes" is no clear yes to "is it safe to text?"
            strength = WEAK if match.meaning == "happened" and wary else match.strength
            votes.append((False, WEAK) if negated(match, negations, after) else (True, strength))
        elif match.meaning == "deny":
            votes.append((False, match.strength))
    if not votes and negations and not hedged:
        votes = [(False, WEAK)]  # "not at all", "nie", a bare negation: no, to confirm
    values = {v for v, _ in votes}
    lead = _leading_answer(str(raw or ""), kept)
    if len(values) > 1 and lead is not None and not wary:
        # "nie, robią tak wszystkim": a yes or no said first and set off by a comma answers; the rest of the
        # answer must lean the same way ("tak" there is "so", not "yes").
        agree = sum(1 for v, _ in votes if v == lead)
        if agree * 2 > len(votes):
            return Parsed(lead)
    if len(values) == 1:
        value = values.pop()
        sure = all(strength == STRONG for _, strength in votes)
        if not value and question.strict != Strictness.consent:
            # "no, he has no weapon": a plain no said surely, and the yes-word after it turned round, is a no
            sure = sure or any(m.meaning == "deny" and m.strength == STRONG for m in kept)
        # A hedged or long answer to a careful question is confirmed: any consent, and a yes to "is it safe
        # to…?" (a no there is the safe side: it is stored).
        doubt = wary and (hedged or len(words) > 6) and (value or question.strict == Strictness.consent)
        return Parsed(value) if sure and not doubt else to_confirm(question, value, language)
    if len(values) > 1:
        return to_confirm(question, votes[0][0], language)  # "no... yes": the first said, to confirm
    if intent in YES_INTENTS or intent in NO_INTENTS:
        return to_confirm(question, intent in YES_INTENTS, language)
    return Parsed(error="utter_validation_yes_no")


def _number_in(said: str, language: str, vague: bool = False) -> int | None:
    """The number an answer gives: digits standing as a word of their own (Arabizi writes letters with
    digits: "sab3a"), else the longest number phrase it contains, so "not once" is 0 and not 1, and a
    two-word "thirteen" ("ثلاثة عشر") is not read as its first word. `bot.parse.dual` words mean two
    ("twice", Arabic "شهرين" two months). A `single_words` word ("a", a bare "week") gives 1 only when no
    other number word is there ("قبل كم يوم": a few days ago, not one). "a couple of" and "a few" are COUPLE
    and FEW when `vague` (dates); for a count (what the triage reads) they are not understood, so the person
    is asked for a number instead of "a few times" being taken for once."""
    digits = re.search(rf"(?<![^\W\d_])(\d+)(?:{_DIGIT_UNITS})?(?![^\W\d_])", said)
    if digits:
        return int(digits.group(1))
    candidates: list[tuple[str, int, int | None]] = []  # (word, tier: single words lose, value)
    for index, spellings in enumerate(alternatives_in_order("numbers", language), start=1):
        candidates.extend((word, 1, index) for word in spellings.split("/"))  # "doi/două": one number
    candidates.extend((word, 0, 1) for word in alternatives("single_words", language))
    candidates.extend((word, 1, 0) for word in alternatives("none_words", language))
    candidates.extend((word, 1, 2) for word in alternatives("dual", language))
    candidates.extend((word, 1, COUPLE if vague else None) for word in alternatives("couple", language))
    candidates.extend((word, 1, FEW if vague else None) for word in alternatives("few", language))
    found = [
        (tier, len(_plain(word)), value) for word, tier, value in candidates if word and _has([word], said)
    ]
    return max(found, key=lambda f: (f[0], f[1], -1 if f[2] is None else f[2]))[2] if found else None


def alternatives_in_order(name: str, language: str) -> list[str]:
    raw = text(f"bot.parse.{name}", language) or ""
    return [w.strip().casefold() for w in raw.split("|") if w.strip()]


def _compound_number(words: list[str], language: str) -> int | None:
    """A number over twenty in words: a tens word (`bot.answers.number.tens`, "/" between forms, twenty
    first) and at most one unit ("thirty five", "trzydzieści pięć", "خمسة وثلاثين"); None without a tens
    word, so "thirty five" is never read as 5."""
    meanings: dict[str, list[str]] = {}
    for position, forms in enumerate(alternatives_in_order("numbers", language)[:9], start=1):
        meanings[f"unit{position}"] = forms.split("/")
    tens = (text("bot.answers.number.tens", language) or "").split("|")
    for position, forms in enumerate(tens, start=2):
        meanings[f"tens{position}"] = [f for f in forms.split("/") if f.strip()]
    kept = [m for m in best(find(meanings, words)) if m.strength == STRONG]
    tens_found = [int(m.meaning[4:]) * 10 for m in kept if m.meaning.startswith("tens")]
    units = [int(m.meaning[4:]) for m in kept if m.meaning.startswith("unit")]
    if len(tens_found) != 1 or len(units) > 1:
        return None
    return tens_found[0] + (units[0] if units else 0)


def parse_number(question: Question, raw: Any, language: str) -> Parsed:
    """A count or an age: digits (any script), number words, "not even once" (0). A vague amount ("a couple
    of times") or a number beside a negation ("not 3") is confirmed, not stored."""
    low, high = int(question.min or 0), int(question.max or 0)
    sure = True
    if isinstance(raw, int) and not isinstance(raw, bool):
        value: int | None = raw
    else:
        said = _clean(str(raw or ""))
        words = words_of(str(raw or ""))
        kept = best(
            find(
                {
                    "zero": listed("bot.answers.number.never", language),
                    "negation": general("negation", language),
                },
                words,
            )
        )
        has_digits = re.search(r"\d", said) is not None
        if any(m.meaning == "zero" and m.strength == STRONG for m in kept) and not has_digits:
            value = 0
        else:
            value = None if has_digits else _compound_number(words, language)
            value = _number_in(said, language) if value is None else value
            if value is None:
                value = _number_in(said, language, vague=True)
                sure = False
            elif value != 0 and any(m.meaning == "negation" for m in kept):
                sure = False
    if value is None or not low <= value <= high:
        return Parsed(error="utter_validation_number", args={"min": low, "max": high})
    return Parsed(value) if sure else to_confirm(question, value, language)


def _choice_phrasings(question: Question, language: str) -> dict[str, list[str]]:
    """Each choice's phrasings: its button's words (in the language and in English) and
    `bot.answers.choice.<button>` (the button's name in its text key; the language's, then English's: people
    mix them), so questions showing the same button share its phrasings."""
    found: dict[str, list[str]] = {}
    for choice in question.choices or ():
        names = [choice.value.replace("_", " ")]
        for lang in dict.fromkeys((language, "en")):
            shown = text(choice.text_key, lang)
            if shown:
                names.append(shown.replace("|", " "))
        button = choice.text_key.rsplit(".", 1)[-1]
        names.extend(listed(f"bot.answers.choice.{button}", language, with_english=True))
        found[choice.value] = names
    return found


def _label_words(question: Question, language: str) -> dict[str, list[str]]:
    """The long words of each button ("pochodzenie") that no other button of the question has: naming one
    names the choice."""
    seen: dict[str, set[str]] = {}
    for choice in question.choices or ():
        for lang in dict.fromkeys((language, "en")):
            for word in words_of(text(choice.text_key, lang) or ""):
                if len(word) >= 6 and not word.isdigit():
                    seen.setdefault(word, set()).add(choice.value)
    found: dict[str, list[str]] = {}
    for word, values in seen.items():
        if len(values) == 1:
            found.setdefault(next(iter(values)), []).append(word)
    return found


def match_choice(question: Question, answer: str, language: str) -> str | None:
    """The choice an answer surely means (see parse_choice), or None."""
    parsed = parse_choice(question, answer, language, date.today())
    return parsed.value if parsed.ok else None


def parse_choice(question: Question, answer: str, language: str, today: date) -> Parsed:
    """The choice an answer means: a tapped button, its number (SMS), its value, its label, or the person's
    own words for it (`bot.answers.choice.<button>`). One choice named surely is stored; two, or one
    only by a misspelling, is confirmed; none is asked again, naming how many buttons there are."""
    values = question.choice_values
    retry = Parsed(
        error="utter_validation_choice", args={"count": len(values) + (1 if question.optional else 0)}
    )
    tapped = tapped_choice(answer)
    if tapped is not None:
        value, shown_with = tapped
        if shown_with is not None and shown_with != question.id:
            # A button of an earlier question, tapped again: it does not answer this one.
            return retry
        return Parsed(value) if value in values else retry
    said = _clean(answer).strip(" .!")
    if option_number(said) is not None:
        chosen = nth_option(said, values)
        if chosen is None and question.optional and option_number(said) == len(values) + 1:
            return Parsed(SKIPPED)
        return Parsed(chosen) if chosen is not None else retry
    if re.search(r"\d", said):  # "about 3 months now": a length of time, before any word
        duration = _duration_choice(question, answer, language, today)
        if duration is not None:
            return duration
    words = words_of(answer)
    phrasings = _choice_phrasings(question, language)
    for value, names in phrasings.items():
        if words and any(words_of(name) == words for name in names):
            return Parsed(value)
    meanings: dict[str, list[str]] = dict(phrasings)
    for value, extra in _label_words(question, language).items():
        meanings[value] = meanings.get(value, []) + extra
    meanings["negation"] = general("negation", language)
    meanings["hedge"] = general("hedge", language)  # "pata ni", "I don't know": no misspelt choice ("patka")
    kept = best(find(meanings, words))
    negations, after = negations_around(kept, words, language)
    named: list[Match] = [
        m
        for m in kept
        if m.meaning not in ("negation", "hedge")
        # "no, nothing" ("لا ما في شي", "nahi koi nahi"): a negation before "none" repeats it, never undoes it
        and (m.meaning == NONE_CHOICE or not negated(m, negations, after))
    ]
    if any(m.strength == STRONG for m in named):
        named = [
            m for m in named if m.strength == STRONG
        ]  # a misspelling beside a word named surely is noise
    chosen_values = list(dict.fromkeys(m.meaning for m in named))
    if len(chosen_values) == 1:
        sure = any(m.strength == STRONG for m in named)
        if len(words) > LONG_ANSWER_WORDS and len(named) == 1 and len(named[0].span) == 1:
            sure = False  # one word in a long story may be said in passing: confirm it
        value = chosen_values[0]
        return Parsed(value) if sure else to_confirm(question, value, language)
    if len(chosen_values) > 1:
        strong = [m for m in named if m.strength == STRONG]
        return to_confirm(question, (strong or named)[0].meaning, language)
    duration = _duration_choice(question, answer, language, today)
    if duration is not None:
        return duration
    return retry


def _duration_choice(question: Question, answer: str, language: str, today: date) -> Parsed | None:
    """A length of time answering a question whose choices are lengths of time ("about 3 months now")."""
    buckets = {v: DURATION_CHOICES[v] for v in question.choice_values if v in DURATION_CHOICES}
    if not buckets:
        return None
    said = _clean(answer)
    named = [u for u in UNIT_DAYS if _has(alternatives(u, language), said)]
    unit = max(named, key=UNIT_DAYS.__getitem__) if named else None
    if unit is None:
        since = _month_date(said, language, today)  # "since July": from then until today
        if since is None:
            return None
        days_since = (today - since).days
        found = next((v for v, (low, high) in buckets.items() if low <= days_since <= high), None)
        return Parsed(found) if found else None
    amount: float | None = _number_in(said, language)
    sure = amount is not None
    words = words_of(answer)
    half = best(find({"half": listed("bot.answers.any.half", language, with_english=True)}, words))
    if amount is None:
        amount = 0.5 if half else (_number_in(said, language, vague=True) or 1)
    elif half:
        amount += 0.5  # "1 and a half years", "półtora"
    days = int(amount * UNIT_DAYS[unit])
    more = best(find({"more": listed("bot.answers.any.more_than", language, with_english=True)}, words))
    if more:
        days += max(1, days // 10)
    for value, (low, high) in buckets.items():
        if low <= days <= high:
            return Parsed(value) if sure or unit == "year" else to_confirm(question, value, language)
    return None


def _babel_locale(language: str) -> Locale:
    for tag in (f"{language}_GB", language, "en_GB"):
        try:
            return Locale.parse(tag)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


@cache
def _date_words(language: str) -> dict[str, dict[str, int]]:
    """Weekday (0 = Monday) and month (1..12) names: CLDR's, and the forms in `bot.parse.weekdays` and
    `bot.parse.months` (in order, "/" between forms of one): "w środę", "у листопаді", "vinerea", "آذار".
    "abbreviations" are CLDR's short weekday names, read only in short answers (ABBREVIATION_MAX_WORDS).
    CLDR's stand-alone weekday names are not used: for some languages (pa, bn) they are another script's."""
    locale = _babel_locale(language)
    days: dict[str, int] = {}
    for number, name in get_day_names("wide", locale=locale).items():
        days[_clean(name).strip(".")] = number
    for number, forms in enumerate(alternatives_in_order("weekdays", language)):
        days.update((_clean(form), number) for form in forms.split("/") if form.strip())
    abbreviations = {
        _clean(name).strip("."): number
        for number, name in get_day_names("abbreviated", locale=locale).items()
        if _clean(name).strip(".") not in days
    }
    months: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, context, locale=locale).items():
                months[_clean(name).strip(".")] = number
    for number, forms in enumerate(alternatives_in_order("months", language), start=1):
        months.update((_clean(form), number) for form in forms.split("/") if form.strip())
    return {"days": days, "abbreviations": abbreviations, "months": months}


def _weekday(said: str, language: str) -> int | None:
    words = _date_words(language)
    names = dict(words["days"])
    if len(said.split()) <= ABBREVIATION_MAX_WORDS:
        names.update(words["abbreviations"])
    for name, weekday in sorted(names.items(), key=lambda kv: -len(kv[0])):
        if name and _has([name], said):
            return weekday
    return None


def _units_back(said: str, language: str, today: date, amount: int) -> date | None:
    """`amount` of the first unit the answer names, back from today ("2 weeks", "a month")."""
    for unit, days in (("day", 1), ("week", 7), ("fortnight", 14), ("month", 0), ("year", 0)):
        if _has(alternatives(unit, language), said):
            if unit == "month":
                return _minus_months(today, amount)
            if unit == "year":
                return _minus_months(today, 12 * amount)
            return today - timedelta(days=days * amount)
    return None


def _minus_months(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _numeric_date(said: str, language: str, today: date) -> date | None:
    iso = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", said)
    if iso:
        return _safe_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    uk = re.search(r"\b(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?\b", said)
    if not uk:
        return _day_of_month(said, language, today)
    day, month = int(uk.group(1)), int(uk.group(2))
    if uk.group(3):
        year = int(uk.group(3))
        return _safe_date(year + 2000 if year < 100 else year, month, day)
    found = _safe_date(today.year, month, day)
    if found and found > today:
        found = _safe_date(today.year - 1, month, day)
    return found


def _shape_pattern(shape: str) -> str:
    """A `day_of_month` phrasing as a pattern: "#" the day's digits, any spaces, a hyphen optional."""

    def words(part: str) -> str:
        return r"\s+".join(re.escape(w).replace(r"\-", "[-\\s]?") for w in part.split())

    before, _, after = _clean(shape).partition("#")
    return words(before) + r"\s*(\d{1,2})\s*" + words(after)


def _day_of_month(said: str, language: str, today: date) -> date | None:
    """A day of the month alone ("on the 3rd", Romanian "pe 12", Ukrainian "12-го", Polish "w dniu 12"):
    the phrasings are data, `bot.parse.day_of_month` (English's are read in every language), "#" standing
    for the day's digits. This month's day, or last month's when that day is still to come."""
    shapes = {*alternatives_in_order("day_of_month", language), *alternatives_in_order("day_of_month", "en")}
    whole = said.strip(" .!?")
    day = None
    for shape in shapes:
        found = re.fullmatch(_shape_pattern(shape), whole)
        if found:
            day = int(found.group(1))
            break
    if day is None:
        return None
    found_day = _safe_date(today.year, today.month, day)
    if found_day is None or found_day > today:
        back = _minus_months(today.replace(day=1), 1)
        found_day = _safe_date(back.year, back.month, day)
    return found_day


def _worded_date(said: str, language: str, today: date) -> date | None:
    """In this order: the day before yesterday, yesterday; an amount of a unit "ago" ("3 weeks ago", "a few
    days ago"); today; a weekday (the latest before today: "last Friday", "w środę", "vinerea trecută");
    "last" with a unit ("last week" = a week ago, "last 2 months" = 2 months ago); a month (_month_date).
    Weekdays come before "last <unit>" because some are also units ("минулої неділі": last Sunday)."""
    if _has(alternatives("day_before_yesterday", language), said):
        return today - timedelta(days=2)
    if _has(alternatives("yesterday", language), said):
        return today - timedelta(days=1)
    amount = _number_in(said, language, vague=True)
    if _has(alternatives("ago", language), said) and amount is not None:
        found = _units_back(said, language, today, amount)
        if found is not None:
            return found
    if _upcoming(said, language):
        return None  # "next Friday" is still to come: never read as last Friday
    weekday = _weekday(said, language)
    if weekday is not None:  # before "today": "w zeszły wtorek wieczorem" is last Tuesday, not this evening
        back = (today.weekday() - weekday) % 7 or 7
        return today - timedelta(days=back)
    if _has(alternatives("today", language), said):
        return today
    if _has(alternatives("last", language), said):
        found = _units_back(said, language, today, 1 if amount is None else amount)
        if found is not None:
            return found
    return _month_date(said, language, today)


def _month_date(said: str, language: str, today: date) -> date | None:
    """A month named: its day if one is given ("12 November"), else its 1st ("in November"); in the given
    year, else the latest not after today (in November → 1 November this year; in December → last year's)."""
    words = _date_words(language)
    for name, month in sorted(words["months"].items(), key=lambda kv: -len(kv[0])):
        # A short month name needs a day or a year beside it: "may", "mai", "maj" are everyday words too.
        if len(name) < 3 or not _has([name], said) or (len(name) <= 3 and not re.search(r"\d", said)):
            continue
        day_match = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b", said)
        year_match = re.search(r"\b(\d{4})\b", said)
        day = int(day_match.group(1)) if day_match else 1
        if year_match:
            return _safe_date(int(year_match.group(1)), month, day)
        found = _safe_date(today.year, month, day)
        if found and found > today:
            found = _safe_date(today.year - 1, month, day)
        return found
    return None


def _upcoming(said: str, language: str) -> bool:
    """Whether the answer names a day or month still to come: a `bot.parse.next` word right before or after a
    weekday or month name ("next Friday", "vinerea viitoare", "agle jumme"); "my next door neighbour, on
    Friday" is not."""
    upcoming = alternatives("next", language)
    if not upcoming or not _has(upcoming, said):
        return False
    words = _date_words(language)
    names = [n for n in (*words["days"], *words["abbreviations"], *words["months"]) if len(n) >= 3]
    nxt, name = _words_pattern(upcoming), _words_pattern(names)
    pattern = rf"(?<!{_WORD})(?:(?:{nxt})\s+(?:{name})|(?:{name})\s+(?:{nxt}))(?!{_WORD})"
    return re.search(pattern, said) is not None


def _misspelt_month_date(said: str, language: str, today: date) -> date | None:
    """A date whose month name is misspelt ("12 novemeber", "12 listopda"): read with the closest month name,
    for the person to confirm (never stored as it is)."""
    names = [name for name in _date_words(language)["months"] if len(name) >= MONTH_GUESS_MIN_LENGTH]
    for word in said.split():
        if len(word) < MONTH_GUESS_MIN_LENGTH - 1 or word in names:
            continue
        close = difflib.get_close_matches(word, names, n=1, cutoff=MONTH_GUESS_RATIO)
        if close:
            return _month_date(said.replace(word, close[0]), language, today)
    return None


def parse_date(question: Question, raw: str, language: str, today: date) -> Parsed:
    said = _clean(raw)
    found = _numeric_date(said, language, today) or _worded_date(said, language, today)
    guessed = found is None and not _upcoming(said, language)
    found = _misspelt_month_date(said, language, today) if guessed else found
    if found is None:
        return Parsed(error="utter_validation_date")
    if found > today:
        return Parsed(error="utter_validation_date_future")
    limit = question.max_days_ago
    if limit is not None and (today - found).days > int(limit):
        return Parsed(error="utter_validation_date_too_old")
    value = {"date": found.isoformat(), "words": " ".join(raw.split())[:200]}
    return to_confirm(question, value, language) if guessed else Parsed(value)


def parse_phone(raw: str) -> Parsed:
    found = phone_in(raw, allow_fictional_from_environment())
    return Parsed(found) if found else Parsed(error="utter_validation_phone")


def parse_postcode(question: Question, raw: str, language: str) -> Parsed:
    """A postcode the message is, or gives in full; else one it seems to give (a district inside a sentence,
    "i live in ST4"; a postcode typed with a space too many, "st 4 1aa"), put to the person to confirm."""
    found = postcode_in(raw)
    if found:
        return Parsed(found)
    guess = postcode_guess(raw)
    return to_confirm(question, guess, language) if guess else Parsed(error="utter_validation_postcode")


def parse_free_text(question: Question, raw: str) -> Parsed:
    said = " ".join(raw.split())
    limit = int(question.max_length or 1000)
    if len(said) < MIN_TEXT_LENGTH:
        return Parsed(error="utter_validation_too_short")
    if len(said) > limit:
        return Parsed(error="utter_validation_too_long", args={"max": limit})
    return Parsed(said)
