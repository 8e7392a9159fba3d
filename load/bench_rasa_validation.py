"""Benchmark (not a test): checking Rasa's reply schemas, per reply, as Rasa 3.6 does it beside the validators
built once (bot/server/nlg.py). Runs in the bot environment, from the repository root:

    .venvs/bot/bin/python load/bench_rasa_validation.py [--calls 300] [--rounds 5]

For an action-server reply (a hand-off's events and texts) and an NLG reply (a question with buttons):
`jsonschema.validate` (checks the schema against its meta-schema and builds a validator every call) and
`bot.server.nlg.check` with the compiled validator. Best of several rounds; compare the ratios.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.core.nlg.callback import nlg_response_format_spec
from timing import per_call

from bot.server import nlg

ACTION_REPLY: dict[str, Any] = {
    "events": [{"event": "slot", "timestamp": None, "name": f"slot_{i}", "value": "x"} for i in range(12)]
    + [{"event": "active_loop", "name": None}, {"event": "followup", "name": "callback_form"}],
    "responses": [{"text": "Thank you. Your reference is SR-0000-0000.", "buttons": []}] * 2,
}
NLG_REPLY: dict[str, Any] = {
    "text": "Why do you think they targeted you?",
    "buttons": [{"title": f"Choice {i}", "payload": f'/choose{{"value": "{i}"}}'} for i in range(7)],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    action_spec = RemoteAction.action_response_format_spec()
    nlg_spec = nlg_response_format_spec()
    cases = [
        (
            "action reply",
            lambda: jsonschema.validate(ACTION_REPLY, action_spec),
            lambda: nlg.check(nlg.ACTION_REPLY, ACTION_REPLY),
        ),
        (
            "nlg reply",
            lambda: jsonschema.validate(NLG_REPLY, nlg_spec),
            lambda: nlg.check(nlg.NLG_REPLY, NLG_REPLY),
        ),
    ]
    print(f"{'reply':14} {'jsonschema.validate':>20} {'compiled once':>15} {'speed-up':>10}")
    for name, old, new in cases:
        before = per_call(old, args.calls, args.rounds)
        after = per_call(new, args.calls, args.rounds)
        print(f"{name:14} {before * 1e3:17.3f} ms {after * 1e3:12.3f} ms {before / after:9.1f}×")


if __name__ == "__main__":
    main()
