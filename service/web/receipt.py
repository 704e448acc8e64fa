"""A receipt a resident can keep: the link that opens the public board's receipt check for
one tracker, and that link as a QR code the tablet draws for the resident's own phone.

The QR code holds only what the receipt screen already shows — the round and the tracker —
and never the voter code, so photographing it tells no more than writing the number down.
What the board then shows for the tracker depends on the round's receipts (sealed: that the
ballot was counted; open: also what it says); docs/security.md says both.

The drawing is a single SVG path (one rectangle per run of dark modules in a row), so the
tablet script builds it without markup from the server.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlencode

import msgspec
import segno

from ballots.digest import TRACKER_LENGTH, grouped_tracker, normalize_tracker
from ballots.errors import InvalidReceipt
from service.errors import Invalid

QUIET_ZONE: Final = 4
"""Light modules around the symbol, as the QR standard asks, so that a phone finds it."""


class ReceiptAsked(msgspec.Struct, forbid_unknown_fields=True):
    """The tablet's request: the receipt it is showing (its round and tracker)."""

    round_id: int
    tracker: str


class ReceiptCode(msgspec.Struct):
    """The board's receipt check for one tracker, and its QR code as an SVG path: ``size``
    modules a side (quiet zone included), ``path`` the dark modules."""

    link: str
    grouped: str
    size: int
    path: str


def board_link(base: str, round_id: int, tracker: str) -> str:
    """The public board's receipt check for ``tracker`` in ``round_id`` (under ``base``, the
    address the tablet reached this server at), the tracker grouped as residents see it."""
    query = urlencode({"tracker": grouped_tracker(tracker)})
    return f"{base.rstrip('/')}/board/rounds/{round_id}?{query}"


def qr_path(data: str) -> tuple[int, str]:
    """The QR code of ``data`` (error correction M at least) as ``(size, SVG path)``."""
    symbol = segno.make(data, error="m", micro=False)
    rows = [bytes(row) for row in symbol.matrix]
    size = len(rows) + 2 * QUIET_ZONE
    parts: list[str] = []
    for y, row in enumerate(rows, start=QUIET_ZONE):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            run = x
            while run < len(row) and row[run]:
                run += 1
            parts.append(f"M{x + QUIET_ZONE} {y}h{run - x}v1h-{run - x}z")
            x = run
    return size, "".join(parts)


def receipt_code(base: str, asked: ReceiptAsked) -> ReceiptCode:
    """The link and QR code of a full tracker (422 ``bad-receipt`` for anything else: a
    short form would let the board find a different ballot with the same 8 characters)."""
    try:
        tracker = normalize_tracker(asked.tracker)
    except InvalidReceipt:
        tracker = ""
    if len(tracker) != TRACKER_LENGTH or asked.round_id < 1:
        raise Invalid("bad-receipt", field="tracker")
    link = board_link(base, asked.round_id, tracker)
    size, path = qr_path(link)
    return ReceiptCode(link=link, grouped=grouped_tracker(tracker), size=size, path=path)
