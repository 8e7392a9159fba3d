"""The response catalogue: which text key and which buttons make up each `utter_*` response.

`locales/responses.yml` is language-independent structure (keys and payloads); the words are in
`locales/bot.<lang>.yml`. Adding a language never touches this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class ButtonSpec:
    title_key: str
    payload: str


@dataclass(frozen=True)
class ResponseSpec:
    name: str
    text_key: str
    buttons: tuple[ButtonSpec, ...] = ()
    # Rasa's built-in responses that must say nothing (e.g. utter_restart when a conversation is ended).
    silent: bool = False
    # A text said first, in the same message (the privacy notice before the consent question).
    preface_key: str | None = None
    # "languages": one button per language the service speaks, named in that language (the language menu).
    buttons_from: str | None = None


# "callback_windows": one button per call-back time in the slot of that name, before the fixed buttons.
GENERATED_BUTTONS = ("languages", "callback_windows")


class CatalogueError(ValueError):
    pass


def load_catalogue(path: Path) -> dict[str, ResponseSpec]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: expected a mapping of response names")
    catalogue: dict[str, ResponseSpec] = {}
    for name, spec in raw.items():
        if str(name).startswith("_"):
            continue  # YAML anchors shared by several responses
        if not str(name).startswith("utter_"):
            raise CatalogueError(f"{path}: {name}: response names start with 'utter_'")
        if isinstance(spec, dict) and spec.get("silent") is True:
            catalogue[name] = ResponseSpec(name, "", silent=True)
            continue
        if not isinstance(spec, dict) or "text" not in spec:
            raise CatalogueError(f"{path}: {name}: needs a 'text' key")
        buttons = tuple(ButtonSpec(b["title"], b["payload"]) for b in spec.get("buttons") or [])
        buttons_from = spec.get("buttons_from")
        if buttons_from not in (None, *GENERATED_BUTTONS):
            raise CatalogueError(f"{path}: {name}: buttons_from must be one of {GENERATED_BUTTONS}")
        catalogue[name] = ResponseSpec(
            name, spec["text"], buttons, preface_key=spec.get("preface"), buttons_from=buttons_from
        )
    return catalogue
