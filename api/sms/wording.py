"""Turning the bot's replies into SMS texts: numbered choices, segment budgets, neutral first words.

A text message shows its first words on the phone's lock screen, where someone else may read them. So no SMS
starts with words that tell what it is about: when any of the language's lock-screen words (and the default
language's: `bot.sms.lock_screen_words`, words like "abuse", "victim", "police" and the providers' names)
appears within the first `LOCK_SCREEN_CHARS` characters, the SMS starts with a neutral opener instead
(`bot.sms.neutral_opener`, at least that long and holding none of the words; tests check both in every
language), which pushes them out of sight. The person may choose otherwise (`named_ok`), though no question
asks them yet.

Buttons become numbered choices ("Reply with a number: 1 Yes, 2 No"), and the reply "2" is sent to the bot
as the second choice's payload (see service).
Pure functions: the words come in through `translate`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from api.chat.schemas import BotMessage
from api.sms.segments import MAX_SEGMENTS, fits, split_for_sms

LOCK_SCREEN_CHARS = 80
Translate = Callable[..., str]


def render(messages: Iterable[BotMessage], translate: Translate) -> tuple[str, list[str]]:
    """One text for one turn of the bot, and the payloads of its numbered choices in order.

    Only the last message with buttons gets numbered choices (numbered from 1, as the bot itself reads a
    number typed under a question); buttons of earlier messages (such as the first reply's "Change
    language", which its text also explains) are left out, so that every number means one thing."""
    listed = list(messages)
    numbered_at = max((i for i, m in enumerate(listed) if m.buttons), default=-1)
    texts: list[str] = []
    payloads: list[str] = []
    for index, message in enumerate(listed):
        text = message.text.strip()
        if index == numbered_at:
            choices = []
            for number, button in enumerate(message.buttons, start=1):
                payloads.append(button.payload)
                choices.append(translate("bot.sms.choice", number=str(number), title=button.title))
            numbered = translate(
                "bot.sms.choices", choices=translate("bot.sms.choice_separator").join(choices)
            )
            text = f"{text}\n{numbered}" if text else numbered
        if text:
            texts.append(text)
    return "\n\n".join(texts), payloads


@lru_cache(maxsize=256)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    cleaned = sorted({w.strip().casefold() for w in words if w.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    # A word matches at the start of a word: "harass" finds "harassment", "hate" never finds "whatever".
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in cleaned) + ")", re.IGNORECASE)


def names_the_service(text: str, words: tuple[str, ...], window: int = LOCK_SCREEN_CHARS) -> bool:
    """Whether a lock-screen word shows within the first `window` characters of `text`."""
    pattern = _pattern(words)
    return pattern is not None and pattern.search(text.casefold()[:window]) is not None


def compose(
    text: str,
    *,
    opener: str,
    words: tuple[str, ...],
    named_ok: bool = False,
    max_segments: int = MAX_SEGMENTS,
) -> list[str]:
    """The SMS texts for `text`: each within `max_segments`, each starting neutrally unless `named_ok`."""
    queue = split_for_sms(text, max_segments)
    out: list[str] = []
    while queue:
        part = queue.pop(0)
        if named_ok or not names_the_service(part, words):
            out.append(part)
            continue
        opened = f"{opener}\n{part}"
        if fits(opened, max_segments) or max_segments == 1:
            out.append(opened)
            continue
        smaller = split_for_sms(part, max_segments - 1)
        if len(smaller) <= 1:  # cannot get smaller at sentence, word or character level: send it as it is
            out.append(opened)
            continue
        # The first piece gets the opener on the next round; each later one is checked on its own.
        queue[0:0] = smaller
    return out
