"""Phone numbers: parsed as UK by default, stored as E.164.

Ofcom reserves some ranges for drama and examples (07700 900xxx, 01632 960xxx, 020 7946 0xxx). libphonenumber
calls them invalid, which is right in production; development and tests use them as synthetic data, so
they are accepted only when ALLOW_FICTIONAL_PHONE_NUMBERS is on (refused in production by the settings).
"""

from __future__ import annotations

import phonenumbers

FICTIONAL_PREFIXES = ("+447700900", "+441632960", "+442079460")


class InvalidPhoneNumber(ValueError):
    pass


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
