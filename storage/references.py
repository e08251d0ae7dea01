"""Reference codes: TH-XXXX-XXXX in Crockford base32, readable aloud and over the phone."""
from __future__ import annotations

import secrets

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U


def new_reference() -> str:
    """A random reference (40 bits: guessing one that exists is impractical)."""
    body = "".join(secrets.choice(CROCKFORD) for _ in range(8))
    return f"TH-{body[:4]}-{body[4:]}"
