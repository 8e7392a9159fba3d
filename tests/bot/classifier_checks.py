"""Checks of the intent classifier's prediction path (bot/nlu/classifier.py), run in the bot environment
(tests/bot/bot_env.py): the weights stored column by column give exactly the predictions of the weights as
trained, survive saving and loading through Rasa's model storage, and a batch ranks as single messages do.
Synthetic examples only."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.classifier import (
    FoldedTextIntentClassifier,
    SparseTfidf,
    build_pipeline,
    prepare_for_prediction,
)
from flowkit.text import fold

EXAMPLES = {
    "affirm": ["yes", "yes please", "ok", "that's right", "sure", "tak", "da", "haan ji"],
    "deny": ["no", "no thanks", "not really", "nie", "nu", "nahi", "nope", "I'd rather not"],
    "emergency": ["he is outside with a knife", "call 999", "I'm in danger now", "help me now he's here"],
    "report_hate_crime": [
        "I want to report a hate crime",
        "they shouted racist abuse at me",
        "abused because of my religion",
        "someone attacked me for being gay",
    ],
}
PROBES = [
    "yes",
    "no",
    "Synthetic probe: a man shouted abuse about my skin colour on the bus",
    "he is outside now",
    "07700 900123",
    "ST4 1AA",
    "أريد الإبلاغ",
    "",
]


def trained() -> Any:
    texts = [fold(t) for examples in EXAMPLES.values() for t in examples]
    labels = [intent for intent, examples in EXAMPLES.items() for _ in examples]
    return build_pipeline(FoldedTextIntentClassifier.get_default_config()).fit(texts, labels)


def test_weights_by_column_give_exactly_the_trained_predictions() -> None:
    pipeline = trained()
    probes = [fold(p) for p in PROBES]
    as_trained = pipeline.predict_proba(probes)
    assert pipeline.steps[-1][1].coef_.flags["C_CONTIGUOUS"]
    prepare_for_prediction(pipeline)
    weights = pipeline.steps[-1][1].coef_
    assert weights.flags["F_CONTIGUOUS"] and weights.T.flags["C_CONTIGUOUS"]
    assert np.array_equal(pipeline.predict_proba(probes), as_trained)
    one_by_one = np.vstack([pipeline.predict_proba([p]) for p in probes])
    assert np.array_equal(one_by_one, as_trained)


@contextlib.contextmanager
def trained_and_loaded() -> Iterator[tuple[FoldedTextIntentClassifier, FoldedTextIntentClassifier]]:
    """The component trained on EXAMPLES, and the same loaded back through Rasa's model storage."""
    with tempfile.TemporaryDirectory() as folder:
        storage = LocalModelStorage(Path(folder))
        resource = Resource("intent_classifier")
        context = ExecutionContext(GraphSchema({}), "checks")
        config = FoldedTextIntentClassifier.get_default_config()
        component = FoldedTextIntentClassifier.create(config, storage, resource, context)
        examples = [Message({TEXT: t, INTENT: i}) for i, texts in EXAMPLES.items() for t in texts]
        component.train(TrainingData(training_examples=examples))
        yield component, FoldedTextIntentClassifier.load(config, storage, resource, context)


def test_the_trained_component_saves_and_loads_with_weights_by_column() -> None:
    with trained_and_loaded() as (component, loaded):
        assert component.pipeline is not None
        expected = component.pipeline.predict_proba([fold(p) for p in PROBES])
        assert loaded.pipeline is not None
        assert loaded.pipeline.steps[-1][1].coef_.flags["F_CONTIGUOUS"]
        assert np.array_equal(loaded.pipeline.predict_proba([fold(p) for p in PROBES]), expected)


def test_a_batch_ranks_each_message_as_it_ranks_alone() -> None:
    pipeline = trained()
    prepare_for_prediction(pipeline)
    component = FoldedTextIntentClassifier(
        FoldedTextIntentClassifier.get_default_config(),
        None,
        Resource("c"),
        pipeline,  # type: ignore[arg-type]
    )
    batch = component.process([Message({TEXT: p}) for p in PROBES if p])
    for message in batch:
        assert message.get("intent") == component.rank(message.get(TEXT))[0]


def test_idf_on_the_messages_terms_gives_the_pipelines_probabilities() -> None:
    pipeline = trained()
    prepare_for_prediction(pipeline)
    fast = SparseTfidf.of(pipeline)
    assert fast is not None
    probes = [fold(p) for p in PROBES] + [fold(t) for examples in EXAMPLES.values() for t in examples]
    expected = pipeline.predict_proba(probes)
    got = fast.predict_proba(probes)
    assert got.shape == expected.shape
    assert np.allclose(got, expected, rtol=0, atol=1e-12)
    assert np.array_equal(np.argsort(-got, axis=1, kind="stable")[:, 0], np.argmax(expected, axis=1))
    features = fast.features(probes)
    assert np.allclose(
        features.toarray(), pipeline.steps[0][1].transform(probes).toarray(), rtol=0, atol=1e-12
    )
    one_by_one = np.vstack([fast.predict_proba([p]) for p in probes])
    assert np.array_equal(one_by_one, got)


def test_a_pipeline_of_another_shape_predicts_through_scikit_learn() -> None:
    pipeline = trained()
    pipeline.steps[0][1].transformer_list[0][1].set_params(use_idf=False)
    assert SparseTfidf.of(pipeline) is None
    component = FoldedTextIntentClassifier(
        FoldedTextIntentClassifier.get_default_config(), None, None, pipeline
    )  # type: ignore[arg-type]
    probes = [fold(p) for p in PROBES]
    assert np.array_equal(component.predict_proba(probes), pipeline.predict_proba(probes))


def test_the_component_predicts_through_the_sparse_path_after_training_and_loading() -> None:
    with trained_and_loaded() as (component, loaded):
        for each in (component, loaded):
            assert isinstance(each._fast, SparseTfidf)
            assert each.pipeline is not None
            probes = [fold(p) for p in PROBES]
            assert np.allclose(
                each.predict_proba(probes), each.pipeline.predict_proba(probes), rtol=0, atol=1e-12
            )
