"""`python -m api.flow check` loads every flow (exit 1 with the reason when one is broken);
`python -m api.flow schema` rewrites flows/flow.schema.json from the spec's models."""

from __future__ import annotations

import argparse
import json
import sys

from api.config import REPO_ROOT
from api.flow.journeys import load_flows
from api.flow.spec import json_schema
from flowkit.flows import SCHEMA_FILE
from flowkit.spec import FlowError

FLOWS_DIR = REPO_ROOT / "flows"
LOCALES_DIR = REPO_ROOT / "locales"


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.flow", description=__doc__)
    parser.add_argument("command", choices=["check", "schema"])
    args = parser.parse_args(argv)
    if args.command == "schema":
        (FLOWS_DIR / SCHEMA_FILE).write_text(schema_text(), encoding="utf-8")
        return 0
    try:
        flows = load_flows(FLOWS_DIR, LOCALES_DIR)
    except FlowError as exc:
        print(f"broken flow: {exc}", file=sys.stderr)
        return 1
    print(f"{len(flows)} flows: {', '.join(sorted(flows))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
