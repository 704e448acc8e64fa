"""A decision bundle as read from the database but not yet made: every round's record with
its ballots still as stored rows. Plain data, so it travels to the worker process
(:mod:`service.offload`), where :func:`sealed` decodes and hashes the ballots and seals the
bundle — the part that grows with the ballot box — off the event loop."""

from __future__ import annotations

import hashlib
from typing import Final, Literal

import msgspec

from ballots.bundle import BallotEntry, Bundle, Package, ProcessRecord, RoundRecord, seal
from ballots.kinds import Ballot
from service.zones import DEFAULT_ZONE

StoredBallot = tuple[str, str]
"""A ballot as stored: its tracker and its canonical JSON."""

_BALLOT: Final = msgspec.json.Decoder(Ballot)


class Draft(msgspec.Struct, frozen=True, kw_only=True):
    """``rounds`` hold no ballots yet; ``ballots[i]`` are round ``i``'s stored ballots in
    tracker order; ``time_zone`` is the community's, which the documents show times in (the
    bundle keeps them in UTC)."""

    scope: Literal["round", "process"]
    process: ProcessRecord
    rounds: tuple[RoundRecord, ...]
    ballots: tuple[list[StoredBallot], ...]
    time_zone: str = DEFAULT_ZONE

    @property
    def numbers(self) -> list[int]:
        """The rounds' numbers, for the audit log."""
        return [record.number for record in self.rounds]


def ballot_entries(rows: list[StoredBallot]) -> tuple[BallotEntry, ...]:
    """The bundle's entries of stored ballots, each hashed from its stored canonical line
    (the same bytes the ballot-box digest was computed from)."""
    return tuple(
        BallotEntry(
            tracker=tracker,
            hash=hashlib.sha256(f"{tracker}\t{content}\n".encode()).hexdigest(),
            ballot=_BALLOT.decode(content),
        )
        for tracker, content in rows
    )


def sealed(draft: Draft) -> Bundle:
    """The sealed bundle of ``draft`` (pure: runs in the worker)."""
    rounds = tuple(
        msgspec.structs.replace(record, ballots=ballot_entries(rows))
        for record, rows in zip(draft.rounds, draft.ballots, strict=True)
    )
    return seal(Package(scope=draft.scope, process=draft.process, rounds=rounds))
