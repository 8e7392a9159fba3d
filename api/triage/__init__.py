"""Triage: a pure, versioned function from what we learned about a case to where it goes, how and why.

The contract is TRIAGE.md, shared with the bot, the agency form, the police feed import and the provider
queues.
"""

from api.triage.queue_order import queue_sort_key
from api.triage.rules import REASON_KEYS, REASONS, RULES_VERSION, evaluate
from api.triage.schemas import (
    Consent,
    DaRedFlag,
    EnhancedGround,
    Flag,
    HateStrand,
    ImmediateDanger,
    IncidentType,
    LawfulBasis,
    MostSeriousCategory,
    Outcome,
    Priority,
    Queue,
    Reason,
    Relationship,
    ReporterRole,
    Tier,
    TriageDecision,
    TriageInput,
    Vulnerability,
)

__all__ = [
    "REASONS",
    "REASON_KEYS",
    "RULES_VERSION",
    "Consent",
    "DaRedFlag",
    "EnhancedGround",
    "Flag",
    "HateStrand",
    "ImmediateDanger",
    "IncidentType",
    "LawfulBasis",
    "MostSeriousCategory",
    "Outcome",
    "Priority",
    "Queue",
    "Reason",
    "Relationship",
    "ReporterRole",
    "Tier",
    "TriageDecision",
    "TriageInput",
    "Vulnerability",
    "evaluate",
    "queue_sort_key",
]
