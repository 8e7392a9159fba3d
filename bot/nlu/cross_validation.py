"""NLU cross-validation with the bot's own pipeline: the held-out prediction of every example, as JSON.

    .venvs/bot/bin/python -m bot.nlu.cross_validation --nlu bot/data/nlu --out FILE [--folds 3] [--seed 2026]

What `rasa test nlu --cross-validation` measures, without what makes it slow: the examples Rasa reads from
the data (intents with fewer examples than folds dropped, as Rasa does), k stratified folds by intent with a
fixed seed, each fold trained by Rasa's own training (`rasa.model_training.train_nlu`, the config's whole
pipeline, on the fold's examples written as Rasa YAML) and its held-out examples predicted in one batch
through the trained model's prediction graph (the graph Rasa runs for one message, given them all). As
Rasa's evaluation does, a FallbackClassifier's prediction is undone, so the intent is the one the
classifier and the guard gave. Rasa also predicts every fold's training part (metrics nobody reads), one
message at a time, and draws plots: none of that here. tools/nlu_report.py runs it and writes the report.

Writes `{"folds": k, "seed": s, "predictions": [{"text", "intent", "predicted", "fold"}, ...]}`, one row per
example, each predicted by the one model that did not see it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SEED = 2026


def load_data(nlu: Path, folds: int) -> Any:
    """The NLU data as Rasa reads it from `nlu` (a file or a folder), without the intents that have fewer
    examples than folds (as `rasa test nlu --cross-validation` does: `drop_intents_below_freq`)."""
    from rasa.nlu.test import drop_intents_below_freq
    from rasa.shared.importers.importer import TrainingDataImporter

    data = TrainingDataImporter.load_from_dict(training_data_paths=[str(nlu)]).get_nlu_data()
    return drop_intents_below_freq(data, cutoff=folds)


def split(intents: list[str], folds: int, seed: int) -> Iterator[tuple[list[int], list[int]]]:
    """Stratified folds (by intent, as Rasa's `generate_folds`, but seeded): (train, test) indices."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(intents)), intents):
        yield [int(i) for i in train], [int(i) for i in test]


def run_fold(fold: int, train: Any, test: list[tuple[str, str]], config: str) -> list[dict[str, Any]]:
    """Train on `train` (Rasa TrainingData) with Rasa's training and the config's pipeline, and predict the
    held-out `test` examples ((text, intent) pairs) in one batch through the trained model's NLU graph."""
    import rasa.model_training
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.nlu.classifiers import fallback_classifier
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter

    with tempfile.TemporaryDirectory(prefix="nlu-cv-") as directory:
        started = time.monotonic()
        train_file = Path(directory) / "train.yml"
        RasaYAMLWriter().dump(train_file, train)
        model = rasa.model_training.train_nlu(config, str(train_file), directory)
        if model is None:
            raise RuntimeError(f"fold {fold}: Rasa trained no model")
        trained = time.monotonic()
        processor = Agent.load(model).processor
        target = processor.model_metadata.nlu_target
        results = processor.graph_runner.run(
            inputs={
                "__message__": [UserMessage(text=text) for text, _ in test],
                "__tracker__": DialogueStateTracker.from_events("cross-validation", []),
            },
            targets=[target],
        )
    parsed = results[target]
    if len(parsed) != len(test):
        raise RuntimeError(f"fold {fold}: {len(test)} messages in, {len(parsed)} parsed out")
    rows = []
    for (text, intent), message in zip(test, parsed, strict=True):
        # as Rasa's processor builds the parse data, and as its evaluation reads it
        result: dict[str, Any] = {"text": "", "intent": {"name": None, "confidence": 0.0}, "entities": []}
        result.update(message.as_dict(only_output_properties=False))
        if fallback_classifier.is_fallback_classifier_prediction(result):
            result = fallback_classifier.undo_fallback_prediction(result)
        if result["text"] != text:
            raise RuntimeError(f"fold {fold}: predictions came back out of order")
        rows.append({"text": text, "intent": intent, "predicted": result["intent"].get("name"), "fold": fold})
    print(
        f"fold {fold}: trained on {len(train.intent_examples)} examples in {trained - started:.1f}s, "
        f"predicted {len(test)} in {time.monotonic() - trained:.1f}s",
        file=sys.stderr,
    )
    return rows


def cross_validate(nlu: Path, config: Path, folds: int, seed: int, workers: int) -> list[dict[str, Any]]:
    """The held-out prediction of every example: `folds` models, each trained without one fold."""
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = load_data(nlu, folds)
    examples = data.intent_examples
    if len({e.get_full_intent() for e in examples}) < 2:
        raise SystemExit(
            f"{nlu}: fewer than 2 intents with at least {folds} examples: nothing to cross-validate"
        )
    tasks = []
    for fold, (train, test) in enumerate(split([e.get_full_intent() for e in examples], folds, seed)):
        train_data = TrainingData(
            training_examples=[examples[i] for i in train],
            entity_synonyms=data.entity_synonyms,
            regex_features=data.regex_features,
            lookup_tables=data.lookup_tables,
            responses=data.responses,
        )
        held_out = [(str(examples[i].get("text")), str(examples[i].get_full_intent())) for i in test]
        tasks.append((fold, train_data, held_out, str(config)))
    if workers <= 1:
        per_fold = [run_fold(*task) for task in tasks]
    else:  # fresh processes (spawn): forking a process that has loaded TensorFlow is not safe
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            per_fold = [f.result() for f in [pool.submit(run_fold, *task) for task in tasks]]
    rows = [row for rows in per_fold for row in rows]
    if len(rows) != len(examples):
        raise RuntimeError(f"{len(examples)} examples, {len(rows)} held-out predictions")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nlu", type=Path, required=True, help="NLU data: a file or a folder")
    parser.add_argument("--config", type=Path, default=ROOT / "bot" / "config.yml")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--workers", type=int, default=1, help="folds trained at once (processes)")
    parser.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    args = parser.parse_args()
    if not args.nlu.exists():
        parser.error(f"no NLU data at {args.nlu}")
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    # Rasa's training cache (.rasa/cache) would keep every fold's model (about 90 MB each), never used again.
    os.environ.setdefault("RASA_MAX_CACHE_SIZE", "0")
    rows = cross_validate(args.nlu, args.config, args.folds, args.seed, args.workers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"folds": args.folds, "seed": args.seed, "predictions": rows}, ensure_ascii=False),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
