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


# While a form asks a question, these labels lose to an answer the question's own parser understands with
# confidence: "this morning" to "when did it happen?" is a date, not a greeting; "the way I speak English"
# to "why do you think you were targeted?" is a reason, not a request to change language (unless it names
# another language than the one spoken); "on the 5th" is a date, not an emergency. Danger keeps its
# guarantee: a danger phrase always wins (the api's gateway sends those as `/emergency` before any NLU),
# and so does an emergency the classifier is sure of.
ANSWERABLE = ("greet", "choose_language", "emergency")
EMERGENCY_SURE = 0.6  # at or above this, a classifier-only emergency is never taken as an answer


def may_answer(
    intent: str | None,
    confidence: float,
    *,
    free_text: bool,
    strict: bool,
    danger_phrase: bool,
    other_language_named: bool,
) -> bool:
    """Whether a message the classifier labelled `intent` may still answer the question being asked, if
    the question's parser understands it with confidence. Never for a free-text question (anything is
    text), a consent or safety question (read only as said), a message with a danger phrase, or a
    request for another language."""
    if intent not in ANSWERABLE or free_text or strict or danger_phrase:
        return False
    if intent == "emergency":
        return confidence < EMERGENCY_SURE
    if intent == "choose_language":
        return not other_language_named
    return True


def keeps_story(intent: str | None, *, free_text: bool, danger_phrase: bool) -> bool:
    """Whether a free-text answer the classifier alone took for an emergency is kept as the answer: a story
    of what happened often sounds like danger ("they bang on the walls at 3am") and must not be lost. The
    emergency still counts (the validator says the 999 reminder and marks the case urgent); a danger phrase
    never gets here (the api's gateway sends `/emergency` instead of the words)."""
    return intent == "emergency" and free_text and not danger_phrase
