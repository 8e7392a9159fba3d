"""The emergency layer: every message is checked against the danger phrases of every language
(`locales/danger/<lang>.yml`) before any NLU. A hit pre-empts the conversation with the 999 advice.

Every language's phrases are checked whatever the conversation's language: a person chatting in Polish may
type "he's here" in English. Matching is on whole words after folding case, Latin accents, punctuation and
spacing, so "HE'S HERE NOW!!" and "hes here now" match "he's here now". A phrase cancelled by a negation
of its language right next to it does not fire: Romanian "nu mai e aici" (he is no longer here) is not
"e aici", "not in danger" is not "in danger". The matching lives in bot/nlu/danger.py (plain Python), so
the bot's NLU guard reads the same data the same way.
"""

from __future__ import annotations

from bot.nlu.danger import DangerPhrases, form

__all__ = ["DangerPhrases", "form"]
