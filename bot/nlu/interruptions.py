"""Which intents may interrupt a question, and when a message is too long or too uncertain to be one.

Inside a form, words like "stop", "help" or "start again" end or pause it. But a person describing what
happened uses the same words ("I want them to stop the noise", "they told me to start again at the back of
the queue"). A long message, or an uncertain short one, is an answer, not a command: it is re-labelled with
the best other intent. Danger is never re-labelled: a false alarm costs a 999 reminder; a missed one costs
far more.
"""

from __future__ import annotations

from typing import Any

CONTROL_INTENTS = (
    "stop",
    "start_again",
    "help",
    "choose_language",
    "withdraw_consent",
    "greet",
    "skip_question",
)
MAX_WORDS = 8  # the longest command in the training data is 8 words
MIN_CONFIDENCE = 0.7  # below this, a command needs to be short (at most SHORT_WORDS)
SHORT_WORDS = 3
ANSWER_INTENT = "inform"


def words(text: str) -> int:
    return len(text.split())


def is_command(intent: str, confidence: float, text: str) -> bool:
    count = words(text)
    if count > MAX_WORDS:
        return False
    return confidence >= MIN_CONFIDENCE or count <= SHORT_WORDS


def relabel(intent: dict[str, Any], ranking: list[dict[str, Any]], text: str) -> dict[str, Any] | None:
    """The intent a message should carry instead, or None to keep it."""
    name = intent.get("name")
    if name not in CONTROL_INTENTS or is_command(name, float(intent.get("confidence") or 0.0), text):
        return None
    for candidate in ranking:
        if candidate.get("name") not in CONTROL_INTENTS and candidate.get("name") != name:
            return {"name": candidate["name"], "confidence": candidate.get("confidence", 0.0)}
    return {"name": ANSWER_INTENT, "confidence": float(intent.get("confidence") or 0.0)}


# While a form asks a question, an interruption's label loses to an answer the question's own parser
# understands with confidence: "this morning" to "when did it happen?" is a date, not a greeting; "the way I
# speak English" to "why do you think you were targeted?" is a reason, not a request to change language
# (unless it names another language than the one spoken); "on the 5th" is a date, not an emergency; "from two
# weeks" is a length of time, not "start again". Danger keeps its guarantee: a danger phrase always wins (the
# api's gateway sends those as `/emergency` before any NLU), and so does an emergency the classifier is sure
# of. A command that ends or restarts the conversation wins when the classifier is sure of it, and always
# over a yes/no answer ("no, stop" stops).
ANSWERABLE = ("greet", "choose_language", "help", "emergency", "stop", "start_again", "withdraw_consent")
EMERGENCY_SURE = 0.6  # at or above this, a classifier-only emergency is never taken as an answer
ENDING = ("stop", "start_again", "withdraw_consent")


def may_answer(
    intent: str | None,
    confidence: float,
    *,
    free_text: bool,
    yes_no: bool,
    consent: bool,
    danger_phrase: bool,
    other_language_named: bool,
) -> bool:
    """Whether a message the classifier labelled `intent` may still answer the question being asked, if
    the question's parser understands it with confidence. Never for a free-text question (anything is
    text), a consent question (read only as said), a message with a danger phrase, or a request for
    another language. (A safety question takes only a "yes, I'm safe" this way: the caller checks.)"""
    if intent not in ANSWERABLE or free_text or consent or danger_phrase:
        return False
    if intent == "emergency":
        return confidence < EMERGENCY_SURE
    if intent in ENDING:
        return confidence < MIN_CONFIDENCE and not yes_no
    if intent == "choose_language":
        return not other_language_named
    return True


def keeps_story(intent: str | None, *, free_text: bool) -> bool:
    """Whether a free-text answer taken for an emergency (by a danger phrase or by the classifier) is kept as
    the answer: a story of what happened often sounds like danger ("they bang on the walls at 3am", "he
    said he'd burn the house down") and must not be lost. The emergency still counts: the validator says
    the 999 advice and marks the case urgent."""
    return intent == "emergency" and free_text


def answers_about_harm(intent: str | None, *, about_harm: bool) -> bool:
    """Whether an emergency may also answer the question asked: only a question that asks about harm
    ("does he have a weapon?": "yes, he has a knife"), where danger words are the expected answer. The
    emergency still counts (999 advice, case urgent); the answer is stored only when the question's parser
    understands it (or put to the person to confirm), never guessed."""
    return intent == "emergency" and about_harm


# A bare number is an answer (an age, a choice, a phone number, the one-time code texted to check a number),
# never an emergency on the classifier's word alone: the character n-grams of "998199" or "999679" look like
# "999" to it (2 of 3,000 random six-digit codes were labelled `emergency`; the code was then not checked).
# The emergency numbers themselves typed alone stay an emergency.
EMERGENCY_NUMBERS = frozenset({"999", "112", "911"})
NUMBER_SEPARATORS = " -.+()"


def bare_number(text: str) -> str | None:
    """The digits of a message that is only a number (any script's digits, spaces and dashes between), else
    None."""
    digits = "".join(ch for ch in text.strip() if ch not in NUMBER_SEPARATORS)
    if not digits or not digits.isdecimal():
        return None
    return "".join(str(int(ch)) for ch in digits)


def relabel_number(intent: dict[str, Any], ranking: list[dict[str, Any]], text: str) -> dict[str, Any] | None:
    """The intent an `emergency` label on a bare number should carry instead (the best other intent of the
    ranking, or an answer), or None to keep it."""
    if intent.get("name") != "emergency":
        return None
    number = bare_number(text)
    if number is None or number in EMERGENCY_NUMBERS:
        return None
    for candidate in ranking:
        if candidate.get("name") != "emergency":
            return {"name": candidate["name"], "confidence": candidate.get("confidence", 0.0)}
    return {"name": ANSWER_INTENT, "confidence": float(intent.get("confidence") or 0.0)}
