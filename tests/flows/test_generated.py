"""The bot's forms, slots, rules and responses are generated from flows/ and must not be stale; the
hand-written domain and NLU data must know every intent a flow starts with."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from api.config import REPO_ROOT
from tools.gen_bot import INTERRUPTIONS, render_all

BOT = REPO_ROOT / "bot"


def domain_intents() -> set[str]:
    intents: set[str] = set()
    for path in (BOT / "domain").glob("*.yml"):
        intents |= set((yaml.safe_load(path.read_text()) or {}).get("intents") or [])
    return intents


def nlu_intents(language: str) -> set[str]:
    intents: set[str] = set()
    for path in (BOT / "data" / "nlu" / language).glob("*.yml"):
        intents |= {
            item["intent"] for item in yaml.safe_load(path.read_text()).get("nlu") or [] if "intent" in item
        }
    return intents


class TestGeneratedFiles:
    @pytest.mark.parametrize("path", sorted(render_all()), ids=lambda p: str(Path(p).relative_to(REPO_ROOT)))
    def test_up_to_date(self, path: Path) -> None:
        assert path.read_text(encoding="utf-8") == render_all()[path], (
            f"{path.relative_to(REPO_ROOT)} is stale: run `python -m tools.gen_bot`"
        )

    def test_every_flow_intent_is_in_the_domain_and_the_nlu_data(self) -> None:
        flows = yaml.safe_load((BOT / "data" / "rules" / "flows_generated.yml").read_text())["rules"]
        started_by = {
            r["steps"][0]["intent"] for r in flows if "intent" in r["steps"][0] and "condition" not in r
        }
        assert started_by <= domain_intents()
        assert started_by <= nlu_intents("en")

    def test_every_interruption_is_an_intent_with_examples(self) -> None:
        assert set(INTERRUPTIONS) <= domain_intents()
        assert set(INTERRUPTIONS) <= nlu_intents("en")

    def test_every_form_has_every_interruption(self) -> None:
        generated = yaml.safe_load((BOT / "domain" / "flows_generated.yml").read_text())
        rules = yaml.safe_load((BOT / "data" / "rules" / "flows_generated.yml").read_text())["rules"]
        for form in generated["forms"]:
            handled = {
                r["steps"][0]["intent"]
                for r in rules
                if r.get("condition") == [{"active_loop": form}] and "intent" in r["steps"][0]
            }
            assert handled == set(INTERRUPTIONS), form
