"""Phone numbers: parsed as UK by default, stored as E.164. The one implementation: the bot's answer parser,
the agency form, the api's referral schemas, the SMS channel and the police feed all use it.

Ofcom reserves some ranges for drama and examples (07700 900xxx, 01632 960xxx, 020 7946 0xxx). libphonenumber
calls them invalid, which is right in production; development and tests use them as synthetic data, so
they are accepted only when ALLOW_FICTIONAL_PHONE_NUMBERS is on (refused in production by the settings).
"""

from __future__ import annotations

import os
import re

import phonenumbers

FICTIONAL_PREFIXES = ("+447700900", "+441632960", "+442079460")


class InvalidPhoneNumber(ValueError):
    pass


def allow_fictional_from_environment() -> bool:
    """ALLOW_FICTIONAL_PHONE_NUMBERS, for processes without the api's settings (the action server)."""
    return os.environ.get("ALLOW_FICTIONAL_PHONE_NUMBERS", "").lower() in ("1", "true", "yes")


def normalise(raw: str, allow_fictional: bool) -> str:
    try:
        number = phonenumbers.parse(raw, "GB")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber("not a phone number") from exc
    e164: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    fictional = allow_fictional and e164.startswith(FICTIONAL_PREFIXES) and len(e164) == 13
    if not (phonenumbers.is_valid_number(number) or fictional):
        raise InvalidPhoneNumber("not a valid phone number")
    return e164


def phone_in(text: str, allow_fictional: bool) -> str | None:
    """The phone number a message gives, as E.164: the whole message, else the one number found in it
    ("call me on 07700 900123 after six"); None when there is none, or two different ones (asked again)."""
    try:
        return normalise(text, allow_fictional)
    except InvalidPhoneNumber:
        pass
    found: set[str] = set()
    for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=0):
        try:
            found.add(normalise(match.raw_string, allow_fictional))
        except InvalidPhoneNumber:
            continue
    if found:
        return found.pop() if len(found) == 1 else None
    return _number_among_digit_groups(text, allow_fictional)


# A run of digit groups ("0770 0900 123 6" of "0770 0900 123 6 tar pore": the number, then a time).
_DIGIT_RUN = re.compile(r"\+?[\d()][\d()\-. ]*\d")


def _number_among_digit_groups(text: str, allow_fictional: bool) -> str | None:
    """The one phone number that consecutive digit groups of a run make ("0770 0900 123" out of
    "0770 0900 123 6"), when libphonenumber found none in the message; None when none or two differ."""
    found: set[str] = set()
    for run in _DIGIT_RUN.findall(text):
        groups = run.split()
        for start in range(len(groups)):
            for end in range(start + 1, len(groups) + 1):
                try:
                    found.add(normalise(" ".join(groups[start:end]), allow_fictional))
                except InvalidPhoneNumber:
                    continue
    return found.pop() if len(found) == 1 else None
