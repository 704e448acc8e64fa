"""Opening a closed round's ballot box: the sealed envelopes become the counted box.

At the close, inside the closing transaction (after the round is locked, so no cast can
land any more), the round's idempotency records are deleted and its envelopes read, opened
with the round's box key (:mod:`service.voting.sealing`) off the event loop, sorted by
tracker and written as the counted box (:mod:`service.results.ballot_box`) — a few hundred
rows for a million ballots, in one statement, in tracker order. So the counted ballots carry
one transaction id, lie in tracker order on disk, and were never stored next to a code.

With sealed receipts (the default) the trackers and the marks are then sorted apart — the
trackers by tracker, the marks by their content — so the stored box holds the two lists the
round publishes and nothing pairing them; the box digest is
:func:`ballots.digest.sealed_box_digest` of the two lists' digests. With open receipts each
ballot stays beside its tracker and the digest hashes the pairs
(:func:`ballots.digest.ballot_box_digest`). The sorting and digesting is the stored ballot
format's own (:func:`ballots.marks.close_box`).

Ballots counted by an older version's close, or stored unsealed by one while the round was
voting, are already in the counted box: they are read and written out again with the
opened envelopes.

Once the close has committed, the envelopes are deleted and storage cleared of the voting
(:mod:`service.results.purge`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.marks import ClosedBox, close_box
from service.results import ballot_box
from service.voting.sealing import RoundSeal


def open_envelopes(
    seal: RoundSeal,
    envelopes: Sequence[tuple[bytes, bytes]],
    counted: Sequence[ballot_box.Counted],
    kind: str,
    candidates: Sequence[str],
    *,
    open_receipts: bool = False,
) -> ClosedBox:
    """Open ``envelopes`` (nonce, sealed), add the ballots already ``counted`` and close the
    box (:func:`ballots.marks.close_box`: tracker order; with sealed receipts the marks
    sorted apart by content). CPU work only: run it off the event loop."""
    rows = b"".join(
        seal.open_all(envelopes) + [tracker.encode("ascii") + marks for tracker, marks in counted]
    )
    return close_box(rows, kind, candidates, open_receipts=open_receipts)


SQLITE_ENVELOPES = "SELECT nonce, sealed FROM envelopes WHERE round_id = ?"
PG_ENVELOPES = "SELECT nonce, sealed FROM envelopes WHERE round_id = $1"


async def _envelopes(db: AsyncSession, round_id: int) -> list[tuple[bytes, bytes]]:
    """The round's envelopes, read by the database driver itself (no row object each)."""
    connection = await db.connection()
    driver: Any = (await connection.get_raw_connection()).driver_connection
    if connection.dialect.name == "postgresql":
        return [(bytes(r[0]), bytes(r[1])) for r in await driver.fetch(PG_ENVELOPES, round_id)]
    return list(await driver.execute_fetchall(SQLITE_ENVELOPES, (round_id,)))


async def open_box(
    db: AsyncSession,
    seal: RoundSeal,
    kind: str,
    candidates: Sequence[str],
    *,
    open_receipts: bool = False,
) -> ClosedBox:
    """Open the round's box in the caller's transaction (module docstring): the envelopes
    and any ballots already counted become the counted box, in tracker order."""
    round_id = seal.round_id
    await db.execute(text("DELETE FROM cast_keys WHERE round_id = :round"), {"round": round_id})
    envelopes = await _envelopes(db, round_id)
    counted = await ballot_box.read_all(db, round_id)
    box = await asyncio.to_thread(
        open_envelopes, seal, envelopes, counted, kind, candidates, open_receipts=open_receipts
    )
    await ballot_box.store(db, round_id, box.trackers, box.marks, box.count)
    return box
