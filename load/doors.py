"""Locust entry point for every door of the service (see load/README.md): pick the users by class name.

    locust -f load/doors.py FreeTextChatUser --host http://127.0.0.1:8000      # one door
    locust -f load/doors.py --host http://127.0.0.1:8000 -u 20                # the mixed run: every door

With no class named, locust runs every door at once, users in proportion to each class's `weight`
(MIXED_WEIGHTS below: at 20 users exactly those numbers). HealthzUser is not here: it is the baseline, run
on its own (load/scenarios/healthz.py). Settings each door needs come from the environment (the runner,
load/run_doors.py, sets them all).
"""

from __future__ import annotations

from scenarios.agency import AgencyApiUser, AgencyFormUser
from scenarios.chat_free_text import FreeTextChatUser
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
