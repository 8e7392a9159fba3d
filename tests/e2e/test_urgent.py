"""End to end: a person refers themselves, then says they are in danger ("he's here now"); they get the 999
advice at once, and the case already in the hate crime queue becomes urgent (the action server calls
POST /v1/referrals/{reference}/urgent in the background)."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.test_hate_crime_slice import SLICE, provider_token
from tools.stack import Stack

pytestmark = pytest.mark.e2e


class TestDangerAfterHandOff:
    def test_the_case_becomes_urgent(self, stack: Stack) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            conversation = http.post("/v1/chat/conversations", json={"language": "en"}).json()
            path = f"/v1/chat/conversations/{conversation['id']}/messages"
            joined = ""
            for text, expected in SLICE:
                reply = http.post(path, json={"text": text})
                joined = " ".join(m["text"] for m in reply.json()["messages"])
                assert expected in joined, f"after {text!r}: {joined!r}\n{stack.log_tail()}"
            reference = joined.split("Your reference is ")[1].split(".")[0]
            caseworker = {"Authorization": f"Bearer {provider_token(stack, 'hate_crime')}"}

            def queued() -> dict[str, object]:
                # The stack is shared (tests/stacks.py): other tests' cases may be in the queue too.
                listed = http.get("/v1/queues/hate_crime/cases", params={"limit": 200}, headers=caseworker)
                [item] = [i for i in listed.json()["items"] if i["reference"] == reference]
                return dict(item)

            item = queued()
            assert (item["reference"], item["priority"]) == (reference, "normal")

            danger = http.post(path, json={"text": "he's here now"})
            assert danger.status_code == 200
            assert "999" in " ".join(m["text"] for m in danger.json()["messages"])

            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                item = queued()
                if item["priority"] == "emergency":
                    break
                time.sleep(0.2)
            assert item["priority"] == "emergency", stack.log_tail()
