"""The NLU examples of bot/data/nlu/<lang>/, read as plain text: each example (entity annotations removed)
and its intent. Plain Python, for the reports and checks of both environments (tools/nlu_report.py,
bot/nlu/danger_eval.py)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

NLU = Path(__file__).resolve().parents[1] / "data" / "nlu"
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def examples(language: str, nlu_dir: Path = NLU) -> dict[str, str]:
    """Each example text of a language (entity annotations removed) and its intent."""
    found: dict[str, str] = {}
    for path in sorted((nlu_dir / language).glob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if "intent" not in item:
                continue
            for line in str(item.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    found[_ANNOTATION.sub(r"\1", line[2:]).strip()] = item["intent"]
    return found
