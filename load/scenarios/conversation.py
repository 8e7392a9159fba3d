"""The English hate crime slice as a script: what the person sends each turn and what the reply must hold.

Plain data and checks with no locust import, so both the locust user and the runner's warm-up use the same
script. Every answer is synthetic: the description says so and the phone number is in Ofcom's drama range.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

TURN_PREFIX = "turn "
START_NAME = "start conversation"
END_NAME = "end conversation"


@dataclass(frozen=True)
class Turn:
    label: str
    text: str
    expect_text: tuple[str, ...]
    expect_button: str | None = None  # payload of a button the reply must offer (usually the next answer)

    def name(self, number: int) -> str:
        return f"{TURN_PREFIX}{number:02d} {self.label}"

    def problem(self, messages: Any) -> str | None:
        """Why this reply's `messages` are not the expected ones, or None when they are."""
        if not isinstance(messages, list):
            return "messages is not a list"
        texts: list[str] = []
        payloads: list[str] = []
        for message in messages:
            if not isinstance(message, dict):
                return "a message is not an object"
            texts.append(str(message.get("text", "")))
            buttons = message.get("buttons") or []
            # A button's payload is its intent and entities, then what it answers:
            # `/inform{"choice":"race","asked":"hate_strand"}`; `offers` compares them.
            payloads.extend(str(b.get("payload", "")) for b in buttons if isinstance(b, dict))
        joined = " ".join(texts)
        for expected in self.expect_text:
            if expected not in joined:
                return f"missing {expected!r}; got {joined[:120]!r}"
        if self.expect_button is not None and not any(offers(p, self.expect_button) for p in payloads):
            return f"no {self.expect_button!r} button; got {payloads}"
        return None


def offers(payload: str, expected: str) -> bool:
    """A button's payload is its intent and entities, plus what question it answers
    (`/inform{"choice":"race","asked":"hate_strand"}`): it offers `expected` when the intent is the same and
    it carries every entity `expected` names."""
    intent, _, entities = payload.partition("{")
    want_intent, _, want_entities = expected.partition("{")
    if intent != want_intent:
        return False
    if not want_entities:
        return True
    try:
        have = json.loads("{" + entities) if entities else {}
        want = json.loads("{" + want_entities)
    except json.JSONDecodeError:
        return False
    return isinstance(have, dict) and isinstance(want, dict) and want.items() <= have.items()


SLICE: tuple[Turn, ...] = (
    Turn("hello", "hello", ("are you safe to talk right now?",), "/affirm"),
    Turn("safe_to_talk", "/affirm", ("What would you like help with?",), "/report_hate_crime"),
    Turn(
        "report_hate_crime",
        "/report_hate_crime",
        ("I'm sorry this happened to you", "what is your postcode"),
        "/skip_question",
    ),
    Turn("postcode", "ST4 1AA", ("may we keep what you tell us",), "/affirm"),
    Turn("consent_store", "/affirm", ("May we share your details with",), "/affirm"),
    Turn("consent_share", "/affirm", ("In your own words, what happened?",)),
    Turn(
        "description",
        "Synthetic load test: two men on the 25 bus shouted abuse about my skin colour and followed me off.",
        ("When did it happen?",),
    ),
    Turn("when", "yesterday evening", ("targeted because of any of these",), '/inform{"choice":"race"}'),
    Turn("strand", "race", ("more than once",), "/deny"),
    Turn("repeat", "/deny", ("How old are you?",), "/skip_question"),
    Turn("age", "34", ("anything else we should know about",), "/skip_question"),
    Turn("support_need", "/skip_question", ("What phone number",)),
    Turn("phone", "07700 900123", ("safe for us to send text messages",), "/affirm"),
    Turn("sms_safe", "/affirm", ("Your reference is SR-",)),
)

TURN_NAMES: tuple[str, ...] = tuple(turn.name(number) for number, turn in enumerate(SLICE, start=1))
