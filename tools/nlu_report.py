"""NLU cross-validation per intent: a report, not a gate (the data is small; see bot/README.md).

    python -m tools.nlu_report [--folds 3]     # prints a Markdown table per language

Runs `rasa test nlu --cross-validation` on each language's examples with the bot's own pipeline.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from tools.model import rasa_env
from tools.paths import DATA, RASA, ROOT

AVERAGES = ("accuracy", "macro avg", "weighted avg", "micro avg")


def cross_validate(language: str, folds: int, out: Path) -> dict[str, dict[str, float]]:
    command = [
        str(RASA), "test", "nlu", "--nlu", f"bot/data/nlu/{language}", "--config", "bot/config.yml",
        "--cross-validation", "--folds", str(folds), "--out", str(out),
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=rasa_env(), check=True, capture_output=True)
    report: dict[str, dict[str, float]] = json.loads((out / "intent_report.json").read_text())
    return report


def table(report: dict[str, dict[str, float]]) -> str:
    lines = ["| intent | precision | recall | F1 | examples |", "| --- | --- | --- | --- | --- |"]
    for name, row in sorted(report.items()):
        if name in AVERAGES or not isinstance(row, dict):
            continue
        lines.append(
            f"| {name} | {row['precision']:.2f} | {row['recall']:.2f} | {row['f1-score']:.2f} "
            f"| {int(row['support'])} |"
        )
    weighted = report["weighted avg"]
    lines.append(
        f"| **all (weighted)** | {weighted['precision']:.2f} | {weighted['recall']:.2f} "
        f"| {weighted['f1-score']:.2f} | {int(weighted['support'])} |"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--language", action="append", help="only this language (repeatable)")
    args = parser.parse_args()
    for language_dir in sorted((ROOT / "bot" / "data" / "nlu").iterdir()):
        language = language_dir.name
        if args.language and language not in args.language:
            continue
        report = cross_validate(language, args.folds, DATA / "tmp" / f"nlu-report-{language}")
        accuracy = float(report["accuracy"])  # type: ignore[arg-type]
        print(f"## {language} ({args.folds}-fold cross-validation, accuracy {accuracy:.2f})\n")
        print(table(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
