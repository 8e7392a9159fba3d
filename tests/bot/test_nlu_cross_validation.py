"""The cross-validation `make nlu-check` and `make nlu-report` run (bot/nlu/cross_validation.py, through
tools/nlu_report.py): on a tiny synthetic English data set, Rasa trains the bot's own pipeline on each fold
in the bot's environment, and every example comes back predicted exactly once, by the model of the one fold
that held it out."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tools.nlu_report import Prediction, accuracy, cross_validate
from tools.paths import BOT_PYTHON

pytestmark = pytest.mark.skipif(not BOT_PYTHON.exists(), reason="needs the bot environment (make env)")

FOLDS = 2  # the fewest: the test trains one model per fold
# Each intent has its own words, so a model trained on half of them names the other half right.
EXAMPLES = {
    "ask_weather": [
        "what is the weather today", "will the weather be sunny", "is the weather rainy tomorrow",
        "weather forecast for today please", "how is the weather outside", "tell me the weather",
    ],
    "order_pizza": [
        "i want to order a pizza", "order me a large pizza", "can i get a pizza delivered",
        "one pizza with cheese please", "pizza order for two", "deliver a pizza to my house",
    ],
    "book_train": [
        "book a train ticket to leeds", "i need a train to york", "reserve a seat on the train",
        "train ticket for tomorrow morning", "which train goes to hull", "book me the early train",
    ],
}  # fmt: skip
# Fewer examples than folds: `rasa test nlu --cross-validation` leaves such an intent out, and so does this.
RARE = {"say_colour": ["the sky is blue"]}


def write_nlu(path: Path, intents: dict[str, list[str]]) -> None:
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in intents.items():
        lines += [f"- intent: {intent}", "  examples: |"] + [f"    - {text}" for text in texts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_every_example_is_predicted_once_by_the_fold_that_held_it_out(tmp_path: Path) -> None:
    data = tmp_path / "nlu.yml"
    write_nlu(data, {**EXAMPLES, **RARE})

    predictions = cross_validate(data, FOLDS, tmp_path / "out", workers=1)

    expected = sorted((text, intent) for intent, texts in EXAMPLES.items() for text in texts)
    assert sorted((p.text, p.intent) for p in predictions) == expected
    assert {p.predicted for p in predictions} <= set(EXAMPLES)
    assert accuracy(predictions) >= 0.8
    rows = json.loads((tmp_path / "out" / "predictions.json").read_text(encoding="utf-8"))
    assert (rows["folds"], rows["seed"]) == (FOLDS, 2026)
    # stratified: each fold holds out half the examples of each intent
    per_fold = Counter((row["fold"], row["intent"]) for row in rows["predictions"])
    assert per_fold == {(fold, intent): 3 for fold in range(FOLDS) for intent in EXAMPLES}


def test_accuracy_counts_the_right_predictions() -> None:
    rows = [Prediction("a", "x", "x"), Prediction("b", "x", "y"), Prediction("c", "y", "y")]
    assert accuracy(rows) == pytest.approx(2 / 3)
    assert accuracy([]) == 0.0


def test_a_failed_cross_validation_says_why(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="does-not-exist"):
        cross_validate(tmp_path / "does-not-exist.yml", FOLDS, tmp_path / "out", workers=1)
