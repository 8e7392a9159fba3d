"""`python -m api.triage evaluate`: one TriageInput JSON object on stdin, the TriageDecision JSON on stdout.

Exit 0 with the decision; exit 2 with one line per problem on stderr, each naming the field. Input values are
never echoed (they are a victim's details).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from api.triage.rules import RULES_VERSION, evaluate
from api.triage.schemas import TriageInput

EXIT_INVALID_INPUT = 2


def error_lines(exc: ValidationError) -> list[str]:
    """`field: message` per error; nested items read `hate_strands.1`, the whole document reads `input`."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        where = ".".join(str(part) for part in error["loc"]) or "input"
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        else:
            message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return lines


def _evaluate_command() -> int:
    raw = sys.stdin.buffer.read()
    try:
        case = TriageInput.model_validate_json(raw)
    except ValidationError as exc:
        for line in error_lines(exc):
            print(line, file=sys.stderr)
        return EXIT_INVALID_INPUT
    sys.stdout.write(evaluate(case).model_dump_json())
    sys.stdout.write("\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m api.triage",
        description=f"Triage a case with the rules of TRIAGE.md (rules version {RULES_VERSION}).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "evaluate",
        help="read one TriageInput JSON object on stdin, write the TriageDecision JSON on stdout",
        description=(
            "Read one TriageInput JSON object on stdin and write the TriageDecision JSON on stdout (exit 0). "
            "Invalid input: exit 2, one line per problem on stderr naming the field."
        ),
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "evaluate":
        return _evaluate_command()
    return EXIT_INVALID_INPUT  # unreachable: argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
