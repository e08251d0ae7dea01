"""Keyed hashes for looking people up and authenticated encryption for what delivery must read back.

Both keys are derived from SECRET_KEY with HKDF under different labels, so neither reveals the other.
The choices (nothing here is hand-rolled): HMAC-SHA256 (Python's hmac) for the lookup hash; HKDF-SHA256,
Fernet (AES-128-CBC with an HMAC-SHA256 tag: authenticated encryption) for sealed values, and MultiFernet
to open values sealed under a previous key while they are re-sealed (`safer-homes keys`), all from
`cryptography`.
`KeyRing` is the one place the rest of the code gets its hash function and its sealer from.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cached_property, lru_cache
from typing import Optional, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
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
        self._fernets = [Fernet(base64.urlsafe_b64encode(_derive(key, b"safer-homes seal v1"))) for key in keys]
        self._fernet = MultiFernet(self._fernets)

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def open(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def reseal(self, token: str) -> str:
        return self._fernet.rotate(token.encode()).decode()

    def open_with_key_index(self, token: str) -> Optional[tuple[int, str]]:
        """(which key opened `token`, the value): 0 is the current key, 1 the first previous one, ...;
        None when no configured key opens it (or it is not a token). Fernet tokens carry no key id, so
        each key is tried in turn; what decides is the token's authentication tag, never a guess."""
        for index, fernet in enumerate(self._fernets):
            try:
                return index, fernet.decrypt(token.encode()).decode()
            except InvalidToken:
                continue
        return None


class KeyRing:
    """SECRET_KEY and the previous keys still configured (SECRET_KEY_PREVIOUS), newest first.

    Hashes are always made with the current key; a lookup also tries each previous key's hash, so a
    resident is still found after a rotation (and is then moved to the current hash). Values are
    sealed with the current key and opened with any of them."""

    def __init__(self, current: str, previous: Sequence[str] = ()):
        self.current = current
        self.previous = tuple(previous)

    def address_hash(self, channel: str, address: str) -> str:
        """The hash a contact is stored and looked up under now."""
        return keyed_hash(self.current, channel, address)

    def previous_address_hashes(self, channel: str, address: str) -> tuple[str, ...]:
        """The hashes the same address had under each previous key, newest first."""
        return tuple(keyed_hash(key, channel, address) for key in self.previous)

    def superseded_hash(self, channel: str, address: str, contact_id: int) -> str:
        """A current-key hash for an extra contact of an address that already has a contact under the
        current hash (a process ran with the old key after the change): no lookup ever makes it, so the
        extra row keeps its links and sealed address but nothing derived from an old key stays behind.
        The prefix cannot be a channel name, so it never equals any address's own hash."""
        return keyed_hash(self.current, f"superseded:{contact_id}", f"{channel}:{address}")

    @cached_property
    def sealer(self) -> Sealer:
        return Sealer(self.current, self.previous)


@lru_cache(maxsize=8)
def key_ring(secret_key: str, previous_keys: tuple[str, ...] = ()) -> KeyRing:
    """The key ring for these settings' values (bot.settings.Settings.key_ring): built once per process."""
    return KeyRing(secret_key, previous_keys)
