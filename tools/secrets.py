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
        # For the local fake of Twilio (tools/fake_twilio.py), which checks them as Twilio would.
        "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
    }


def load_or_create(path: Path) -> dict[str, str]:
    if path.exists():
        values = {}
        for line in path.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
        missing = {key: value for key, value in generate().items() if key not in values}
        if missing:  # a file made before a setting existed: add the new ones, keep the rest
            with path.open("a") as handle:
                handle.writelines(f"{key}={value}\n" for key, value in missing.items())
            values.update(missing)
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
