"""ChatSliceUser: one person referring themselves for a hate crime through the web chat, start to finish.

Each task is a whole conversation: start it, play the turns of `conversation.SLICE` (each its own
request, named "turn NN label" so locust reports every step), then end it with DELETE. A reply that is not
the expected one is a failure and ends that conversation early (later turns would only fail too).

Think time is 0 by default, because this scenario measures latency; set THINK_SECONDS (0 to 60) for a
person's pace, applied between turns and between conversations.
"""

from __future__ import annotations

import os

import gevent
from locust import HttpUser, constant, task
from locust.clients import ResponseContextManager

from scenarios.conversation import END_NAME, SLICE, START_NAME, Turn

REQUEST_TIMEOUT_SECONDS = 60.0


def think_seconds() -> float:
    value = float(os.environ.get("THINK_SECONDS", "0"))
    if not 0 <= value <= 60:
        raise ValueError("THINK_SECONDS must be between 0 and 60")
    return value


THINK_SECONDS = think_seconds()


def status_problem(response: ResponseContextManager, expected: int) -> str | None:
    if response.status_code == expected:
        return None
    if response.status_code == 0:
        return f"no response: {type(response.error).__name__}"
    return f"status {response.status_code}, expected {expected}"


class ChatSliceUser(HttpUser):
    wait_time = constant(THINK_SECONDS)

    @task
    def hate_crime_slice(self) -> None:
        conversation_id = self.start_conversation()
        if conversation_id is None:
            return
        for number, turn in enumerate(SLICE, start=1):
            if number > 1 and THINK_SECONDS > 0:
                gevent.sleep(THINK_SECONDS)
            if not self.send_turn(conversation_id, number, turn):
                break
        self.end_conversation(conversation_id)

    def start_conversation(self) -> str | None:
        with self.client.post(
            "/v1/chat/conversations",
            json={"language": "en"},
            name=START_NAME,
            timeout=REQUEST_TIMEOUT_SECONDS,
            catch_response=True,
        ) as response:
            problem = status_problem(response, 201)
            conversation_id = None
            if problem is None:
                try:
                    conversation_id = str(response.json()["id"])
                except (ValueError, KeyError, TypeError):
                    problem = "no conversation id in the reply"
            if problem is not None:
                response.failure(problem)
                return None
            response.success()
            return conversation_id

    def send_turn(self, conversation_id: str, number: int, turn: Turn) -> bool:
        with self.client.post(
            f"/v1/chat/conversations/{conversation_id}/messages",
            json={"text": turn.text},
            name=turn.name(number),
            timeout=REQUEST_TIMEOUT_SECONDS,
            catch_response=True,
        ) as response:
            problem = status_problem(response, 200)
            if problem is None:
                try:
                    problem = turn.problem(response.json()["messages"])
                except (ValueError, KeyError, TypeError):
                    problem = "the reply is not the expected JSON"
            if problem is not None:
                response.failure(problem)
                return False
            response.success()
            return True

    def end_conversation(self, conversation_id: str) -> None:
        with self.client.delete(
            f"/v1/chat/conversations/{conversation_id}",
            name=END_NAME,
            timeout=REQUEST_TIMEOUT_SECONDS,
            catch_response=True,
        ) as response:
            problem = status_problem(response, 204)
            if problem is not None:
                response.failure(problem)
            else:
                response.success()
