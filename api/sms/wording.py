"""Turning the bot's replies into SMS texts: numbered choices, segment budgets, neutral first words.

A text message shows its first words on the phone's lock screen, where someone else may read them. So no SMS
starts with words that tell what it is about: when any of the language's lock-screen words (and the default
language's: `bot.sms.lock_screen_words`, words like "abuse", "victim", "police" and the providers' names)
appears within the first `LOCK_SCREEN_CHARS` characters, the SMS starts with a neutral opener instead
(`bot.sms.neutral_opener`, at least that long and holding none of the words; tests check both in every
language), which pushes them out of sight. The person may choose otherwise (`named_ok`), though no question
asks them yet.

Buttons become numbered choices, one line each ("Reply with a number: 1 Yes" / "2 No", so a long list is
cut between choices), and the reply "2" is sent to the bot as the second choice's payload (see service).
Pure functions: the words come in through `translate`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from api.conversation.schemas import BotMessage
from api.sms.segments import MAX_SEGMENTS, fits, split_at_sentences, split_for_sms

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
        # Too long with the opener (in UCS-2 the opener alone can take two segments): the opener, then as
        # many whole sentences as fit; the rest is checked on its own. Only a sentence too long for the
        # opener's company is cut between words.
        sentences = [p for p in split_at_sentences(part) if p.strip()]
        head = ""
        while sentences and fits(f"{opener}\n{(head + sentences[0]).strip()}", max_segments):
            head += sentences.pop(0)
        if head.strip():
            out.append(f"{opener}\n{head.strip()}")
            rest = "".join(sentences).strip()
            queue[0:0] = [rest] if rest else []
            continue
        for budget in range(max_segments - 1, 0, -1):
            pieces = split_for_sms(part, budget)
            if pieces and fits(f"{opener}\n{pieces[0]}", max_segments):
                out.append(f"{opener}\n{pieces[0]}")
                queue[0:0] = pieces[1:]
                break
        else:  # an opener too long to share an SMS: it goes alone, just before the part
            out.append(opener)
            out.append(part)
    return out
