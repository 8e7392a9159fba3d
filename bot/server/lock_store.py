"""Rasa's lock store: in this process's memory by default, in Redis when `RASA_LOCK_STORE_URL` is set.

Rasa processes a conversation's messages one at a time, in the order they arrived, with a ticket lock per
conversation (`rasa.core.lock.TicketLock`: take a ticket, wait until it is served, hand it back). One Rasa
process (`make run`) keeps the locks in memory. Several Rasa processes serving the same conversations
(`make run-scaled`) must share them, or two of them run two turns of one conversation at once and mix or lose
its events: `RASA_LOCK_STORE_URL=redis://host:6379/1` puts them in Redis.

Rasa's own `RedisLockStore` is not safe for that: taking and handing back a ticket read the lock, change it
in the process and write it back, so two processes taking tickets at the same moment both get the same
number and both run (RasaHQ/rasa#9213; the maintainers' "this is far from atomic" in #3933; the fix,
`ConcurrentRedisLockStore`, is in Rasa Pro only). Here every change of a lock is one Redis transaction
(WATCH / MULTI / EXEC, retried when another process changed the lock in between), so the ticket order holds
across processes. In memory the same changes are atomic already (no await between the read and the write).

A waiting message looks again every `POLL_SECONDS` (Rasa's default is one second, a long time in a chat).
Loaded by `bot/endpoints.yml` (`lock_store: type: bot.server.lock_store.SharedLockStore`).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore

URL_VARIABLE = "RASA_LOCK_STORE_URL"
KEY_PREFIX = "rasa:lock:"
POLL_SECONDS = 0.05
SOCKET_TIMEOUT_SECONDS = 10.0

# A change of one lock: the lock as stored (None: there is none) → the lock to store (None: delete it).
Change = Callable[[TicketLock | None], TicketLock | None]


class _Memory:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def change(self, key: str, change: Change) -> None:
        raw = self.values.get(key)
        changed = change(TicketLock.from_dict(_loads(raw)) if raw else None)
        if changed is None:
            self.values.pop(key, None)
        else:
            self.values[key] = changed.dumps()


class _Redis:
    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT_SECONDS)
        self.watch_error: type[Exception] = redis.WatchError

    def get(self, key: str) -> str | None:
        raw = self.redis.get(key)
        return raw.decode() if isinstance(raw, bytes) else raw

    def change(self, key: str, change: Change) -> None:
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    changed = change(TicketLock.from_dict(_loads(raw)) if raw else None)
                    pipe.multi()
                    if changed is None:
                        pipe.delete(key)
                    else:  # gone by itself once its last ticket expires (a process died holding one)
                        pipe.set(key, changed.dumps(), ex=_seconds_left(changed))
                    pipe.execute()
                    return
                except self.watch_error:
                    continue  # another process changed this lock between our read and our write: again


def _seconds_left(lock: TicketLock) -> int:
    last = max((ticket.expires for ticket in lock.tickets), default=time.time())
    return max(1, math.ceil(last - time.time()) + 1)


def _loads(raw: str | bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(raw)
    return value


class SharedLockStore(LockStore):
    """Rasa's ticket locks, each change atomic, kept in Redis when `RASA_LOCK_STORE_URL` is set."""

    def __init__(self, endpoint_config: object = None, url: str | None = None) -> None:
        url = (os.environ.get(URL_VARIABLE, "") if url is None else url).strip()
        self.backend: _Memory | _Redis = _Redis(url) if url else _Memory()
        super().__init__()

    @property
    def shared(self) -> bool:
        return isinstance(self.backend, _Redis)

    @staticmethod
    def key(conversation_id: str) -> str:
        return KEY_PREFIX + conversation_id

    # What Rasa's LockStore reads and writes through.
    def get_lock(self, conversation_id: str) -> TicketLock | None:
        raw = self.backend.get(self.key(conversation_id))
        return TicketLock.from_dict(_loads(raw)) if raw else None

    def save_lock(self, lock: TicketLock) -> None:
        self.backend.change(self.key(lock.conversation_id), lambda _stored: lock)

    def delete_lock(self, conversation_id: str) -> None:
        self.backend.change(self.key(conversation_id), lambda _stored: None)

    # Rasa's read-change-write steps, each made one atomic change.
    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        issued: list[int] = []

        def issue(stored: TicketLock | None) -> TicketLock:
            lock = stored or self.create_lock(conversation_id)
            issued[:] = [lock.issue_ticket(lock_lifetime)]
            return lock

        try:
            self.backend.change(self.key(conversation_id), issue)
        except Exception as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc
        return issued[0]

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(stored: TicketLock | None) -> TicketLock | None:
            if stored is not None:
                stored.remove_expired_tickets()
            return stored

        self.backend.change(self.key(conversation_id), drop_expired)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Hand the ticket back, and remove the lock when nobody else holds a ticket: in one change."""

        def finish(stored: TicketLock | None) -> TicketLock | None:
            if stored is None:
                return None
            stored.remove_ticket_for(ticket_number)
            return stored if stored.is_someone_waiting() else None

        self.backend.change(self.key(conversation_id), finish)

    def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AbstractAsyncContextManager[TicketLock]:
        context: AbstractAsyncContextManager[TicketLock] = super().lock(
            conversation_id, lock_lifetime, wait_time_in_seconds
        )
        return context
