"""The repository's flows, loaded once (on first use, never at import) for the api's own checks: the
agency route of POST /v1/referrals and the agency referral form."""

from __future__ import annotations

from functools import lru_cache

from api.config import REPO_ROOT
from api.flow.loader import LoadedFlow, load_flows
from api.flow.spec import FlowKind

FLOWS_DIR = REPO_ROOT / "flows"
LOCALES_DIR = REPO_ROOT / "locales"


@lru_cache(maxsize=1)
def all_flows() -> dict[str, LoadedFlow]:
    return load_flows(FLOWS_DIR, LOCALES_DIR)


def journeys() -> dict[str, LoadedFlow]:
    """The flows that end in a referral, by id."""
    return {fid: flow for fid, flow in all_flows().items() if flow.spec.kind == FlowKind.journey}
