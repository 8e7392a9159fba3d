"""What an answer to the call-back offer means: a tapped time, its number (SMS lists the times, then "no
call"), a time of day typed ("14:30", "2pm") inside one of the times, yes (as soon as possible) or no (no
call), in the person's language. Pure, so the api's tests run it too (bot/actions/callback.py asks the
question)."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from flowkit.choices import nth_option, option_number, payload_choice
from flowkit.parse import NO_INTENTS, YES_INTENTS
from flowkit.words import text

ASAP = "asap"
DECLINED = "none"
# "14:30", "14.30", "2pm", "2.30 pm": a time of day as people type it.
_TIME = re.compile(r"(?<!\d)([01]?\d|2[0-3])(?:[:.]([0-5]\d))?\s*(am|pm|a\.m\.|p\.m\.)?(?!\d)", re.IGNORECASE)


def _said_time(said: str) -> time | None:
    """A time of day typed with minutes or am/pm ("14:00", "2pm"); a bare number is a choice's number."""
    match = _TIME.search(said)
    if match is None or (match.group(2) is None and match.group(3) is None):
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").lower().replace(".", "")
    if suffix == "pm" and hour < 12:
        hour += 12
    if suffix == "am" and hour == 12:
        hour = 0
    return time(hour, minute)


def _label(name: str, language: str) -> str:
    return (text(f"bot.callback.{name}", language) or "").lower()


def window_for(windows: list[dict[str, Any]], raw: Any, intent: str | None, language: str) -> str | None:
    """The window an answer means: a tapped time, its number (SMS: the times, then "no call"), a time of day
    inside one of them, "yes" (as soon as possible) or "no" (no call). None when it is none of these."""
    ids: list[str] = [str(w["id"]) for w in windows]
    said = str(raw or "").strip()
    tapped = payload_choice(said)
    if tapped is not None:
        return tapped if tapped in ids else None
    number = option_number(said)
    if number is not None:  # the times in order, then "no call"
        return nth_option(said, [*ids, DECLINED])
    wanted = _said_time(said)
    if wanted is not None:
        for window in reversed(windows):  # a named block before "as soon as possible" when both contain it
            start, end = (datetime.fromisoformat(window[k]).timetz() for k in ("starts_at", "ends_at"))
            if start.replace(tzinfo=None) <= wanted < end.replace(tzinfo=None) or (
                end.replace(tzinfo=None) == time(0, 0) and wanted >= start.replace(tzinfo=None)
            ):
                return str(window["id"])
        return None
    lowered = said.lower()
    if said == "/deny" or intent in NO_INTENTS or lowered == _label("decline", language):
        return DECLINED
    if said == "/affirm" or intent in YES_INTENTS or lowered == _label("asap", language):
        return ASAP if ASAP in ids else None
    return None
