"""What the door scenarios share: the checks on an answer, the settings the runner passes in the environment,
and a cookie policy for the agency form on loopback. No locust import, so the smoke test can use it."""

from __future__ import annotations

import os
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

REQUEST_TIMEOUT_SECONDS = 60.0
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class ScenarioSetupError(RuntimeError):
    """A setting the scenario needs is missing (the runner sets them all; by hand, see load/README.md)."""


def setting(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ScenarioSetupError(f"{name} is not set (load/README.md says which settings each door needs)")
    return value


def number_setting(name: str, default: float, low: float, high: float) -> float:
    value = float(os.environ.get(name, "") or default)
    if not low <= value <= high:
        raise ScenarioSetupError(f"{name} must be between {low:g} and {high:g}")
    return value


def status_problem(response: Any, expected: int) -> str | None:
    """Why a locust response is not `expected` (None when it is); a connection error says its type."""
    if response.status_code == expected:
        return None
    if response.status_code == 0:
        return f"no response: {type(response.error).__name__}"
    return f"status {response.status_code}, expected {expected}"


def loopback_only(url: str) -> str:
    """The URL, refused unless it points at this machine: the scenarios carry tokens and send load."""
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise ScenarioSetupError(f"the load scenarios run against loopback only, not {host!r}")
    return url.rstrip("/")


class LoopbackCookies:
    """The agency form's cookies are `Secure`, as they must be in production, behind TLS, so requests (and
    locust) keep them but send them back only over HTTPS. On loopback over plain HTTP (the benchmark, as a
    browser treats 127.0.0.1 as a secure context) the user carries them itself: kept from each answer's
    Set-Cookie headers (a Max-Age of 0 removes one), sent as a Cookie header. Never for another host."""

    def __init__(self, url: str) -> None:
        loopback_only(url)
        self.values: dict[str, str] = {}

    def keep(self, set_cookie_headers: list[str]) -> None:
        for header in set_cookie_headers:
            parsed = SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.values.pop(name, None)
                else:
                    self.values[name] = morsel.value

    def header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.values.items())} if self.values else {}
