"""Opening a closed round's ballot box: the sealed envelopes become the counted box.

Once the round has left voting (its move to closed has committed, so no cast can land any
more) its envelopes are read (:func:`sealed_ballots`), opened with the round's box key
(:mod:`service.voting.sealing`) in the worker process with the count
(:mod:`service.results.box_count`), sorted by tracker, and written as the counted box
(:mod:`service.results.ballot_box`) in the transaction that stores the result
(:func:`store_box`), where the round's idempotency records are deleted too — a few hundred
rows for a million ballots, in one statement, in tracker order. So the counted ballots carry
one transaction id, lie in tracker order on disk, and were never stored next to a code; a
count that fails writes nothing, and the envelopes stay sealed.

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
    sorted apart by content). CPU work only: the close runs it in the worker process."""
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


async def sealed_ballots(
    db: AsyncSession, round_id: int
) -> tuple[list[tuple[bytes, bytes]], list[ballot_box.Counted]]:
    """The round's envelopes (nonce, sealed) and any ballots already in its counted box: what
    :func:`open_envelopes` opens. Reads only: on SQLite it takes no write lock."""
    return await _envelopes(db, round_id), await ballot_box.read_all(db, round_id)


async def store_box(db: AsyncSession, round_id: int, box: ClosedBox) -> None:
    """Write the opened ``box`` as the round's counted box, in the caller's transaction, and
    delete the round's idempotency records (module docstring); the envelopes go with the
    purge once it has committed."""
    await db.execute(text("DELETE FROM cast_keys WHERE round_id = :round"), {"round": round_id})
    await ballot_box.store(db, round_id, box.trackers, box.marks, box.count)
