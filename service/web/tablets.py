"""Enrolling a tablet for one voting round: the facilitator's browser session turns the
device into a ballot kiosk that shows that round's ballot and nothing else.

The tablet keeps a long-lived HttpOnly cookie holding a signed token
``v1.<round id>.<tablet id>.<issued unix time>.<signature>``: the signature is
HMAC-SHA256 under the service's secret key, so no table is needed for enrolments. An
enrolment ends when its round stops voting, when it is older than :data:`ENROLMENT_DAYS`, or
when the facilitator enrols the device for another round.

Ballots the tablet keeps while offline carry a delivery ticket (:func:`delivery_ticket`,
signed the same way) so that they can be delivered after the enrolment has ended; the
tablet's random id is stored only with a kept ballot that came too late to count
(:mod:`service.voting.late`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Final

import msgspec

from service.web.digits import whole_number

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
    if len(parts) != 4 or parts[0] != "v1":
        return None
    round_id, issued = whole_number(parts[1]), whole_number(parts[3], longest=12)
    if round_id is None or issued is None:
        return None
    current = time.time() if now is None else now
    if not 0 <= current - issued <= ENROLMENT_DAYS * 86400:
        return None
    return Enrolment(round_id=round_id, tablet_id=parts[2], issued_at=issued)


_TICKET_PURPOSE: Final = b"redbench kept-ballot delivery\n"


def delivery_ticket(secret_key: str, round_id: int, tablet_id: str) -> str:
    """What a tablet enrolled for ``round_id`` stores with each ballot it keeps offline:
    ``<tablet id>.<signature>``. It proves, without the enrolment cookie (which may have
    expired, or moved to another round, by the time the network is back), that the ballot
    was kept by a tablet enrolled for that round."""
    payload = f"{round_id}.{tablet_id}".encode()
    digest = hmac.new(secret_key.encode(), _TICKET_PURPOSE + payload, hashlib.sha256).digest()
    return f"{tablet_id}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def read_ticket(secret_key: str, round_id: int, ticket: str) -> str | None:
    """The tablet id a delivery ticket proves for ``round_id``, or ``None``."""
    tablet_id, _, _ = ticket.partition(".")
    if not tablet_id or len(ticket) > 128:
        return None
    expected = delivery_ticket(secret_key, round_id, tablet_id)
    return tablet_id if hmac.compare_digest(ticket.encode(), expected.encode()) else None
