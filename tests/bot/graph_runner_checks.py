"""Checks of bot/server/graph_runner.py, run in the bot environment (tests/bot/bot_env.py): the sequential
runner gives what Rasa's dask runner gives, node for node and error for error, on generated graphs, calls
each node once, and is what `bot/server/serve.py` has Rasa load its model with. Synthetic graphs only (the
trained model's graphs run through it in `make bot-test` and the end-to-end tests)."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from bot.server.graph_runner import SequentialGraphRunner

CALLS: list[str] = []


class Step(GraphComponent):
    """A node that records its call and returns its name with what it was given, in order."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Step:
        return cls(config)

    def run(self, **given: Any) -> Any:
        CALLS.append(self.config["name"])
        if self.config.get("fails"):
            raise RuntimeError("a node failed")
        return [self.config["name"], sorted((k, v) for k, v in given.items())]


def node(name: str, needs: dict[str, str], *, fails: bool = False) -> SchemaNode:
    return SchemaNode(needs, Step, "create", "run", {"name": name, "fails": fails}, eager=True)


def generated(rng: random.Random, size: int) -> GraphSchema:
    """A random acyclic graph: each node needs up to three earlier nodes or the inputs `a` and `b`."""
    nodes: dict[str, SchemaNode] = {}
    for i in range(size):
        earlier = [f"n{j}" for j in range(i)] + ["a", "b"]
        picks = rng.sample(earlier, k=min(len(earlier), rng.randint(0, 3)))
        nodes[f"n{i}"] = node(f"n{i}", {f"p{k}": pick for k, pick in enumerate(picks)})
    return GraphSchema(nodes)


def runners(schema: GraphSchema) -> tuple[DaskGraphRunner, SequentialGraphRunner]:
    storage = LocalModelStorage(Path(tempfile.mkdtemp()))
    context = ExecutionContext(schema, "checks")
    return DaskGraphRunner(schema, storage, context), SequentialGraphRunner(schema, storage, context)


def outcome(runner: DaskGraphRunner, inputs: dict[str, Any] | None, targets: list[str]) -> tuple[str, Any]:
    """What a run gives, or the error it raises (its type, and the type of what it wraps)."""
    CALLS.clear()
    try:
        return "ok", (runner.run(inputs=inputs, targets=targets), sorted(CALLS))
    except Exception as e:
        return "error", (type(e), type(e.__cause__))


def test_generated_graphs_give_what_dask_gives() -> None:
    rng = random.Random(16)
    compared = ran = 0
    for _ in range(200):
        schema = generated(rng, rng.randint(1, 9))
        dask, sequential = runners(schema)
        names = list(schema.nodes)
        for _ in range(3):
            targets = rng.sample(names, k=rng.randint(1, min(3, len(names))))
            given = ["a", "b"] if rng.random() < 0.8 else rng.sample(["a", "b"], k=rng.randint(0, 1))
            inputs = {name: rng.randint(0, 9) for name in given}
            expected = outcome(dask, inputs or None, targets)
            assert outcome(sequential, inputs or None, targets) == expected
            compared += 1
            ran += expected[0] == "ok"  # the others lack an input a node needs: the same error from both
    assert compared == 600
    assert ran > 400


def test_each_node_is_called_once_even_where_paths_meet() -> None:
    schema = GraphSchema(
        {
            "top": node("top", {"x": "a"}),
            "left": node("left", {"x": "top"}),
            "right": node("right", {"x": "top"}),
            "bottom": node("bottom", {"x": "left", "y": "right"}),
        }
    )
    _, sequential = runners(schema)
    CALLS.clear()
    result = sequential.run(inputs={"a": 1}, targets=["bottom", "left"])
    assert sorted(CALLS) == ["bottom", "left", "right", "top"]
    assert set(result) == {"bottom", "left"}
    assert result["left"] == ["left", [("x", ["top", [("x", 1)]])]]


def test_errors_are_the_errors_dask_gives() -> None:
    schema = GraphSchema(
        {"first": node("first", {"x": "a"}), "broken": node("broken", {"x": "first"}, fails=True)}
    )
    dask, sequential = runners(schema)
    cases: list[tuple[dict[str, Any] | None, list[str]]] = [
        ({"a": 1}, ["broken"]),  # a node's own error, wrapped by Rasa's node
        ({"a": "first"}, ["first"]),  # an input whose value names a node
        ({"a": 1}, ["nowhere"]),  # a target the graph does not have
        (None, ["first"]),  # a missing input: the node is given the bare name and says what is missing
    ]
    kinds = []
    for inputs, targets in cases:
        expected = outcome(dask, inputs, targets)
        assert outcome(sequential, inputs, targets) == expected
        kinds.append(expected)
    assert kinds[0] == ("error", (GraphComponentException, RuntimeError))
    assert kinds[1] == ("error", (GraphRunError, type(None)))
    assert kinds[2] == ("error", (KeyError, type(None)))
    assert kinds[3] == ("error", (GraphRunError, type(None)))


def test_an_input_named_as_a_target_is_given_back() -> None:
    schema = GraphSchema({"first": node("first", {"x": "a"})})
    dask, sequential = runners(schema)
    assert outcome(sequential, {"a": 3}, ["a", "first"]) == outcome(dask, {"a": 3}, ["a", "first"])


def test_serve_has_rasa_load_its_model_with_it() -> None:
    import rasa.__main__
    import rasa.core.processor

    from bot.server import serve

    ran: list[bool] = []
    rasa.__main__.main = lambda: ran.append(True)  # type: ignore[assignment]  # Rasa itself is not started here
    assert rasa.core.processor.DaskGraphRunner is DaskGraphRunner
    serve.main()
    assert ran == [True]
    assert rasa.core.processor.DaskGraphRunner is SequentialGraphRunner
