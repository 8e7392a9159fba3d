"""NLU cross-validation of the one multilingual model, reported per language and per intent.

    python -m tools.nlu_report [--folds 3] [--language pl ...] [--check] [--out FILE]

Cross-validates the bot's own pipeline (bot/config.yml) on the NLU examples of every language together (or
of each language named on its own, for a quick look while writing examples), then splits the held-out
predictions by the language each example came from. The cross-validation runs in the bot's environment
(bot/nlu/cross_validation.py): stratified folds with a fixed seed, each trained by Rasa's own training and
its held-out examples predicted in one batch through the trained model's graph; what `rasa test nlu
--cross-validation` measures, without its predictions of the training folds and its plots. Prints a
Markdown report.
An `emergency` example the classifier misses is still caught by the danger phrases the api checks before
any NLU (api/conversation/gateway.py): every `emergency` example of a language is covered by a phrase of that
language (tests/i18n/test_danger_coverage.py), so the report shows both, and how many non-emergency
examples a danger phrase fires on (each would get the 999 advice: a false alarm). `--check` fails (exit 1)
when a language is below FLOOR (a regression) or when an `emergency` example is missed by both the
classifier and the danger phrases (deterministic: the phrases cover every example, whatever the folds); a
language below TARGET (the bar of DESIGN §6) is marked in the report. `make test` runs it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from api.conversation.danger import DangerPhrases
from bot.nlu.examples import examples
from tools.model import rasa_env
from tools.paths import BOT_PYTHON, DATA, ROOT

NLU = ROOT / "bot" / "data" / "nlu"
# The bar (DESIGN §6): every language at least TARGET. `--check` fails below FLOOR, which catches a
# regression; a language between the two is marked below target in the report (see the issue notes).
TARGET = 0.90
FLOOR = 0.85
EMERGENCY = "emergency"
# Folds trained at once, each in its own process: the CI machine has 2 cores.
WORKERS = 2


@dataclass(frozen=True)
class Prediction:
    text: str
    intent: str
    predicted: str


def cross_validate(data: Path, folds: int, out: Path, workers: int = WORKERS) -> list[Prediction]:
    """The held-out prediction of every example of `data` (a folder or a file of Rasa NLU data), from the
    bot's environment (bot/nlu/cross_validation.py); the predictions are also kept in `out`."""
    path = out / "predictions.json"
    command = [
        str(BOT_PYTHON), "-m", "bot.nlu.cross_validation", "--nlu", str(data), "--config", "bot/config.yml",
        "--folds", str(folds), "--workers", str(workers), "--out", str(path),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=rasa_env(), check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the cross-validation failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    rows = json.loads(path.read_text(encoding="utf-8"))["predictions"]
    return [Prediction(row["text"], row["intent"], row["predicted"]) for row in rows]


def by_language(predictions: list[Prediction], languages: list[str]) -> dict[str, list[Prediction]]:
    language_of = {text: language for language in languages for text in examples(language)}
    split: dict[str, list[Prediction]] = defaultdict(list)
    for prediction in predictions:
        split[language_of.get(prediction.text.strip(), "?")].append(prediction)
    return split


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def accuracy(predictions: list[Prediction]) -> float:
    return sum(p.intent == p.predicted for p in predictions) / len(predictions) if predictions else 0.0


def missed_emergencies(predictions: list[Prediction]) -> list[Prediction]:
    return [p for p in predictions if p.intent == EMERGENCY and p.predicted != EMERGENCY]


@lru_cache(maxsize=1)
def danger_phrases() -> DangerPhrases:
    return DangerPhrases.load(ROOT / "locales" / "danger")


def danger_misses(language: str) -> list[str]:
    """The `emergency` examples of a language that no danger phrase of that language catches (its negations
    considered: a phrase a negation cancels catches nothing)."""
    own = danger_phrases().only(language)
    return [
        text for text, intent in examples(language).items() if intent == EMERGENCY and own.match(text) is None
    ]


def false_alarms(language: str) -> list[tuple[str, str]]:
    """The examples of a language that are not `emergency` but that a danger phrase (of any language, as the
    api checks them all) fires on: each would get the 999 advice instead of its answer."""
    return [
        (text, intent)
        for text, intent in examples(language).items()
        if intent != EMERGENCY and danger_phrases().match(text) is not None
    ]


def missed_by_both(predictions: list[Prediction]) -> list[Prediction]:
    """Emergencies the classifier missed that no danger phrase catches either."""
    return [p for p in missed_emergencies(predictions) if danger_phrases().match(p.text) is None]


def intent_table(predictions: list[Prediction]) -> str:
    support = Counter(p.intent for p in predictions)
    lines = ["| intent | precision | recall | F1 | examples |", "| --- | --- | --- | --- | --- |"]
    for intent in sorted(support):
        tp = sum(p.intent == intent and p.predicted == intent for p in predictions)
        fp = sum(p.intent != intent and p.predicted == intent for p in predictions)
        precision, recall, score = f1(tp, fp, support[intent] - tp)
        lines.append(f"| {intent} | {precision:.2f} | {recall:.2f} | {score:.2f} | {support[intent]} |")
    return "\n".join(lines)


def danger_table(languages: list[str]) -> str:
    """Per language: `emergency` examples no phrase of the language catches, and false alarms."""
    lines = [
        "| language | emergency examples | ... no danger phrase of the language catches "
        "| non-emergency examples | ... a danger phrase fires on (false alarms) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for language in languages:
        if language == "?":
            continue
        intents = list(examples(language).values())
        emergencies = intents.count(EMERGENCY)
        lines.append(
            f"| {language} | {emergencies} | {len(danger_misses(language))} | {len(intents) - emergencies} "
            f"| {len(false_alarms(language))} |"
        )
    return "Danger phrases (locales/danger/) against the examples:\n\n" + "\n".join(lines) + "\n"


def report(split: dict[str, list[Prediction]], folds: int) -> str:
    everything = [p for rows in split.values() for p in rows]
    parts = [
        f"# NLU cross-validation ({folds}-fold, one model for every language)\n",
        "| language | examples | accuracy | emergency recall | emergencies the classifier missed "
        "| ... and no danger phrase caught |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for language in sorted(split):
        rows = split[language]
        emergencies = sum(p.intent == EMERGENCY for p in rows)
        missed = len(missed_emergencies(rows))
        recall = (emergencies - missed) / emergencies if emergencies else 0.0
        both = len(missed_by_both(rows))
        mark = "" if accuracy(rows) >= TARGET else f" (below the {TARGET} target)"
        parts.append(
            f"| {language} | {len(rows)} | {accuracy(rows):.3f}{mark} | {recall:.2f} | {missed} | {both} |"
        )
    parts.append(f"| **all** | {len(everything)} | {accuracy(everything):.3f} | | | |\n")
    parts.append(danger_table(sorted(split)))
    for language in sorted(split):
        parts.append(f"## {language}\n\n{intent_table(split[language])}\n")
        for p in missed_emergencies(split[language]):
            caught = danger_phrases().match(p.text) is not None
            parts.append(
                f"- emergency missed by the classifier: {p.text!r} → {p.predicted}"
                + (" (a danger phrase catches it)" if caught else " (**no danger phrase either**)")
            )
    return "\n".join(parts) + "\n"


def failures(split: dict[str, list[Prediction]]) -> list[str]:
    problems = []
    for language, rows in sorted(split.items()):
        if accuracy(rows) < FLOOR:
            problems.append(f"{language}: accuracy {accuracy(rows):.3f} is below the floor {FLOOR}")
        for p in missed_by_both(rows):
            problems.append(
                f"{language}: emergency {p.text!r} is missed by the classifier and every danger phrase"
            )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--language", action="append", help="only this language (repeatable)")
    parser.add_argument(
        "--check", action="store_true", help=f"fail below {FLOOR} or on an emergency nothing catches"
    )
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    parser.add_argument("--workers", type=int, default=WORKERS, help="folds trained at once (processes)")
    args = parser.parse_args()
    languages = sorted(
        p.name for p in NLU.iterdir() if p.is_dir() and (not args.language or p.name in args.language)
    )
    out = DATA / "tmp" / "nlu-report"
    if args.language:  # a quick look at some languages, each on its own
        predictions = [
            p for lang in languages for p in cross_validate(NLU / lang, args.folds, out / lang, args.workers)
        ]
    else:
        predictions = cross_validate(NLU, args.folds, out / "all", args.workers)
    split = by_language(predictions, languages)
    text = report(split, args.folds)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    problems = failures(split) if args.check else []
    for problem in problems:
        print(f"NLU check failed: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
