"""Conversation flows for the api: flowkit's loader with the api's own check that every triage mapping
gives values TriageInput accepts, and the JSON Schema of a flow file (spec.py). The semantics (loading,
walking, checking and mapping answers) are flowkit's, shared with the bot."""

from api.flow.journeys import all_flows, check_triage_value, journeys, load_flows
from flowkit.flows import LoadedFlow
from flowkit.spec import SPEC_VERSION, FlowError

__all__ = [
    "SPEC_VERSION",
    "FlowError",
    "LoadedFlow",
    "all_flows",
    "check_triage_value",
    "journeys",
    "load_flows",
]
