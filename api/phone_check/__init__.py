"""Confirming a person's number with a one-time code sent by SMS (issue 17, part 4)."""
