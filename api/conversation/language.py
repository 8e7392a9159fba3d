"""Which language a person writes in, and which language they name.

The first message of a conversation whose language nobody chose picks it (lingua ships its own models;
nothing is fetched). The detector only knows the languages the service speaks (a `locales/bot.<lang>.yml`
exists), so a ninth language is a data change. A later message never switches the language by itself:
only the person does, by naming a language ("Polski", "urdu") or choosing from the menu.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from flowkit.language import language_names, named_language

__all__ = ["Detection", "LanguageDetection", "language_names", "named_language", "native_name"]

# Below this many letters (vowel signs count: "ਹੈਲੋ" is four) a text says too little ("ok", "hi", "?").
MIN_LETTERS = 3
# The detector's relative confidence (0..1) needed to switch from the default language.
MIN_CONFIDENCE = 0.6


@dataclass(frozen=True)
class Detection:
    language: str
    confidence: float


def _lingua_language(code: str) -> Language | None:
    try:
        return Language.from_iso_code_639_1(IsoCode639_1.from_str(code))
    except (ValueError, AttributeError):
        return None


class LanguageDetection:
    def __init__(self, languages: list[str]) -> None:
        self._codes: dict[Language, str] = {}
        for code in languages:
            language = _lingua_language(code)
            if language is not None:
                self._codes[language] = code
        self._detector: LanguageDetector | None = (
            LanguageDetectorBuilder.from_languages(*self._codes).build() if len(self._codes) >= 2 else None
        )

    def detect(self, text: str) -> Detection | None:
        """The most likely language of a text, or None when it is too short or not clear enough."""
        if self._detector is None or text.lstrip().startswith("/"):
            return None
        if sum(unicodedata.category(ch)[0] in "LM" for ch in text) < MIN_LETTERS:
            return None
        values = self._detector.compute_language_confidence_values(text)
        if not values:
            return None
        best = values[0]
        if best.value < MIN_CONFIDENCE:
            return None
        return Detection(self._codes[best.language], best.value)


def native_name(code: str) -> str:
    """A language's name in itself, capitalised where the script has capitals ("Polski", "اردو")."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:]
