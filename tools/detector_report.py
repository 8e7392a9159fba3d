"""How well the first-message language detector does on short messages (tests/fixtures/first_messages.yml).

    python -m tools.detector_report      # prints a Markdown table per language

A message is counted right when the detector names its language, or names nothing for an English message
(nothing detected keeps the default, English). Wrong or nothing for another language means the person is
greeted in English, with the one-tap change of language.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import yaml

from api.config import REPO_ROOT
from api.conversation.language import LanguageDetection
from api.i18n import Translator

TABLE = REPO_ROOT / "tests" / "fixtures" / "first_messages.yml"
DEFAULT = "en"


def outcomes(table: Path = TABLE) -> dict[str, Counter[str]]:
    """Per language: how many messages were detected right, wrong, or not at all."""
    detection = LanguageDetection(Translator(REPO_ROOT / "locales").locales)
    counts: dict[str, Counter[str]] = {}
    for language, messages in (yaml.safe_load(table.read_text(encoding="utf-8")) or {}).items():
        counts[language] = Counter()
        for message in messages:
            found = detection.detect(message)
            named = found.language if found else DEFAULT
            counts[language]["right" if named == language else ("none" if found is None else "wrong")] += 1
    return counts


def accuracy(counter: Counter[str]) -> float:
    return counter["right"] / max(1, sum(counter.values()))


def table(counts: dict[str, Counter[str]]) -> str:
    lines = [
        "| language | messages | right | wrong | not detected | accuracy |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for language, c in sorted(counts.items()):
        total = sum(c.values())
        lines.append(
            f"| {language} | {total} | {c['right']} | {c['wrong']} | {c['none']} | {accuracy(c):.2f} |"
        )
    return "\n".join(lines)


def main() -> int:
    print(table(outcomes()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
