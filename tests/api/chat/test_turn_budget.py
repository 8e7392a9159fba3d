"""The database budget of one web chat message: transactions, and reads of the conversation (its language).

.venvs/api/bin/python -m pytest tests/api/chat/test_turn_budget.py -q -s -p no:cacheprovider
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from api.conversation.relay import RasaRelay
from tests.api.sms.test_turn_budget import counting
from tests.api.world import fake_rasa


class TestWebChatTurnBudget:
    async def test_a_message_is_one_transaction_and_one_read_of_the_conversation(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        await app.state.relay.close()
        app.state.relay = RasaRelay("http://rasa", 5, transport=httpx.MockTransport(fake_rasa))
        started = await client.post("/v1/chat/conversations", json={"language": "pl"})
        conversation_id = started.json()["id"]
        with counting(app) as counts:
            reply = await client.post(
                f"/v1/chat/conversations/{conversation_id}/messages", json={"text": "hej"}
            )
        assert reply.status_code == 200
        assert reply.json()["language"] == "pl"
        print(f"\nweb chat message: {counts['transactions']} transactions, {counts['language_reads']} reads")
        # Before the conversation core returned the turn's state: 2 transactions, 2 reads.
        assert counts["transactions"] <= 1
        assert counts["language_reads"] <= 1
