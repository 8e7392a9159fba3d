"""Development secrets: random, made once, kept in data/secrets.env (git-ignored), never printed."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path


def generate() -> dict[str, str]:
    return {
        "BOT_SERVICE_TOKEN": secrets.token_urlsafe(32),
        "ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="),
        "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
    }


def load_or_create(path: Path) -> dict[str, str]:
    if path.exists():
        values = {}
        for line in path.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
        return values
    values = generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(
            "# Development secrets made by `make run`. Never commit; delete to rotate (data is lost).\n"
        )
        handle.writelines(f"{key}={value}\n" for key, value in values.items())
    return values
