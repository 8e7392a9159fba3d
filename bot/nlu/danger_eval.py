"""How well danger is told from reassurance, per language: the danger phrases (the api's emergency layer),
the intent classifier with its emergency floor and the guard (the bot's NLU), and both together.

    .venvs/bot/bin/python -m bot.nlu.danger_eval [--folds 3] [--json]

Recall on the `emergency` examples of bot/data/nlu/<lang>/ is held out for the classifier (stratified
folds over every language's examples together, as `make nlu-report` does with one multilingual model); the
phrases need no training. False alarms are counted on sentences that are never danger: reassurance
(tests/fixtures/reassurance.yml) and calm reports of the past (tests/fixtures/not_danger.yml), against a
model trained on every example. Uses the bot's own pipeline (bot/config.yml) and components, without Rasa's
training machinery: scikit-learn fits in seconds. tests/bot/test_reassurance_model.py runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.nlu.danger import EMERGENCY, DangerPhrases, relabel_calm
from bot.nlu.examples import examples
from flowkit.text import fold

ROOT = Path(__file__).resolve().parents[2]
NLU = ROOT / "bot" / "data" / "nlu"
FIXTURES = ROOT / "tests" / "fixtures"


def classifier_config() -> dict[str, Any]:
    config = yaml.safe_load((ROOT / "bot" / "config.yml").read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"].endswith("FoldedTextIntentClassifier"):
            return {k: v for k, v in component.items() if k != "name"}
    raise LookupError("bot/config.yml has no FoldedTextIntentClassifier")


@dataclass
class Model:
    """The classifier as the bot runs it: ranking with the emergency floor, then the guard."""

    classifier: Any
    danger: DangerPhrases
    guard: bool = True

    @classmethod
    def fit(cls, texts: list[str], intents: list[str], danger: DangerPhrases, guard: bool = True) -> Model:
        from bot.nlu.classifier import FoldedTextIntentClassifier, build_pipeline

        classifier = FoldedTextIntentClassifier(classifier_config(), None, None)
        pipeline = build_pipeline(classifier.config)
        pipeline.fit([fold(t) for t in texts], intents)
        classifier.pipeline = pipeline
        return cls(classifier, danger, guard)

    def intent(self, text: str) -> str:
        ranking = self.classifier.rank(text)
        if self.guard:
            replacement = relabel_calm(ranking[0], ranking, text, self.danger)
            if replacement is not None:
                return str(replacement["name"])
        return str(ranking[0]["name"])


def held_out(
    languages: list[str], folds: int, danger: DangerPhrases, guard: bool
) -> dict[tuple[str, str], str]:
    """(language, text) → the intent a model trained without that example gives it."""
    from sklearn.model_selection import StratifiedKFold

    rows = [(lang, text, intent) for lang in languages for text, intent in examples(lang).items()]
    labels = np.array([f"{lang}:{intent}" for lang, _, intent in rows])  # stratified per language too
    counts = {label: int((labels == label).sum()) for label in set(labels)}
    strata = np.array([label if counts[label] >= folds else "rare" for label in labels])
    predicted: dict[tuple[str, str], str] = {}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=2026)
    for train, test in splitter.split(np.zeros(len(rows)), strata):
        model = Model.fit([rows[i][1] for i in train], [rows[i][2] for i in train], danger, guard)
        for i in test:
            predicted[(rows[i][0], rows[i][1])] = model.intent(rows[i][1])
    return predicted


def measure(folds: int, guard: bool = True) -> dict[str, Any]:
    danger = DangerPhrases.load()
    languages = sorted(p.name for p in NLU.iterdir() if p.is_dir())
    reassurance = yaml.safe_load((FIXTURES / "reassurance.yml").read_text(encoding="utf-8"))
    not_danger = yaml.safe_load((FIXTURES / "not_danger.yml").read_text(encoding="utf-8"))
    everything = [(t, i) for lang in languages for t, i in examples(lang).items()]
    full = Model.fit([t for t, _ in everything], [i for _, i in everything], danger, guard)
    predicted = held_out(languages, folds, danger, guard) if folds > 1 else {}
    result: dict[str, Any] = {}
    for lang in languages:
        emergencies = [t for t, i in examples(lang).items() if i == EMERGENCY]
        by_phrase = {t for t in emergencies if danger.match(t)}
        by_model = {t for t in emergencies if predicted.get((lang, t)) == EMERGENCY}
        by_trained = {t for t in emergencies if full.intent(t) == EMERGENCY}
        row: dict[str, Any] = {
            "emergencies": len(emergencies),
            "recall_phrases": len(by_phrase) / len(emergencies),
            "recall_classifier_held_out": len(by_model) / len(emergencies) if predicted else None,
            "recall_both_held_out": len(by_phrase | by_model) / len(emergencies) if predicted else None,
            "missed_by_both_trained": sorted(set(emergencies) - by_phrase - by_trained),
        }
        for name, sentences in (
            ("reassurance", reassurance.get(lang) or []),
            ("not_danger", not_danger[lang]),
        ):
            phrase_alarms = [s for s in sentences if danger.match(s)]
            model_alarms = [s for s in sentences if full.intent(s) == EMERGENCY]
            row[name] = {
                "sentences": len(sentences),
                "phrases": phrase_alarms,
                "classifier": model_alarms,
                "either": sorted(set(phrase_alarms) | set(model_alarms)),
            }
        result[lang] = row
    return result


def table(result: dict[str, Any]) -> str:
    lines = [
        "| language | emergencies | recall: phrases | classifier (held out) | both "
        "| reassurance false alarms: phrases / classifier / either "
        "| past incidents: phrases / classifier / either |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]

    def alarms(r: dict[str, Any]) -> str:
        return f"{len(r['phrases'])} / {len(r['classifier'])} / {len(r['either'])} of {r['sentences']}"

    for lang, row in result.items():
        model = row["recall_classifier_held_out"]
        both = row["recall_both_held_out"]
        lines.append(
            f"| {lang} | {row['emergencies']} | {row['recall_phrases']:.3f} | "
            f"{'-' if model is None else f'{model:.3f}'} | {'-' if both is None else f'{both:.3f}'} | "
            f"{alarms(row['reassurance'])} | {alarms(row['not_danger'])} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3, help="1: no held-out recall (faster)")
    parser.add_argument(
        "--no-guard", action="store_true", help="the classifier without the reassurance guard"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.folds, guard=not args.no_guard)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print(table(result))
    for lang, row in result.items():
        for name in ("reassurance", "not_danger"):
            for sentence in row[name]["either"]:
                print(f"- {lang} {name} false alarm: {sentence!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
