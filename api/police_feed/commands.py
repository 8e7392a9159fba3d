"""`python -m api import-police-feed FILE.csv`: the same import as the admin endpoint, from a shell.

Prints the summary as JSON on stdout. Exit 0 when every row was imported or was a duplicate, 1 when some
rows were refused (the others were imported), 2 when the file could not be read at all (nothing imported).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from api.auth import OPERATOR
from api.config import get_settings
from api.db import create_engine, create_sessionmaker
from api.kit.crypto import Vault
from api.kit.models import utcnow
from api.police_feed import csv_format, service
from api.police_feed.schemas import ImportSummary


async def _import(data: bytes) -> ImportSummary:
    settings = get_settings()
    feed = csv_format.parse(
        data, now=utcnow(), allow_fictional_phone_numbers=settings.allow_fictional_phone_numbers
    )
    vault = Vault(settings.encryption_key_ring(), settings.blind_index_key.get_secret_value().encode())
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await service.import_feed(session, vault, feed, OPERATOR, created_by=None)
    finally:
        await engine.dispose()


def import_file(path: Path) -> int:
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"import-police-feed: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        summary = asyncio.run(_import(data))
    except csv_format.FeedUnreadable as exc:
        print(f"import-police-feed: nothing imported: {exc.problem}", file=sys.stderr)
        return 2
    print(summary.model_dump_json(indent=2))
    return 1 if summary.errors else 0
