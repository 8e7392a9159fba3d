"""Reads the journey definitions in flows/ and the locale labels the person may type back."""

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=None)
def load_flow(flow_id: Text) -> Dict[Text, Any]:
    with open(REPO_ROOT / "flows" / f"{flow_id}.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def question(flow_id: Text, question_id: Text) -> Dict[Text, Any]:
    for item in load_flow(flow_id)["questions"]:
        if item["id"] == question_id:
            return item
    raise KeyError(f"{flow_id} has no question {question_id}")


@lru_cache(maxsize=None)
def _locale(language: Text) -> Dict[Text, Any]:
    path = REPO_ROOT / "locales" / f"bot.{language}.yml"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as handle:
        return (yaml.safe_load(handle) or {}).get(language, {})


def label(key: Text, language: Text) -> Optional[Text]:
    node: Any = _locale(language)
    for part in key.split(".")[1:]:  # drop the "bot" namespace
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node if isinstance(node, str) else None


def match_choice(flow_id: Text, question_id: Text, answer: Text, language: Text) -> Optional[Text]:
    """The choice value an answer means: its value, its number, or its label in the person's language."""
    choices: List[Dict[Text, Any]] = question(flow_id, question_id)["choices"]
    text = " ".join(answer.casefold().split())
    if text.isdigit() and 1 <= int(text) <= len(choices):
        return choices[int(text) - 1]["value"]
    for choice in choices:
        names = {choice["value"].replace("_", " ")}
        for lang in {language, "en"}:
            shown = label(choice["text_key"], lang)
            if shown:
                names.add(shown.casefold())
        if text in names or text == choice["value"]:
            return choice["value"]
    for choice in choices:
        if choice["value"] != "other" and choice["value"].replace("_", " ") in text:
            return choice["value"]
    return None
