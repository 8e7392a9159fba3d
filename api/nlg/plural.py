"""Plural texts: a locale value that is a mapping of CLDR plural categories, chosen by a count.

```yaml
case_review:
  one: "You've reported this %{count} time..."
  few: "..."        # as many categories as the language's plural rule has (Babel gives them), plus `other`
  other: "..."
```

The category comes from CLDR through Babel (`Locale.parse(lang).plural_form(count)`: Polish 2 is `few`, 5 is
`many`, 22 is `few`; Arabic 0 is `zero`, 2 `two`, 11 `many`, 100 `other`), never from python-i18n's own
English-only rule. `%{count}` is the count written by Babel in the language. A text that is not a plural
mapping goes to the translator unchanged, so this is the only place that knows about plurals.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import Locale
from babel.numbers import format_decimal
from i18n.translator import TranslationFormatter

from api.i18n import MissingTranslation, Translator, cldr_locale

CATEGORIES = ("zero", "one", "two", "few", "many", "other")
COUNT = "count"


def is_plural(value: object) -> bool:
    """Whether a locale value is a plural text (CLDR categories as keys, `other` among them)."""
    return isinstance(value, Mapping) and "other" in value and set(value) <= set(CATEGORIES)


def categories(language: str) -> frozenset[str]:
    """The categories a plural text in this language has: its CLDR rule's, and `other`."""
    return frozenset({*Locale.parse(language).plural_form.tags, "other"})


def category(language: str, count: int | float | Decimal) -> str:
    return str(Locale.parse(language).plural_form(count))


def plural_forms(translator: Translator, key: str, locale: str) -> dict[str, str] | None:
    """The forms of a plural text, by category; None when the key is an ordinary text or missing."""
    found = translator.lookup(key, locale)
    if found is None or not is_plural(found[1]):
        return None
    return {str(name): str(form) for name, form in found[1].items()}


def as_count(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def fill(text: str, **params: str) -> str:
    """`%{name}` placeholders filled as python-i18n fills them (a missing one is an error)."""
    return str(TranslationFormatter(text).format(**params))


def t(translator: Translator, key: str, locale: str, count: Any, params: Mapping[str, str]) -> str:
    """The text of `key` with `params`: for a plural text, the form `count` needs, with `%{count}` written
    by Babel. Any other text is the translator's, unchanged."""
    locale = translator.supported(locale)
    found = translator.lookup(key, locale)
    if found is None or not is_plural(found[1]):
        return translator.t(key, locale, **params)
    language, forms = found
    number = as_count(count)
    if number is None or not number.is_finite():
        raise MissingTranslation(f"{key} is a plural text: it needs a numeric `{COUNT}`, not {count!r}")
    form = forms.get(category(language, number), forms["other"])
    return fill(str(form), **{**params, COUNT: format_decimal(number, locale=cldr_locale(language))})
