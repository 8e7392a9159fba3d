"""The database budget of one SMS turn: one signed inbound message that gets one reply, counted from the
webhook through the worker's bot turn to the send to the (fake) Twilio.

Counted on the engine: transactions (each connection `begin`) and how often the conversation's language is
read (SELECTs from the `conversation` table). Run with `-s` to see the counts:

    .venvs/api/bin/python -m pytest tests/api/sms/test_turn_budget.py -q -s -p no:cacheprovider
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from api.sms import outbox, turns
from api.sms.context import SmsContext
from tests.api.sms.conftest import INBOUND, ScriptedRasa, inbound_params, outbound_rows, post_signed
from tools.fake_twilio import FakeTwilio

READS_CONVERSATION = re.compile(r"^\s*SELECT\b.*\bFROM conversation\b", re.IGNORECASE | re.DOTALL)

# The budget of one turn, stage by stage, as (transactions, language reads), for a number's first message
# (its conversation starts) and a later one. Before the conversation core was split out, a turn took
# 7 transactions and 4 language reads (6 and 4 for a later message): 10 and 9 from webhook to send.
#   webhook: store the message;  turn: the claim (committed alone, so one bad row cannot roll it back:
#   issue 15), the preparation, then the outbox and the conversation's state;
#   send: claim + pace, then Twilio's answer.
BUDGET = {
    "first": {"webhook": (1, 0), "turn": (3, 1), "send": (2, 0)},
    "later": {"webhook": (1, 0), "turn": (3, 1), "send": (2, 0)},
}


@contextmanager
def counting(app: FastAPI) -> Iterator[Counter[str]]:
    """Count transactions and conversation reads on the app's engine while the block runs."""
    counts: Counter[str] = Counter()
    engine = app.state.engine.sync_engine

    def on_begin(_connection: Any) -> None:
        counts["transactions"] += 1

    def on_execute(*args: Any) -> None:
        statement = args[2]
        if READS_CONVERSATION.match(statement):
            counts["language_reads"] += 1

    event.listen(engine, "begin", on_begin)
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield counts
    finally:
        event.remove(engine, "begin", on_begin)
        event.remove(engine, "before_cursor_execute", on_execute)


async def one_turn(
    client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, text: str, n: int
) -> dict[str, tuple[int, int]]:
    stages: dict[str, tuple[int, int]] = {}
    with counting(app) as counts:
        response = await post_signed(client, INBOUND, inbound_params(text, n=n))
    assert response.status_code == 200
    stages["webhook"] = (counts["transactions"], counts["language_reads"])
    with counting(app) as counts:
        assert await turns.answer_next(ctx) is True
    stages["turn"] = (counts["transactions"], counts["language_reads"])
    with counting(app) as counts:
        assert await outbox.send_next(ctx) is True
    stages["send"] = (counts["transactions"], counts["language_reads"])
    return stages


class TestTurnBudget:
    async def test_one_sms_in_one_sms_out_stays_within_the_budget(
        self,
        client: httpx.AsyncClient,
        app: FastAPI,
        ctx: SmsContext,
        rasa: ScriptedRasa,
        fake_twilio: tuple[str, FakeTwilio],
    ) -> None:
        rasa.reply = lambda text: [{"text": "Thank you. Are you safe to talk now?"}]
        measured = {
            "first": await one_turn(client, app, ctx, "Hello, I would like some advice please", 1),
            "later": await one_turn(client, app, ctx, "I am not sure what to do next", 2),
        }
        for turn, stages in measured.items():
            total = tuple(sum(values) for values in zip(*stages.values(), strict=True))
            print(
                f"\nSMS turn budget ({turn} message): {stages} total (transactions, language reads) {total}"
            )
        _url, fake = fake_twilio
        assert len(fake.messages) == 2
        assert [row.state for row in await outbound_rows(app)] == ["submitted", "submitted"]
        for turn, stages in measured.items():
            for stage, (transactions, reads) in stages.items():
                budget_transactions, budget_reads = BUDGET[turn][stage]
                assert transactions <= budget_transactions, (turn, stage, transactions)
                assert reads <= budget_reads, (turn, stage, reads)
