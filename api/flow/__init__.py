"""Conversation flows: the spec of flows/ (models, JSON Schema), the loader that refuses a broken flow, and
what answers mean for triage. The bot, the agency form and the api's checks all read flows through this
contract (the bot through its own small reader: it runs on another Python and never imports the api)."""

from api.flow.loader import FlowError, LoadedFlow, load_flows
from api.flow.spec import SPEC_VERSION, Flow, json_schema

__all__ = ["SPEC_VERSION", "Flow", "FlowError", "LoadedFlow", "json_schema", "load_flows"]
