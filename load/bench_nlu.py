"""Our NLU pipeline beside Rasa's stock pipeline, on the same held-out examples (DESIGN §8).

    python load/bench_nlu.py [--languages en pl ...] [--epochs 100]

Splits every language's NLU examples (bot/data/nlu/<lang>/) into a stratified two-thirds training set and
a one-third test set (fixed seed), trains both pipelines with `rasa train nlu` on the training set, then
measures on the test set: intent accuracy per language, training time, and the time to parse one message
(the median over the test set, one message at a time, as a person's message arrives). Prints a table and
the ratios ours/stock. The stock pipeline is what `rasa init` writes for Rasa 3.6 (DIET, 100 epochs, with
its featurizers, the entity synonym mapper, the response selector and the fallback classifier).
Slow: DIET trains for minutes on two cores. Synthetic data only; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.model import rasa_env  # noqa: E402
from tools.nlu_report import examples  # noqa: E402
from tools.paths import DATA, RASA  # noqa: E402

BOT_PYTHON = RASA.parent / "python"
OURS = ROOT / "bot" / "config.yml"
STOCK_PIPELINE = [
    {"name": "WhitespaceTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True},
    {"name": "EntitySynonymMapper"},
    {"name": "ResponseSelector", "epochs": 100, "constrain_similarities": True},
    {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
]
# Parses each test message with a trained model and prints JSON lines {text, intent, seconds}.
PARSER = """
import json, sys, time, asyncio
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[1])
async def main():
    for line in sys.stdin:
        text = json.loads(line)
        start = time.perf_counter()
        parsed = await agent.parse_message(text)
        seconds = time.perf_counter() - start
        print(json.dumps({"text": text, "intent": parsed["intent"]["name"], "seconds": seconds}))
asyncio.run(main())
"""


def split(languages: list[str], seed: int = 2026) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Training examples (text → intent) and test examples (text → (intent, language)), stratified."""
    train: dict[str, str] = {}
    test: dict[str, tuple[str, str]] = {}
    for language in languages:
        by_intent: dict[str, list[str]] = defaultdict(list)
        for text, intent in examples(language).items():
            by_intent[intent].append(text)
        for intent, texts in sorted(by_intent.items()):
            random.Random(f"{seed}-{language}-{intent}").shuffle(texts)
            cut = len(texts) // 3
            test.update({t: (intent, language) for t in texts[:cut]})
            train.update({t: intent for t in texts[cut:]})
    return train, test


def nlu_yaml(train: dict[str, str]) -> str:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in train.items():
        by_intent[intent].append(text)
    items = [
        {"intent": i, "examples": "".join(f"- {t}\n" for t in ts)} for i, ts in sorted(by_intent.items())
    ]
    return yaml.safe_dump({"version": "3.1", "nlu": items}, allow_unicode=True, sort_keys=False)


def train(config: Path, data: Path, out: Path, name: str) -> float:
    start = time.perf_counter()
    command = [str(RASA), "train", "nlu", "--config", str(config), "--nlu", str(data), "--out", str(out),
               "--fixed-model-name", name]  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=rasa_env(), check=True, capture_output=True)
    return time.perf_counter() - start


def parse(model: Path, texts: list[str]) -> list[dict[str, object]]:
    result = subprocess.run(
        [str(BOT_PYTHON), "-c", PARSER, str(model)],
        cwd=ROOT, env=rasa_env(), check=True, capture_output=True, text=True,
        input="".join(json.dumps(t) + "\n" for t in texts),
    )  # fmt: skip
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", nargs="*", help="default: every language")
    parser.add_argument("--epochs", type=int, default=100, help="DIET's and the response selector's epochs")
    args = parser.parse_args()
    languages = args.languages or sorted(p.name for p in (ROOT / "bot" / "data" / "nlu").iterdir())
    work = DATA / "tmp" / "bench-nlu"
    work.mkdir(parents=True, exist_ok=True)
    training, testing = split(languages)
    data = work / "train.yml"
    data.write_text(nlu_yaml(training), encoding="utf-8")
    stock = yaml.safe_load(OURS.read_text())
    stock["pipeline"] = [{**c, **({"epochs": args.epochs} if "epochs" in c else {})} for c in STOCK_PIPELINE]
    stock_config = work / "stock-config.yml"
    stock_config.write_text(yaml.safe_dump(stock, sort_keys=False))
    texts = sorted(testing)
    results = {}
    for name, config in (("ours", OURS), ("stock", stock_config)):
        seconds = train(config, data, work, name)
        parsed = parse(work / f"{name}.tar.gz", texts)
        right: dict[str, list[bool]] = defaultdict(list)
        for row in parsed:
            intent, language = testing[str(row["text"])]
            right[language].append(row["intent"] == intent)
        latency = statistics.median(float(str(row["seconds"])) for row in parsed)
        results[name] = {"train_s": seconds, "parse_ms": latency * 1000, "right": right}
    print(f"{len(training)} training and {len(testing)} test examples; languages {' '.join(languages)}\n")
    print("| pipeline | train (s) | parse one (ms, median) | " + " | ".join(languages) + " | all |")
    print("| --- | --- | --- | " + " | ".join("---" for _ in languages) + " | --- |")
    for name, r in results.items():
        right = r["right"]
        per = [sum(right[lang]) / len(right[lang]) for lang in languages]
        everything = [ok for lang in languages for ok in right[lang]]
        print(f"| {name} | {r['train_s']:.0f} | {r['parse_ms']:.1f} | " + " | ".join(f"{a:.3f}" for a in per)
              + f" | {sum(everything) / len(everything):.3f} |")  # fmt: skip
    ours, base = results["ours"], results["stock"]
    print(f"\nours/stock: training time {ours['train_s'] / base['train_s']:.2f}x, "
          f"parse time {ours['parse_ms'] / base['parse_ms']:.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
