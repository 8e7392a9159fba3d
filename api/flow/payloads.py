"""The payload a tapped choice sends: the `inform` intent with the choice's value as its `choice` entity
(the bot's validators read it back as the answer)."""

from __future__ import annotations

import json


def choice_payload(value: str) -> str:
    return "/inform" + json.dumps({"choice": value}, separators=(",", ":"))
