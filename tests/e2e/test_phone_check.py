"""End to end through the real processes (api, worker, Rasa, the action server, the local fake Twilio): after
a web chat hand-off where the person said texts are safe, the bot offers to confirm the number with a code;
the code goes out by SMS through the outbox and the fake Twilio; typed back, the number is verified in the
stored referral. No, skip ("I didn't get it") and three wrong codes all carry on, leaving it unverified.
The shared stack is out of hours, so no call-back is offered before it."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from api.intake import contact_checks
from api.intake.contact_checks import PhoneSource
from api.referral.service import person_of
from tests.e2e.test_journeys_en import RUNS, TRANSLATOR, Chat, play_through_chat, stack_vault, stored
from tools.stack import Stack

pytestmark = pytest.mark.e2e
RUN = RUNS["hate_crime"]  # gives 07700 900 456 and says texts are safe
NUMBER = "+447700900456"
CODE = re.compile(r"\b(\d{6})\b")


def en(key: str, **params: str) -> str:
    return TRANSLATOR.t(key, "en", **params)


def offered(http: httpx.Client, stack: Stack) -> Chat:
    chat, reply = play_through_chat(http, RUN, stack)
    assert "Your reference is SR-" in reply, reply
    assert en("bot.phone_check.offer", phone_check_number=NUMBER) in reply, f"{reply!r}\n{stack.log_tail()}"
    assert chat.buttons == ["/affirm", "/deny"]
    return chat


def codes_sent(stack: Stack) -> list[str]:
    with httpx.Client(base_url=stack.twilio_url, timeout=10) as fake:
        messages = fake.get("/_fake/messages").json()["messages"]
    return [m["body"] for m in messages if m["to"] == NUMBER and CODE.search(m["body"])]


def new_code(stack: Stack, before: int, seconds: float = 60.0) -> str:
    """The code of the first text to the number after `before` codes, once the worker has sent it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sent = codes_sent(stack)
        if len(sent) > before:
            match = CODE.search(sent[before])
            assert match is not None
            return match.group(1)
        time.sleep(0.3)
    raise AssertionError(f"no code was texted\n{stack.log_tail()}")


def provenance(stack: Stack, conversation_id: str) -> tuple[PhoneSource, bool]:
    [referral], _, _ = stored(stack, conversation_id)
    return contact_checks.phone_provenance(person_of(stack_vault(stack), referral), referral.source)


class TestPhoneCheck:
    def test_the_code_texted_and_typed_back_verifies_the_number(self, stack: Stack) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            before = len(codes_sent(stack))
            chat = offered(http, stack)
            reply = chat.say("/affirm")
            assert en("bot.phone_check.ask_code") in reply, f"{reply!r}\n{stack.log_tail()}"
            code = new_code(stack, before)
            assert en("bot.sms.phone_code", code=code) in codes_sent(stack)
            reply = chat.say(code)
            assert en("bot.phone_check.verified") in reply, f"{reply!r}\n{stack.log_tail()}"
            assert provenance(stack, chat.id) == (PhoneSource.chat_code, True)

    def test_a_wrong_code_is_asked_again_and_three_leave_it_unverified(self, stack: Stack) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            before = len(codes_sent(stack))
            chat = offered(http, stack)
            chat.say("yes")
            code = new_code(stack, before)
            wrong = "000000" if code != "000000" else "111111"
            assert en("bot.phone_check.wrong") in chat.say(wrong)
            assert en("bot.phone_check.wrong") in chat.say(wrong)
            reply = chat.say(wrong)
            assert en("bot.phone_check.failed") in reply, f"{reply!r}\n{stack.log_tail()}"
            assert provenance(stack, chat.id) == (PhoneSource.chat_typed, False)

    def test_didnt_get_it_carries_on_unverified(self, stack: Stack) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            before = len(codes_sent(stack))
            chat = offered(http, stack)
            chat.say("/affirm")
            assert chat.buttons == ["/skip_question"]
            # The code goes out all the same (the person says they did not get it): wait until it has, so a
            # later test counting the texts to this number does not see it arrive late.
            new_code(stack, before)
            reply = chat.say("I didn't get it")
            assert en("bot.phone_check.not_verified") in reply, f"{reply!r}\n{stack.log_tail()}"
            assert provenance(stack, chat.id) == (PhoneSource.chat_typed, False)
            # The conversation carries on as usual afterwards.
            assert en("bot.session.help").split(".")[0] in chat.say("/help")

    def test_no_thanks_sends_nothing_and_carries_on(self, stack: Stack) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            before = len(codes_sent(stack))
            chat = offered(http, stack)
            reply = chat.say("/deny")
            assert en("bot.phone_check.not_verified") in reply, f"{reply!r}\n{stack.log_tail()}"
            time.sleep(2)
            assert len(codes_sent(stack)) == before
            assert provenance(stack, chat.id) == (PhoneSource.chat_typed, False)
