"""Words from locales/bot.<lang>.yml: button labels a person may type back, and the words the answer
parser understands (`bot.parse.*`, alternatives separated by "|"). Falls back to English per key."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from flowkit.flows import LOCALES_DIR

FALLBACK = "en"


@cache
def _tree(language: str, locales_dir: Path = LOCALES_DIR) -> dict[str, Any]:
    path = locales_dir / f"bot.{language}.yml"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as handle:
        return (yaml.safe_load(handle) or {}).get(language) or {}


@cache
def languages(locales_dir: Path = LOCALES_DIR) -> tuple[str, ...]:
    return tuple(sorted(p.name.split(".")[1] for p in locales_dir.glob("bot.*.yml")))


def text(key: str, language: str) -> str | None:
    """The text of a `bot.*` key in a language (English when that language lacks it)."""
    for lang in (language, FALLBACK):
        node: Any = _tree(lang)
        for part in key.split(".")[1:]:  # drop the "bot" namespace
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, str):
            return node
    return None


def alternatives(name: str, language: str) -> list[str]:
    """`bot.parse.<name>` as a list, longest first (so "last night" is tried before "last")."""
    raw = text(f"bot.parse.{name}", language) or ""
    return sorted((w.strip().casefold() for w in raw.split("|") if w.strip()), key=len, reverse=True)


def own_text(key: str, language: str) -> str | None:
    """The text of a `bot.*` key in exactly this language (None when the language lacks it)."""
    node: Any = _tree(language)
    for part in key.split(".")[1:]:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, str) else None
