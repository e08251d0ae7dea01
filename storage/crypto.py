"""Keyed hashes for looking people up and authenticated encryption for what delivery must read back.

Both keys are derived from SECRET_KEY with HKDF under different labels, so neither reveals the other.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@lru_cache(maxsize=16)  # HKDF per message would be wasted work: the keys change only with SECRET_KEY
def _derive(secret_key: str, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret_key.encode())


def keyed_hash(secret_key: str, channel: str, address: str) -> str:
    """A stable, non-reversible id for a phone number, chat id or web chat session."""
    key = _derive(secret_key, b"safer-homes address hash v1")
    return hmac.new(key, f"{channel}:{address}".encode(), hashlib.sha256).hexdigest()


class Sealer:
    """Encrypts and decrypts small values (addresses, names) with AES via Fernet.

    Fernet authenticates as well as encrypts; MultiFernet decrypts with any of the keys, newest first,
    so an old SECRET_KEY can be kept in `previous_keys` while values are re-sealed under the new one.
    """

    def __init__(self, secret_key: str, previous_keys: tuple[str, ...] = ()):
        keys = (secret_key, *previous_keys)
        self._fernet = MultiFernet(
            [Fernet(base64.urlsafe_b64encode(_derive(key, b"safer-homes seal v1"))) for key in keys]
        )

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def open(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def reseal(self, token: str) -> str:
        return self._fernet.rotate(token.encode()).decode()
