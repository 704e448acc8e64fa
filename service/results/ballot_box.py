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

With sealed receipts (a round's default) the marks of a part are not its trackers' ballots:
the close stores the trackers in tracker order and the marks in content order
(:mod:`service.results.opening`). So the box is read two ways only — its trackers
(:func:`find_tracker`, :func:`trackers_after`) and its marks as a whole
(:func:`content_list`) — and :func:`look_up` shows a ballot only for open receipts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from typing import Final, NamedTuple

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.digest import SHORT_LENGTH, TRACKER_LENGTH, canonical_ballot
from ballots.kinds import Ballot, BallotRules
from ballots.marks import ballot_of
from ballots.marks import content_list as content_list_of
from service.db.models import BoxPart, Round
from service.rounds.settings import ballot_rules

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
    """The stored entry whose tracker is ``wanted`` in canonical form, or the first whose
    tracker begins with it when it is a short form (:data:`SHORT_LENGTH` characters). Its
    marks are that ballot's only with open receipts (module docstring)."""
    for ballot in await _from(db, round_id, wanted, 1):
        if ballot[0] == wanted or (len(wanted) == SHORT_LENGTH and ballot[0].startswith(wanted)):
            return ballot
        if ballot[0] > wanted and not ballot[0].startswith(wanted):
            return None
    return None


async def find_tracker(db: AsyncSession, round_id: int, wanted: str) -> str | None:
    """The tracker in the box that is ``wanted`` (or begins with its short form)."""
    found = await find(db, round_id, wanted)
    return None if found is None else found[0]


async def trackers_after(
    db: AsyncSession, round_id: int, after: str | None, limit: int
) -> list[str]:
    """Up to ``limit`` trackers of the box after ``after`` (from the first without it), in
    tracker order."""
    return [tracker for tracker, _ in await page_after(db, round_id, after, limit)]


def reader(rules: BallotRules) -> Callable[[bytes], Ballot]:
    """The ballot of a round's marks (cached: a round has few distinct ballots)."""
    seen: dict[bytes, Ballot] = {}

    def ballot(marks: bytes) -> Ballot:
        found = seen.get(marks)
        if found is None:
            found = seen[marks] = ballot_of(marks, rules.kind, rules.candidates)
        return found

    return ballot


class Receipt(NamedTuple):
    """A receipt found in the box: its full tracker, and its ballot if the round has open
    receipts (``None`` with sealed receipts: the lookup only confirms it was counted)."""

    tracker: str
    ballot: Ballot | None


async def look_up(db: AsyncSession, round_row: Round, wanted: str) -> Receipt | None:
    """A receipt in the counted box: ``wanted`` is a tracker in canonical form or its short
    form (:func:`find`). The ballot comes with it only when the round has open receipts —
    the one place that decides what a receipt shows."""
    if not round_row.open_receipts:
        tracker = await find_tracker(db, round_row.id, wanted)
        return None if tracker is None else Receipt(tracker, None)
    found = await find(db, round_row.id, wanted)
    if found is None:
        return None
    return Receipt(found[0], reader(ballot_rules(round_row))(found[1]))


async def read_marks(db: AsyncSession, round_id: int) -> bytes:
    """The marks of every counted ballot of the round, joined (in no meaningful order)."""
    rows = await db.scalars(
        select(BoxPart.marks).where(BoxPart.round_id == round_id).order_by(BoxPart.first_tracker)
    )
    return b"".join(bytes(m) for m in rows)


async def content_list(db: AsyncSession, round_row: Round) -> list[tuple[str, int]]:
    """The round's content list: every distinct counted ballot (canonical JSON) and how many
    ballots say it, sorted by the JSON's bytes (:func:`ballots.marks.content_list`); nothing
    in it names a tracker."""
    marks = await read_marks(db, round_row.id)
    rules = ballot_rules(round_row)
    return await asyncio.to_thread(content_list_of, marks, rules.kind, rules.candidates)


def contents(rules: BallotRules, ballots: Sequence[Counted]) -> list[tuple[str, str]]:
    """Tracker and canonical JSON of each ballot of an open-receipt round (as published and
    hashed)."""
    seen: dict[bytes, str] = {}
    out: list[tuple[str, str]] = []
    for tracker, marks in ballots:
        text = seen.get(marks)
        if text is None:
            ballot = ballot_of(marks, rules.kind, rules.candidates)
            text = seen[marks] = canonical_ballot(ballot).decode()
        out.append((tracker, text))
    return out
