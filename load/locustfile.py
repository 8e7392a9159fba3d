"""Locust entry point: `locust -f load/locustfile.py --host http://127.0.0.1:8000` (see load/README.md).

Locust puts this folder on sys.path, so the scenarios import as `scenarios.*`.
"""

from __future__ import annotations

from scenarios.chat_slice import ChatSliceUser

__all__ = ["ChatSliceUser"]
