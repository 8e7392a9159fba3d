"""By SMS there are no buttons: every text that tells the person to tap has an `_sms` variant (the NLG and
the first reply's language note pick it on the SMS channel), in every language, and no English `_sms` text
says "tap", "press" or "click"."""

from __future__ import annotations

import re

import pytest

from api.config import REPO_ROOT
from flowkit.flows import locale_keys
from flowkit.words import text

LOCALES = locale_keys(REPO_ROOT / "locales")
# Texts that name buttons; each needs words for SMS.
TAPPING = (
    "bot.session.greet",
    "bot.session.help",
    "bot.language.options",
    "bot.language.detected",
    "bot.validation.choice",
    "bot.fallback.default",
    "bot.callback.choose",
    "bot.confirm.ask_again",
)


@pytest.mark.parametrize("language", sorted(LOCALES))
def test_every_tapping_text_has_an_sms_variant(language: str) -> None:
    for key in TAPPING:
        assert f"{key}_sms" in LOCALES[language], key


def test_no_english_sms_text_says_tap() -> None:
    english = {key: text(key, "en") or "" for key in LOCALES["en"] if not key.startswith("bot.answers.")}
    for key, said in english.items():
        if key.endswith("_sms"):
            assert not re.search(r"\b(tap|press the|click)\b", said, re.I), key
        elif re.search(r"\btap\b", said, re.I) and not key.startswith("bot.button."):
            assert key in TAPPING, f"{key} says tap: add {key}_sms and list it here"
