"""Commissioner figures: totals of one event by one category."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class Totals(BaseModel):
    event: str
    by: str
    start: date | None
    end: date | None
    counts: dict[str, int]
