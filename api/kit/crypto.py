"""Encryption at rest for personal fields, and keyed hashes to find them.

`FieldCipher` seals bytes with AES-256-GCM (an AEAD). A sealed value is
`version(1) | key id(4) | nonce(12) | ciphertext+tag`; the key id is the first four bytes of SHA-256 of
the key, so after a rotation old values still open with an older key of the ring while new values are
sealed with the newest. The associated data binds a value to its row and column, so a ciphertext copied
into another row does not open.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"


class DecryptionError(Exception):
    pass


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:4]


class FieldCipher:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("the key ring is empty")
        self._keys = {_key_id(k): AESGCM(k) for k in keys}
        self._newest_id = _key_id(keys[0])

    @property
    def newest_key_id(self) -> bytes:
        return self._newest_id

    @property
    def older_key_ids(self) -> list[bytes]:
        """The ids of the ring's keys other than the newest."""
        return [key_id for key_id in self._keys if key_id != self._newest_id]

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(12)
        return _VERSION + self._newest_id + nonce + self._keys[self._newest_id].encrypt(nonce, plaintext, aad)

    def open(self, sealed: bytes, aad: bytes) -> bytes:
        if len(sealed) < 1 + 4 + 12 + 16 or sealed[:1] != _VERSION:
            raise DecryptionError("not a sealed value")
        aead = self._keys.get(sealed[1:5])
        if aead is None:
            raise DecryptionError("sealed with a key that is not in the ring")
        try:
            return aead.decrypt(sealed[5:17], sealed[17:], aad)
        except InvalidTag as exc:
            raise DecryptionError("the value or its context was altered") from exc

    def sealed_with_newest(self, sealed: bytes) -> bool:
        return sealed[1:5] == self._newest_id

    def knows(self, sealed: bytes) -> bool:
        """Whether `sealed` names a key of this ring (it may still fail to open if it was altered)."""
        return sealed[:1] == _VERSION and sealed[1:5] in self._keys

    def seal_json(self, value: Any, aad: str) -> bytes:
        return self.seal(json.dumps(value, ensure_ascii=False, sort_keys=True).encode(), aad.encode())

    def open_json(self, sealed: bytes, aad: str) -> Any:
        return json.loads(self.open(sealed, aad.encode()))


class BlindIndex:
    """HMAC-SHA256 of a normalised value: equal inputs give equal indexes; nothing reverses it."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def of(self, purpose: str, normalised: str) -> str:
        return hmac.new(self._key, f"{purpose}:{normalised}".encode(), hashlib.sha256).hexdigest()


class Vault:
    """The cipher and the blind index, built once in the app's lifespan from settings."""

    def __init__(self, keys: list[bytes], blind_index_key: bytes) -> None:
        self.cipher = FieldCipher(keys)
        self.index = BlindIndex(blind_index_key)
