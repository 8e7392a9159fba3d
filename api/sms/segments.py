"""How many SMS segments a text costs, and splitting a text so that each SMS stays within a budget.

A text that uses only the GSM 03.38 alphabet is sent as GSM-7: 160 septets in a single SMS, 153 per segment
once it is split (the rest carries the concatenation header). A character of the extension table (`€ [ ] { }
\\ ~ ^ |`, form feed) costs two septets, and the two are never split across segments. One character outside
the alphabet makes the whole text UCS-2: 70 UTF-16 code units in a single SMS, 67 per segment, and a
character outside the Basic Multilingual Plane (most emoji) is two code units that are never split.

We count as the networks do, without Twilio's optional "smart encoding" (which would swap curly quotes and
the like for GSM characters): the count here is never lower than what is billed. Pure functions, no I/O.
"""

from __future__ import annotations

import re

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
MAX_SEGMENTS = 3

# A sentence ends at . ! ? (and the full stops and question marks of the scripts we serve: Urdu ۔ and ؟,
# Bengali and Punjabi ।, the ideographic 。) followed by a space, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?۔؟।。])\s+|\n+")


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _units(text: str) -> list[int]:
    """The cost of each character in its encoding's units (septets, or UTF-16 code units)."""
    if is_gsm7(text):
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def segments(text: str) -> int:
    """The number of SMS segments `text` is sent as (0 for an empty text)."""
    if not text:
        return 0
    units = _units(text)
    single, part = (GSM7_SINGLE, GSM7_PART) if is_gsm7(text) else (UCS2_SINGLE, UCS2_PART)
    if sum(units) <= single:
        return 1
    count, used = 1, 0
    for cost in units:  # a character is never split across two segments
        if used + cost > part:
            count, used = count + 1, 0
        used += cost
    return count


def fits(text: str, max_segments: int = MAX_SEGMENTS) -> bool:
    return segments(text) <= max_segments


def _hard_split(text: str, max_segments: int) -> list[str]:
    """Cut a text with no usable boundary into the longest prefixes that fit (never inside a character)."""
    parts: list[str] = []
    rest = text
    while rest:
        low, high = 1, len(rest)
        while low < high:  # the longest prefix that fits: fitting is monotone in the prefix length
            middle = (low + high + 1) // 2
            if fits(rest[:middle], max_segments):
                low = middle
            else:
                high = middle - 1
        parts.append(rest[:low])
        rest = rest[low:]
    return parts


def _pieces(text: str, boundary: re.Pattern[str]) -> list[str]:
    """`text` cut after each boundary, the boundary kept with the piece before it (joining restores it)."""
    pieces: list[str] = []
    start = 0
    for match in boundary.finditer(text):
        if match.end() > start:
            pieces.append(text[start : match.end()])
            start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _pack(pieces: list[str], max_segments: int, finer: re.Pattern[str] | None) -> list[str]:
    parts: list[str] = []
    current = ""
    for piece in pieces:
        if fits(current + piece, max_segments):
            current += piece
            continue
        if current:
            parts.append(current)
            current = ""
        if fits(piece, max_segments):
            current = piece
        elif finer is not None:
            smaller = _pack(_pieces(piece, finer), max_segments, None)
            parts.extend(smaller[:-1])
            current = smaller[-1] if smaller else ""
        else:
            hard = _hard_split(piece, max_segments)
            parts.extend(hard[:-1])
            current = hard[-1]
    if current:
        parts.append(current)
    return parts


_WORD_END = re.compile(r"\s+")


def split_at_sentences(text: str) -> list[str]:
    """`text` cut after each sentence end or line break (the ends kept, so joining restores the text)."""
    return _pieces(text, _SENTENCE_END)


def split_for_sms(text: str, max_segments: int = MAX_SEGMENTS) -> list[str]:
    """Split `text` into texts of at most `max_segments` segments each, at sentence boundaries where it
    can, else between words, else between characters. Whitespace at the cuts is dropped; nothing else is
    lost or reordered. A text that fits is returned whole; an empty or blank text gives no parts."""
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    if fits(text, max_segments):
        return [text] if text.strip() else []
    packed = _pack(_pieces(text, _SENTENCE_END), max_segments, _WORD_END)
    parts = [part.strip() for part in packed]
    # Stripping can only shorten a part; a part that was all whitespace goes.
    return [part for part in parts if part]
