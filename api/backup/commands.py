"""`python -m api backup PATH` and `python -m api restore PATH`: the embedded SQLite database, whole.

Backup uses SQLite's online backup API (`sqlite3.Connection.backup`): a consistent copy of the database as
one committed moment, taken while the api and worker keep serving (they wait only for the page copy's
short read). The copy is the database's bytes: every sealed field stays sealed, so the backup is as safe to
hold as the database itself and is readable only with ENCRYPTION_KEYS and BLIND_INDEX_KEY, which are never
in it. Keep the keys apart from the backups.

Restore checks the backup (`PRAGMA integrity_check`, and that it is this service's database: it has
`alembic_version`) and then copies it over the live database with the same backup API, so the WAL is
handled by SQLite itself. Stop the api and the worker first; run `python -m api migrate` after restoring an
older backup.

PostgreSQL (scaled out) is backed up with its own tools (pg_dump / base backups); these commands refuse it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from api.config import get_settings


class BackupError(Exception):
    pass


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError("backup and restore are for the embedded SQLite database; use PostgreSQL's tools")
    return Path(url.database)


def backup(database: Path, target: Path) -> int:
    """Copy `database` to `target` online. Returns the pages copied."""
    if not database.exists():
        raise BackupError(f"no database at {database}")
    if target.exists():
        raise BackupError(f"{target} exists; a backup never overwrites a file")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(database, timeout=30)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
            pages = int(destination.execute("PRAGMA page_count").fetchone()[0])
        finally:
            destination.close()
    finally:
        source.close()
    target.chmod(0o600)
    return pages


def check(path: Path) -> None:
    if not path.exists():
        raise BackupError(f"no backup at {path}")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"{path} fails SQLite's integrity check")
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database") from exc
    finally:
        connection.close()
    if "alembic_version" not in tables:
        raise BackupError(f"{path} is not a backup of this service's database")


def restore(source_path: Path, database: Path) -> int:
    """Replace `database` with the backup at `source_path`. Returns the pages copied."""
    check(source_path)
    database.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(database, timeout=30)
        try:
            source.backup(destination)
            pages = int(destination.execute("PRAGMA page_count").fetchone()[0])
        finally:
            destination.close()
    finally:
        source.close()
    return pages


def run(command: str, path: Path) -> int:
    try:
        database = sqlite_path(get_settings().database_url)
        if command == "backup":
            pages = backup(database, path)
            print(f"backed up {pages} pages to {path}")
        else:
            pages = restore(path, database)
            print(f"restored {pages} pages from {path}; run `python -m api migrate` if it was older")
    except BackupError as exc:
        print(f"error: {exc}")
        return 1
    return 0
