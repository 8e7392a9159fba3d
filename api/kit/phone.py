"""Phone numbers: the one implementation is flowkit's (the bot parses answers with it too)."""

from flowkit.phone import FICTIONAL_PREFIXES, InvalidPhoneNumber, normalise

__all__ = ["FICTIONAL_PREFIXES", "InvalidPhoneNumber", "normalise"]
