"""Anonymous counters for commissioner reports: counts by day and category, no identifiers.

Written when a referral is made, taken up, closed or withdrawn (api/intake, api/retention), so the figures
still add up after the cases themselves are disposed of. Every column is a category or a count: nothing
here identifies a person or a case.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base


class StatsCount(Base):
    __tablename__ = "stats_count"

    day: Mapped[date] = mapped_column(Date, primary_key=True)  # Europe/London day of the event
    event: Mapped[str] = mapped_column(String(16), primary_key=True)  # made | taken_up | closed | withdrawn
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    queue: Mapped[str] = mapped_column(String(32), primary_key=True)
    tier: Mapped[str] = mapped_column(String(16), primary_key=True)
    priority: Mapped[str] = mapped_column(String(16), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(32), primary_key=True)
    age_band: Mapped[str] = mapped_column(String(16), primary_key=True)
    hate_strand: Mapped[str] = mapped_column(String(120), primary_key=True)
    area: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
