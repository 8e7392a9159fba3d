"""SignedInboundUser: Twilio delivering inbound SMS to the helpline, as fast as the api acknowledges them.

A locustfile of its own (`locust -f load/scenarios/sms_inbound.py SignedInboundUser`). Each request is one
`POST /v1/channels/sms/inbound` with Twilio's form fields, a fresh MessageSid, a sender from Ofcom's drama
range (07700 900000-900999, so messages spread over up to 1,000 conversations), and `X-Twilio-Signature`
computed by the twilio library with `TWILIO_AUTH_TOKEN` for `SMS_SIGNED_BASE_URL` (default: the host) +
path, exactly as the api checks it. The answer must be 200 with empty TwiML. One request in 50 re-sends an
earlier MessageSid (Twilio's re-delivery), which must be acknowledged the same way.
"""

from __future__ import annotations

import os
import random
import secrets
from urllib.parse import urlencode

from locust import HttpUser, constant, task
from twilio.request_validator import RequestValidator

PATH = "/v1/channels/sms/inbound"
BODIES = ["hello", "yes", "1", "someone keeps shouting at me in the street", "😢", "stop", "help"]


class SignedInboundUser(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
        self.account = os.environ.get("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
        self.url = os.environ.get("SMS_SIGNED_BASE_URL", self.host or "").rstrip("/") + PATH
        self.sent: list[dict[str, str]] = []

    @task
    def inbound(self) -> None:
        if self.sent and random.random() < 0.02:
            params = random.choice(self.sent)
            name = f"POST {PATH} (re-delivery)"
        else:
            sid = "SM" + secrets.token_hex(16)
            params = {
                "MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": self.account,
                "From": f"+447700900{random.randrange(1000):03d}", "To": "+447700900000",
                "Body": random.choice(BODIES), "NumMedia": "0", "NumSegments": "1",
                "SmsStatus": "received", "ToCountry": "GB", "ApiVersion": "2010-04-01",
            }  # fmt: skip
            self.sent = [*self.sent, params][-100:]
            name = f"POST {PATH}"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(self.url, params),
        }
        with self.client.post(
            PATH, data=urlencode(params), headers=headers, name=name, timeout=15, catch_response=True
        ) as response:
            if response.status_code != 200 or "<Response></Response>" not in response.text:
                response.failure(f"status {response.status_code}")
            else:
                response.success()
