"""FreeTextChatUser: people referring themselves through the web chat in their own words, in all 8 languages.

Each task is one whole conversation from `journeys.journeys()` (hate crime, ASB or domestic abuse, in en, ar,
bn, pa, pl, ro, uk or ur; each locust user starts at its own place in that list and walks on): start it with
no language chosen (the service recognises the person's language from the first message), type every answer
in that language, check each reply asks the next question in it, and end with a reference number; then DELETE.
Every turn is one request named "chat turn <language>", so locust reports each language; start and end are
"chat start" and "chat end". A wrong reply is a failure (with its reason) and ends that conversation early.

Think time is 0 by default (latency); THINK_SECONDS (0 to 60) waits that long between turns, for a person's
pace. Every completed conversation is a real referral in the stack's database.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import gevent
from locust import HttpUser, constant, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # load/, for scenarios.*

from scenarios.common import REQUEST_TIMEOUT_SECONDS, number_setting, status_problem
from scenarios.journeys import END_NAME, START_NAME, Journey, journeys

_offsets = itertools.count()


class FreeTextChatUser(HttpUser):
    wait_time = constant(0)
    weight = 8  # in the mixed run (load/doors.py): users in proportion to the weights

    def on_start(self) -> None:
        self.think = number_setting("THINK_SECONDS", 0, 0, 60)
        scripts = journeys()
        start = next(_offsets) * 7 % len(scripts)  # users spread over languages and journeys
        self.scripts = itertools.islice(itertools.cycle(scripts), start, None)

    @task
    def conversation(self) -> None:
        journey = next(self.scripts)
        conversation_id = self.start_conversation()
        if conversation_id is None:
            return
        for number in range(len(journey.steps)):
            if number and self.think:
                gevent.sleep(self.think)
            if not self.turn(conversation_id, journey, number):
                break
        self.end_conversation(conversation_id)

    def start_conversation(self) -> str | None:
        with self.client.post(
            "/v1/chat/conversations",
            json={},
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

    def turn(self, conversation_id: str, journey: Journey, number: int) -> bool:
        step = journey.steps[number]
        with self.client.post(
            f"/v1/chat/conversations/{conversation_id}/messages",
            json={"text": step.text},
            name=journey.turn_name,
            timeout=REQUEST_TIMEOUT_SECONDS,
            catch_response=True,
        ) as response:
            problem = status_problem(response, 200)
            if problem is None:
                try:
                    body = response.json()
                except ValueError:
                    body = None
                problem = step.problem(body, journey.language)
            if problem is not None:
                response.failure(f"{journey.journey} turn {number + 1}: {problem}")
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
