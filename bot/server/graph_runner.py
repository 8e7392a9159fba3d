"""Rasa's prediction graph run node by node in this thread, without dask's scheduler (issue 16).

Rasa 3.6 runs its prediction graph (the NLU pipeline for each message, the policies for each action) through
`DaskGraphRunner`, which hands the graph to `dask.get`: dask orders the tasks, fills a cache, and fires and
collects each task through its local scheduler. The graph here is a chain of a few nodes, run on Rasa's
event loop two to four times a chat turn, and dask's bookkeeping cost ~7 % of that loop's time under load
(py-spy, 20 people). Before it, `run` also formats the whole tracker into a debug message that no log shows.

`SequentialGraphRunner` is `DaskGraphRunner` with `run` replaced by the evaluation dask performs for these
graphs, without the scheduler: each needed node is called once, after the nodes it needs, with their
outputs; the inputs given to `run` are the graph's leaves, as `(name, value)` pairs, exactly as
`DaskGraphRunner` adds them; a name that is neither a node nor an input is passed as the bare name, as dask
passes it and as `GraphNode` expects; a `RuntimeError` becomes Rasa's `GraphRunError`. The nodes, their
hooks and their errors are Rasa's own (tests/bot/graph_runner_checks.py compares the two runners' outputs
and errors on generated graphs; the trained model's graphs run through it in `make bot-test` and the
end-to-end tests).

`install()` makes Rasa's processor load its model with this runner; `bot/server/serve.py` calls it before
Rasa starts.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner


class SequentialGraphRunner(DaskGraphRunner):
    """`DaskGraphRunner` whose `run` evaluates the graph itself (see the module's docstring)."""

    _minimal: dict[tuple[str, ...], GraphSchema]

    def minimal_schema(self, targets: list[str]) -> GraphSchema:
        """The part of the graph the targets need (Rasa works it out anew on every run; it never changes)."""
        cache = self.__dict__.setdefault("_minimal", {})
        key = tuple(targets)
        schema = cache.get(key)
        if schema is None:
            schema = cache[key] = self._graph_schema.minimal_graph_schema(targets)
        return schema

    def run(self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        schema = self.minimal_schema(run_targets)
        done: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and (value in schema.nodes or value in done):
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of the input "
                    f"names passed to the `run` method are the same as node names in the graph schema."
                )
            done[name] = (name, value)

        def result(name: str) -> Any:
            if name in done:
                return done[name]
            node = schema.nodes.get(name)
            if node is None:
                return name  # not resolved: the node gets the bare name, as from dask
            output = self._instantiated_nodes[name](*(result(need) for need in node.needs.values()))
            done[name] = output
            return output

        missing = [t for t in run_targets if t not in done and t not in schema.nodes]
        if missing:
            raise KeyError(missing[0])  # as dask raises for a target the graph does not have
        try:
            return dict(result(target) for target in run_targets)
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e


def install() -> None:
    """Rasa's processor loads its model with `SequentialGraphRunner` (call before Rasa loads a model)."""
    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner
