"""SmsConversationUser: a person texting the helpline, end to end: signed webhook -> api -> worker (the bot
turn through Rasa) -> outbox -> the local fake Twilio, where the reply is measured.

Each locust user is one person with a number of their own (Ofcom drama range, +447700900200 to 399, clear of
the numbers the chat scripts give as contact numbers), texting the hate crime journey of
`journeys.journeys()` in one of the 8 languages, one text at a time, as people do: text, wait for the
reply, text the next answer. Each text is:

- `POST /v1/channels/sms/inbound` ("sms webhook"), Twilio's form fields with a fresh MessageSid, signed by the
  twilio library with TWILIO_AUTH_TOKEN for SMS_SIGNED_BASE_URL (default: the host) + path; 200 with empty
  TwiML or a failure;
- then the fake Twilio's message list for the person's number (Twilio's own list API, Basic auth) is polled
  every POLL_SECONDS until a message that was not there before appears: "sms reply (first)" is recorded, as
  a locust request, with the time from sending the webhook to seeing the reply; then until no further part
  has come for QUIET_SECONDS: "sms reply (all parts)". No reply in REPLY_TIMEOUT_SECONDS is a failure.

Seen by polling, so a reply time is up to POLL_SECONDS late (0.05 s). A text is sent at most every
SMS_PACING_SECONDS per person (default 1: N people text at most N messages a second). The bot's replies are
not checked word for word here (SMS splits and paces them); the chat scenario checks the same scripts.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import gevent
import requests
from locust import HttpUser, constant_pacing, task
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # load/, for scenarios.*

from scenarios.common import loopback_only, number_setting, setting
from scenarios.payloads import SMS_PATH, inbound_params, sender_number, signed_headers, sms_journeys

POLL_SECONDS = 0.05
QUIET_SECONDS = 0.5
REPLY_TIMEOUT_SECONDS = 30.0
WEBHOOK_NAME = "sms webhook"
FIRST_REPLY_NAME = "sms reply (first)"
ALL_PARTS_NAME = "sms reply (all parts)"

_people = itertools.count()


class SmsConversationUser(HttpUser):
    weight = 4

    def on_start(self) -> None:
        self.pacing = number_setting("SMS_PACING_SECONDS", 1, 0, 60)
        self.validator = RequestValidator(setting("TWILIO_AUTH_TOKEN"))
        self.account = setting("TWILIO_ACCOUNT_SID")
        self.url = loopback_only(os.environ.get("SMS_SIGNED_BASE_URL") or self.host or "") + SMS_PATH
        twilio = loopback_only(setting("FAKE_TWILIO_URL"))
        self.messages_url = f"{twilio}/2010-04-01/Accounts/{self.account}/Messages.json"
        self.fake = requests.Session()
        self.fake.auth = (self.account, setting("TWILIO_AUTH_TOKEN"))
        index = next(_people)
        self.number = sender_number(index)
        scripts = sms_journeys()
        self.journey = scripts[index % len(scripts)]
        self.texts = itertools.cycle(step.text for step in self.journey.steps)
        self.seen = self.replies()

    def wait_time(self) -> float:
        """One text every SMS_PACING_SECONDS at most (locust's constant pacing)."""
        return float(constant_pacing(self.pacing)(self))

    def on_stop(self) -> None:
        self.fake.close()

    def replies(self) -> set[str]:
        """The sids of the newest messages the fake Twilio has sent to this person."""
        answer = self.fake.get(self.messages_url, params={"To": self.number, "PageSize": 50}, timeout=10)
        answer.raise_for_status()
        return {m["sid"] for m in answer.json()["messages"]}

    @task
    def text(self) -> None:
        params = inbound_params(self.account, self.number, next(self.texts))
        sent = time.perf_counter()
        with self.client.post(
            SMS_PATH,
            data=urlencode(params),
            headers=signed_headers(self.validator, self.url, params),
            name=WEBHOOK_NAME,
            timeout=15,
            catch_response=True,
        ) as response:
            if response.status_code != 200 or "<Response></Response>" not in response.text:
                response.failure(f"status {response.status_code}")
                return
            response.success()
        self.wait_for_reply(sent)

    def record(self, name: str, started: float, error: str | None = None) -> None:
        self.environment.events.request.fire(
            request_type="SMS",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=RuntimeError(error) if error else None,
            context={},
        )

    def wait_for_reply(self, sent: float) -> None:
        deadline = sent + REPLY_TIMEOUT_SECONDS
        new: set[str] = set()
        while not new:
            if time.perf_counter() > deadline:
                self.record(FIRST_REPLY_NAME, sent, f"no reply in {REPLY_TIMEOUT_SECONDS:g} s")
                return
            gevent.sleep(POLL_SECONDS)
            new = self.replies() - self.seen
        self.record(FIRST_REPLY_NAME, sent)
        self.seen |= new
        last = time.perf_counter()
        while time.perf_counter() - last < QUIET_SECONDS and time.perf_counter() < deadline:
            gevent.sleep(POLL_SECONDS)
            more = self.replies() - self.seen
            if more:
                self.seen |= more
                last = time.perf_counter()
        self.environment.events.request.fire(
            request_type="SMS",
            name=ALL_PARTS_NAME,
            response_time=(last - sent) * 1000,
            response_length=0,
            exception=None,
            context={},
        )
