"""Disclosure first: a message that already tells what happened ("someone keeps shouting abuse at me because
I'm gay") names its journey and is kept as that journey's description answer, so nobody has to repeat it.

The bot remembers such a message (the `disclosure` slot: {"intent", "text"}) when it comes as the first
message, as the answer to "are you safe to talk now?", or at the menu; once the person is safe to talk, the
journey starts and its description question is answered from the kept text (through that question's own
validation). A "no, not safe" forgets it with everything else. See bot/README.md.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flowkit.flows import LoadedFlow, flow_for_intent, load_flow
from flowkit.spec import AnswerType
from flowkit.words import languages, own_text

# The intents that tell a story, each naming a journey with a free-text description question.
DISCLOSURE_INTENTS = ("report_hate_crime", "report_asb", "report_domestic_abuse", "perpetrator_help")
# Fewer words than this is a request ("hate crime", "report ASB"), not a story.
MIN_WORDS = 4
# A short message that asks for the service ("I want to report a hate crime", "chcę zgłosić przestępstwo z
# nienawiści") is a request, not a story: it has one of the request words (`bot.answers.any.request` in
# locales/bot.<lang>.yml: report, complain, help; every language's words are read in every language) and
# fewer than REQUEST_MAX_WORDS words. A longer one is a story even so ("I want to report my neighbour, he
# shouts racist abuse at me every day").
REQUEST_MAX_WORDS = 10
_PUNCTUATION = ".,;:!?¿¡…\"'()«»“”„،؟۔।"


@cache
def request_words() -> frozenset[str]:
    found: set[str] = set()
    for language in languages():
        raw = own_text("bot.answers.any.request", language) or ""
        found.update(word.strip().lower() for word in raw.split("|") if word.strip())
    return frozenset(found)


def _words(text: str) -> list[str]:
    return [w.strip(_PUNCTUATION).lower() for w in text.split() if w.strip(_PUNCTUATION)]


def is_disclosure(intent: str | None, text: str | None) -> bool:
    """The message tells what happened: a story intent, at least MIN_WORDS words, and not a short request."""
    if intent not in DISCLOSURE_INTENTS or not text or text.lstrip().startswith("/"):
        return False
    words = _words(text)
    if len(words) < MIN_WORDS:
        return False
    return len(words) >= REQUEST_MAX_WORDS or not request_words().intersection(words)


def description_question(flow: LoadedFlow) -> str | None:
    """The journey's description question: its first free-text question."""
    for question in flow.questions:
        if question.type == AnswerType.free_text:
            return question.id
    return None


def disclosure_flow(intent: str | None) -> str | None:
    """The journey a story intent starts, if it has a description question to keep the story in."""
    if intent not in DISCLOSURE_INTENTS:
        return None
    flow_id = flow_for_intent(intent)
    if flow_id is None or description_question(load_flow(flow_id)) is None:
        return None
    return flow_id


def kept(value: Any) -> dict[str, str] | None:
    """A `disclosure` slot's value, if well formed."""
    if isinstance(value, dict) and all(isinstance(value.get(key), str) for key in ("intent", "text")):
        return {"intent": value["intent"], "text": value["text"]}
    return None


# "Are you safe to talk now?" (flows/safety.yml): a story told in its place is kept, and a no forgets it.
SAFETY_QUESTION = "safe_to_talk"
