"""Folding a message: the one implementation is flowkit's (flowkit/text.py); this name stays for the api's
danger layer and the tests that import it from here."""

from flowkit.text import ARABIC_SCRIPT_VARIANTS, fold, fold_letters

__all__ = ["ARABIC_SCRIPT_VARIANTS", "fold", "fold_letters"]
