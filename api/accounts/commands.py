"""`python -m api account create|disable|reset|list` and `python -m api team-address QUEUE ADDRESS`.

Create and reset print the password and the TOTP secret (with its otpauth:// URI for an authenticator
app) once: they are stored only hashed (the password) or sealed (the secret), and cannot be shown again.
The operator acts as `OPERATOR` in the audit trail.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from api.accounts import service
from api.accounts.models import AccountRole
from api.accounts.service import Issued
from api.alerts import service as alerts
from api.auth import OPERATOR
from api.config import get_settings
from api.db import create_engine, create_sessionmaker
from api.kit.crypto import Vault
from api.kit.models import utcnow
from api.triage.schemas import Queue

T = TypeVar("T")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    account = sub.add_parser("account", help="people who sign in to the console").add_subparsers(
        dest="action", required=True
    )
    create = account.add_parser("create", help="create an account; prints its password and TOTP secret once")
    create.add_argument("--username", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in AccountRole])
    create.add_argument("--queue", action="append", default=[], choices=[q.value for q in Queue])
    for action, text in (
        ("disable", "stop an account signing in (its history stays)"),
        ("reset", "a new password and TOTP secret, printed once; lifts a lockout or a disable"),
    ):
        one = account.add_parser(action, help=text)
        one.add_argument("username")
    account.add_parser("list", help="usernames, roles, queues and state (no secrets)")
    team = sub.add_parser("team-address", help="where a queue's alerts are e-mailed")
    team.add_argument("queue", choices=[q.value for q in Queue])
    team.add_argument("email")


async def _with_session(work: Callable[[AsyncSession, Vault], Awaitable[T]]) -> T:
    settings = get_settings()
    engine = create_engine(settings.database_url)
    vault = Vault(settings.encryption_key_ring(), settings.blind_index_key.get_secret_value().encode())
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await work(session, vault)
    finally:
        await engine.dispose()


def _print_issued(issued: Issued) -> None:
    print(f"username: {issued.username}")
    print(f"password: {issued.password}")
    print(f"totp secret: {issued.totp_secret}")
    print(f"totp uri: {issued.totp_uri}")
    print("Shown once: hand them over in person; they cannot be shown again.")


def run(args: argparse.Namespace) -> int:
    if args.command == "team-address":
        if args.email.strip() and alerts.team_address(args.email) is None:
            print("not one e-mail address (for example team@example.org)")
            return 2
        asyncio.run(
            _with_session(lambda s, _v: alerts.set_team_address(s, Queue(args.queue), args.email, OPERATOR))
        )
        print(
            f"{args.queue}: alerts go to the team address"
            if args.email.strip()
            else f"{args.queue}: no e-mail"
        )
        return 0
    if args.action == "create":
        role = AccountRole(args.role)
        if role in (AccountRole.caseworker, AccountRole.team_lead) and not args.queue:
            print("a caseworker or team lead needs at least one --queue")
            return 2

        async def create(session: AsyncSession, vault: Vault) -> Issued:
            return await service.create(
                session, vault, OPERATOR, username=args.username, name=args.name, role=role, queues=args.queue
            )

        try:
            _print_issued(asyncio.run(_with_session(create)))
        except ValueError as error:
            print(str(error))
            return 2
        return 0
    if args.action == "list":

        async def listing(session: AsyncSession, _vault: Vault) -> list[str]:
            lines = []
            for account, principal in await service.listing(session):
                state = "disabled" if account.disabled_at else "locked" if account.locked_until else "active"
                queues = ",".join(principal.queues or []) or "-"
                lines.append(f"{account.username}\t{account.role}\t{queues}\t{state}")
            return lines

        print("\n".join(asyncio.run(_with_session(listing))))
        return 0

    async def change(session: AsyncSession, vault: Vault) -> Issued | bool:
        account = await service.by_username(session, args.username)
        if account is None:
            return False
        if args.action == "disable":
            await service.disable(session, OPERATOR, account, utcnow())
            return True
        return await service.reset(session, vault, OPERATOR, account)

    outcome = asyncio.run(_with_session(change))
    if outcome is False:
        print("no such account")
        return 1
    if isinstance(outcome, Issued):
        _print_issued(outcome)
    else:
        print(f"{args.username}: disabled")
    return 0
