"""Opening hours as the settings give them, at a moment."""

from __future__ import annotations

from datetime import datetime

from api.config import Settings
from api.hours.schemas import CallbackWindow, ServiceHours
from api.kit.calendar import ASAP, Window
from api.kit.models import utcnow


def windows(settings: Settings, now: datetime) -> list[Window]:
    return settings.hours().callback_windows(
        now, settings.callback_min_minutes, settings.callback_window_minutes
    )


def service_hours(settings: Settings, now: datetime | None = None) -> ServiceHours:
    now = now or utcnow()
    hours = settings.hours()
    current = hours.current(now)
    return ServiceHours(
        open_now=current is not None,
        closes_at=current[1] if current else None,
        opens_at=None if current else hours.next_opening(now),
        opening_hours=settings.opening_hours,
        closed_on_bank_holidays=settings.closed_on_bank_holidays,
        callback_windows=[
            CallbackWindow(id=w.id, starts_at=w.starts_at, ends_at=w.ends_at) for w in windows(settings, now)
        ],
    )


def window_by_id(settings: Settings, window_id: str, now: datetime | None = None) -> Window | None:
    """The call-back time `window_id` names, if it is still on offer now (`asap` while open)."""
    now = now or utcnow()
    return next((w for w in windows(settings, now) if w.id == window_id), None)


__all__ = ["ASAP", "service_hours", "window_by_id", "windows"]
