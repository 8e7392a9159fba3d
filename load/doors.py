"""Locust entry point for every door of the service (see load/README.md): pick the users by class name.

    locust -f load/doors.py FreeTextChatUser --host http://127.0.0.1:8000      # one door
    locust -f load/doors.py --host http://127.0.0.1:8000 -u 20                # the mixed run: every door

With no class named, locust runs every door at once, users in proportion to each class's `weight`
(MIXED_WEIGHTS below: at 20 users exactly those numbers). HealthzUser is not here: it is the baseline, run
on its own (load/scenarios/healthz.py). Settings each door needs come from the environment (the runner,
load/run_doors.py, sets them all).
"""

from __future__ import annotations

from typing import Any

import gevent
from locust import events
from scenarios.agency import AgencyApiUser, AgencyFormUser
from scenarios.chat_free_text import FreeTextChatUser
from scenarios.journeys import journeys
from scenarios.police_feed import PoliceFeedUser
from scenarios.provider_claims import ProviderClaimUser
from scenarios.sms_conversation import SmsConversationUser

__all__ = [
    "AgencyApiUser",
    "AgencyFormUser",
    "FreeTextChatUser",
    "PoliceFeedUser",
    "ProviderClaimUser",
    "SmsConversationUser",
]

MIXED_WEIGHTS = {
    user.__name__: user.weight
    for user in (
        FreeTextChatUser,
        SmsConversationUser,
        AgencyApiUser,
        AgencyFormUser,
        ProviderClaimUser,
        PoliceFeedUser,
    )
}


@events.init.add_listener
def _prepare(**_kwargs: Any) -> None:
    """Build the free-text scripts before any user starts (seconds of CPU that would otherwise stall every
    user at the first conversation), then refresh gevent's cached clock: the imports and this took
    seconds, and locust's --run-time timer, armed next, would otherwise count them against the run."""
    journeys()
    gevent.get_hub().loop.update_now()
