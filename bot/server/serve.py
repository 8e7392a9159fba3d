"""`rasa run`, as Rasa's own command line runs it, without an optional import nothing here uses.

TensorFlow 2.12 (which Rasa 3.6 imports at start, whatever the pipeline) lists jax among its dependencies,
and its TFLite converter imports jax when it is installed, going on without it when it is not. Rasa never
uses jax: loading it cost the Rasa process ~66 MB of memory and ~0.5 s of start (issue 16; measured with
`import rasa.core.agent`: 531 MB resident with jax, 465 MB without). Marking it absent before Rasa starts
makes that import fail as if jax were not installed.

    .venvs/bot/bin/python -m bot.server.serve run --model … --endpoints bot/endpoints.yml …
"""

from __future__ import annotations

import sys


def main() -> None:
    sys.modules.setdefault("jax", None)  # type: ignore[arg-type]  # `import jax` now raises ImportError
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
