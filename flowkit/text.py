"""How a message is folded before it is compared or classified: case, Latin and Cyrillic accents ("ę" → "e",
"ș" → "s"), apostrophes, punctuation and spacing ignored; the vowel signs of Arabic, Bengali, Gurmukhi and
Urdu script are kept (there they are letters, not accents). Plain Python: the api's emergency layer uses it
too, so both sides fold a message the same way.
"""

from __future__ import annotations

import unicodedata

# Letters with no Unicode decomposition that phones often type without their stroke ("ł" as "l").
_FOLD = str.maketrans(
    {"’": "'", "‘": "'", "`": "'", "ʼ": "'", "´": "'", "ł": "l", "đ": "d", "ø": "o", "ı": "i"}
)
# Combining marks after a letter below this code point are accents; after other scripts' letters, vowels.
_ACCENTED_SCRIPTS_END = 0x0530
# Arabic-script letters people type either way (an Arabic or an Urdu keyboard, hamza written or not): alef
# with hamza or madda → alef, teh marbuta and Urdu heh → heh, alef maksura and Farsi yeh → yeh, keheh → kaf;
# the optional short-vowel signs (harakat) and the tatweel go.
ARABIC_SCRIPT_VARIANTS = str.maketrans(
    {
        **dict.fromkeys("أإآٱ", "ا"),
        **dict.fromkeys("ةۃہۂ", "ه"),
        **dict.fromkeys("ىی", "ي"),
        "ک": "ك",
        **dict.fromkeys([chr(c) for c in range(0x064B, 0x0653)] + ["\u0640"], None),
    }
)


def fold_letters(text: str) -> str:
    """One spelling for Arabic-script letter variants (ARABIC_SCRIPT_VARIANTS); other scripts unchanged.
    The answer parser applies it to answers and to its words alike. `fold` does not: changing what it returns
    changes the trained NLU model's input and the danger phrases' matching, a change to make with both."""
    return unicodedata.normalize("NFC", text).translate(ARABIC_SCRIPT_VARIANTS)


def fold(text: str) -> str:
    """Case-, accent-, punctuation- and space-insensitive form of a text, words separated by one space."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.category(char) == "Mn" and kept and ord(kept[-1]) < _ACCENTED_SCRIPTS_END:
            continue
        kept.append(char)
    spaced = "".join(c if c == "'" or unicodedata.category(c)[0] in "LMN" else " " for c in kept)
    spaced = unicodedata.normalize("NFC", spaced)
    return " ".join(word.strip("'") for word in spaced.split() if word.strip("'"))
