"""The channel gateway: what happens to every inbound message, on every channel, before the bot sees it.

1. The emergency layer: a danger phrase in any language replaces the message with the `emergency` intent,
   so the 999 advice comes first whatever the conversation was doing (and the bot marks any case urgent).
2. The language: the first message of a conversation whose language nobody chose picks it (and the reply
   confirms it, in that language, with a one-tap change); a message that only names a language, or a
   number answering the language menu, switches to it. Nothing else ever switches the language.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from api.config import Settings
from api.conversation.danger import DangerPhrases
from api.conversation.language import LanguageDetection, named_language
from api.conversation.schemas import BotMessage, Button
from api.i18n import Translator
from flowkit.choices import nth_option

logger = logging.getLogger("api.conversation")

EMERGENCY = "/emergency"
CHOOSE_LANGUAGE = "/choose_language"


def emergency_payload(said: str) -> str:
    """What the bot gets when a danger phrase matched: the `emergency` intent, decided here before any NLU,
    with the person's words as the `said` entity, so the bot can still keep them as the answer to a
    question that asks about harm ("yes, he has a knife") or as their story, after the 999 advice."""
    return EMERGENCY + json.dumps({"said": said}, ensure_ascii=False, separators=(",", ":"))


def choose_language_payload(code: str) -> str:
    return CHOOSE_LANGUAGE + json.dumps({"language": code}, separators=(",", ":"))


@dataclass
class Inbound:
    """What to send to the bot for one message, and what the gateway decided."""

    text: str
    danger: bool = False
    detected_language: str | None = None
    notes: list[str] = field(default_factory=list)


class Gateway:
    def __init__(self, translator: Translator, danger: DangerPhrases, detection: LanguageDetection) -> None:
        self.translator = translator
        self.danger = danger
        self.detection = detection

    @classmethod
    def from_settings(cls, settings: Settings, translator: Translator | None = None) -> Gateway:
        translator = translator or Translator(settings.locales_dir, settings.default_locale)
        return cls(
            translator,
            DangerPhrases.load(settings.locales_dir / "danger"),
            LanguageDetection(translator.locales),
        )

    @property
    def languages(self) -> list[str]:
        return self.translator.locales

    def inbound(self, text: str, *, first: bool, language_chosen: bool, menu_open: bool) -> Inbound:
        if self.danger.match(text) is not None:
            logger.info("danger phrase matched")
            return Inbound(emergency_payload(text), danger=True)
        stripped = text.strip()
        chosen = nth_option(stripped, self.menu_order()) if menu_open else None
        if chosen is not None:
            return Inbound(choose_language_payload(chosen))
        named = named_language(stripped, self.languages)
        if named is not None:
            return Inbound(choose_language_payload(named))
        if first and not language_chosen:
            detection = self.detection.detect(stripped)
            if detection is not None:
                return Inbound(text, detected_language=detection.language)
        return Inbound(text)

    def menu_order(self) -> list[str]:
        """The language menu's order (the NLG renders its buttons the same way): the default first."""
        default = self.translator.default_locale
        return [default, *(code for code in self.languages if code != default)]

    def confirmation(self, language: str, channel: str | None = None) -> BotMessage:
        """The first reply's note of which language the bot will use, with a one-tap change (worded for the
        channel when it has its own text: an SMS has no button to tap)."""
        key = "bot.language.detected"
        if channel and self.translator.has(f"{key}_{channel}", language):
            key = f"{key}_{channel}"
        return BotMessage(
            text=self.translator.t(key, language),
            buttons=[
                Button(
                    title=self.translator.t("bot.button.change_language", language), payload=CHOOSE_LANGUAGE
                )
            ],
        )
