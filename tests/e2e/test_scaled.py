"""End to end, the scaled-out stack (tools/scaled.py, `make run-scaled`): 2 api processes, 2 Rasa, 2 action
servers and the worker behind a real nginx, on a real PostgreSQL (the api's database and Rasa's tracker store,
tests/pg.py) and a real Redis (rate limits and Rasa's lock store, tests/redis_server.py), all started here,
once for the module.

Several people chat at once through nginx, which sends each turn round robin to the next api process and
Rasa process; then several messages of one conversation arrive at once. Nothing may be lost, mixed or out of
order: every reply answers its own message (the script's expected words), and Rasa's tracker in PostgreSQL
holds each conversation's messages once each, in the order sent, each turn whole before the next begins. An
SMS goes through the stack too: the signed webhook through nginx, the worker's turn, the fake Twilio's reply.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.e2e.test_hate_crime_slice import SLICE
from tests.e2e.test_sms import post_inbound, sent_to_person, wait_for
from tests.pg import PostgresCluster
from tests.redis_server import RedisServer
from tests.stacks import closed_now
from tools.model import ensure_model
from tools.paths import RASA
from tools.scaled import Scale, ScaledStack
from tools.secrets import generate
from tools.stack import Ports

pytestmark = [pytest.mark.e2e, pytest.mark.postgresql]

PEOPLE = 6
AT_ONCE = 4
TEXTER = "+447700900654"


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, postgres_cluster: PostgresCluster, redis_server: RedisServer
) -> Iterator[ScaledStack]:
    assert RASA.exists(), "the bot environment is missing: run `make env`"
    tracker_db = "rasa_" + uuid.uuid4().hex[:12]
    postgres_cluster.execute(f'CREATE DATABASE "{tracker_db}"')
    try:
        with postgres_cluster.database() as database_url:  # migrated already (a clone of the template)
            running = ScaledStack(
                data_dir=tmp_path_factory.mktemp("scaled"),
                model=ensure_model(quiet=True),
                ports=Ports.free(),
                secrets=generate(),
                database_url=database_url,
                app_env="test",
                extra_env=closed_now(),
                tracker_url=postgres_cluster.url(tracker_db, driver="postgresql"),
                redis_url=f"redis://127.0.0.1:{redis_server.port}",
                scale=Scale(api=2, rasa=2, actions=2, workers=1),
            )
            try:
                running.start()
                yield running
            except Exception:
                print(running.log_tail())
                raise
            finally:
                running.stop()
    finally:
        postgres_cluster.execute(f'DROP DATABASE IF EXISTS "{tracker_db}" WITH (FORCE)')


async def tracker_events(stack: ScaledStack, conversation_id: str) -> list[dict[str, Any]]:
    """Rasa's events of one conversation as stored in PostgreSQL, in the order they were stored."""
    connection = await asyncpg.connect(stack.tracker_url)
    try:
        rows = await connection.fetch(
            "SELECT type_name, action_name, data FROM events WHERE sender_id = $1 ORDER BY id",
            conversation_id,
        )
    finally:
        await connection.close()
    return [{"type": r["type_name"], "action": r["action_name"], **json.loads(r["data"])} for r in rows]


def turns_in(events: list[dict[str, Any]]) -> list[str]:
    """The user messages in the tracker's order, after checking each turn is whole before the next begins:
    a user message, then the bot's actions, then `action_listen`, and only then the next user message."""
    texts: list[str] = []
    listening = True
    for event in events:
        if event["type"] == "user":
            assert listening, f"a message arrived inside another turn: {[e['type'] for e in events]}"
            texts.append(event["text"])
            listening = False
        elif event["type"] == "action" and event["action"] == "action_listen":
            listening = True
    assert listening, "the last turn did not finish"
    return texts


def upstream_counts(stack: ScaledStack, port: int) -> Counter[str]:
    """How many requests nginx's listener on `port` sent to each upstream (its access log)."""
    counts: Counter[str] = Counter()
    for line in (stack.nginx_dir / "access.log").read_text().splitlines():
        server_port, _method, _status, upstream, _time = line.split(" ")
        if int(server_port) == port:
            counts[upstream] += 1
    return counts


async def converse(http: httpx.AsyncClient) -> tuple[str, list[str]]:
    """One person's whole hate crime journey; each reply checked against its own message."""
    started = await http.post("/v1/chat/conversations", json={"language": "en"})
    assert started.status_code == 201, started.text
    conversation_id = started.json()["id"]
    sent = []
    for text, expected in SLICE:
        reply = await http.post(f"/v1/chat/conversations/{conversation_id}/messages", json={"text": text})
        assert reply.status_code == 200, (text, reply.status_code)
        joined = " ".join(m["text"] for m in reply.json()["messages"])
        assert expected in joined, f"after {text!r}: {joined!r}"
        sent.append(text)
    return conversation_id, sent


async def test_people_chatting_at_once_across_two_rasa_processes_lose_and_mix_nothing(
    stack: ScaledStack,
) -> None:
    rasa_before = upstream_counts(stack, stack.ports.rasa)
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=120) as http:
        journeys = await asyncio.gather(*(converse(http) for _ in range(PEOPLE)))
    assert len({conversation_id for conversation_id, _ in journeys}) == PEOPLE
    for conversation_id, sent in journeys:
        assert turns_in(await tracker_events(stack, conversation_id)) == sent
    # Both Rasa processes and both api processes took turns (round robin, so about half each).
    turns = PEOPLE * len(SLICE)
    rasa = upstream_counts(stack, stack.ports.rasa) - rasa_before
    assert sorted(rasa) == sorted(f"127.0.0.1:{port}" for port in stack.instance_ports["rasa"])
    assert sum(rasa.values()) >= turns and min(rasa.values()) >= turns // 4, rasa
    api = upstream_counts(stack, stack.ports.api)
    assert sorted(api) == sorted(f"127.0.0.1:{port}" for port in stack.instance_ports["api"])


async def test_messages_of_one_conversation_arriving_at_once_are_taken_one_at_a_time(
    stack: ScaledStack,
) -> None:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=120) as http:
        started = await http.post("/v1/chat/conversations", json={"language": "en"})
        conversation_id = started.json()["id"]
        path = f"/v1/chat/conversations/{conversation_id}/messages"
        first = await http.post(path, json={"text": "hello"})
        assert first.status_code == 200
        texts = [f"hello {n}" for n in range(AT_ONCE)]
        replies = await asyncio.gather(*(http.post(path, json={"text": text}) for text in texts))
    assert [reply.status_code for reply in replies] == [200] * AT_ONCE
    assert all(reply.json()["messages"] for reply in replies)
    stored = turns_in(await tracker_events(stack, conversation_id))
    assert stored[0] == "hello"
    assert sorted(stored[1:]) == sorted(texts)  # each once, none lost; in whichever order they arrived


async def test_an_sms_through_nginx_is_answered_by_the_worker(stack: ScaledStack) -> None:
    with httpx.Client(base_url=stack.api_url, timeout=30) as http:
        acknowledged = post_inbound(stack, http, "hello", 9_654_001, sender=TEXTER)
    assert acknowledged.status_code == 200, acknowledged.text
    wait_for(lambda: "safe to talk" in " ".join(m["body"] for m in sent_to_person(stack, TEXTER)), seconds=90)
    # The fake Twilio's signed status callbacks come back through nginx too (the URL signed is nginx's).
    wait_for(lambda: all(len(m["callbacks"]) == 2 for m in sent_to_person(stack, TEXTER)), seconds=60)
    assert all(c["http_status"] == 204 for m in sent_to_person(stack, TEXTER) for c in m["callbacks"])
