"""`python -m api keys generate` and `python -m api keys rotate` (see api/encryption/service.py)."""

from __future__ import annotations

import asyncio
import json

from api.auth import OPERATOR
from api.config import get_settings
from api.db import create_engine, create_sessionmaker
from api.encryption import service
from api.encryption.service import RotationReport
from api.kit.crypto import FieldCipher


def generate() -> int:
    print(service.generate_key())
    return 0


async def _rotate(batch: int) -> RotationReport:
    settings = get_settings()
    engine = create_engine(settings.database_url)
    try:
        return await service.rotate(
            create_sessionmaker(engine), FieldCipher(settings.encryption_key_ring()), OPERATOR, batch
        )
    finally:
        await engine.dispose()


def rotate(batch: int) -> int:
    """Print the counts as JSON. Exit 1 when a value could not be opened with any key of the ring."""
    report = asyncio.run(_rotate(batch))
    print(json.dumps(report.as_dict(), indent=2))
    return 1 if any(c.unreadable for c in report.columns.values()) else 0
