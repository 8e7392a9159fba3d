"""Reading an answer typed in a person's own words: which of a list of meanings it names, and how sure we are.

The words are data, per language, in `locales/bot.<lang>.yml` under `bot.answers.*` (see locales/README.md):
`bot.answers.<question>.<value>` for each choice of a choice question (and `affirm` / `deny` for a yes/no
question with its own phrasings), `bot.answers.yes_no.affirm|deny` for every yes/no question,
`bot.answers.any.*` for negation, hedges and skipping. Alternatives are separated by "|"; a word ending in
"*" matches every word it starts ("pochodzeni*"). An answer is folded (flowkit/text.py) and split in words.

How a word in the data meets a word in the answer, strongest first:
- the same word, or one it starts when written with "*";
- the same stem: a longer word that only adds an ending of up to two letters ("lesbians", "زوجي"; four
  letters at least in Latin and Cyrillic script), or, there, one that differs only in its last letter
  ("pochodzenia" for "pochodzenie"),
  and Arabic-script words with a leading article or conjunction ("الدين" for "دين");
- a misspelling (the same first letter, difflib's similarity ratio at least FUZZY_RATIO, words of
  FUZZY_MIN_LENGTH letters or more):
  weak, so never stored without the person confirming it.

Why no stemmer or fuzzy-matching package: snowballstemmer has no Polish, Ukrainian, Urdu, Punjabi or Bengali
stemmer (5 of our 8 languages), so the translator's "*" and the ending rule above do that work the same way in
every language; and the misspellings compared here are single words against short lists, which the standard
library's difflib does well enough without a compiled dependency in both environments (rapidfuzz would be
the choice if the lists grew to thousands of phrases).

A phrase written "~wife" is a hint only (a guess to confirm: "I shout at my wife" is not "my partner hurts
me"); "=no" counts only as the whole answer (the "na" of "kane shuni na", "I can't hear", is not "no").

Overlapping matches keep the longest ("my ex husband" is ex-partner, not partner); a match right after a
negation word ("not my religion") is dropped, and in Urdu, Punjabi and Bengali one right before it too
("koi hathiyar nahi", NEGATION_FOLLOWS).
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache

from flowkit.text import fold, fold_letters
from flowkit.words import FALLBACK, own_text

STRONG = 2
WEAK = 1
FUZZY_RATIO = 0.8
FUZZY_MIN_LENGTH = 5
# A negation this many words before a match (or fewer) turns it round: "not really my religion".
NEGATION_REACH = 2
_ARABIC_PREFIXES = ("وال", "بال", "لل", "ال", "و", "ب", "ل")
_INFLECTED_SCRIPTS_END = 0x0530  # Latin, Greek, Cyrillic: endings change (Polish, Romanian, Ukrainian)


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    prefix: tuple[bool, ...]
    hint: bool = False  # "~wife": a hint only (a guess to confirm), never enough to store
    whole: bool = False  # "=no": only when it is the whole answer ("no", not the "na" in "kane shuni na")


@dataclass(frozen=True)
class Match:
    meaning: str
    start: int  # word positions in the answer, end exclusive
    end: int
    strength: int
    length: int  # letters matched: the longer of two overlapping matches wins

    @property
    def span(self) -> range:
        return range(self.start, self.end)


def words_of(said: str) -> list[str]:
    """An answer as folded words (case, accents, punctuation, Arabic-script letter variants ignored)."""
    return fold(fold_letters(said)).split()


@cache
def phrase(entry: str) -> Phrase | None:
    entry = entry.strip()
    hint, whole = entry.startswith("~"), entry.startswith("=")
    entry = entry.lstrip("~=")
    words: list[str] = []
    prefix: list[bool] = []
    for raw in entry.split():
        star = raw.endswith("*")
        for word in fold(fold_letters(raw.rstrip("*"))).split():
            words.append(word)
            prefix.append(False)
        if words and star:
            prefix[-1] = True
    return Phrase(tuple(words), tuple(prefix), hint, whole) if words else None


def listed(key: str, language: str, with_english: bool = False) -> list[str]:
    """The alternatives of a `bot.*` key in a language (and English's too, when asked: people mix them)."""
    found: list[str] = []
    for lang in (language, FALLBACK) if with_english and language != FALLBACK else (language,):
        value = own_text(key, lang)
        if value:
            found.extend(w.strip() for w in value.split("|") if w.strip())
    return found


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def word_strength(pattern: str, prefix: bool, word: str) -> int:
    """How well one word of the data meets one word of the answer: STRONG, WEAK or 0."""
    if word == pattern or (prefix and word.startswith(pattern)):
        return STRONG
    if pattern.isdigit() or word.isdigit():
        return 0
    latin_or_cyrillic = ord(pattern[0]) < _INFLECTED_SCRIPTS_END
    shortest_stem = 4 if latin_or_cyrillic else 3  # "nie" must not find "niego", but "زوج" finds "زوجي"
    if len(pattern) >= shortest_stem and word.startswith(pattern) and len(word) - len(pattern) <= 2:
        return STRONG
    if (
        latin_or_cyrillic
        and not prefix
        and min(len(pattern), len(word)) >= 5
        and abs(len(pattern) - len(word)) <= 2
    ):
        if _common_prefix(pattern, word) >= max(5, min(len(pattern), len(word)) - 1):
            return STRONG
    if "\u0600" <= word[0] <= "\u06ff":
        for article in _ARABIC_PREFIXES:
            rest = word[len(article) :]
            if word.startswith(article) and len(rest) >= 2 and word_strength(pattern, prefix, rest) == STRONG:
                return STRONG
    if len(pattern) >= FUZZY_MIN_LENGTH and len(word) >= FUZZY_MIN_LENGTH - 1 and pattern[0] == word[0]:
        if SequenceMatcher(None, pattern, word).ratio() >= FUZZY_RATIO:
            return WEAK
    return 0


def find(meanings: dict[str, list[str]], words: list[str]) -> list[Match]:
    """Every place where a phrase of a meaning stands in the answer's words."""
    found: list[Match] = []
    for meaning, entries in meanings.items():
        for entry in entries:
            parsed = phrase(entry)
            if parsed is None:
                continue
            size = len(parsed.words)
            if parsed.whole and size != len(words):
                continue
            for start in range(len(words) - size + 1):
                strength = STRONG
                for offset, (pattern, star) in enumerate(zip(parsed.words, parsed.prefix, strict=True)):
                    strength = min(strength, word_strength(pattern, star, words[start + offset]))
                    if not strength:
                        break
                if strength and parsed.hint:
                    strength = WEAK
                if strength:
                    letters = sum(len(w) for w in parsed.words)
                    found.append(Match(meaning, start, start + size, strength, letters))
    return found


def best(matches: list[Match]) -> list[Match]:
    """Non-overlapping matches, strongest and longest first, in the order they stand in the answer."""
    kept: list[Match] = []
    taken: set[int] = set()
    for match in sorted(matches, key=lambda m: (-m.strength, -m.length, m.start)):
        if taken.isdisjoint(match.span):
            kept.append(match)
            taken.update(match.span)
    return sorted(kept, key=lambda m: m.start)


def negated(match: Match, negations: list[Match], after: list[Match] | None = None) -> bool:
    """A negation just before the match ("not my religion"), or one of `after` right behind it."""
    before = any(0 <= match.start - n.end <= NEGATION_REACH - 1 for n in negations)
    return before or any(n.start == match.end for n in after or ())


# Languages that put the negation after what it denies (Urdu "koi hathiyar nahi", Punjabi "hathiyar ni",
# Bengali "কোনো অস্ত্র নেই", "no weapon"): there a word of `bot.answers.any.negation` right after a match also
# turns it round. Word order is the language's grammar, not a word list, so it is named here.
NEGATION_FOLLOWS = frozenset({"ur", "pa", "bn"})


def negations_after(words: list[str], language: str) -> list[Match]:
    """The negation words that stand right after what they deny (NEGATION_FOLLOWS), found apart from the
    answer's other meanings, so the same word can also be a plain "no"."""
    if language not in NEGATION_FOLLOWS:
        return []
    return best(find({"negation": general("negation", language)}, words))


def negations_around(kept: list[Match], words: list[str], language: str) -> tuple[list[Match], list[Match]]:
    """The negations before a match and those after one (see negations_after). A negation that turns round
    the word before it is spent: "mera shohar nahi, mera bhai" ("not my husband, my brother") is a brother."""
    after = negations_after(words, language)
    ends = {m.end for m in kept if m.meaning not in ("negation", "hedge")}
    spent = {a.start for a in after if a.start in ends}
    before = [m for m in kept if m.meaning == "negation" and m.start not in spent]
    return before, after


def general(name: str, language: str) -> list[str]:
    """`bot.answers.any.<name>` in the language."""
    return listed(f"bot.answers.any.{name}", language)
