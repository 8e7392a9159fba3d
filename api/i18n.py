"""Text in the person's language: python-i18n over `locales/`, Babel for everything CLDR knows.

Every call names its locale; python-i18n's process-global locale is never set (unsafe in an async server).
Files are `locales/<namespace>.<lang>.yml` with the language as the root key, so a key reads
`<namespace>.<feature>.<name>`. Adding a language is adding files, nothing else.
"""

from __future__ import annotations

import threading
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import i18n
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from i18n import resource_loader, translations

_configure_lock = threading.Lock()
_loaded_dirs: set[str] = set()  # catalogue directories already read into python-i18n in this process


class MissingTranslation(KeyError):
    pass


class Translator:
    def __init__(self, locales_dir: Path, default_locale: str = "en") -> None:
        self.locales_dir = locales_dir
        self.default_locale = default_locale
        self.locales = sorted(
            {p.name.split(".")[1] for p in locales_dir.glob("*.*.yml") if len(p.name.split(".")) == 3}
        )
        with _configure_lock:
            if str(locales_dir) not in i18n.load_path:
                i18n.load_path.append(str(locales_dir))
            i18n.set("file_format", "yml")
            i18n.set("filename_format", "{namespace}.{locale}.{format}")
            i18n.set("error_on_missing_translation", True)
            i18n.set("error_on_missing_placeholder", True)
            i18n.set("enable_memoization", True)
            i18n.set("fallback", default_locale)
            self._load_all()

    def _load_all(self) -> None:
        """Every catalogue, read once, up front. python-i18n otherwise reads a file lazily and, on every miss
        (a key only some languages have, such as an `_sms` variant), searches the directory and re-parses the
        whole file: tens of milliseconds per call (issue 16). With everything loaded, a key that is not in
        `translations` is simply missing, so `has` and `t` never ask python-i18n to search."""
        if str(self.locales_dir.resolve()) in _loaded_dirs:
            return
        _loaded_dirs.add(str(self.locales_dir.resolve()))
        for path in sorted(self.locales_dir.glob("*.*.yml")):
            parts = path.name.split(".")
            if len(parts) == 3:
                resource_loader.load_translation_file(path.name, str(self.locales_dir), parts[1])

    def _language_of(self, key: str, locale: str) -> str | None:
        """The language whose catalogue has `key`: the locale's own, else the fallback (as python-i18n falls
        back); None when neither has it."""
        for language in (locale, self.default_locale):
            if translations.has(key, language):
                return language
        return None

    def lookup(self, key: str, locale: str) -> tuple[str, Any] | None:
        """The raw value of a key (a text, or a mapping of plural forms) and the language it was found in."""
        language = self._language_of(key, locale)
        return None if language is None else (language, translations.get(key, language))

    def supported(self, locale: str | None) -> str:
        return locale if locale in self.locales else self.default_locale

    def has(self, key: str, locale: str) -> bool:
        return self._language_of(key, locale) is not None

    def t(self, key: str, locale: str, **params: Any) -> str:
        language = self._language_of(key, self.supported(locale))
        if language is None:
            raise MissingTranslation(key)
        try:
            text: str = i18n.t(key, locale=language, **params)
        except KeyError as exc:
            raise MissingTranslation(key) from exc
        return text

    @staticmethod
    def direction(locale: str) -> str:
        try:
            return "rtl" if Locale.parse(locale).character_order == "right-to-left" else "ltr"
        except (UnknownLocaleError, ValueError):
            return "ltr"

    @staticmethod
    def format_datetime_words(moment: datetime, locale: str) -> str:
        """'Monday 23 November 2026, 17:00'-style text in the locale, in the moment's own time zone."""
        babel_locale = cldr_locale(locale)
        day = format_date(moment.date(), format="full", locale=babel_locale)
        time = format_time(moment.timetz(), format="short", locale=babel_locale)
        return f"{day}, {time}"

    @staticmethod
    def format_time(moment: datetime, locale: str) -> str:
        """'14:00'-style time of day in the locale (CLDR's short format), in the moment's own time zone."""
        return format_time(moment.timetz(), format="short", locale=cldr_locale(locale))

    @staticmethod
    def format_number(value: float, locale: str) -> str:
        return format_decimal(value, locale=locale)


@lru_cache(maxsize=64)
def cldr_locale(language: str) -> Locale:
    """The CLDR locale for formatting: the United Kingdom variant where CLDR has one (en → en_GB)."""
    try:
        return Locale.parse(f"{language}_GB")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(language)


def negotiate_locale(accept_language: str | None, available: list[str], default: str = "en") -> str:
    if not accept_language:
        return default
    preferred = []
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag and tag != "*":
            preferred.append(tag)
    chosen = Locale.negotiate(preferred, available, sep="_") if preferred else None
    return str(chosen) if chosen else default
