"""Passwords (argon2id through argon2-cffi) and the TOTP second factor (pyotp, RFC 6238: 30-second steps,
six digits, one step of clock drift either way)."""

from __future__ import annotations

import secrets
import time
from functools import lru_cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ISSUER = "Staffordshire self-referral console"
TOTP_DRIFT_STEPS = 1
MIN_PASSWORD_LENGTH = 12


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, the library's current recommended parameters


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(encoded: str, password: str) -> bool:
    try:
        return hasher().verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    """Verify against a throwaway hash: an unknown username costs as long as a wrong password."""
    verify_password(_dummy_hash(), password)


def new_password() -> str:
    """A generated first password (printed once by the CLI or the admin page)."""
    return secrets.token_urlsafe(15)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def totp_step(code: str, secret: str, now: float | None = None) -> int | None:
    """The time step a six-digit code is good for (now, or one step either side), or None."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    moment = time.time() if now is None else now
    current = int(moment // totp.interval)
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None
