"""Password hashes: scrypt (a memory-hard KDF in the standard library) at OWASP's parameters,
stored as ``scrypt$N$r$p$salt$hash`` so that each hash says what it cost.

These functions run scrypt where they are called, for a fraction of a second and 128 MiB:
the service calls them only through :class:`service.auth.hashing.PasswordHasher`, which runs
them off the event loop, a bounded number at a time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Cost:
    """scrypt's work factors: ``n`` (CPU and memory, a power of two), ``r`` (block size)
    and ``p`` (parallelism)."""

    n: int
    r: int
    p: int

    @property
    def maxmem(self) -> int:
        """The memory scrypt needs for these factors (OpenSSL refuses to use more than the
        ``maxmem`` it is given, 32 MiB unless told): 128·r·(n + p + 2) bytes."""
        return 128 * self.r * (self.n + self.p + 2)


OWASP: Final = Cost(n=2**17, r=8, p=1)
"""OWASP's recommendation for scrypt (Password Storage Cheat Sheet): about 128 MiB and a
third of a second of one core per hash. The service hashes with nothing else; the stored
hashes of other parameters are replaced at the next successful sign-in."""

SCHEME: Final = "scrypt"
DIGEST_BYTES: Final = 32


def hash_password(password: str, cost: Cost = OWASP) -> str:
    """``scrypt$N$r$p$salt$hash`` of ``password`` with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, cost, DIGEST_BYTES)
    b64 = base64.b64encode
    return f"{SCHEME}${cost.n}${cost.r}${cost.p}${b64(salt).decode()}${b64(digest).decode()}"


def cost_of(stored: str) -> Cost | None:
    """The parameters a stored hash was made with (``None``: not a hash this module made)."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    try:
        return Cost(n=int(parts[1]), r=int(parts[2]), p=int(parts[3]))
    except ValueError:
        return None


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``, compared in constant time (a malformed
    stored hash matches nothing)."""
    cost = cost_of(stored)
    if cost is None:
        return False
    _, _, _, _, salt, digest = stored.split("$")
    try:
        expected = base64.b64decode(digest, validate=True)
        got = _scrypt(password, base64.b64decode(salt, validate=True), cost, len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(got, expected)


def _scrypt(password: str, salt: bytes, cost: Cost, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=cost.n,
        r=cost.r,
        p=cost.p,
        maxmem=cost.maxmem,
        dklen=length,
    )
