"""Liveness of background workers, read by the readiness endpoint and by `make run`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeat"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime]
