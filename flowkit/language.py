"""Naming a language: what a person may type to name one of the languages we speak ("Polski", "urdu",
"ਅੰਗਰੇਜ਼ੀ", "pl"), for the api's gateway (a message that only names a language switches to it) and the bot's
language action (after the person asked to change language, the language their message names)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from flowkit.text import fold

_POLITE = (" please", " pls", " plz")
# A name this short is found only as the whole message: "uk" or "ur" inside a sentence is not a choice.
_SHORTEST_NAME_IN_A_SENTENCE = 3


@lru_cache(maxsize=64)
def language_names(code: str, languages: tuple[str, ...] = ()) -> frozenset[str]:
    """What a person may type to name a language (folded): its code, and its name in itself, in English and
    in each of `languages` ("angielski" and "ਅੰਗਰੇਜ਼ੀ" name English too)."""
    names = {code}
    try:
        locale = Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return frozenset(names)
    for other in {code, "en", *languages}:
        try:
            name = locale.get_display_name(other)
        except (UnknownLocaleError, ValueError):
            continue
        if name:
            names.add(fold(name))
    return frozenset(names)


def named_language(text: str, languages: Sequence[str], *, alone: bool = True) -> str | None:
    """The language a message names, or None.

    `alone` (the gateway, before any NLU): the whole message, folded, is one of a language's names,
    optionally with "please" ("Polski", "urdu please"); "they mocked me for speaking polish" names none.
    Not `alone` (the person asked to change language): a name anywhere in the message ("change to polish",
    "I want Urdu"), a code only as the whole message."""
    said = fold(text)
    for suffix in _POLITE:
        said = said.removesuffix(suffix)
    known = tuple(languages)
    for code in known:
        if said in language_names(code, known):
            return code
    if alone:
        return None
    for code in known:
        if any(len(n) >= _SHORTEST_NAME_IN_A_SENTENCE and n in said for n in language_names(code, known)):
            return code
    return None
