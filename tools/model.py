"""Train the Rasa model only when the bot's data changed.

The model's file name carries a SHA-256 of everything training reads (config, domain, NLU, rules and
stories), so an unchanged bot starts from the model it already has, and a changed one can never be served
by a stale model.

    python -m tools.model [--models DIR]     # prints the model path, training first if needed
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from tools.paths import DATA, RASA, ROOT

TRAINING_INPUTS = ("bot/config.yml", "bot/domain", "bot/data")


def bot_data_hash(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(root)).encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path(models_dir: Path) -> Path:
    return models_dir / f"bot-{bot_data_hash()}.tar.gz"


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


def ensure_model(models_dir: Path = DATA / "models", quiet: bool = False) -> Path:
    target = model_path(models_dir)
    if target.exists():
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(RASA), "train",
        "--data", "bot/data", "--domain", "bot/domain", "--config", "bot/config.yml",
        "--out", str(models_dir), "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]  # fmt: skip
    output = subprocess.DEVNULL if quiet else None
    subprocess.run(command, cwd=ROOT, env=rasa_env(), check=True, stdout=output)
    if not target.exists():
        raise RuntimeError(f"rasa train did not write {target}")
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=DATA / "models")
    args = parser.parse_args()
    print(ensure_model(args.models))
    return 0


if __name__ == "__main__":
    sys.exit(main())
