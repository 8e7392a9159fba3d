"""Rendering the chat page: one template, every value escaped, every word from `locales/web.<lang>.yml`."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from html import escape
from pathlib import Path
from string import Template

from babel import Locale, UnknownLocaleError

from api.i18n import Translator

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"
STATIC_FILES = {
    "chat.js": "text/javascript; charset=utf-8",
    "chat.css": "text/css; charset=utf-8",
}
# Template variable -> locale key (web.<feature>.<name>).
PAGE_WORDS = {
    "title": "web.page.title",
    "heading": "web.page.heading",
    "intro": "web.page.intro",
    "privacy": "web.page.privacy",
    "danger": "web.page.danger",
    "noscript": "web.page.noscript",
    "exit_button": "web.exit.button",
    "exit_hint": "web.exit.hint",
    "language_label": "web.language.label",
    "language_change": "web.language.change",
    "log_label": "web.chat.log_label",
    "you": "web.chat.you",
    "service": "web.chat.service",
    "typing": "web.chat.typing",
    "choices_label": "web.chat.choices_label",
    "message_label": "web.chat.message_label",
    "message_hint": "web.chat.message_hint",
    "send": "web.chat.send",
    "error": "web.chat.error",
    "ended": "web.chat.ended",
    "start_again": "web.chat.start_again",
}


@lru_cache(maxsize=8)
def _template(name: str) -> Template:
    return Template((TEMPLATES_DIR / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=len(STATIC_FILES))
def static_file(name: str) -> tuple[bytes, str]:
    """The bytes and media type of one of the page's static files (read once)."""
    return (STATIC_DIR / name).read_bytes(), STATIC_FILES[name]


def static_url(name: str) -> str:
    """The file's address with a hash of its content, so a browser never keeps a stale copy."""
    digest = hashlib.sha256(static_file(name)[0]).hexdigest()[:12]
    return f"/chat/static/{name}?v={digest}"


def language_name(code: str) -> str:
    """The language named in itself ("Polski", "اردو"), as CLDR writes it, with a capital where it has one."""
    try:
        name = Locale.parse(code).display_name or code
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:]


def language_options(translator: Translator, selected: str) -> str:
    lines = []
    # The service's default language first, then the others by code.
    ordered = sorted(translator.locales, key=lambda code: (code != translator.default_locale, code))
    for code in ordered:
        chosen = " selected" if code == selected else ""
        lines.append(
            f'      <option value="{escape(code)}" lang="{escape(code)}" '
            f'dir="{translator.direction(code)}"{chosen}>{escape(language_name(code))}</option>'
        )
    return "\n".join(lines)


def render_chat(translator: Translator, locale: str, quick_exit_url: str) -> str:
    values = {name: escape(translator.t(key, locale)) for name, key in PAGE_WORDS.items()}
    values.update(
        lang=escape(locale),
        dir=translator.direction(locale),
        exit_url=escape(quick_exit_url),
        css_url=escape(static_url("chat.css")),
        js_url=escape(static_url("chat.js")),
        language_options=language_options(translator, locale),
    )
    return _template("chat.html").substitute(values)
