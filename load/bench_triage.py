"""Benchmark (not a test): triage evaluations per second on one core, for a realistic mix of cases.

Run from the repository root:

    .venvs/api/bin/python load/bench_triage.py [--cases 2000] [--rounds 7]

It measures, single-threaded and pinned to one CPU where the OS allows:

- `evaluate` alone, on TriageInput objects built up front;
- the full JSON path of the CLI and the endpoint: JSON bytes in, validate, evaluate, JSON out;
- a baseline in the same run: validating the same cases into TriageInput without evaluating them.

Each figure is the best of several rounds; the ratios against the baseline are what to compare between
machines and runs, because a shared machine's absolute numbers drift.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.triage import RULES_VERSION, TriageInput, evaluate

# Roughly the expected intake: mostly hate and ASB self-referrals, a large share of domestic abuse, some
# children, police feed referrals, perpetrators, people who do not consent, and people from outside the area.
MIX: list[tuple[float, dict[str, Any]]] = [
    (0.22, {"incident_type": "hate", "hate_strands": ["race"], "consent": "given"}),
    (0.20, {"incident_type": "asb", "relationship": "neighbour", "consent": "given"}),
    (0.18, {"incident_type": "domestic_abuse", "relationship": "partner", "consent": "given"}),
    (0.10, {"lawful_basis": "police_referral", "incident_type": "hate", "hate_strands": ["religion"]}),
    (0.08, {"incident_type": "other_crime", "consent": "given"}),
    (0.06, {"incident_type": "domestic_abuse", "consent": "given", "age_years": 15}),
    (0.05, {"reporter_role": "perpetrator_self", "consent": "given"}),
    (0.05, {"reporter_role": "third_party", "consent": "not_asked", "incident_type": "asb"}),
    (0.03, {"incident_type": "asb", "consent": "given", "child_safeguarding_concern": True}),
    (0.03, {"incident_type": "hate", "consent": "given", "lives_in_area": False}),
]
START = datetime(2026, 1, 1, tzinfo=UTC)


def realistic_case(rng: random.Random) -> dict[str, Any]:
    weights = [weight for weight, _ in MIX]
    fields = dict(rng.choices([fields for _, fields in MIX], weights=weights)[0])
    fields.setdefault("age_years", rng.choice([None, rng.randint(12, 85)]))
    fields["received_at"] = (START + timedelta(minutes=rng.randrange(0, 365 * 24 * 60))).isoformat()
    if rng.random() < 0.15:
        fields["immediate_danger"] = rng.choice(["yes", "unsure"])
    if fields.get("incident_type") == "domestic_abuse" and rng.random() < 0.4:
        fields["da_red_flags"] = rng.sample(["strangulation", "threats_to_kill", "weapon", "stalking"], k=2)
        fields["child_exposed_to_da"] = rng.random() < 0.5
    if fields.get("incident_type") == "asb":
        fields["asb_reports_6m"] = rng.randint(0, 6)
        fields["asb_last_report_days"] = rng.randint(0, 60)
        fields["mediation_requested"] = rng.random() < 0.3
        fields["violence_or_threats"] = rng.random() < 0.2
    if rng.random() < 0.2:
        fields["vulnerabilities"] = ["mental_health"]
    fields["repeat_targeting"] = rng.random() < 0.3
    return fields


def best_rate(work: Callable[[], object], items: int, rounds: int) -> float:
    """Items per second of the fastest round (the least disturbed by other load)."""
    work()  # warm up: caches, lazy imports, branch predictors
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return items / best


def pin_to_one_cpu() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=2000, help="distinct cases in the mix (default 2000)")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds; the best is kept (default 7)")
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args()

    pinned = pin_to_one_cpu()
    rng = random.Random(args.seed)
    dicts = [realistic_case(rng) for _ in range(args.cases)]
    payloads = [json.dumps(fields).encode() for fields in dicts]
    cases = [TriageInput.model_validate(fields) for fields in dicts]

    def baseline() -> None:
        for fields in dicts:
            TriageInput.model_validate(fields)

    def evaluate_only() -> None:
        for case in cases:
            evaluate(case)

    def json_path() -> None:
        for payload in payloads:
            evaluate(TriageInput.model_validate_json(payload)).model_dump_json()

    baseline_rate = best_rate(baseline, len(dicts), args.rounds)
    evaluate_rate = best_rate(evaluate_only, len(cases), args.rounds)
    json_rate = best_rate(json_path, len(payloads), args.rounds)

    print(f"triage benchmark: rules {RULES_VERSION}, Python {platform.python_version()}, {pinned}")
    print(f"{args.cases} distinct cases, best of {args.rounds} rounds")
    print(f"baseline  TriageInput.model_validate(dict)      {baseline_rate:>12,.0f} /s")
    print(f"evaluate  evaluate(TriageInput)                 {evaluate_rate:>12,.0f} /s")
    print(f"json      JSON bytes -> evaluate -> JSON        {json_rate:>12,.0f} /s")
    print(f"ratio     evaluate / baseline                   {evaluate_rate / baseline_rate:>12.2f}")
    print(f"ratio     json / baseline                       {json_rate / baseline_rate:>12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
