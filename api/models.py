"""Imports every feature's tables so that Alembic and the tests see one complete metadata."""

from api.accounts.models import Account
from api.alerts.models import Alert, TeamAddress
from api.audit.models import AuditEvent
from api.consent.models import ConsentReceipt, ConsentWording
from api.conversation.models import Conversation
from api.encryption.models import CaseKey
from api.kit.models import Base
from api.phone_check.models import PhoneCheck
from api.principal.models import Principal
from api.queue.models import CaseActivity, QueueEntry
from api.referral.models import DecisionVersion, IdempotencyRecord, Referral
from api.sms.models import SmsContact, SmsInbound, SmsOutbound, SmsSenderPace
from api.stats.models import StatsCount
from api.web.models import WebSession
from api.worker.models import WorkerHeartbeat

__all__ = [
    "Account",
    "Alert",
    "AuditEvent",
    "Base",
    "CaseActivity",
    "CaseKey",
    "ConsentReceipt",
    "ConsentWording",
    "Conversation",
    "DecisionVersion",
    "IdempotencyRecord",
    "PhoneCheck",
    "Principal",
    "QueueEntry",
    "Referral",
    "SmsContact",
    "SmsInbound",
    "SmsOutbound",
    "SmsSenderPace",
    "StatsCount",
    "TeamAddress",
    "WebSession",
    "WorkerHeartbeat",
]
