"""UK postcodes: the one rule for what is one, its canonical form, and whether it is local.

Canonical: upper case, one space before the inward code ("ST4 1AA"), or the outward code alone ("ST4") —
people often give only the first half, and that is enough to route a referral.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

AREA = r"[A-Z]{1,2}"  # "ST", "B"
DISTRICT = r"[0-9][0-9A-Z]?"  # "4", "11", "1A"
OUTWARD = rf"{AREA}{DISTRICT}"  # "ST4": the first half
INWARD = r"[0-9][A-Z]{2}"  # "1AA"
# A canonical postcode: "ST4 1AA" or "ST4".
POSTCODE = re.compile(rf"^({OUTWARD})(?: ({INWARD}))?$")
# A postcode area or district, as a flow names local ones ("ST", "WS11").
AREA_OR_DISTRICT = re.compile(rf"^{AREA}({DISTRICT})?$")
# A full postcode somewhere in upper-cased text, spaced or not ("my postcode is ST41AA").
FULL_IN_TEXT = re.compile(rf"\b({OUTWARD})\s*({INWARD})\b")
_OUTWARD_ONLY = re.compile(rf"^({OUTWARD})$")
_FULL = re.compile(rf"^({OUTWARD})({INWARD})$")


def is_postcode(value: str) -> bool:
    """Whether a value is a postcode in the canonical form (full, or its outward code)."""
    return POSTCODE.match(value) is not None


def canonical_postcode(text: str) -> str:
    """A postcode as typed ("st4 1aa", "ST41AA", " st4 ") in the canonical form ("ST4 1AA", "ST4"); any
    other text comes back compacted and upper-cased (and is then not `is_postcode`)."""
    compact = "".join(text.split()).upper()
    if len(compact) > 4 and POSTCODE.match(f"{compact[:-3]} {compact[-3:]}"):
        return f"{compact[:-3]} {compact[-3:]}"
    return compact


def full_postcode(text: str) -> str | None:
    """A full postcode typed with or without its space ("st4 1aa", "ST41AA") as "ST4 1AA"; else None."""
    match = _FULL.match("".join(text.split()).upper())
    return f"{match.group(1)} {match.group(2)}" if match else None


def postcode_in(text: str) -> str | None:
    """The postcode a message gives: a full one anywhere in it ("it's ST4 1AA thanks"), else a message that
    is only an outward code ("st4"); canonical, or None."""
    said = " ".join(text.upper().split())
    full = FULL_IN_TEXT.search(said)
    if full:
        return f"{full.group(1)} {full.group(2)}"
    outward = _OUTWARD_ONLY.match(said.replace(" ", ""))
    return outward.group(1) if outward else None


# A full postcode typed with a space inside its first half ("ST 4 1AA"), and an outward code standing as a
# word of its own in a sentence ("I live in ST4"): guesses only (a sentence has other short codes: "the M6");
# not an outward code with digits after it ("ST4 1A": a postcode cut short, asked again).
_SPACED_FULL = re.compile(rf"(?<![\w])({AREA})\s({DISTRICT})\s*({INWARD})(?![\w])")
_OUTWARD_IN_TEXT = re.compile(rf"(?<![\w])({AREA}[0-9][0-9]?)(?![\w]|\s[0-9])")


def postcode_guess(text: str) -> str | None:
    """The postcode a message seems to give, when `postcode_in` finds none: one full postcode with a space
    inside its first half, else the one outward code standing alone in it; canonical, or None (also when two
    are there). To be confirmed by the person, never stored as it is."""
    said = " ".join(text.upper().split())
    spaced = _SPACED_FULL.findall(said)
    if len(spaced) == 1:
        area, district, inward = spaced[0]
        return f"{area}{district} {inward}"
    outward = set(_OUTWARD_IN_TEXT.findall(said))
    return outward.pop() if len(outward) == 1 else None


def outward_code(postcode: str) -> str:
    return postcode.split(" ")[0]


def is_local(postcode: str, districts: Sequence[str] | None) -> bool:
    """Whether a postcode's district is one of `districts` (an entry may be a whole area, "ST")."""
    outward = outward_code(postcode)
    area = re.match(r"^[A-Z]+", outward)
    return any(
        outward == d or (d.isalpha() and area is not None and area.group(0) == d) for d in districts or []
    )
