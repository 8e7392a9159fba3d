"""Accounts: create, disable, reset, and signing in (password, then TOTP code), with lockout.

Lockout: after MAX_FAILURES wrong passwords or codes in a row the account is locked for LOCKOUT; a correct
sign-in resets the count. A locked, disabled or unknown account gets the same answer as a wrong password
(nothing tells a guesser which usernames exist), and an unknown username costs one argon2 verification
like a known one. Every change and every sign-in is audited, naming the person (their principal id).
Flushes only; the caller commits.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.accounts import credentials
from api.accounts.models import ROLE_KIND, Account, AccountRole
from api.audit import service as audit
from api.auth import Caller, hash_token, new_token
from api.kit.crypto import Vault
from api.principal.models import Principal, PrincipalKind

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


class SignInResult(StrEnum):
    ok = "ok"
    refused = "refused"  # wrong username, password or code; or locked; or disabled: one answer for all


@dataclass(frozen=True)
class Person:
    """A signed-in person as the console sees them."""

    account_id: uuid.UUID
    principal_id: uuid.UUID
    username: str
    name: str
    role: AccountRole
    queues: frozenset[str]

    @property
    def caller(self) -> Caller:
        return Caller(self.principal_id, ROLE_KIND[self.role], self.name, self.queues)


@dataclass(frozen=True)
class Issued:
    """What a person needs to sign in, shown once (creation or reset), never stored in clear."""

    username: str
    password: str
    totp_secret: str
    totp_uri: str


def totp_aad(account_id: uuid.UUID) -> str:
    return f"account:{account_id}:totp"


def normalised_username(username: str) -> str:
    return username.strip().lower()


async def by_username(session: AsyncSession, username: str) -> Account | None:
    found: Account | None = await session.scalar(
        select(Account).where(Account.username == normalised_username(username))
    )
    return found


async def person_of(session: AsyncSession, account_id: uuid.UUID) -> Person | None:
    """The live person behind an account (None when it is missing or disabled)."""
    row = await session.execute(
        select(Account, Principal)
        .join(Principal, Principal.id == Account.principal_id)
        .where(Account.id == account_id)
    )
    found = row.first()
    if found is None:
        return None
    account, principal = found
    if account.disabled_at is not None or principal.revoked_at is not None:
        return None
    return Person(
        account.id,
        principal.id,
        account.username,
        principal.name,
        AccountRole(account.role),
        frozenset(principal.queues or ()),
    )


async def listing(session: AsyncSession) -> Sequence[tuple[Account, Principal]]:
    rows = await session.execute(
        select(Account, Principal)
        .join(Principal, Principal.id == Account.principal_id)
        .order_by(Account.username)
    )
    return [(a, p) for a, p in rows]


def _issue(vault: Vault, account: Account) -> Issued:
    password = credentials.new_password()
    secret = credentials.new_totp_secret()
    account.password_hash = credentials.hash_password(password)
    account.totp_sealed = vault.cipher.seal(secret.encode(), totp_aad(account.id).encode())
    account.totp_last_step = None
    account.failed_attempts = 0
    account.locked_until = None
    return Issued(account.username, password, secret, credentials.provisioning_uri(secret, account.username))


async def create(
    session: AsyncSession,
    vault: Vault,
    actor: Caller,
    *,
    username: str,
    name: str,
    role: AccountRole,
    queues: Sequence[str],
) -> Issued:
    """A new account and its principal; returns the first password and TOTP secret, to show once.
    Raises ValueError for a username already taken or empty."""
    username = normalised_username(username)
    if not username or len(username) > 64 or not name.strip():
        raise ValueError("a username (up to 64 characters) and a name are needed")
    if await by_username(session, username) is not None:
        raise ValueError("that username is taken")
    kind = ROLE_KIND[role]
    principal = Principal(
        kind=kind,
        name=name.strip()[:200],
        queues=sorted(set(queues)) if kind == PrincipalKind.provider else [],
        # A person never uses a bearer token: this one is random and thrown away at once.
        token_hash=hash_token(new_token()),
    )
    session.add(principal)
    await session.flush()
    account = Account(id=uuid.uuid4(), principal_id=principal.id, username=username, role=role)
    issued = _issue(vault, account)
    session.add(account)
    await session.flush()
    await audit.record(session, actor, "account.create", None, f"account={account.id} role={role}")
    return issued


async def disable(session: AsyncSession, actor: Caller, account: Account, now: datetime) -> None:
    account.disabled_at = now
    await session.flush()
    await audit.record(session, actor, "account.disable", None, f"account={account.id}")


async def reset(session: AsyncSession, vault: Vault, actor: Caller, account: Account) -> Issued:
    """A new password and a new TOTP secret; lifts a lockout and a disable."""
    issued = _issue(vault, account)
    account.disabled_at = None
    await session.flush()
    await audit.record(session, actor, "account.reset", None, f"account={account.id}")
    return issued


def _caller_of(account: Account, principal: Principal) -> Caller:
    return Caller(principal.id, ROLE_KIND[AccountRole(account.role)], principal.name)


async def sign_in(
    session: AsyncSession,
    vault: Vault,
    username: str,
    password: str,
    code: str,
    now: datetime,
) -> tuple[SignInResult, Person | None]:
    """Check a password and a TOTP code; count failures and lock after MAX_FAILURES."""
    account = await by_username(session, username) if username.strip() else None
    if account is None:
        credentials.burn_time(password)
        return SignInResult.refused, None
    principal = await session.get_one(Principal, account.principal_id)
    caller = _caller_of(account, principal)
    if account.disabled_at is not None or (account.locked_until is not None and account.locked_until > now):
        credentials.burn_time(password)
        await audit.record(session, caller, "account.sign_in_refused", None, "locked_or_disabled")
        return SignInResult.refused, None
    step = None
    if credentials.verify_password(account.password_hash, password):
        secret = vault.cipher.open(account.totp_sealed, totp_aad(account.id).encode()).decode()
        step = credentials.totp_step(code, secret, now.timestamp() if now else time.time())
        if step is not None and account.totp_last_step is not None and step <= account.totp_last_step:
            step = None  # a code already used: refused
    if step is None:
        account.failed_attempts += 1
        if account.failed_attempts >= MAX_FAILURES:
            account.locked_until = now + LOCKOUT
            account.failed_attempts = 0
            await audit.record(session, caller, "account.locked", None, f"account={account.id}")
        else:
            await audit.record(session, caller, "account.sign_in_failed", None, f"account={account.id}")
        await session.flush()
        return SignInResult.refused, None
    account.failed_attempts = 0
    account.locked_until = None
    account.totp_last_step = step
    account.last_sign_in_at = now
    await session.flush()
    await audit.record(session, caller, "account.sign_in", None, f"account={account.id}")
    return SignInResult.ok, await person_of(session, account.id)
