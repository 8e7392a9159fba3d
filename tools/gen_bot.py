"""Generate the bot's flow-driven parts from flows/, so forms are never written by hand.

    python -m tools.gen_bot          # rewrite the generated files
    python -m tools.gen_bot --check  # exit 1 if any generated file is stale (CI runs the same as a test)

Writes:
- bot/domain/flows_generated.yml: a slot per question (filled from the person's text only while its form
  asks for it), a form per flow (every question it may ask; the validator narrows them with `when:`),
  `utter_ask_<question>`, `utter_<flow>_intro`, `utter_<flow or section>_<exit>`, the validators, and
  the `disclosure` slots (flowkit/disclosure.py);
- bot/data/rules/flows_generated.yml: how each flow starts and ends (a journey told before the safety
  question starts once the person is safe, flowkit/disclosure.py), and the interruptions that work
  in every form, the handwritten call-back form's too (danger, stop, withdraw consent, help, start again,
  change language, hello again);
- the generated block at the end of locales/responses.yml: each generated response's text key and buttons.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from api.flow import load_flows
from flowkit.choices import choice_payload, yes_no_payload
from flowkit.disclosure import DISCLOSURE_INTENTS, disclosure_flow
from flowkit.flows import LoadedFlow
from flowkit.interruptions import INTERRUPTIONS, START_FLOW, WHAT, interruption_steps
from flowkit.spec import AnswerType, ExitOutcome, FlowKind, Question
from tools.paths import ROOT

FLOWS_DIR = ROOT / "flows"
LOCALES_DIR = ROOT / "locales"
DOMAIN_FILE = ROOT / "bot" / "domain" / "flows_generated.yml"
RULES_FILE = ROOT / "bot" / "data" / "rules" / "flows_generated.yml"
RESPONSES_FILE = LOCALES_DIR / "responses.yml"
RESPONSES_MARKER = "# ---- generated from flows/ by `python -m tools.gen_bot`: do not edit below ----"
HEADER = "# Generated from flows/ by `python -m tools.gen_bot`. Do not edit: change the flow, regenerate.\n"
SKIP_PAYLOAD = "/skip_question"

# Forms written by hand (bot/domain, bot/actions) that take the same interruptions as the flows' forms.
HANDWRITTEN_FORMS = {"callback": "callback_form", "phone_check": "phone_check_form"}


def question_buttons(question: Question) -> list[dict[str, str]]:
    buttons: list[dict[str, str]] = []
    if question.type == AnswerType.yes_no:
        buttons = [
            {
                "title": question.yes_text_key or "bot.button.answer_yes",
                "payload": yes_no_payload("affirm", question.id),
            },
            {
                "title": question.no_text_key or "bot.button.answer_no",
                "payload": yes_no_payload("deny", question.id),
            },
        ]
    elif question.type == AnswerType.choice:
        buttons = [
            {"title": c.text_key, "payload": choice_payload(c.value, question.id)}
            for c in question.choices or []
        ]
    if question.optional:
        buttons.append({"title": "bot.button.skip", "payload": SKIP_PAYLOAD})
    return buttons


def responses(flows: dict[str, LoadedFlow]) -> dict[str, dict[str, Any]]:
    """Every generated response: name → {text, buttons?} (the structure locales/responses.yml holds)."""
    out: dict[str, dict[str, Any]] = {}
    for flow in flows.values():
        if flow.intro_key:
            out[f"utter_{flow.id}_intro"] = {"text": flow.intro_key}
        for question in flow.questions:
            spec: dict[str, Any] = {"text": question.text_key}
            if question.preface_key:
                spec["preface"] = question.preface_key
            if buttons := question_buttons(question):
                spec["buttons"] = buttons
            out[f"utter_ask_{question.id}"] = spec
        for exit_ in flow.exits:
            if exit_.say is None:
                continue
            spec = {"text": exit_.say.text_key}
            if exit_.say.buttons:
                spec["buttons"] = [
                    {"title": b.text_key, "payload": f"/{flows[b.flow].intent}"} for b in exit_.say.buttons
                ]
            out[exit_.response] = spec
    return dict(sorted(out.items()))


def disclosure_journeys(flows: dict[str, LoadedFlow]) -> list[str]:
    """The journeys a story told first can start (flowkit/disclosure.py)."""
    ids = [disclosure_flow(intent) for intent in DISCLOSURE_INTENTS]
    return [flow_id for flow_id in ids if flow_id is not None and flow_id in flows]


def domain(flows: dict[str, LoadedFlow]) -> dict[str, Any]:
    forms_of: dict[str, list[str]] = {}
    for flow in flows.values():
        for question in flow.questions:
            forms_of.setdefault(question.id, []).append(flow.form)
    slots = {
        qid: {
            "type": "any",
            "influence_conversation": False,
            "mappings": [
                {
                    "type": "from_text",
                    "not_intent": list(INTERRUPTIONS),
                    "conditions": [{"active_loop": form, "requested_slot": qid} for form in forms],
                }
            ],
        }
        for qid, forms in sorted(forms_of.items())
    }
    slots["disclosure"] = {"type": "any", "influence_conversation": False, "mappings": [{"type": "custom"}]}
    slots["disclosure_journey"] = {
        "type": "categorical",
        "values": disclosure_journeys(flows),
        "influence_conversation": True,
        "mappings": [{"type": "custom"}],
    }
    return {
        "version": "3.1",
        "slots": slots,
        "forms": {flow.form: {"required_slots": [q.id for q in flow.questions]} for flow in flows.values()},
        "responses": {name: [{"text": spec["text"]}] for name, spec in responses(flows).items()},
        # The validators take their form's slots from bot/domain/ (bot/actions/form_slots.py), so Rasa need
        # not send them its whole domain with every call (issue 16).
        "actions": [{f"validate_{flow.form}": {"send_domain": False}} for flow in flows.values()],
    }


def _form_rules(name: str, form: str) -> list[dict[str, Any]]:
    resume = [{"action": form}, {"active_loop": form}]
    return [
        {
            "rule": f"{name}: {WHAT[intent]}",
            "condition": [{"active_loop": form}],
            "steps": [{"intent": intent}, *interruption_steps(intent, resume)],
        }
        for intent in INTERRUPTIONS
    ]


def rules(flows: dict[str, LoadedFlow]) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    for flow in flows.values():
        form = flow.form
        intro = [{"action": f"utter_{flow.id}_intro"}] if flow.intro_key else []
        out.append(
            {
                "rule": f"{flow.id}: starts with its intent",
                "steps": [
                    {"intent": flow.intent},
                    {"action": "action_start_journey"},
                    # featurized, set only by the disclosure rules below; Rasa wants every rule to say it
                    {"slot_was_set": [{"disclosure_journey": None}]},
                    *intro,
                    {"action": form},
                    {"active_loop": form},
                ],
            }
        )
        out.append(
            {
                "rule": f"{flow.id}: every question answered (or an exit reached), so finish",
                "condition": [{"active_loop": form}],
                "steps": [
                    {"action": form},
                    {"active_loop": None},
                    {"slot_was_set": [{"requested_slot": None}]},
                    {"action": "action_finish_flow"},
                ],
            }
        )
        out.extend(_form_rules(flow.id, form))
    start_form = flows[START_FLOW].form
    for flow_id in disclosure_journeys(flows):
        flow = flows[flow_id]
        intro = [{"action": f"utter_{flow.id}_intro"}] if flow.intro_key else []
        out.append(
            {
                "rule": f"{flow.id}: told before the safety question, so it starts once safe (not the menu)",
                "condition": [
                    {"active_loop": start_form},
                    {"slot_was_set": [{"disclosure_journey": flow.id}]},
                ],
                "steps": [
                    {"action": start_form},
                    {"active_loop": None},
                    {"slot_was_set": [{"requested_slot": None}]},
                    {"action": "action_start_journey"},
                    {"slot_was_set": [{"disclosure_journey": None}]},
                    *intro,
                    {"action": flow.form},
                    {"active_loop": flow.form},
                ],
            }
        )
    for name, form in HANDWRITTEN_FORMS.items():
        out.extend(_form_rules(name, form))
    return {"version": "3.1", "rules": out}


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _dump(data: Any) -> str:
    return yaml.dump(
        data, Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=120, default_flow_style=False
    )


def responses_block(flows: dict[str, LoadedFlow]) -> str:
    lines = [RESPONSES_MARKER]
    for name, spec in responses(flows).items():
        entry = yaml.safe_dump({name: spec}, sort_keys=False, default_flow_style=None, width=200)
        lines.append(entry.rstrip())
    return "\n".join(lines) + "\n"


def render_all() -> dict[Path, str]:
    flows = load_flows(FLOWS_DIR, LOCALES_DIR)
    if START_FLOW not in flows or flows[START_FLOW].kind != FlowKind.information:
        raise SystemExit("flows/start.yml must be the information flow that starts every conversation")
    for flow in flows.values():
        if any(e.outcome == ExitOutcome.submit for e in flow.exits) and flow.kind != FlowKind.journey:
            raise SystemExit(f"{flow.id}: only journeys submit")
    current = RESPONSES_FILE.read_text(encoding="utf-8")
    handwritten = current.split(RESPONSES_MARKER)[0].rstrip("\n") + "\n\n"
    return {
        DOMAIN_FILE: HEADER + _dump(domain(flows)),
        RULES_FILE: HEADER + _dump(rules(flows)),
        RESPONSES_FILE: handwritten + responses_block(flows),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated file is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in render_all().items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path.relative_to(ROOT))
        if not args.check:
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print("stale generated files (run `python -m tools.gen_bot`): " + ", ".join(map(str, stale)))
        return 1
    for path in stale:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
