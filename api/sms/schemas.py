"""What Twilio sends us (form fields) and the statuses it reports, with the order they are merged in."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
TWIML_MEDIA_TYPE = "text/xml"
MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-f]{32}$")
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
MAX_TWILIO_MEDIA = 10


class FormParams(dict[str, list[str]]):
    """An `application/x-www-form-urlencoded` body with repeated names kept, as the twilio library's
    validator reads it (`getall`)."""

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> FormParams:
        params = cls()
        for name, value in pairs:
            params.setdefault(name, []).append(value)
        return params

    def getall(self, name: str) -> list[str]:
        return self[name]

    def first(self, name: str) -> str | None:
        values = self.get(name)
        return values[0] if values else None


class DeliveryStatus(StrEnum):
    """Twilio's message statuses (https://www.twilio.com/docs/messaging/api/message-resource)."""

    accepted = "accepted"
    scheduled = "scheduled"
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    undelivered = "undelivered"
    delivered = "delivered"
    read = "read"
    canceled = "canceled"


# Merged by rank, never downgraded: callbacks arrive in any order and a late "sent" must never overwrite
# "delivered". The three final outcomes share a level; their order breaks the (rare) tie so that the merge
# is a maximum over one total order: commutative, associative and idempotent, hence order-independent.
STATUS_RANK: dict[str, int] = {
    DeliveryStatus.accepted: 10,
    DeliveryStatus.scheduled: 11,
    DeliveryStatus.queued: 12,
    DeliveryStatus.sending: 20,
    DeliveryStatus.sent: 30,
    DeliveryStatus.canceled: 40,
    DeliveryStatus.failed: 41,
    DeliveryStatus.undelivered: 42,
    DeliveryStatus.delivered: 43,
    DeliveryStatus.read: 50,
}
FINAL_STATUSES = frozenset(
    {
        DeliveryStatus.canceled,
        DeliveryStatus.failed,
        DeliveryStatus.undelivered,
        DeliveryStatus.delivered,
        DeliveryStatus.read,
    }
)


def merge_status(current: str | None, reported: str) -> str:
    """The status to keep when `reported` arrives and `current` is known (None: nothing yet)."""
    if reported not in STATUS_RANK:
        return current or reported
    if current is None or current not in STATUS_RANK:
        return reported
    return reported if STATUS_RANK[reported] > STATUS_RANK[current] else current


@dataclass(frozen=True)
class InboundSms:
    """An inbound message as the worker needs it. `sender` is our number that received it."""

    message_sid: str
    from_number: str
    sender: str
    body: str
    num_media: int
    opt_out_type: str | None


@dataclass(frozen=True)
class StatusReport:
    message_sid: str
    status: str
    error_code: int | None
