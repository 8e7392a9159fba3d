"""End to end through the real processes (api, worker, Rasa, the action server, the local fake Twilio): after
a web chat hand-off where the person said texts are safe, the bot offers to confirm the number with a code;
the code goes out by SMS through the outbox and the fake Twilio; typed back, the number is verified in the
stored referral. No, skip ("I didn't get it") and three wrong codes all carry on, leaving it unverified.
The shared stack is out of hours, so no call-back is offered before it.

By SMS the same, in free text: a person texting from one number gives another (after a malformed one the
phone question refuses); the code is texted to that other number only, a wrong code is asked again, and the
right one texted back from the person's own number verifies the stored number."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from api.intake import contact_checks
from api.intake.contact_checks import PhoneSource
from api.referral.service import person_of
from tests.e2e.test_journeys_en import (
    FLOWS,
    RUNS,
    TRANSLATOR,
    Chat,
    play_through_chat,
    question_text,
    stack_vault,
    stored,
)
from tests.e2e.test_returning_texter import sms_conversation_id
from tests.e2e.test_sms import post_inbound, sent_to_person, wait_for
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


def codes_sent(stack: Stack, number: str = NUMBER) -> list[str]:
    return [m["body"] for m in sent_to_person(stack, number) if CODE.search(m["body"])]


def new_code(stack: Stack, before: int, seconds: float = 60.0, number: str = NUMBER) -> str:
    """The code of the first text to the number after `before` codes, once the worker has sent it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sent = codes_sent(stack, number)
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


# By SMS: the person texts from TEXTER and gives OTHER as the number to contact them on.
TEXTER = "+447700900937"
OTHER = "+447700900938"
HATE_CRIME = FLOWS["hate_crime"]


def spaced(text: str) -> str:
    """Whitespace made single spaces: a reply may be split into several texts, and its lines joined."""
    return " ".join(text.split())


class Texter:
    """One person texting the helpline from TEXTER: each message posted signed, as Twilio would, and the
    bot's texts back (through the worker, the outbox and the fake Twilio) waited for."""

    def __init__(self, stack: Stack, http: httpx.Client) -> None:
        self.stack, self.http, self.n = stack, http, 17_000

    def text(self, body: str, expect: str) -> str:
        """Text `body`; the bot's texts since, once they hold `expect` (its start, whitespace aside)."""
        before = len(sent_to_person(self.stack, TEXTER))
        self.n += 1
        assert post_inbound(self.stack, self.http, body, n=self.n, sender=TEXTER).status_code == 200
        wanted = spaced(expect)[:60]

        def replied() -> str | None:
            texts = spaced(" ".join(m["body"] for m in sent_to_person(self.stack, TEXTER)[before:]))
            return texts if wanted in texts else None

        try:
            return str(wait_for(replied, seconds=60))
        except AssertionError:
            got = [m["body"] for m in sent_to_person(self.stack, TEXTER)[before:]]
            tail = self.stack.log_tail()
            raise AssertionError(f"{body!r}: expected {wanted!r}, got {got!r}\n{tail}") from None


# The hate crime journey as a texter answers it, in words (a number only for the list of strands): what
# they text, and the question that should come next.
SMS_JOURNEY = [
    ("hello", en("bot.safety.ask_safe_to_talk")),
    ("yes", en("bot.session.ask_topic")),
    ("1", question_text(HATE_CRIME, "postcode")),  # hate crime; safe to talk was asked already
    ("st4 1aa", question_text(HATE_CRIME, "consent_store")),
    ("yes", question_text(HATE_CRIME, "consent_share")),
    ("yes", question_text(HATE_CRIME, "incident_description")),
    ("Synthetic test: two men on the 25 bus shouted abuse about my skin colour",
     question_text(HATE_CRIME, "incident_when")),
    ("yesterday evening", question_text(HATE_CRIME, "hate_strand")),
    ("1", question_text(HATE_CRIME, "hate_repeat")),
    ("yes", question_text(HATE_CRIME, "age")),
    ("34", question_text(HATE_CRIME, "support_need")),
    ("no, nothing", question_text(HATE_CRIME, "contact_phone")),
    ("0770", question_text(HATE_CRIME, "contact_phone")),  # malformed: refused, asked again
    ("07700 900 938", question_text(HATE_CRIME, "sms_safe")),  # not the number they text from
    ("yes", en("bot.phone_check.offer", phone_check_number=OTHER)),
]  # fmt: skip


class TestPhoneCheckBySms:
    def test_another_number_given_by_text_is_verified_by_the_code_texted_to_it(self, stack: Stack) -> None:
        conversation = sms_conversation_id(stack, TEXTER)
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            texter = Texter(stack, http)
            for body, expect in SMS_JOURNEY:
                reply = texter.text(body, expect)
            assert "Your reference is SR-" in reply, reply
            # Stored as typed, not verified: it is not the number texting us.
            assert provenance(stack, conversation) == (PhoneSource.chat_typed, False)

            texter.text("yes", en("bot.phone_check.ask_code"))
            code = new_code(stack, 0, number=OTHER)
            assert [m["body"] for m in sent_to_person(stack, OTHER)] == [en("bot.sms.phone_code", code=code)]

            wrong = "000000" if code != "000000" else "111111"
            reply = texter.text(wrong, en("bot.phone_check.ask_code"))  # asked again
            assert spaced(en("bot.phone_check.wrong")) in reply, reply
            assert provenance(stack, conversation) == (PhoneSource.chat_typed, False)

            texter.text(code, en("bot.phone_check.verified"))
        # The code went only to the other number, never to the one texting us.
        assert not [m for m in sent_to_person(stack, TEXTER) if code in m["body"]]
        assert provenance(stack, conversation) == (PhoneSource.chat_code, True)
