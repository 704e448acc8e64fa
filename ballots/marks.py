"""The stored form of one ballot: its *marks*, one little-endian int16 per candidate of the
slate, in slate order.

- ranked: the preference position (0 first; candidates tied share one; -1 not ranked);
- score: the score (0 when not scored);
- approval and budget: 1 approved, 0 not.

Marks are what a ballot box keeps and what the engine counts (a round's marks, joined, are
one ``(ballots, candidates)`` table). They hold exactly what a valid ballot says: for a
normalised ballot (:func:`ballots.validate.validate`) :func:`ballot_of` gives the ballot back,
so the canonical JSON shown in the published list is derived from the marks, never stored
beside them while voting.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from ballots.digest import ENCODER
from ballots.errors import FormatError
from ballots.kinds import ApprovalBallot, Ballot, BudgetBallot, RankedBallot, ScoreBallot

NONE: Final[int] = -1
"""The mark of a candidate a ranked ballot leaves unranked."""

WIDTH: Final[int] = 2
"""Bytes per mark (int16)."""


@functools.lru_cache(maxsize=64)
def _index(candidates: tuple[str, ...]) -> dict[str, int]:
    """Candidate name to position, built once per slate."""
    return {name: i for i, name in enumerate(candidates)}


def marks_of(ballot: Ballot, candidates: Sequence[str]) -> bytes:
    """The marks of a valid ``ballot`` over the slate ``candidates``."""
    index = _index(tuple(candidates))
    if isinstance(ballot, RankedBallot):
        values = [NONE] * len(index)
        for position, group in enumerate(ballot.ranking):
            for name in group:
                values[index[name]] = position
    elif isinstance(ballot, ScoreBallot):
        values = [0] * len(index)
        for name, score in ballot.scores.items():
            values[index[name]] = score
    else:
        values = [0] * len(index)
        for name in ballot.approved:
            values[index[name]] = 1
    return struct.pack(f"<{len(values)}h", *values)


def ballot_of(marks: bytes, kind: str, candidates: Sequence[str]) -> Ballot:
    """The normalised ballot whose marks are ``marks`` (the inverse of :func:`marks_of` on
    normalised ballots): tie groups and approvals in slate order, zero scores left out."""
    m = len(candidates)
    if len(marks) != WIDTH * m:
        raise FormatError(f"{len(marks)} bytes of marks for a slate of {m} candidates")
    values = struct.unpack(f"<{m}h", marks)
    if kind == "ranked":
        groups: dict[int, list[str]] = {}
        for name, position in zip(candidates, values, strict=True):
            if position != NONE:
                groups.setdefault(position, []).append(name)
        return RankedBallot(ranking=tuple(tuple(groups[p]) for p in sorted(groups)))
    if kind == "score":
        return ScoreBallot(scores={n: v for n, v in zip(candidates, values, strict=True) if v})
    approved = tuple(n for n, v in zip(candidates, values, strict=True) if v)
    return (
        BudgetBallot(approved=approved) if kind == "budget" else ApprovalBallot(approved=approved)
    )


@functools.lru_cache(maxsize=64)
def _names(candidates: tuple[str, ...]) -> tuple[str, ...]:
    """Each candidate's name as a JSON string, as the canonical encoder writes it."""
    return tuple(ENCODER.encode(name).decode() for name in candidates)


def canonical_of(marks: bytes, kind: str, candidates: Sequence[str]) -> str:
    """The canonical JSON of the ballot whose marks are ``marks``: exactly
    ``canonical_ballot(ballot_of(marks, kind, candidates))``, written directly for ranked,
    approval and budget ballots (counting a box derives it for every distinct ballot)."""
    if kind == "score":
        return ENCODER.encode(ballot_of(marks, kind, candidates)).decode()
    names = _names(tuple(candidates))
    m = len(names)
    if len(marks) != WIDTH * m:
        raise FormatError(f"{len(marks)} bytes of marks for a slate of {m} candidates")
    values = struct.unpack(f"<{m}h", marks)
    if kind == "ranked":
        groups: dict[int, list[str]] = {}
        for name, position in zip(names, values, strict=True):
            if position != NONE:
                groups.setdefault(position, []).append(name)
        ranking = ",".join("[" + ",".join(groups[p]) + "]" for p in sorted(groups))
        return '{"kind":"ranked","ranking":[' + ranking + "]}"
    approved = ",".join(name for name, value in zip(names, values, strict=True) if value)
    return '{"kind":"' + kind + '","approved":[' + approved + "]}"


def marks_table(marks: bytes, candidates: int) -> npt.NDArray[np.int64]:
    """Ballots' marks joined into one byte string, as a ``(ballots, candidates)`` table."""
    rows = len(marks) // (WIDTH * candidates) if candidates else 0
    return np.frombuffer(marks, "<i2").reshape(rows, candidates).astype(np.int64)
