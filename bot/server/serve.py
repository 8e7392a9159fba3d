"""`rasa run`, as Rasa's own command line runs it, without an optional import nothing here uses.

TensorFlow 2.12 (which Rasa 3.6 imports at start, whatever the pipeline) lists jax among its dependencies,
and its TFLite converter imports jax when it is installed, going on without it when it is not. Rasa never
uses jax: loading it cost the Rasa process ~66 MB of memory and ~0.5 s of start (issue 16; measured with
`import rasa.core.agent`: 531 MB resident with jax, 465 MB without). Marking it absent before Rasa starts
makes that import fail as if jax were not installed.

Before Rasa starts, three of its inner parts are given faster equivalents (issue 16): the prediction graph
runs node by node instead of through dask's scheduler (bot/server/graph_runner.py), a slot is copied
without pickling's reduce protocol (bot/server/slot_copy.py), and a tracker is copied from its state
instead of by replaying the conversation (bot/server/tracker_copy.py).

    .venvs/bot/bin/python -m bot.server.serve run --model … --endpoints bot/endpoints.yml …
"""

from __future__ import annotations

import sys


def main() -> None:
    sys.modules.setdefault("jax", None)  # type: ignore[arg-type]  # `import jax` now raises ImportError
    from rasa.__main__ import main as rasa_main

    from bot.server import graph_runner, slot_copy, tracker_copy

    graph_runner.install()
    slot_copy.install()
    tracker_copy.install()

    rasa_main()


if __name__ == "__main__":
    main()
