"""The repository's flows, loaded once (on first use, never at import) for the api's own checks: the
agency route of POST /v1/referrals and the agency referral form. Loaded by flowkit, with the api's
TriageInput as the judge of every triage mapping."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from api.config import REPO_ROOT
from api.triage import TriageInput
from flowkit import flows as flowkit_flows
from flowkit.flows import LoadedFlow
from flowkit.spec import FlowKind

FLOWS_DIR = REPO_ROOT / "flows"
LOCALES_DIR = REPO_ROOT / "locales"


def check_triage_value(field_name: str, value: Any) -> None:
    """flowkit's TriageCheck: KeyError for a field TriageInput does not have, ValueError for a value it
    refuses."""
    if field_name not in TriageInput.model_fields:
        raise KeyError(field_name)
    try:
        TriageInput.model_validate({field_name: value})
    except ValidationError as exc:
        raise ValueError(str(exc)) from exc


def load_flows(flows_dir: Path = FLOWS_DIR, locales_dir: Path = LOCALES_DIR) -> dict[str, LoadedFlow]:
    return flowkit_flows.load_flows(flows_dir, locales_dir, triage_check=check_triage_value)


@lru_cache(maxsize=1)
def all_flows() -> dict[str, LoadedFlow]:
    return load_flows(FLOWS_DIR, LOCALES_DIR)


def journeys() -> dict[str, LoadedFlow]:
    """The flows that end in a referral, by id."""
    return {fid: flow for fid, flow in all_flows().items() if flow.kind == FlowKind.journey}
