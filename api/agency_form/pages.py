"""Rendering the form's pages: Jinja2 templates (every value escaped), every word from
`locales/form.<lang>.yml` in the page's language, `dir` from the language (Urdu and Arabic right to left)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.i18n import Translator
from api.web.page import language_name

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
STATIC_FILES = {"form.css": "text/css; charset=utf-8"}


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=len(STATIC_FILES))
def static_file(name: str) -> tuple[bytes, str]:
    return (STATIC_DIR / name).read_bytes(), STATIC_FILES[name]


def static_url(name: str) -> str:
    digest = hashlib.sha256(static_file(name)[0]).hexdigest()[:12]
    return f"/refer/static/{name}?v={digest}"


def languages(translator: Translator) -> list[tuple[str, str]]:
    ordered = sorted(translator.locales, key=lambda code: (code != translator.default_locale, code))
    return [(code, language_name(code)) for code in ordered]


def render(
    translator: Translator,
    locale: str,
    template: str,
    *,
    title_key: str,
    language_action: str,
    language_keep: list[tuple[str, str]] | None = None,
    user: str | None = None,
    csrf: str = "",
    **context: Any,
) -> str:
    def t(key: str, **params: Any) -> str:
        return translator.t(key, locale, **params)

    title_params = {"journey": context["journey_title"]} if "journey_title" in context else {}
    values: dict[str, Any] = {
        "t": t,
        "lang": locale,
        "dir": translator.direction(locale),
        "title": t(title_key, **title_params),
        "css_url": static_url("form.css"),
        "languages": languages(translator),
        "language_action": language_action,
        "language_keep": language_keep or [],
        "user": user,
        "csrf": csrf,
        "errors": None,
        "labels": {},
        "summary_labels": {},
    }
    values.update(context)
    return environment().get_template(template).render(values)
