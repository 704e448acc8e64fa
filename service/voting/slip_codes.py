"""How a slip's voter code is made, so that the server can print an unused slip again
without the database ever holding a readable code.

A code is not drawn at random and forgotten: it is the first 50 bits of
HMAC-SHA256 under the *slip key* of (round id, the batch's random salt, the slip's number).
The slip key is derived from the server's secret key (``REDBENCH_SECRET``) and is never
stored. The database keeps the salt, the slip numbers and, as before, each code's keyed hash
(:func:`service.voting.codes.code_hash`): whoever holds the database, a backup or a log but
not the secret key can neither read a code nor make one; the server, which holds the key,
can make an unused slip's code again to reprint it. docs/security.md says why this is
enough.

The functions here are pure, so that thousands of codes are made in the worker process
(:mod:`service.offload`).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from typing import Final

from ballots.digest import ALPHABET

SALT_BYTES: Final[int] = 16
CODE_BITS: Final[int] = 50
"""10 Crockford base-32 characters, as :data:`service.voting.codes.CODE_LENGTH` says."""
_SLIP_KEY_LABEL: Final[bytes] = b"redbench/voter-code-slips/v1"
"""What the slip key is for: it makes codes and nothing else."""


def new_salt() -> bytes:
    """A batch's fresh random salt (:mod:`secrets`)."""
    return secrets.token_bytes(SALT_BYTES)


def slip_key(secret_key: str) -> bytes:
    """The key codes are made with, derived from the server's secret key (never stored)."""
    return hmac.digest(secret_key.encode(), _SLIP_KEY_LABEL, "sha256")


def _characters(value: int, length: int) -> str:
    """``value`` as ``length`` Crockford base-32 characters, most significant first."""
    return "".join(ALPHABET[(value >> (5 * (length - 1 - i))) & 31] for i in range(length))


def slip_code(key: bytes, round_id: int, salt: bytes, number: int) -> str:
    """The canonical code (no dash) of slip ``number`` of a batch with ``salt`` in round
    ``round_id``. The message has fixed fields (8-byte round, the salt, 4-byte number), so
    no two slips share one."""
    message = round_id.to_bytes(8, "big") + salt + number.to_bytes(4, "big")
    digest = hmac.digest(key, message, "sha256")
    value = int.from_bytes(digest[:7], "big") >> (56 - CODE_BITS)
    return _characters(value, CODE_BITS // 5)


def slip_codes(secret_key: str, round_id: int, salt: bytes, numbers: Iterable[int]) -> list[str]:
    """The canonical codes of slips ``numbers`` of one batch (runs in the worker)."""
    key = slip_key(secret_key)
    return [slip_code(key, round_id, salt, number) for number in numbers]
