"""Checks of Rasa's lock store (bot/server/lock_store.py), run in the bot's environment by
tests/bot/test_lock_store.py, which starts a throwaway Redis and names it in RASA_LOCK_STORE_URL (or leaves it
empty for the in-memory checks). Several OS processes stand for several Rasa processes."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
import uuid

import redis
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import read_endpoint_config

from bot.server.lock_store import KEY_PREFIX, SharedLockStore
from tools.paths import ROOT

PROCESSES = 4


def _url() -> str:
    url = os.environ.get("RASA_LOCK_STORE_URL", "")
    assert url.startswith("redis://"), "tests/bot/test_lock_store.py sets RASA_LOCK_STORE_URL"
    return url


def _take_tickets(conversation_id: str, count: int, out: multiprocessing.Queue[list[int]]) -> None:
    store = SharedLockStore()
    out.put([store.issue_ticket(conversation_id, 60) for _ in range(count)])


def _hold_the_lock(conversation_id: str, turns: int, log_key: str) -> None:
    store = SharedLockStore()
    log = redis.Redis.from_url(_url())

    async def run() -> None:
        for turn in range(turns):
            async with store.lock(conversation_id):
                log.rpush(log_key, f"in {os.getpid()} {turn}")
                await asyncio.sleep(0.005)
                log.rpush(log_key, f"out {os.getpid()} {turn}")

    asyncio.run(run())


def _start(target: object, *args: object) -> list[multiprocessing.Process]:
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=target, args=args) for _ in range(PROCESSES)]  # type: ignore[arg-type]
    for process in processes:
        process.start()
    return processes


def test_endpoints_yml_names_this_store_and_it_keeps_locks_in_memory_without_a_url() -> None:
    os.environ.pop("RASA_LOCK_STORE_URL", None)
    os.environ.update(  # the other blocks' ${VARS}: Rasa expands every one when it reads the file
        API_URL="http://127.0.0.1:9",
        BOT_SERVICE_TOKEN="synthetic-token",
        ACTION_SERVER_URL="http://127.0.0.1:9/webhook",
        RASA_TRACKER_DIALECT="sqlite",
        RASA_TRACKER_HOST="",
        RASA_TRACKER_DB="unused.db",
    )
    config = read_endpoint_config(str(ROOT / "bot" / "endpoints.yml"), "lock_store")
    store = LockStore.create(config)
    assert type(store) is SharedLockStore
    assert not store.shared
    assert [store.issue_ticket("c1", 60) for _ in range(3)] == [0, 1, 2]  # Rasa numbers tickets from 0
    lock = store.get_lock("c1")
    assert lock is not None and lock.now_serving == 0
    for ticket in (0, 1, 2):
        store.cleanup("c1", ticket)
    assert store.get_lock("c1") is None


def test_a_url_puts_the_locks_in_redis_shared_by_every_store() -> None:
    first, second = SharedLockStore(), SharedLockStore()
    assert first.shared and second.shared
    conversation_id = uuid.uuid4().hex
    assert first.issue_ticket(conversation_id, 60) == 0
    assert second.issue_ticket(conversation_id, 60) == 1
    seen = second.get_lock(conversation_id)
    assert seen is not None and seen.now_serving == 0 and seen.is_locked(1)
    first.cleanup(conversation_id, 0)
    seen = first.get_lock(conversation_id)
    assert seen is not None and not seen.is_locked(1)
    second.cleanup(conversation_id, 1)
    assert first.get_lock(conversation_id) is None
    assert redis.Redis.from_url(_url()).exists(KEY_PREFIX + conversation_id) == 0


def test_processes_taking_tickets_at_once_never_get_the_same_number() -> None:
    conversation_id = uuid.uuid4().hex
    out: multiprocessing.Queue[list[int]] = multiprocessing.get_context("fork").Queue()
    count = 50
    processes = _start(_take_tickets, conversation_id, count, out)
    numbers = [number for _ in processes for number in out.get(timeout=120)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert sorted(numbers) == list(range(PROCESSES * count))


def test_one_process_at_a_time_holds_a_conversations_lock() -> None:
    conversation_id, log_key = uuid.uuid4().hex, "log:" + uuid.uuid4().hex
    turns = 15
    started = time.monotonic()
    processes = _start(_hold_the_lock, conversation_id, turns, log_key)
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    log = [line.decode() for line in redis.Redis.from_url(_url()).lrange(log_key, 0, -1)]
    assert len(log) == 2 * PROCESSES * turns
    for entered, left in zip(log[::2], log[1::2], strict=True):
        assert entered.startswith("in ") and left == "out " + entered.removeprefix("in "), log
    # Waiting is a short poll, not Rasa's one second per look (60 turns of 5 ms each, one at a time).
    assert time.monotonic() - started < 30
    assert redis.Redis.from_url(_url()).exists(KEY_PREFIX + conversation_id) == 0


def test_a_lock_left_by_a_dead_process_expires_in_redis() -> None:
    store = SharedLockStore()
    conversation_id = uuid.uuid4().hex
    store.issue_ticket(conversation_id, 2)  # never handed back, as when a Rasa process is killed
    ttl = redis.Redis.from_url(_url()).ttl(KEY_PREFIX + conversation_id)
    assert 1 <= ttl <= 3
