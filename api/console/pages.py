"""Rendering the console's pages: Jinja2 templates (every value escaped), every word from
`locales/console.<lang>.yml` (triage reasons from `triage.<lang>.yml`, question labels from the flows'
`bot.*` texts), `dir` from the language. No script at all; one stylesheet from this origin."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.i18n import Translator
from api.triage.deadlines import LONDON
from api.web.page import language_name

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
STATIC_FILES = {"console.css": "text/css; charset=utf-8"}


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


# The console looks like the agency form: its stylesheet is the form's, then the console's own rules.
SHARED_CSS = HERE.parent / "agency_form" / "static" / "form.css"


@lru_cache(maxsize=len(STATIC_FILES))
def static_file(name: str) -> tuple[bytes, str]:
    body = (STATIC_DIR / name).read_bytes()
    if name == "console.css":
        body = SHARED_CSS.read_bytes() + b"\n" + body
    return body, STATIC_FILES[name]


def static_url(name: str) -> str:
    digest = hashlib.sha256(static_file(name)[0]).hexdigest()[:12]
    return f"/console/static/{name}?v={digest}"


def languages(translator: Translator) -> list[tuple[str, str]]:
    ordered = sorted(translator.locales, key=lambda code: (code != translator.default_locale, code))
    return [(code, language_name(code)) for code in ordered]


def duration_words(delta: timedelta, translator: Translator, locale: str) -> str:
    """A span as the largest two units ("2 h 05 min", "3 d 4 h"), digits in the locale's numbering."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    number = translator.format_number
    if days:
        return f"{number(days, locale)} d {number(hours, locale)} h"
    if hours:
        return f"{number(hours, locale)} h {number(mins, locale)} min"
    return f"{number(mins, locale)} min"


def render(
    translator: Translator,
    locale: str,
    template: str,
    *,
    title: str,
    here: str,
    person: Any = None,
    csrf: str = "",
    **context: Any,
) -> str:
    def t(key: str, **params: Any) -> str:
        return translator.t(key, locale, **params)

    def when(moment: datetime | None) -> str:
        return "" if moment is None else translator.format_datetime_words(moment.astimezone(LONDON), locale)

    def london_input(moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")

    values: dict[str, Any] = {
        "t": t,
        "when": when,
        "london_input": london_input,
        "lang": locale,
        "dir": translator.direction(locale),
        "title": title,
        "css_url": static_url("console.css"),
        "languages": languages(translator),
        "here": here,
        "person": person,
        "csrf": csrf,
        "language_name": language_name,
        "problem": None,
        "notice": None,
    }
    values.update(context)
    return environment().get_template(template).render(values)
