"""A decision bundle as read from the database but not yet made: every round's record with
its ballots still as stored rows, a process's loop, and (for the PDF) the bytes of the
loop's photos. Plain data, so it travels to the worker process (:mod:`service.offload`),
where :func:`sealed` decodes and hashes the ballots and seals the bundle — the part that
grows with the ballot box — off the event loop.

A round with sealed receipts travels as :class:`StoredLists` (its trackers and its distinct
ballots apart), one with open receipts as a list of (tracker, ballot) rows."""

from __future__ import annotations

from typing import Final, Literal

import msgspec
from msgspec import UNSET, UnsetType

from ballots.bundle import (
    BallotEntry,
    Bundle,
    CountedContent,
    LoopRecord,
    Package,
    ProcessRecord,
    RoundRecord,
    SealedBallots,
    entry,
    seal,
    version_for,
)
from ballots.digest import content_list_digest, tracker_list_digest
from ballots.kinds import Ballot
from service.zones import DEFAULT_ZONE

StoredBallot = tuple[str, str]
"""A ballot of an open-receipt round as stored: its tracker and its canonical JSON."""

_BALLOT: Final = msgspec.json.Decoder(Ballot)


class StoredLists(msgspec.Struct, frozen=True, kw_only=True):
    """The ballots of a round with sealed receipts as published: its trackers in order, its
    distinct ballots (canonical JSON) with their counts in content order, and the digests
    stored at the count (recomputed from the lists where none were stored)."""

    trackers: list[str]
    contents: list[tuple[str, int]]
    trackers_digest: str | None
    contents_digest: str | None


class Draft(msgspec.Struct, frozen=True, kw_only=True):
    """``rounds`` hold no ballots yet; ``ballots[i]`` are round ``i``'s stored ballots:
    (tracker, ballot) rows in tracker order, or its two lists for sealed receipts; ``loop``
    is a process's loop (unset for a round); ``photos`` are the loop's photos by SHA-256,
    read only when they are to be printed; ``time_zone`` is the community's, which the
    documents show times in (the bundle keeps them in UTC)."""

    scope: Literal["round", "process"]
    process: ProcessRecord
    rounds: tuple[RoundRecord, ...]
    ballots: tuple[list[StoredBallot] | StoredLists, ...]
    loop: LoopRecord | UnsetType = UNSET
    photos: dict[str, bytes] = {}
    time_zone: str = DEFAULT_ZONE

    @property
    def numbers(self) -> list[int]:
        """The rounds' numbers, for the audit log."""
        return [record.number for record in self.rounds]


def ballot_entries(rows: list[StoredBallot]) -> tuple[BallotEntry, ...]:
    """The bundle's entries of stored ballots, each with the hash of its ballot-box line
    (:func:`ballots.bundle.entry`; the stored JSON is canonical, so the line is the one the
    ballot-box digest was computed from)."""
    return tuple(entry(tracker, _BALLOT.decode(content)) for tracker, content in rows)


def sealed_ballots(lists: StoredLists) -> SealedBallots:
    """The bundle's two lists of a round with sealed receipts."""
    contents = tuple(
        CountedContent(count=n, ballot=_BALLOT.decode(content)) for content, n in lists.contents
    )
    return SealedBallots(
        trackers=tuple(lists.trackers),
        trackers_digest=lists.trackers_digest or tracker_list_digest(lists.trackers),
        contents=contents,
        contents_digest=lists.contents_digest
        or content_list_digest((c.ballot, c.count) for c in contents),
    )


def sealed(draft: Draft) -> Bundle:
    """The sealed bundle of ``draft`` (pure: runs in the worker)."""
    rounds = tuple(
        msgspec.structs.replace(
            record,
            ballots=sealed_ballots(rows) if isinstance(rows, StoredLists) else ballot_entries(rows),
        )
        for record, rows in zip(draft.rounds, draft.ballots, strict=True)
    )
    package = Package(
        version=version_for(rounds, draft.loop),
        scope=draft.scope,
        process=draft.process,
        rounds=rounds,
        loop=draft.loop,
    )
    return seal(package)
