"""The emergency layer: every message is checked against the danger phrases of every language
(`locales/danger/<lang>.yml`) before any NLU. A hit pre-empts the conversation with the 999 advice.

Every language's phrases are checked whatever the conversation's language: a person chatting in Polish may
type "he's here" in English. Matching is on whole words after folding case, Latin accents, punctuation and
spacing, so "HE'S HERE NOW!!" and "hes here now" match "he's here now".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.nlu.text import fold, fold_letters

# Urdu letters an Arabic keyboard lacks, as people type them there (ھ as ه, ے as ي).
_ARABIC_KEYBOARD = str.maketrans({"ھ": "ه", "ے": "ي", "ۓ": "ي"})


def _form(text: str) -> str:
    """The form phrases and messages are compared in: folded, and one spelling for the Arabic-script letter
    variants, so Urdu typed on an Arabic keyboard (ي for ی, ك for ک, ه for ہ or ھ) still matches."""
    return fold(fold_letters(text).translate(_ARABIC_KEYBOARD))


@dataclass(frozen=True)
class DangerPhrases:
    phrases: dict[str, frozenset[str]]  # language → folded phrases

    @classmethod
    def load(cls, directory: Path) -> DangerPhrases:
        phrases: dict[str, frozenset[str]] = {}
        for path in sorted(directory.glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            folded = {_form(str(p)) for p in data.get("phrases") or []}
            phrases[path.stem] = frozenset(p for p in folded if p)
        return cls(phrases)

    def match(self, text: str) -> str | None:
        """The language of the first danger phrase the text contains, or None."""
        padded = f" {_form(text)} "
        for language, phrases in self.phrases.items():
            if any(f" {phrase} " in padded for phrase in phrases):
                return language
        return None
