"""Operator commands: `python -m api <command>`.

migrate                      apply database migrations (alembic upgrade head)
principal create ...         create a provider, agency or admin token (printed once, stored hashed)
principal list|revoke|rotate|update   the token lifecycle (api/principal/commands.py)
audit verify                 recompute the audit chain; exit 1 naming the first broken event
import-police-feed FILE.csv  import the police daily feed (columns: api/police_feed/csv_format.py)
keys generate                print a new key for ENCRYPTION_KEYS
keys rotate                  re-seal stored personal fields under the newest key; prints counts
retention run [--dry-run]    dispose of what the retention policy says is due; prints counts per class
retention hold REF --reason  keep a case from disposal (legal hold); `retention release REF --reason` lifts it
retention policy             print the retention policy as implemented (class, clock, period)
rights find|export|rectify|erase  subject rights, as the data-protection role (api/rights/commands.py)
account create|disable|reset|list  people who sign in to the console (api/accounts/commands.py)
team-address QUEUE EMAIL     where a queue's alerts are e-mailed
sms dead-letters list        inbound SMS whose turn failed on every attempt (ids and error types only)
sms dead-letters retry ID    put one back in the queue with fresh attempts
backup PATH                  copy the SQLite database online to PATH (sealed data stays sealed)
restore PATH                 replace the SQLite database with a backup (the api and worker stopped)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from api.accounts import commands as account_commands
from api.audit import service as audit_service
from api.audit.service import ChainReport
from api.config import InsecureSettings, get_settings
from api.db import create_engine, create_sessionmaker
from api.encryption import commands as key_commands
from api.police_feed import commands as police_feed_commands
from api.principal import commands as principal_commands
from api.retention import commands as retention_commands
from api.retention.schemas import HoldReason
from api.rights import commands as rights_commands


def migrate() -> None:
    from alembic import command
    from alembic.config import Config

    from api.config import REPO_ROOT

    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


async def verify_audit() -> ChainReport:
    engine = create_engine(get_settings().database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await audit_service.verify(session)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api", description="Operator commands for the api.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations")
    principal_commands.add_parser(sub)
    audit = sub.add_parser("audit", help="the audit trail").add_subparsers(dest="action", required=True)
    audit.add_parser("verify", help="check every event's hash chains from the one before")
    feed = sub.add_parser("import-police-feed", help="import the police daily feed (a CSV file)")
    feed.add_argument("file", type=Path)
    keys = sub.add_parser("keys", help="encryption keys").add_subparsers(dest="action", required=True)
    keys.add_parser("generate", help="print a new urlsafe-base64 32-byte key")
    rotate = keys.add_parser("rotate", help="re-seal every stored value under the newest key")
    rotate.add_argument("--batch", type=int, default=500, help="rows per transaction (default 500)")
    retention = sub.add_parser("retention", help="retention and disposal").add_subparsers(
        dest="action", required=True
    )
    run = retention.add_parser("run", help="dispose of what is due now (batched; safe to re-run)")
    run.add_argument("--dry-run", action="store_true", help="count what is due; remove nothing")
    run.add_argument("--at", help="with --dry-run: count what would be due at this ISO date-time")
    for action, text in (("hold", "keep a case from disposal"), ("release", "lift a case's legal hold")):
        held = retention.add_parser(action, help=text)
        held.add_argument("reference")
        held.add_argument("--reason", required=True, choices=[r.value for r in HoldReason])
    retention.add_parser("policy", help="print the policy: class, clock start, period")
    rights_commands.add_parser(sub)
    account_commands.add_parser(sub)
    sms = sub.add_parser("sms", help="the SMS helpline").add_subparsers(dest="action", required=True)
    dead = sms.add_parser("dead-letters", help="inbound SMS given up after every attempt")
    dead.add_argument("verb", choices=["list", "retry"])
    dead.add_argument("id", type=int, nargs="?")
    backup = sub.add_parser("backup", help="online backup of the SQLite database to PATH")
    backup.add_argument("path", type=Path)
    restore = sub.add_parser("restore", help="replace the SQLite database with the backup at PATH")
    restore.add_argument("path", type=Path)
    args = parser.parse_args(argv)

    if args.command == "migrate":
        migrate()
        return 0
    if args.command == "import-police-feed":
        return police_feed_commands.import_file(args.file)
    if args.command == "keys":
        return key_commands.generate() if args.action == "generate" else key_commands.rotate(args.batch)
    if args.command == "retention":
        if args.action == "run":
            return retention_commands.run(args.dry_run, args.at)
        if args.action == "policy":
            return retention_commands.show_policy()
        return retention_commands.hold(args.reference, args.reason, release=args.action == "release")
    if args.command == "sms":
        from api.sms import dead_letters

        if args.verb == "retry" and args.id is None:
            parser.error("sms dead-letters retry needs the dead letter's ID")
        return dead_letters.run(args.verb, args.id)
    if args.command in ("backup", "restore"):
        from api.backup import commands as backup_commands

        return backup_commands.run(args.command, args.path)
    if args.command == "rights":
        return rights_commands.run(args)
    if args.command in ("account", "team-address"):
        return account_commands.run(args)
    if args.command == "audit":
        report = asyncio.run(verify_audit())
        if report.ok:
            print(f"ok: {report.events} events")
            return 0
        print(f"broken: first broken event is seq {report.first_broken_seq} ({report.events} intact)")
        return 1
    if args.command == "principal":
        return principal_commands.run(args, parser)
    parser.error(f"unknown command {args.command}")
    return 2


def run(argv: list[str] | None = None) -> int:
    """main(), with unsafe settings refused in one line naming the settings (never a traceback or a value)."""
    try:
        return main(argv)
    except InsecureSettings as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(run())
