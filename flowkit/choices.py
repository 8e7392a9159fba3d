"""Choices: the payload a tapped choice sends, reading it back, and "a bare number answers the Nth option"
(SMS lists choices as numbered lines; the language menu and the call-back times are numbered too)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")
# A number typed alone ("2", "2.", "2)", " 2! "): at most two digits (no list is longer than 99).
_BARE_NUMBER = re.compile(r"^\s*(\d{1,2})[\s.!)]*$")


def yes_no_payload(intent: str, question_id: str) -> str:
    """The payload of a yes/no question's Yes or No button: the intent (`affirm`, `deny`) with the question it
    answers as its `asked` entity, so a tap on an earlier question's button (still on the screen) does not
    answer the question asked now."""
    return f"/{intent}" + json.dumps({"asked": question_id}, separators=(",", ":"))


def tapped_yes_no(raw: str) -> tuple[bool, str | None] | None:
    """A tapped Yes or No ("/affirm", '/deny{"asked":"sms_safe"}'): the answer and the question it was
    shown with (None for a bare payload); None when the text is not such a tap."""
    match = re.fullmatch(r"/(affirm|deny)(\{.*\})?", raw.strip())
    if match is None:
        return None
    asked = None
    if match.group(2):
        try:
            entities = json.loads(match.group(2))
        except ValueError:
            return None
        asked = entities.get("asked") if isinstance(entities, dict) else None
    return match.group(1) == "affirm", asked if isinstance(asked, str) else None


def choice_payload(value: str, question_id: str | None = None) -> str:
    """The payload a tapped choice sends: the `inform` intent with the choice's value as its `choice`
    entity (the bot's validators read it back as the answer) and, for a question's button, the question it
    answers as `asked` (a tap on an earlier question's button still on the screen answers nothing now)."""
    entities = {"choice": value} if question_id is None else {"choice": value, "asked": question_id}
    return "/inform" + json.dumps(entities, separators=(",", ":"))


def tapped_choice(raw: str) -> tuple[str, str | None] | None:
    """A tapped choice: its value and the question it was shown with (None for a bare payload);
    None when the text is not such a tap. '/inform{"choice":"race","asked":"hate_strand"}'."""
    match = re.match(r"^/inform(\{.*\})$", raw.strip())
    if not match:
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("choice"), str):
        return None
    asked = data.get("asked")
    return data["choice"], asked if isinstance(asked, str) else None


def payload_choice(raw: str) -> str | None:
    """The value of a tapped choice button: /inform{"choice": "race"} → "race"."""
    tapped = tapped_choice(raw)
    return tapped[0] if tapped is not None else None


def option_number(said: str) -> int | None:
    """The number a message that is only a number gives ("2", "2.", "2)"), or None."""
    match = _BARE_NUMBER.match(said)
    return int(match.group(1)) if match else None


def nth_option(said: str, options: Sequence[T]) -> T | None:
    """The option a bare number answers (1 is the first); None when the message is not a number or the
    number is not one of the options'."""
    number = option_number(said)
    return options[number - 1] if number is not None and 1 <= number <= len(options) else None
