"""In hours: after the hand-off the bot offers a call-back at a time the person picks, through the real
processes (api, Rasa, action server), and the caseworker sees that time on the case in their queue. The
stack's team is on duty all day (tests/stacks.py OPEN_ALL_DAY); the other e2e stacks are out of hours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from api.i18n import Translator
from tests.e2e.test_journeys_en import RUNS, TRANSLATOR, Chat, play_through_chat, provider_token
from tests.stacks import OPEN_ALL_DAY, running_stack
from tools.stack import Stack

pytestmark = pytest.mark.e2e
RUN = RUNS["hate_crime"]  # gives a phone number, so calls are allowed


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory, OPEN_ALL_DAY) as running:
        yield running


def en(key: str) -> str:
    return TRANSLATOR.t(key, "en")


def case_in_queue(http: httpx.Client, stack: Stack, reference: str) -> dict[str, object]:
    token = provider_token(stack, "hate_crime")
    listed = http.get("/v1/queues/hate_crime/cases", headers={"Authorization": f"Bearer {token}"}).json()
    [item] = [item for item in listed["items"] if item["reference"] == reference]
    return dict(item)


def hand_off(http: httpx.Client, stack: Stack) -> tuple[Chat, str, str]:
    chat, reply = play_through_chat(http, RUN, stack)
    assert "Your reference is SR-" in reply, reply
    reference = reply.split("Your reference is ")[1].split(".")[0]
    assert "We're closed now" not in reply, reply
    assert en("bot.callback.ask") in reply, f"{reply!r}\n{stack.log_tail()}"
    return chat, reply, reference


class TestCallbackOffer:
    def test_a_chosen_time_is_confirmed_and_the_caseworker_sees_it(self, stack: Stack) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            chat, _, reference = hand_off(http, stack)
            offered = http.get("/v1/service/hours").json()["callback_windows"]
            # One button per time on offer, then "no call".
            assert chat.buttons == [f'/inform{{"choice":"{w["id"]}"}}' for w in offered] + ["/deny"]
            window = offered[-1]
            reply = chat.say(chat.buttons[len(offered) - 1])
            start, end = (
                Translator.format_time(datetime.fromisoformat(window[k]), "en")
                for k in ("starts_at", "ends_at")
            )
            assert f"A caseworker will phone you today between {start} and {end}." in reply, reply
            item = case_in_queue(http, stack, reference)
            assert (item["callback_from"], item["callback_until"]) == (window["starts_at"], window["ends_at"])
            # The conversation carries on as usual afterwards.
            assert en("bot.session.help").split(".")[0] in chat.say("/help")

    def test_no_call_is_fine_and_nothing_is_asked_for(self, stack: Stack) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            chat, _, reference = hand_off(http, stack)
            count = len(chat.buttons)
            reply = chat.say(str(count))  # by number, as by SMS: the last choice is "no call"
            assert en("bot.callback.declined") in reply, reply
            assert case_in_queue(http, stack, reference)["callback_from"] is None

    def test_an_answer_that_is_no_time_is_asked_again(self, stack: Stack) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            chat, _, reference = hand_off(http, stack)
            count = len(chat.buttons)
            reply = chat.say("purple")
            assert TRANSLATOR.t("bot.callback.choose", "en", count=count) in reply, reply
            assert en("bot.callback.ask") in reply, reply
            reply = chat.say("1")
            assert "A caseworker will phone you today between" in reply, reply
            assert case_in_queue(http, stack, reference)["callback_from"] is not None
