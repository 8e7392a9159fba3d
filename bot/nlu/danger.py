"""Danger phrases, and what cancels them, per language (`locales/danger/<lang>.yml`). Plain Python: the api's
emergency layer (api/chat/danger.py) matches messages with it before any NLU, and the bot's NLU guard
(bot/nlu/guard.py) uses the same data, so both sides read a message the same way.

A language's file holds:

- `phrases`: what a person in danger now types. A message containing one (whole words, folded) is danger...
- `negations`: ...unless one of these starts before it and ends right before it or inside it ("nu mai e
  aici", he is no longer here, cancels "e aici"; "not in danger"; "was in danger"), or
- `negations_after`: one of these starts right after it (where the verb or "not" ends the clause: Urdu
  "وہ دروازہ توڑ رہا تھا", he *was* breaking the door; Bengali "সে এখন এখানে নেই", he is not here now).
- `reassurance`: what a person who is safe now types ("i'm safe now", "he's gone now"). Never danger by
  itself: the NLU guard takes an `emergency` label off a message that says one of these (not negated: "i'm
  not safe now" is no reassurance) and contains no danger phrase.
- `doubts`: more words that cancel a reassurance anywhere before it in its clause, though not a danger
  phrase ("i hope i'm safe"; Romanian "nu", which is also "no", so it cannot cancel danger).

A negation must touch the phrase it cancels, in the same clause: "not now, he's here" and Romanian "nu, e
aici" (no, he is here) stay danger. Where "no" and "not" are one word (Polish "nie", Romanian "nu"), list
it with the word it negates ("nu e", "nie jestem"), so "nu el e aici" (no, he's here) stays danger. A
phrase fires when any one of its occurrences is not cancelled, and any language's phrase counts. A
reassurance is cancelled by a negation or doubt anywhere before it in its clause ("i don't think i'm
safe"): the guard must be surer of safety than the phrases are of danger.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from flowkit.text import fold, fold_letters

# Urdu letters an Arabic keyboard lacks, as people type them there (ھ as ه, ے as ي).
_ARABIC_KEYBOARD = str.maketrans({"ھ": "ه", "ے": "ي", "ۓ": "ي"})
# What ends a clause: a negation counts only within its clause.
_CLAUSE = re.compile(r"[,.;:!?()\[\]{}\"،؛؟۔।\n]+")
DANGER_DIR = Path(__file__).resolve().parents[2] / "locales" / "danger"

Words = dict[str, frozenset[str]]  # language → folded phrases or cues


def form(text: str) -> str:
    """The form phrases and messages are compared in: folded, and one spelling for the Arabic-script letter
    variants, so Urdu typed on an Arabic keyboard (ي for ی, ك for ک, ه for ہ or ھ) still matches."""
    return fold(fold_letters(text).translate(_ARABIC_KEYBOARD))


def _folded(items: Iterable[object] | None) -> frozenset[str]:
    return frozenset(f for f in (form(str(item)) for item in items or []) if f)


def _occurrences(padded: str, phrase: str) -> Iterable[int]:
    """Where ` phrase ` starts in the padded text (the index of its leading space), every time."""
    needle = f" {phrase} "
    start = padded.find(needle)
    while start != -1:
        yield start
        start = padded.find(needle, start + 1)


@dataclass(frozen=True)
class DangerPhrases:
    phrases: Words  # language → folded danger phrases
    negations: Words = field(default_factory=dict)  # language → words that cancel what follows them
    negations_after: Words = field(default_factory=dict)  # language → words that cancel what precedes them
    reassurance: Words = field(default_factory=dict)  # language → what a person safe now says
    doubts: Words = field(default_factory=dict)  # language → more words that cancel a reassurance after them

    @classmethod
    def load(cls, directory: Path = DANGER_DIR) -> DangerPhrases:
        data = {
            path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for path in sorted(directory.glob("*.yml"))
        }
        return cls(
            phrases={lang: _folded(d.get("phrases")) for lang, d in data.items()},
            negations={lang: _folded(d.get("negations")) for lang, d in data.items()},
            negations_after={lang: _folded(d.get("negations_after")) for lang, d in data.items()},
            reassurance={lang: _folded(d.get("reassurance")) for lang, d in data.items()},
            doubts={lang: _folded(d.get("doubts")) for lang, d in data.items()},
        )

    def only(self, language: str) -> DangerPhrases:
        """The same data with one language's phrases only (its cues kept)."""
        return DangerPhrases(
            {language: self.phrases.get(language, frozenset())},
            self.negations,
            self.negations_after,
            self.reassurance,
            self.doubts,
        )

    def _cancelled(self, clause: str, language: str, phrase: str, anywhere_before: bool) -> int:
        """How many times a padded, folded clause says `phrase` with a cue of its language cancelling it: a
        negation that starts before the phrase and ends right before it or within it ("nu e" cancels "e
        aici" in "nu e aici"; "nie jestem" cancels "jestem w niebezpieczeństwie"), or anywhere before it
        for reassurance; or a negation right after it."""
        cues = set(self.negations.get(language, ()))
        if anywhere_before:
            cues |= self.doubts.get(language, frozenset())
        before = [(cue, list(_occurrences(clause, cue))) for cue in cues]
        after = self.negations_after.get(language, frozenset())
        count = 0
        for start in _occurrences(clause, phrase):
            end = start + len(phrase) + 1  # the phrase's trailing space
            negated = any(
                at < start and (anywhere_before or start <= at + len(cue) + 1 <= end)
                for cue, places in before
                for at in places
            )
            if negated or any(clause[end:].startswith(f" {cue} ") for cue in after):
                count += 1
        return count

    def _said(self, text: str, language: str, phrase: str, anywhere_before: bool = False) -> bool:
        """Whether the text says `phrase` at least once without a cue of its language cancelling it. A cue
        counts within its clause only: "nu, e aici" (no, he is here) is danger, "nu e aici" is not."""
        padded = f" {form(text)} "
        said = sum(1 for _ in _occurrences(padded, phrase))
        if not said:
            return False
        cancelled = sum(
            self._cancelled(f" {form(clause)} ", language, phrase, anywhere_before)
            for clause in _CLAUSE.split(text)
        )
        return said > cancelled

    def _first(self, words: Words, text: str, anywhere_before: bool = False) -> str | None:
        padded = f" {form(text)} "
        for language, phrases in words.items():
            found = (p for p in phrases if f" {p} " in padded)  # the cheap test first
            if any(self._said(text, language, phrase, anywhere_before) for phrase in found):
                return language
        return None

    def match(self, text: str) -> str | None:
        """The language of the first danger phrase the text says (not cancelled by a negation), or None."""
        return self._first(self.phrases, text)

    def matched_phrases(self, text: str) -> list[tuple[str, str]]:
        """Every (language, phrase) the text says, for reports and tests."""
        return sorted(
            (language, phrase)
            for language, phrases in self.phrases.items()
            for phrase in phrases
            if self._said(text, language, phrase)
        )

    def reassured(self, text: str) -> str | None:
        """The language of the first reassurance the text says, or None. Read more warily than danger: a
        negation anywhere before it in its clause cancels it ("i don't think i'm safe")."""
        return self._first(self.reassurance, text, anywhere_before=True)

    def calm(self, text: str) -> bool:
        """A reassurance and no danger phrase: what the NLU guard never lets stand as an emergency."""
        return self.reassured(text) is not None and self.match(text) is None


EMERGENCY = "emergency"
CALM_INTENT = "inform"  # when the ranking holds nothing else


def relabel_calm(
    intent: dict[str, Any], ranking: list[dict[str, Any]], text: str, danger: DangerPhrases
) -> dict[str, Any] | None:
    """The intent an `emergency` message that only reassures should carry instead (the best other intent of
    the ranking), or None to keep it. Anything with a danger phrase stays an emergency."""
    if intent.get("name") != EMERGENCY or not danger.calm(text):
        return None
    for candidate in ranking:
        if candidate.get("name") != EMERGENCY:
            return {"name": candidate["name"], "confidence": candidate.get("confidence", 0.0)}
    return {"name": CALM_INTENT, "confidence": 0.0}
