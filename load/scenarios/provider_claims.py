"""ProviderClaimUser: caseworkers of the hate crime service working their queue through the provider API, each
with a token of their own (PROVIDER_TOKENS, comma-separated; users take them in turn).

Each task is one case's life on the provider side: "queue claim" (`POST /v1/queues/hate_crime/claim`: the
next case in queue order, leased, with the case's details opened, and audited), "queue accept", then
"queue close" with an outcome. Every answer is checked (status, and the same entry through the three
steps). An empty queue is not a failure of the service: it is counted as "queue claim (empty)" and the
caseworker waits a second; the runner fills the queue before measuring and reports those.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from locust import HttpUser, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # load/, for scenarios.*

from scenarios.common import REQUEST_TIMEOUT_SECONDS, setting, status_problem
from scenarios.payloads import OUTCOMES, QUEUE

CLAIM_NAME = "queue claim"
EMPTY_NAME = "queue claim (empty)"
ACCEPT_NAME = "queue accept"
CLOSE_NAME = "queue close"
_caseworkers = itertools.count()


class ProviderClaimUser(HttpUser):
    weight = 2
    queue_was_empty = False

    def wait_time(self) -> float:
        return 1.0 if self.queue_was_empty else 0.0

    def on_start(self) -> None:
        tokens = [t.strip() for t in setting("PROVIDER_TOKENS").split(",") if t.strip()]
        index = next(_caseworkers)
        self.headers = {"Authorization": f"Bearer {tokens[index % len(tokens)]}"}
        self.outcomes = itertools.islice(itertools.cycle(OUTCOMES), index, None)

    @task
    def work_a_case(self) -> None:
        entry_id = self.claim()
        if entry_id is None:
            return
        if self.step(entry_id, "accept", ACCEPT_NAME, None, "accepted"):
            self.step(entry_id, "close", CLOSE_NAME, {"outcome": next(self.outcomes)}, "closed")

    def claim(self) -> str | None:
        with self.client.post(
            f"/v1/queues/{QUEUE}/claim",
            headers=self.headers,
            name=CLAIM_NAME,
            timeout=REQUEST_TIMEOUT_SECONDS,
            catch_response=True,
        ) as response:
            if response.status_code == 404 and "queue_empty" in response.text:
                response.request_meta["name"] = EMPTY_NAME
                response.success()
                self.queue_was_empty = True
                return None
            self.queue_was_empty = False
            problem = status_problem(response, 200)
            entry_id = None
            if problem is None:
                try:
                    body = response.json()
                    entry_id = str(body["entry_id"])
                    if not body["case"]["reference"].startswith("SR-"):
                        problem = "the claimed case has no reference"
                except (ValueError, KeyError, TypeError):
                    problem = "the answer is not a claimed case"
            if problem is not None:
                response.failure(problem)
                return None
            response.success()
            return entry_id

    def step(self, entry_id: str, action: str, name: str, body: dict[str, str] | None, status: str) -> bool:
        with self.client.post(
            f"/v1/queues/{QUEUE}/cases/{entry_id}/{action}",
            headers=self.headers,
            json=body,
            name=name,
            timeout=REQUEST_TIMEOUT_SECONDS,
            catch_response=True,
        ) as response:
            problem = status_problem(response, 200)
            if problem is None:
                try:
                    state = response.json()
                    if state["entry_id"] != entry_id or state["status"] != status:
                        problem = f"the case is {state['status']!r}, expected {status!r}"
                except (ValueError, KeyError, TypeError):
                    problem = "the answer is not the case's state"
            if problem is not None:
                response.failure(problem)
                return False
            response.success()
            return True
