"""Rate limits (issue 15), with the maintained `limits` library: in-process memory for the embedded default
(one api process), Redis when scaled out (`RATE_LIMIT_STORAGE_URL=redis://…`, shared by every api process).

Each rule is a `limits` string ("10/minute;60/hour") from settings, counted per key in a sliding window
(limits' sliding window counter: two counters a key, constant memory and time, in memory and Redis alike):

- per client address for anonymous routes (starting a chat, the /refer form and its sign-in);
- per conversation for chat turns;
- per phone number for SMS inbound turns (the key is the number's keyed hash, never the number);
- per phone number for the outbox's sends (in the worker, api/sms/outbox.py): over it an SMS is put off,
  never dropped.

Keys never hold personal data in the clear: an address is kept as the client sends it (in memory or in Redis
for at most the window), a phone number only as its blind index.

If the Redis storage cannot be reached the request is let through and the failure logged: a victims'
service that refuses everyone because its counter store is down fails the people it exists for.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

logger = logging.getLogger("api.ratelimit")

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Rule(StrEnum):
    """What is counted; the value is the settings field (`rate_limit_<rule>`) and the key namespace."""

    chat_start = "chat_start"  # per client address
    chat_turn = "chat_turn"  # per conversation
    form = "form"  # per client address: the /refer form's submissions
    sign_in = "sign_in"  # per client address: /refer/sign-in
    sms_inbound = "sms_inbound"  # per phone number (blind index): bot turns from texts
    sms_notice = "sms_notice"  # per phone number: the one "slow down" text a flood gets per window
    sms_outbound = "sms_outbound"  # per phone number (blind index): the outbox's sends, in the worker


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds until the tightest exhausted window lets one more through


def storage_url(configured: str) -> str:
    """`limits`' async storage URL for RATE_LIMIT_STORAGE_URL: memory when empty, else Redis."""
    if not configured.strip():
        return "async+memory://"
    for plain in ("redis://", "rediss://", "redis+unix://", "redis+sentinel://", "redis+cluster://"):
        if configured.startswith(plain):
            return "async+" + configured
    if configured.startswith(("async+redis", "async+memory://")):
        return configured
    raise ValueError("RATE_LIMIT_STORAGE_URL must be empty (in-process) or a redis:// URL")


def parse_rule(text: str) -> list[RateLimitItem]:
    """A `limits` string ("10/minute;60/hour"); ValueError when it does not parse."""
    items = parse_many(text)
    if not items:
        raise ValueError("a rate limit names at least one window, e.g. 10/minute")
    return items


class RateLimiter:
    def __init__(self, storage: Storage, rules: dict[Rule, list[RateLimitItem]]) -> None:
        self.storage = storage
        self.strategy = SlidingWindowCounterRateLimiter(storage)
        self.rules = rules

    @classmethod
    def from_settings(cls, storage_setting: str, rules: dict[Rule, str]) -> RateLimiter:
        url = storage_url(storage_setting)
        # Redis through redis-py (limits' "redispy" bridge), the most maintained client.
        # A hung Redis must not hold a request (or the outbox claim's SQLite write lock) for long: every
        # call is bounded, and a timeout fails open like an outage.
        options: dict[str, str | float] = (
            {"implementation": "redispy", "socket_timeout": 1.0, "socket_connect_timeout": 1.0}
            if url.startswith("async+redis")
            else {}
        )
        storage = storage_from_string(url, **options)
        if not isinstance(storage, Storage):  # an async+ URL always gives an async storage
            raise TypeError("RATE_LIMIT_STORAGE_URL did not give an asynchronous storage")
        return cls(storage, {rule: parse_rule(text) for rule, text in rules.items()})

    async def hit(self, rule: Rule, key: str) -> Decision:
        """Count one request for `key` under `rule`: allowed, or refused with when to try again."""
        items = self.rules.get(rule, [])
        try:
            for item in items:
                if not await self.strategy.hit(item, rule.value, key):
                    return Decision(False, await self._retry_after(items, key, rule))
        except Exception as exc:  # a storage outage lets requests through (module docstring)
            logger.warning("rate limit storage unavailable", extra={"error_type": type(exc).__name__})
            return Decision(True)
        return Decision(True)

    async def _retry_after(self, items: Sequence[RateLimitItem], key: str, rule: Rule) -> int:
        waits = [1]
        now = time.time()
        for item in items:
            stats = await self.strategy.get_window_stats(item, rule.value, key)
            if stats.remaining <= 0:
                waits.append(math.ceil(stats.reset_time - now))
        return max(waits)

    async def reset(self) -> None:
        await self.storage.reset()


def parse_networks(text: str) -> tuple[IpNetwork, ...]:
    """TRUSTED_PROXIES: comma-separated addresses or CIDR networks."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[IpNetwork]) -> str:
    """Who is asking: the TCP peer, unless the peer is one of our trusted proxies; then the nearest address
    in X-Forwarded-For that is not itself a trusted proxy (read from the right: each proxy appends the
    address it saw, and anything to the left of our own proxies is what the client chose to send)."""
    address = peer or "unknown"
    if not trusted or not _trusted(address, trusted) or not forwarded_for:
        return address
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a malformed chain: count the proxy itself rather than trust a made-up hop
        if not _trusted(hop, trusted):
            return hop
        address = hop
    return address


def _trusted(address: str, trusted: Sequence[IpNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)
