"""Reconciling an unsure send with Twilio's message list (issue 15): ours is found by the number, the time
window after the unsure attempt began and the body compared robustly, since Twilio may store another body than
the one sent (a trial account's prefix, Smart Encoding's plain quotes); an equal body ranks before a
containing one. Through the local Twilio fake, and table-driven on the rule itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.sms import outbox
from api.sms.context import SmsContext
from api.sms.twilio import SKEW, TwilioClient, comparable, match_rank
from tests.api.sms.conftest import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, PERSON, outbound_rows
from tests.api.sms.test_outbox import answered, until
from tools.fake_twilio import TRIAL_PREFIX, FakeTwilio

SINCE = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
BODY = "Thank you. Is it safe to call you on this number? Reply 1 for “yes”, 2 for ‘no’ – or 3 to skip."


def message(
    body: str = BODY, *, to: str = PERSON, sender: str = OUR_NUMBER, at: datetime = SINCE, **extra: Any
) -> dict[str, Any]:
    return {
        "sid": "SM" + "a" * 32,
        "to": to,
        "from": sender,
        "body": body,
        "date_created": format_datetime(at),
        **extra,
    }


class TestMatchRank:
    @pytest.mark.parametrize(
        ("twilios", "rank"),
        [
            (message(), 0),
            (message(TRIAL_PREFIX + BODY), 1),  # a trial account's prefix
            (
                message(
                    BODY.replace("“", '"')
                    .replace("”", '"')
                    .replace("‘", "'")
                    .replace("’", "'")
                    .replace("–", "-")
                ),
                0,
            ),
            (message(BODY.replace(" ", "  ") + "\n"), 0),  # whitespace runs
            (message(at=SINCE + timedelta(hours=1)), 0),
            (message(at=SINCE - SKEW + timedelta(seconds=1)), 0),  # within the clock skew
            (message(at=SINCE - SKEW - timedelta(seconds=1)), None),  # before the unsure attempt
            (message(to="+447700900456"), None),
            (message(sender="+447700900002"), None),
            (message("Thank you."), None),  # part of ours is not ours
            (message("Something else entirely"), None),
            (message(date_created="not a date"), None),
            (message(sid=None), None),
        ],
    )
    def test_the_rule(self, twilios: dict[str, Any], rank: int | None) -> None:
        assert match_rank(twilios, PERSON, OUR_NUMBER, BODY, SINCE) == rank

    def test_an_empty_body_matches_nothing(self) -> None:
        assert match_rank(message(""), PERSON, OUR_NUMBER, "", SINCE) is None

    def test_comparable(self) -> None:
        assert comparable("  “Hi”\u00a0 – there\r\n") == '"Hi" - there'


class TestSentMatching:
    async def test_an_equal_body_ranks_before_a_containing_one(self) -> None:
        later = SINCE + timedelta(minutes=1)
        listed = [  # newest first, as Twilio lists them
            message(TRIAL_PREFIX + BODY, sid="SM" + "c" * 32, at=later),
            message(BODY, sid="SM" + "b" * 32),
            message("other words", sid="SM" + "d" * 32),
        ]
        transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"messages": listed}))
        client = TwilioClient("http://twilio.test", ACCOUNT_SID, AUTH_TOKEN, 5.0, transport=transport)
        try:
            found = await client.sent_matching(PERSON, OUR_NUMBER, BODY, SINCE)
        finally:
            await client.close()
        assert [sid for sid, _ in found] == ["SM" + "b" * 32, "SM" + "c" * 32]


class TestThroughTheFake:
    async def test_a_trial_accounts_prefixed_copy_is_found_not_sent_again(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, fake_twilio: tuple[str, FakeTwilio]
    ) -> None:
        _, fake = fake_twilio
        fake.configure({"trial": True, "drop_answer_next": 1})  # accepted, the answer lost
        await answered(client, ctx, "hello")
        assert await outbox.send_next(ctx) is True
        [row] = await outbound_rows(app)
        assert row.state == "pending" and row.unsure_since is not None

        async def settled() -> bool:
            await outbox.send_next(ctx)
            return (await outbound_rows(app))[0].state == "submitted"

        await until(settled)
        [sent] = fake.sent()
        assert sent["body"].startswith(TRIAL_PREFIX)
        [row] = await outbound_rows(app)
        assert (row.twilio_sid, row.unsure_since, fake.attempts) == (sent["sid"], None, 1)
