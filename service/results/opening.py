"""Opening a closed round's ballot box: the sealed envelopes become the counted box.

At the close, inside the closing transaction (after the round is locked, so no cast can
land any more), the round's idempotency records are deleted and its envelopes read, opened
with the round's box key (:mod:`service.voting.sealing`) off the event loop, sorted by
tracker and written as the counted box (:mod:`service.results.ballot_box`) — a few hundred
rows for a million ballots, in one statement, in tracker order. So the counted ballots carry
one transaction id, lie in tracker order on disk, and were never stored next to a code.

Ballots counted by an older version's close, or stored unsealed by one while the round was
voting, are already in the counted box: they are read and written out again with the
opened envelopes.

Once the close has committed, the envelopes are deleted and storage cleared of the voting
(:mod:`service.results.purge`).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.digest import TRACKER_LENGTH
from ballots.marks import canonical_of
from service.results import ballot_box
from service.voting.sealing import RoundSeal


class Box(msgspec.Struct, frozen=True):
    """A round's opened ballot box: ``count`` ballots in tracker order, their trackers
    (16 bytes each) and marks joined, and the box's digest
    (:func:`ballots.digest.ballot_box_digest`, hashed from the ballots' canonical JSON)."""

    trackers: bytes
    marks: bytes
    count: int
    digest: str


def open_envelopes(
    seal: RoundSeal,
    envelopes: Sequence[tuple[bytes, bytes]],
    counted: Sequence[ballot_box.Counted],
    kind: str,
    candidates: Sequence[str],
) -> Box:
    """Open ``envelopes`` (nonce, sealed), add the ballots already ``counted`` and put them
    in tracker order. CPU work only: run it off the event loop."""
    width = 2 * len(candidates)
    plain = b"".join(
        seal.open_all(envelopes) + [tracker.encode("ascii") + marks for tracker, marks in counted]
    )
    count = len(envelopes) + len(counted)
    table = np.frombuffer(plain, np.uint8).reshape(count, TRACKER_LENGTH + width)
    # trackers compare as two big-endian 64-bit numbers (ASCII sorts by its bytes)
    halves = table[:, :TRACKER_LENGTH].copy().view(">u8")
    table = table[np.lexsort((halves[:, 1], halves[:, 0]))]
    trackers = table[:, :TRACKER_LENGTH].tobytes()
    marks = np.ascontiguousarray(table[:, TRACKER_LENGTH:])
    digest = box_digest(trackers, marks, kind, candidates)
    return Box(trackers=trackers, marks=marks.tobytes(), count=count, digest=digest)


def box_digest(
    trackers: bytes, marks: npt.NDArray[np.uint8], kind: str, candidates: Sequence[str]
) -> str:
    """The ballot-box digest of ballots in tracker order: SHA-256 of one line per ballot,
    its tracker, a tab, its canonical JSON and a line feed (written once per distinct
    ballot)."""
    if len(marks) == 0:
        return hashlib.sha256(b"").hexdigest()
    rows = marks.view(f"V{marks.shape[1]}").ravel()
    unique, inverse = np.unique(rows, return_inverse=True)
    texts = ["\t" + canonical_of(bytes(u), kind, candidates) + "\n" for u in unique]
    names = trackers.decode("ascii")
    step = TRACKER_LENGTH
    lines = "".join(
        [names[i * step : (i + 1) * step] + texts[j] for i, j in enumerate(inverse.tolist())]
    )
    return hashlib.sha256(lines.encode()).hexdigest()


SQLITE_ENVELOPES = "SELECT nonce, sealed FROM envelopes WHERE round_id = ?"
PG_ENVELOPES = "SELECT nonce, sealed FROM envelopes WHERE round_id = $1"


async def _envelopes(db: AsyncSession, round_id: int) -> list[tuple[bytes, bytes]]:
    """The round's envelopes, read by the database driver itself (no row object each)."""
    connection = await db.connection()
    driver: Any = (await connection.get_raw_connection()).driver_connection
    if connection.dialect.name == "postgresql":
        return [(bytes(r[0]), bytes(r[1])) for r in await driver.fetch(PG_ENVELOPES, round_id)]
    return list(await driver.execute_fetchall(SQLITE_ENVELOPES, (round_id,)))


async def open_box(db: AsyncSession, seal: RoundSeal, kind: str, candidates: Sequence[str]) -> Box:
    """Open the round's box in the caller's transaction (module docstring): the envelopes
    and any ballots already counted become the counted box, in tracker order."""
    round_id = seal.round_id
    await db.execute(text("DELETE FROM cast_keys WHERE round_id = :round"), {"round": round_id})
    envelopes = await _envelopes(db, round_id)
    counted = await ballot_box.read_all(db, round_id)
    box = await asyncio.to_thread(open_envelopes, seal, envelopes, counted, kind, candidates)
    await ballot_box.store(db, round_id, box.trackers, box.marks, box.count)
    return box
