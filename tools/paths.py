"""Where things live. The two environments are created by the Makefile (see `make env`)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
API_PYTHON = ROOT / ".venvs" / "api" / "bin" / "python"
BOT_BIN = ROOT / ".venvs" / "bot" / "bin"
BOT_PYTHON = BOT_BIN / "python"
RASA = BOT_BIN / "rasa"
