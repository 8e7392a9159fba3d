"""Each form's required slots, read once from bot/domain/ (the files the model is trained from), so the form
validators need not be sent Rasa's whole domain (~33 KB) with every call (issue 16).

rasa_sdk's `FormValidationAction` reads the domain for one thing only: the form's `required_slots`
(`domain_slots`, which also decides whether the validator or Rasa's form names the next slot to ask). The
validators take it from here instead, and the domain declares them `send_domain: false`
(tools/gen_bot.py for the flows' forms; bot/domain/callback.yml and phone_check.yml). A test compares these
slots with the domain Rasa loads (tests/bot/selective_domain_checks.py).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from rasa_sdk.forms import FormValidationAction as _Validator
else:
    _Validator = object  # a plain mixin at run time: the SDK registers every Action subclass it finds

DOMAIN_DIR = Path(__file__).resolve().parents[1] / "domain"


@lru_cache(maxsize=1)
def form_slots() -> dict[str, tuple[str, ...]]:
    """Every form of bot/domain/*.yml and its required slots, in order."""
    forms: dict[str, tuple[str, ...]] = {}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, form in (data.get("forms") or {}).items():
            forms[name] = tuple((form or {}).get("required_slots") or ())
    return forms


class LocalFormSlots(_Validator):
    """Mixed into a `FormValidationAction` (first): the form's required slots from bot/domain/, whatever
    domain Rasa sent (none, with the selective domain)."""

    def domain_slots(self, domain: Any) -> list[str]:
        return list(form_slots().get(self.form_name(), ()))
