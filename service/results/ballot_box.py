"""The counted ballot box: how a closed round's ballots are kept and read back.

When a round closes its envelopes are opened (:mod:`service.results.opening`) and its ballots
stored as :class:`~service.db.models.BoxPart` rows: each part holds up to :data:`PART`
ballots in tracker order, their trackers (16 ASCII bytes each) joined in one value and their
marks (:mod:`ballots.marks`) in another. A million ballots are a few hundred rows, written
in one statement inside the closing transaction; every ballot is in exactly one part, and
parts do not overlap, so a tracker is found by reading the one part whose first tracker
precedes it.

The ballot itself (its canonical JSON, as published) is derived from its marks and the
round's frozen slate (:func:`ballots.marks.ballot_of`), never stored beside them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Final

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.digest import SHORT_LENGTH, TRACKER_LENGTH, canonical_ballot
from ballots.kinds import Ballot, BallotRules
from ballots.marks import ballot_of
from service.db.models import BoxPart, Round
from service.voting.casting import ballot_rules

PART: Final[int] = 4096
"""Most ballots in one stored part."""

Counted = tuple[str, bytes]
"""One counted ballot: its tracker and its marks."""


def parts(round_id: int, trackers: bytes, marks: bytes, count: int) -> list[dict[str, object]]:
    """The rows that store ``count`` ballots whose trackers and marks are joined, in tracker
    order, in ``trackers`` and ``marks``."""
    width = len(marks) // count if count else 0
    rows: list[dict[str, object]] = []
    for start in range(0, count, PART):
        n = min(PART, count - start)
        names = trackers[start * TRACKER_LENGTH : (start + n) * TRACKER_LENGTH]
        rows.append(
            {
                "round_id": round_id,
                "first_tracker": names[:TRACKER_LENGTH].decode("ascii"),
                "count": n,
                "trackers": names,
                "marks": marks[start * width : (start + n) * width],
            }
        )
    return rows


async def store(db: AsyncSession, round_id: int, trackers: bytes, marks: bytes, count: int) -> None:
    """Replace the round's counted box with these ballots (joined, in tracker order)."""
    await db.execute(delete(BoxPart).where(BoxPart.round_id == round_id))
    rows = parts(round_id, trackers, marks, count)
    if rows:
        await db.execute(insert(BoxPart), rows)


def unpack(part: BoxPart | tuple[str, int, bytes, bytes]) -> Iterator[Counted]:
    """The ballots of one stored part, in tracker order."""
    if isinstance(part, BoxPart):
        count, trackers, marks = part.count, part.trackers, part.marks
    else:
        _, count, trackers, marks = part
    width = len(marks) // count if count else 0
    for i in range(count):
        tracker = trackers[i * TRACKER_LENGTH : (i + 1) * TRACKER_LENGTH].decode("ascii")
        yield tracker, marks[i * width : (i + 1) * width]


_COLUMNS = (BoxPart.first_tracker, BoxPart.count, BoxPart.trackers, BoxPart.marks)


async def read_all(db: AsyncSession, round_id: int) -> list[Counted]:
    """Every counted ballot of the round, in tracker order."""
    rows = await db.execute(
        select(*_COLUMNS).where(BoxPart.round_id == round_id).order_by(BoxPart.first_tracker)
    )
    return [ballot for row in rows for ballot in unpack(tuple(row))]  # type: ignore[arg-type]


async def _from(db: AsyncSession, round_id: int, tracker: str, limit: int) -> list[Counted]:
    """Ballots in tracker order from the part that holds ``tracker`` (or would) onwards, at
    least ``limit`` of them past ``tracker`` when there are so many."""
    first = await db.scalar(
        select(func.max(BoxPart.first_tracker)).where(
            BoxPart.round_id == round_id, BoxPart.first_tracker <= tracker
        )
    )
    query = select(*_COLUMNS).where(BoxPart.round_id == round_id)
    if first is not None:
        query = query.where(BoxPart.first_tracker >= first)
    rows = await db.execute(query.order_by(BoxPart.first_tracker).limit(2 + limit // PART))
    return [ballot for row in rows for ballot in unpack(tuple(row))]  # type: ignore[arg-type]


async def page_after(
    db: AsyncSession, round_id: int, after: str | None, limit: int
) -> list[Counted]:
    """Up to ``limit`` counted ballots whose trackers come after ``after`` (all from the
    first, without it), in tracker order."""
    found = await _from(db, round_id, after or "", limit)
    return [b for b in found if after is None or b[0] > after][:limit]


async def find(db: AsyncSession, round_id: int, wanted: str) -> Counted | None:
    """The counted ballot with tracker ``wanted`` in canonical form, or the first whose
    tracker begins with it when it is a short form (:data:`SHORT_LENGTH` characters)."""
    for ballot in await _from(db, round_id, wanted, 1):
        if ballot[0] == wanted or (len(wanted) == SHORT_LENGTH and ballot[0].startswith(wanted)):
            return ballot
        if ballot[0] > wanted and not ballot[0].startswith(wanted):
            return None
    return None


def reader(rules: BallotRules) -> Callable[[bytes], Ballot]:
    """The ballot of a round's marks (cached: a round has few distinct ballots)."""
    seen: dict[bytes, Ballot] = {}

    def ballot(marks: bytes) -> Ballot:
        found = seen.get(marks)
        if found is None:
            found = seen[marks] = ballot_of(marks, rules.kind, rules.candidates)
        return found

    return ballot


async def look_up(db: AsyncSession, round_row: Round, wanted: str) -> tuple[str, Ballot] | None:
    """The counted ballot of a receipt: ``wanted`` is a tracker in canonical form or its
    short form (:func:`find`)."""
    found = await find(db, round_row.id, wanted)
    if found is None:
        return None
    return found[0], reader(ballot_rules(round_row))(found[1])


def contents(rules: BallotRules, ballots: Sequence[Counted]) -> list[tuple[str, str]]:
    """Tracker and canonical JSON of each ballot (as published and hashed)."""
    seen: dict[bytes, str] = {}
    out: list[tuple[str, str]] = []
    for tracker, marks in ballots:
        text = seen.get(marks)
        if text is None:
            ballot = ballot_of(marks, rules.kind, rules.candidates)
            text = seen[marks] = canonical_ballot(ballot).decode()
        out.append((tracker, text))
    return out
