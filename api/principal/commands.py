"""`python -m api principal create|list|revoke|rotate|update`: the token lifecycle, as an operator with
shell access (no token needed). A token is printed once, at create and rotate, and stored only as its hash;
`list` never shows one. Every change is audited as the operator."""

from __future__ import annotations

import argparse
import asyncio
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth import OPERATOR, hash_token, new_token
from api.config import get_settings
from api.db import create_engine, create_sessionmaker
from api.kit.models import utcnow
from api.principal.models import Principal, PrincipalKind
from api.triage.schemas import Queue

# A command's exit status: 0 done, 1 no such principal (or nothing to do), 2 a usage error (argparse).
NOT_FOUND = 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    principal = sub.add_parser("principal", help="manage principals (tokens)").add_subparsers(
        dest="action", required=True
    )
    create = principal.add_parser("create", help="create a principal and print its token once")
    create.add_argument("--kind", required=True, choices=[k.value for k in PrincipalKind if k != "bot"])
    create.add_argument("--name", required=True)
    create.add_argument("--queue", action="append", default=[], choices=[q.value for q in Queue])
    create.add_argument("--expires-days", type=float, help="the token stops working after this many days")
    create.add_argument(
        "--may-refer-without-consent",
        action="store_true",
        help="an agency whose referrers act on safeguarding concerns: may refer on a safeguarding basis",
    )
    listing = principal.add_parser("list", help="every principal: id, kind, name, state (never a token)")
    listing.add_argument("--all", action="store_true", help="include revoked and expired principals")
    revoke = principal.add_parser("revoke", help="stop a principal's token now (kept for the audit trail)")
    revoke.add_argument("id", type=uuid.UUID)
    rotate = principal.add_parser("rotate", help="replace a principal's token; the old one stops now")
    rotate.add_argument("id", type=uuid.UUID)
    rotate.add_argument("--expires-days", type=float, help="the new token's lifetime (default: as before)")
    update = principal.add_parser("update", help="change what an admin sets on a principal")
    update.add_argument("id", type=uuid.UUID)
    update.add_argument("--may-refer-without-consent", choices=["yes", "no"])
    update.add_argument("--expires-days", type=float, help="from now; 0 or less: no expiry")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.action == "create" and args.kind == PrincipalKind.provider and not args.queue:
        parser.error("a provider needs at least one --queue")
    if args.action == "create" and args.may_refer_without_consent and args.kind != PrincipalKind.agency:
        parser.error("--may-refer-without-consent is for an agency")
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    engine = create_engine(get_settings().database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await ACTIONS[args.action](session, args, utcnow())
    finally:
        await engine.dispose()


def _expiry(days: float | None, now: datetime) -> datetime | None:
    return now + timedelta(days=days) if days is not None and days > 0 else None


async def create(session: AsyncSession, args: argparse.Namespace, now: datetime) -> int:
    token = new_token()
    row = Principal(
        kind=args.kind,
        name=args.name,
        queues=args.queue,
        token_hash=hash_token(token),
        expires_at=_expiry(args.expires_days, now),
        may_refer_without_consent=args.may_refer_without_consent,
    )
    session.add(row)
    await session.flush()
    await audit.record(session, OPERATOR, "principal.create", None, f"principal={row.id} kind={row.kind}")
    print(token)
    return 0


def state(row: Principal, now: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return "active"


async def list_(session: AsyncSession, args: argparse.Namespace, now: datetime) -> int:
    rows = (await session.scalars(select(Principal).order_by(Principal.created_at))).all()
    print("id\tkind\tname\tqueues\tstate\texpires_at\tmay_refer_without_consent")
    for row in rows:
        if not args.all and not row.active(now):
            continue
        expires = row.expires_at.isoformat(timespec="seconds") if row.expires_at else "-"
        refers = "yes" if row.may_refer_without_consent else "no"
        queues = ",".join(row.queues) or "-"
        print(f"{row.id}\t{row.kind}\t{row.name}\t{queues}\t{state(row, now)}\t{expires}\t{refers}")
    return 0


async def _get(session: AsyncSession, principal_id: uuid.UUID) -> Principal | None:
    row = await session.get(Principal, principal_id, with_for_update=True)
    if row is None:
        print(f"no principal {principal_id}")
    return row


async def revoke(session: AsyncSession, args: argparse.Namespace, now: datetime) -> int:
    row = await _get(session, args.id)
    if row is None:
        return NOT_FOUND
    if row.revoked_at is None:
        row.revoked_at = now
        await audit.record(session, OPERATOR, "principal.revoke", None, f"principal={row.id} kind={row.kind}")
    print(f"revoked {row.id}")
    return 0


async def rotate(session: AsyncSession, args: argparse.Namespace, now: datetime) -> int:
    row = await _get(session, args.id)
    if row is None:
        return NOT_FOUND
    if row.revoked_at is not None:
        print(f"principal {row.id} is revoked: create a new one")
        return NOT_FOUND
    lifetime = (
        timedelta(days=args.expires_days)
        if args.expires_days is not None
        else (row.expires_at - row.created_at if row.expires_at is not None else None)
    )
    token = new_token()
    row.token_hash = hash_token(token)
    row.expires_at = now + lifetime if lifetime is not None and lifetime > timedelta(0) else None
    await audit.record(session, OPERATOR, "principal.rotate", None, f"principal={row.id} kind={row.kind}")
    print(token)
    return 0


async def update(session: AsyncSession, args: argparse.Namespace, now: datetime) -> int:
    row = await _get(session, args.id)
    if row is None:
        return NOT_FOUND
    changed = []
    if args.may_refer_without_consent is not None:
        if args.may_refer_without_consent == "yes" and row.kind != PrincipalKind.agency:
            print("--may-refer-without-consent is for an agency")
            return NOT_FOUND
        row.may_refer_without_consent = args.may_refer_without_consent == "yes"
        changed.append(f"may_refer_without_consent={args.may_refer_without_consent}")
    if args.expires_days is not None:
        row.expires_at = _expiry(args.expires_days, now)
        changed.append("expires_at")
    if changed:
        await audit.record(
            session, OPERATOR, "principal.update", None, f"principal={row.id} " + " ".join(changed)
        )
    print(f"updated {row.id}: {' '.join(changed) or 'nothing'}")
    return 0


ACTIONS = {"create": create, "list": list_, "revoke": revoke, "rotate": rotate, "update": update}
