"""Encoding ballots into the engine's profile: identical ballots collapsed first, one numpy table.

Collapsing happens on the ballots' canonical bytes (:func:`ballots.digest.canonical_ballot`)
with :class:`collections.Counter`, so all Python-level work afterwards (validation, building
the table) is per distinct ballot, not per voter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

import msgspec
import numpy as np
from numpy.typing import ArrayLike

from ballots.digest import ENCODER, canonical_ballot
from ballots.errors import InvalidBallot
from ballots.kinds import (
    ApprovalBallot,
    Ballot,
    BallotRules,
    BudgetBallot,
    RankedBallot,
)
from ballots.validate import refuse, validate
from engine.counts import BALLOT_LIMIT, too_many
from engine.errors import ProfileError
from engine.profile import ApprovalProfile, Profile, RankedProfile, ScoreProfile

_DECODER = msgspec.json.Decoder(Ballot)


class Distinct(NamedTuple):
    """One distinct ballot, how many voters cast it, and its canonical bytes."""

    ballot: Ballot
    voters: int
    key: bytes


def collapse(ballots: Sequence[Ballot], counts: Sequence[int] | None = None) -> list[Distinct]:
    """Merge identical ballots (same canonical bytes), adding their counts, first seen first.

    ``counts[i]`` (default 1) is how many voters cast ``ballots[i]``; zero counts are
    dropped. Ballots come back decoded from their canonical bytes, so lists written where
    tuples belong are normalised and a ballot that is not well-typed is refused as
    ``malformed``.
    """
    try:
        if counts is None:
            tally: Counter[bytes] | dict[bytes, int] = Counter(map(ENCODER.encode, ballots))
        else:
            tally = _weighted(ballots, counts)
    except TypeError as exc:
        raise refuse("malformed", detail=str(exc)) from exc
    out: list[Distinct] = []
    for key, count in tally.items():
        if count == 0:
            continue
        try:
            ballot = _DECODER.decode(key)
        except msgspec.ValidationError as exc:
            error = refuse("malformed", detail=str(exc))
            error.where = f"[{position(ballots, key)}]"
            raise error from exc
        out.append(Distinct(ballot, count, key))
    return out


def _weighted(ballots: Sequence[Ballot], counts: Sequence[int]) -> dict[bytes, int]:
    """Canonical bytes to summed counts, checking each count."""
    if len(counts) != len(ballots):
        raise ProfileError(f"{len(counts)} counts given for {len(ballots)} ballots")
    tally: dict[bytes, int] = {}
    total = 0
    for i, (key, count) in enumerate(zip(map(ENCODER.encode, ballots), counts, strict=True)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ProfileError(
                f"ballot {i} has count {count!r}; a count must be a whole number of at least 0"
            )
        total += count
        if total >= BALLOT_LIMIT:
            raise ProfileError(too_many(total))
        tally[key] = tally.get(key, 0) + count
    return tally


def position(ballots: Sequence[Ballot], key: bytes) -> int:
    """Index of the first ballot whose canonical bytes are ``key`` (for error messages)."""
    for i, ballot in enumerate(ballots):
        if canonical_ballot(ballot) == key:
            return i
    return -1


def encode(
    ballots: Sequence[Ballot], rules: BallotRules, counts: Sequence[int] | None = None
) -> Profile:
    """The profile of ``ballots`` under ``rules``: each distinct ballot validated, then counted.

    Returns a :class:`~engine.profile.RankedProfile`, an
    :class:`~engine.profile.ApprovalProfile` (with costs and budget for budget ballots) or
    a :class:`~engine.profile.ScoreProfile`. The first invalid ballot raises
    :class:`~ballots.errors.InvalidBallot` whose ``where`` starts with its index, as in
    ``[3].ranking[0][1]``.
    """
    valid: list[tuple[Ballot, int]] = []
    for ballot, voters, key in collapse(ballots, counts):
        try:
            valid.append((validate(ballot, rules), voters))
        except InvalidBallot as exc:
            head = f"[{position(ballots, key)}]"
            exc.where = f"{head}.{exc.where}" if exc.where else head
            raise
    return profile_from_valid(valid, rules)


def profile_from_valid(valid: Sequence[tuple[Ballot, int]], rules: BallotRules) -> Profile:
    """The profile of ballots already normalised by :func:`~ballots.validate.validate`."""
    names = rules.candidates
    index = {name: i for i, name in enumerate(names)}
    k, m = len(valid), len(names)
    counts = np.fromiter((count for _, count in valid), dtype=np.int64, count=k)
    rows: list[int] = []
    cols: list[int] = []
    values: list[int] = []
    for r, (ballot, _) in enumerate(valid):
        if isinstance(ballot, RankedBallot):
            for position_, group in enumerate(ballot.ranking):
                for name in group:
                    rows.append(r)
                    cols.append(index[name])
                    values.append(position_)
        elif isinstance(ballot, ApprovalBallot | BudgetBallot):
            for name in ballot.approved:
                rows.append(r)
                cols.append(index[name])
                values.append(1)
        else:
            for name, score in ballot.scores.items():
                rows.append(r)
                cols.append(index[name])
                values.append(score)
    fill = -1 if rules.kind == "ranked" else 0
    table = np.full((k, m), fill, dtype=np.int64)
    table[np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)] = values
    if rules.kind == "ranked":
        return RankedProfile.from_ranks(names, table, counts)
    if rules.kind == "score":
        return ScoreProfile.from_matrix(names, table, counts, max_score=rules.max_score)
    if rules.kind == "budget":
        return ApprovalProfile.from_matrix(
            names, table, counts, costs=rules.costs, budget=rules.budget
        )
    return ApprovalProfile.from_matrix(names, table, counts)


def encode_ranked_table(
    candidates: Sequence[str],
    table: ArrayLike,
    counts: ArrayLike | None = None,
    *,
    allow_empty: bool = False,
) -> RankedProfile:
    """A ranked profile from rows of candidate indices in preference order, ``-1`` padded.

    ``table[b, p]`` is the index of ballot ``b``'s ``p``-th choice. A ``-1`` before a later
    choice is a skipped position: the later choices keep their order and close the gap.
    Everything is vectorised with numpy; a faulty row raises
    :class:`~ballots.errors.InvalidBallot` with ``where`` ``[row][position]``.
    """
    names = tuple(candidates)
    m = len(names)
    arr = np.asarray(table)
    if arr.ndim != 2:
        raise ProfileError(f"the table must have two dimensions, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ProfileError("the table must hold whole candidate indices")
    arr = arr.astype(np.int64, copy=False)
    n = arr.shape[0]
    bad = np.argwhere((arr < -1) | (arr >= m))
    if len(bad):
        r, p = (int(v) for v in bad[0])
        raise refuse("unknown-candidate", f"[{r}][{p}]", f"#{int(arr[r, p])}")
    if arr.shape[1] > 1:
        ordered = np.sort(arr, axis=1)
        repeated = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)
        hit = np.flatnonzero(repeated.any(axis=1))
        if len(hit):
            r = int(hit[0])
            value = int(ordered[r, 1:][repeated[r]][0])
            p = int(np.flatnonzero(arr[r] == value)[1])
            raise refuse("ranked-twice", f"[{r}][{p}]", names[value])
    if not allow_empty:
        blank = np.flatnonzero((arr < 0).all(axis=1))
        if len(blank):
            raise refuse("empty", f"[{int(blank[0])}]")
    ranks = np.full((n, m), -1, dtype=np.int64)
    r_idx, p_idx = np.nonzero(arr >= 0)
    ranks[r_idx, arr[r_idx, p_idx]] = p_idx
    return RankedProfile.from_ranks(names, ranks, counts)
