"""A Rasa NLU component after the intent classifier. Not trainable; listed in bot/config.yml before the
FallbackClassifier. It re-labels two kinds of message:

1. reassurance taken for danger: an `emergency` label on a message that says the person is safe now ("yes,
   he's gone out, I'm safe now") and contains no danger phrase gets the best other intent of the ranking
   (bot/nlu/danger.py, with the cues of locales/danger/<lang>.yml: the data the api's emergency layer uses);
2. a "command" that is really an answer (see interruptions.py);
3. an `emergency` label on a bare number other than an emergency number (an age, a one-time code: see
   interruptions.py).

Anything a danger phrase catches stays an emergency; an emergency is re-labelled in cases 1 and 3 only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.danger import DANGER_DIR, DangerPhrases, relabel_calm
from bot.nlu.interruptions import relabel, relabel_number


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class InterruptionGuard(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"danger_dir": None}  # locales/danger of this repository

    def __init__(self, danger: DangerPhrases | None = None) -> None:
        self.danger = danger

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> InterruptionGuard:
        directory = config.get("danger_dir")
        return cls(DangerPhrases.load(Path(directory) if directory else DANGER_DIR))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            ranking = message.get(INTENT_RANKING_KEY) or []
            text = message.get(TEXT) or ""
            replacement = relabel_calm(intent, ranking, text, self.danger) if self.danger else None
            if replacement is None:
                replacement = relabel_number(intent, ranking, text)
            if replacement is None:
                replacement = relabel(intent, ranking, text)
            if replacement is not None:
                message.set(INTENT, replacement, add_to_output=True)
        return messages
