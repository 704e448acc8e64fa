"""Enrolling a tablet for one voting round: the facilitator's browser session turns the
device into a ballot kiosk that shows that round's ballot and nothing else.

The tablet keeps a long-lived HttpOnly cookie holding a signed token
``v1.<round id>.<tablet id>.<issued unix time>.<signature>``: the signature is
HMAC-SHA256 under the service's secret key, so no table is needed and nothing about the
tablet is stored. An enrolment ends when its round stops voting, when it is older than
:data:`ENROLMENT_DAYS`, or when the facilitator enrols the device for another round.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Final

import msgspec

TABLET_COOKIE: Final = "redbench_tablet"
ENROLMENT_DAYS: Final = 7
"""Longest a tablet stays enrolled (a meeting lasts hours; the round closes first)."""
_PURPOSE: Final = b"redbench tablet enrolment\n"


class Enrolment(msgspec.Struct, frozen=True):
    """Which round this tablet casts for, the tablet's random id, and since when."""

    round_id: int
    tablet_id: str
    issued_at: int


def _signature(secret_key: str, payload: str) -> str:
    digest = hmac.new(secret_key.encode(), _PURPOSE + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def enrolment_token(secret_key: str, round_id: int, now: float | None = None) -> str:
    """A fresh signed token enrolling a new tablet for ``round_id``."""
    issued = int(time.time() if now is None else now)
    payload = f"v1.{round_id}.{secrets.token_hex(8)}.{issued}"
    return f"{payload}.{_signature(secret_key, payload)}"


def read_enrolment(
    secret_key: str, token: str | None, now: float | None = None
) -> Enrolment | None:
    """The enrolment a token proves, or ``None`` if it is missing, forged, malformed or
    older than :data:`ENROLMENT_DAYS`."""
    if not token:
        return None
    payload, _, signature = token.rpartition(".")
    if not hmac.compare_digest(signature.encode(), _signature(secret_key, payload).encode()):
        return None
    parts = payload.split(".")
    if len(parts) != 4 or parts[0] != "v1" or not parts[1].isdigit() or not parts[3].isdigit():
        return None
    issued = int(parts[3])
    current = time.time() if now is None else now
    if not 0 <= current - issued <= ENROLMENT_DAYS * 86400:
        return None
    return Enrolment(round_id=int(parts[1]), tablet_id=parts[2], issued_at=issued)
