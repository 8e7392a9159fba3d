"""How well the flow engine understands answers typed in words: `make answers-report`.

    python -m tools.answers_report            # a table per language and answer type
    python -m tools.answers_report --misses   # and every answer not understood as expected

Reads tests/fixtures/answers/<lang>.yml (synthetic answers as people type them, each with what must be stored,
or confirmed) and parses each with flowkit.parse, as the bot's form validator does (no NLU intent). Counts:
- right: stored the expected value (or, where the fixture says `confirm`, confirmed it or stored it);
- confirmed: a guess put to the person ("did you mean …?") where a value should have been stored;
- re-asked: not understood, the question is asked again;
- wrong: a value stored that is not the expected one (the worst: nobody notices). Wrong consent is listed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from flowkit.flows import question_by_id
from flowkit.parse import parse_answer
from flowkit.spec import Strictness
from tools.paths import ROOT

FIXTURES = Path(os.environ.get("ANSWERS_FIXTURES") or ROOT / "tests" / "fixtures" / "answers")
OUTCOMES = ("right", "confirmed", "re-asked", "wrong")
TARGET = 0.95


@dataclass(frozen=True)
class Case:
    language: str
    question: str
    said: Any
    expected: Any  # the value to store; for `confirm`, the value to confirm
    confirm: bool
    today: date


@dataclass(frozen=True)
class Result:
    case: Case
    outcome: str
    got: Any
    got_confirm: bool


question = question_by_id


def cases(directory: Path = FIXTURES) -> list[Case]:
    found: list[Case] = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        today = date.fromisoformat(str(data["today"]))
        for item in data["answers"]:
            confirm = "confirm" in item
            expected = item["confirm"] if confirm else item.get("store", item.get("ask"))
            found.append(Case(data["language"], item["q"], item["say"], expected, confirm, today))
    return found


def comparable(value: Any) -> Any:
    return value.get("date") if isinstance(value, dict) else value


def run(case: Case) -> Result:
    parsed = parse_answer(question(case.question), case.said, None, case.language, case.today)
    confirm = bool(getattr(parsed, "confirm", False))  # (an engine without confirmations: never)
    got = comparable(parsed.value)
    expected = comparable(case.expected)
    if expected == "again":  # the fixture expects the question asked again
        outcome = "right" if not parsed.ok and not confirm else ("wrong" if parsed.ok else "confirmed")
    elif parsed.ok:
        outcome = "right" if got == expected else "wrong"
    elif confirm:
        outcome = "right" if case.confirm and got == expected else "confirmed"
    else:
        outcome = "re-asked"
    return Result(case, outcome, got, confirm)


def table(results: list[Result]) -> str:
    by: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for result in results:
        kind = question(result.case.question).type.value
        by[(result.case.language, kind)][result.outcome] += 1
        by[(result.case.language, "ALL")][result.outcome] += 1
    lines = [f"{'lang':5} {'type':9} {'n':>4} " + " ".join(f"{o:>9}" for o in OUTCOMES) + "   right%"]
    for (language, kind), counts in sorted(
        by.items(), key=lambda kv: (kv[0][0], kv[0][1] == "ALL", kv[0][1])
    ):
        total = sum(counts.values())
        share = counts["right"] / total if total else 0.0
        mark = "" if kind != "ALL" or share >= TARGET else "  < target"
        lines.append(
            f"{language:5} {kind:9} {total:4} "
            + " ".join(f"{counts[o]:9}" for o in OUTCOMES)
            + f"   {share:6.1%}{mark}"
        )
        if kind == "ALL":
            lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every answer not understood as expected")
    args = parser.parse_args(argv)
    os.environ.setdefault("ALLOW_FICTIONAL_PHONE_NUMBERS", "1")  # the fixtures use Ofcom's drama numbers
    results = [run(case) for case in cases()]
    print(table(results))
    wrong_consent = [
        r for r in results if r.outcome == "wrong" and question(r.case.question).strict == Strictness.consent
    ]
    print(f"wrong consent: {len(wrong_consent)}")
    for result in wrong_consent:
        print(f"  {result.case.language} {result.case.said!r}: stored {result.got!r}")
    if args.misses:
        for result in results:
            if result.outcome != "right":
                c = result.case
                print(
                    f"{result.outcome:9} {c.language} {c.question}: {c.said!r} "
                    f"expected {'confirm ' if c.confirm else ''}{comparable(c.expected)!r}, "
                    f"got {'confirm ' if result.got_confirm else ''}{result.got!r}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
