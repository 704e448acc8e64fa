"""Profiles: the engine's one input, identical ballots collapsed into rows with counts.

A ranked profile holds ``m`` candidates and ``k`` distinct ballots:
``ranks[b, c]`` is 0 for a first preference, 1 for a second and so on, equal numbers
for candidates ranked equally, and :data:`UNRANKED` for a candidate the ballot leaves
out; ``counts[b]`` is how many voters cast ballot ``b``. Approval and score profiles are
the same shape with 0/1 marks or scores. Collapsing identical ballots first is what makes
a million ballots cheap: the methods then loop over ``k`` rows, never over voters.

Rows are kept in a canonical order (sorted by their packed key), so nothing downstream can
depend on the order the ballots arrived in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.counts import check_counts
from engine.errors import ProfileError

UNRANKED: Final[int] = int(np.iinfo(np.int32).max)
"""Rank value of a candidate the ballot does not rank (worse than every ranked one)."""

IntArray: TypeAlias = NDArray[np.int64]


def _check_candidates(candidates: Sequence[str]) -> tuple[str, ...]:
    names = tuple(candidates)
    if not names:
        raise ProfileError("a profile needs at least one candidate")
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise ProfileError(f"candidate names must be non-empty text, got {name!r}")
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ProfileError(f"candidate names must be unique; repeated: {', '.join(dupes)}")
    return names


def row_keys(matrix: NDArray[np.integer[Any]]) -> NDArray[Any]:
    """One key per row of a non-empty integer matrix, equal exactly when the rows are and
    ordered as the rows are lexicographically (first column first).

    Each value, less the matrix's smallest, takes a few bits of one ``uint64`` when a row
    fits in 64 bits (sorting integers is what makes collapsing a million ballots cheap);
    otherwise the row's values as big-endian unsigned bytes, one ``void`` item per row
    (byte order is then numeric order).
    """
    if matrix.size == 0:
        return np.zeros(matrix.shape[0], dtype=np.uint64)
    return _keys(matrix, *_packing(matrix))


def _packing(matrix: NDArray[np.integer[Any]]) -> tuple[int, int]:
    """The smallest value of ``matrix`` and the bits each value takes above it."""
    low = int(matrix.min())
    return low, max((int(matrix.max()) - low).bit_length(), 1)


def _byte_size(bits: int) -> int:
    return next(size for size in (1, 2, 4, 8) if bits <= 8 * size)


_UNPACK_ROWS = 1 << 14
"""Rows packed into keys, or unpacked from them, at a time."""


def _keys(matrix: NDArray[np.integer[Any]], low: int, bits: int) -> NDArray[Any]:
    n, m = matrix.shape
    if bits * m <= 64:
        above = _above(matrix, low)
        keys = np.zeros(n, dtype=np.uint64)
        for start in range(0, n, _UNPACK_ROWS):  # a block of keys stays in cache
            block = keys[start : start + _UNPACK_ROWS]
            for j in range(m):
                block <<= np.uint64(bits)
                block |= above[start : start + _UNPACK_ROWS, j]  # widened as it is read
        return keys
    size = _byte_size(bits)
    packed = np.ascontiguousarray(matrix.astype(np.int64) - low, dtype=f">u{size}")
    return packed.view(f"V{size * m}").ravel()


def _above(matrix: NDArray[np.integer[Any]], low: int) -> NDArray[np.integer[Any]]:
    """``matrix - low`` as unsigned integers of the matrix's own width (no widening).

    Subtracting modulo ``2**width`` gives the true difference, which is never more than the
    width holds, since ``low`` is the matrix's smallest value.
    """
    if low == 0 and matrix.dtype.kind == "u":
        return matrix
    width = np.dtype(f"u{matrix.dtype.itemsize}")
    above: NDArray[np.integer[Any]] = matrix.view(width) - width.type(
        low % (1 << (8 * width.itemsize))
    )
    return above


def _rows(keys: NDArray[Any], m: int, low: int, bits: int) -> NDArray[np.int64]:
    """The rows whose :func:`_keys` are ``keys``."""
    if bits * m <= 64:
        rows = np.empty((len(keys), m), dtype=np.int64)
        mask = np.uint64((1 << bits) - 1)
        for start in range(0, len(keys), _UNPACK_ROWS):  # a block of rows stays in cache
            rest = keys[start : start + _UNPACK_ROWS].copy()
            block = rows[start : start + _UNPACK_ROWS]
            for j in range(m - 1, -1, -1):
                np.bitwise_and(rest, mask, out=block[:, j].view(np.uint64))
                rest >>= np.uint64(bits)
    else:
        size = _byte_size(bits)
        rows = np.ascontiguousarray(keys).view(f">u{size}").reshape(-1, m).astype(np.int64)
    if low:
        rows += low
    return rows


def collapse_rows(
    matrix: NDArray[np.integer[Any]], counts: IntArray | None = None
) -> tuple[NDArray[np.int64], IntArray]:
    """Merge identical rows of a small-integer matrix, adding their counts.

    Each row becomes one key (:func:`row_keys`), so the work is one sort of ``n`` keys and
    the distinct rows are unpacked from the distinct keys. ``counts`` ``None`` means one
    ballot per row (else counts checked by :func:`~engine.counts.check_counts`, summed
    exactly as integers). Rows with a zero count are dropped. The result is sorted
    lexicographically, so it does not depend on the order of the input rows.
    """
    n, m = matrix.shape
    if n == 0 or m == 0:
        total = 0 if counts is None else int(counts.sum())
        rows = np.zeros((1 if n and total else 0, m), dtype=np.int64)
        return rows, np.array([total] if len(rows) else [], dtype=np.int64)
    low, bits = _packing(matrix)
    keys = _keys(matrix, low, bits)
    if keys.dtype == np.uint64 and np.all(keys[1:] > keys[:-1]):
        # already distinct and in order (a profile's own rows): nothing to merge or unpack
        summed = np.ones(n, np.int64) if counts is None else counts.astype(np.int64)
        keep = summed > 0
        return matrix[keep].astype(np.int64), summed[keep]
    if counts is None:
        distinct, summed = np.unique(keys, return_counts=True)
    else:
        order = np.argsort(keys)
        ordered = keys[order]
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        distinct = ordered[starts]
        summed = np.add.reduceat(counts[order].astype(np.int64, copy=False), starts)
    rows = _rows(distinct, m, low, bits)
    summed = summed.astype(np.int64, copy=False)
    keep = summed > 0
    return rows[keep], summed[keep]


def _densify(rows: NDArray[np.int64]) -> NDArray[np.int64]:
    """Close the gaps in each row's rank values (``-1`` = unranked stays ``-1``); ``rows``
    itself, not a copy, when no row has a gap.

    With values below 64 each row's set of values is one ``uint64`` of bits, and a value's
    new rank is the number of bits below its own (no sort, no per-row histogram); larger
    values go through a per-row histogram or, when large, a sort of each row.
    """
    k, m = rows.shape
    if k == 0 or m == 0:
        return rows
    high = int(rows.max())
    if high < 0:
        return rows
    if high < 64:
        return _densify_bits(rows)
    ranked = rows >= 0
    if high <= 4 * m + 16:
        present = np.zeros((k, high + 1), dtype=np.int64)
        r_idx, c_idx = np.nonzero(ranked)
        present[r_idx, rows[r_idx, c_idx]] = 1
        newvalue = np.cumsum(present, axis=1) - 1
        out = np.full_like(rows, -1)
        out[r_idx, c_idx] = newvalue[r_idx, rows[r_idx, c_idx]]
        return out
    work = np.where(ranked, rows, np.iinfo(np.int64).max)
    order = np.argsort(work, axis=1, kind="stable")
    ordered = np.take_along_axis(work, order, axis=1)
    step = np.zeros_like(ordered)
    step[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    out = np.empty_like(rows)
    np.put_along_axis(out, order, np.cumsum(step, axis=1), axis=1)
    return np.where(ranked, out, -1)


def _densify_bits(rows: NDArray[np.int64]) -> NDArray[np.int64]:
    """:func:`_densify` of rows whose values lie in ``-1 .. 63``.

    ``present`` has bit ``v`` set when the row holds ``v`` (``-1``, read as an unsigned
    shift of 64 bits or more, sets none: numpy shifts such a one out to 0); a row is
    already dense when its bits are ``0 .. j`` without a gap (``present & (present + 1)``
    is 0). Otherwise a value ``v`` becomes the number of set bits below bit ``v``.
    """
    values = rows if rows.dtype == np.int64 else rows.astype(np.int64)
    bit = np.left_shift(np.uint64(1), values.view(np.uint64))
    present = np.bitwise_or.reduce(bit, axis=1)
    if not np.any(present & (present + np.uint64(1))):
        return rows
    bit -= np.uint64(1)  # the bits below each value's own
    bit &= present[:, None]
    out: NDArray[np.int64] = np.bitwise_count(bit).astype(np.int64)
    out[values < 0] = -1
    return out


def close_gaps(rows: NDArray[np.int64]) -> NDArray[np.int64]:
    """Each row's rank values renumbered 0, 1, 2 ... in order, ties kept, ``-1`` (unranked)
    left as it is; ``rows`` itself when no row has a gap (a profile's own ranks, with
    :data:`UNRANKED` read as ``-1``, never have one), so the caller must not change it."""
    return _densify(rows)


def dense_ranks(raw: NDArray[np.integer[Any]]) -> NDArray[np.int64]:
    """Turn any rank values (lower is better, ties equal) into 0, 1, 2 ... per row.

    Values that are negative or at least :data:`UNRANKED` mean "not ranked" and become
    :data:`UNRANKED`; gaps close up, so ``[0, 5, 5, -1]`` becomes ``[0, 1, 1, UNRANKED]``.
    """
    marked = raw.astype(np.int64)  # a copy of its own, changed in place
    marked[(marked < 0) | (marked >= UNRANKED)] = -1
    dense = _densify(marked)
    dense[dense < 0] = UNRANKED
    return dense


@dataclass(frozen=True, slots=True, eq=False)
class RankedProfile:
    """Ranked ballots (complete or truncated, ties allowed), collapsed with counts."""

    candidates: tuple[str, ...]
    ranks: NDArray[np.int32]
    counts: IntArray
    kind: ClassVar[str] = "ranked"

    @classmethod
    def from_ranks(
        cls,
        candidates: Sequence[str],
        ranks: ArrayLike,
        counts: ArrayLike | None = None,
    ) -> RankedProfile:
        """Build a profile from one row of rank values per ballot (or per ballot type).

        ``ranks[b, c]``: smaller is better, equal values are ties, a negative value (or
        :data:`UNRANKED`) leaves the candidate unranked.
        """
        names = _check_candidates(candidates)
        arr = np.asarray(ranks)
        if arr.ndim != 2 or arr.shape[1] != len(names):
            raise ProfileError(
                f"ranks must be a (ballots, {len(names)}) table, got shape {arr.shape}"
            )
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise ProfileError("ranks must be whole numbers")
        weights = None if counts is None else check_counts(counts, arr.shape[0])
        raw = arr
        if raw.size and (int(raw.max()) >= UNRANKED or int(raw.min()) < -1):
            raw = np.where((raw < 0) | (raw >= UNRANKED), -1, raw)
        rows, summed = collapse_rows(raw, weights)
        dense = _densify(rows)
        if dense is not rows and not np.array_equal(dense, rows):
            rows, summed = collapse_rows(dense, summed)
        ranks = rows.astype(np.int32)
        ranks[ranks < 0] = UNRANKED
        return cls(names, ranks, summed)

    @classmethod
    def from_orders(
        cls,
        candidates: Sequence[str],
        orders: Sequence[Sequence[Sequence[str] | str]],
        counts: Sequence[int] | None = None,
    ) -> RankedProfile:
        """Build from ballots written as ordered groups of names, e.g. ``[["a"], ["b", "c"]]``.

        For small inputs (tests, hand-worked examples); large inputs go through
        :meth:`from_ranks` with an array built by :mod:`ballots`.
        """
        names = _check_candidates(candidates)
        index = {n: i for i, n in enumerate(names)}
        table = np.full((len(orders), len(names)), -1, dtype=np.int64)
        for b, order in enumerate(orders):
            for position, group in enumerate(order):
                members = [group] if isinstance(group, str) else list(group)
                for name in members:
                    if name not in index:
                        raise ProfileError(f"ballot {b + 1} names unknown candidate {name!r}")
                    if table[b, index[name]] >= 0:
                        raise ProfileError(f"ballot {b + 1} ranks {name!r} twice")
                    table[b, index[name]] = position
        return cls.from_ranks(names, table, counts)

    @property
    def n_candidates(self) -> int:
        return len(self.candidates)

    @property
    def total(self) -> int:
        """Number of voters (sum of counts), below :data:`~engine.counts.BALLOT_LIMIT`."""
        return int(self.counts.sum())

    @property
    def marked(self) -> int:
        """Number of voters whose ballot ranks at least one candidate (the rest are blank)."""
        return int(self.counts[(self.ranks != UNRANKED).any(axis=1)].sum())

    def pairwise(self) -> IntArray:
        """``P[i, j]`` = number of voters who rank ``i`` strictly above ``j``.

        A ranked candidate is above every unranked one; two unranked candidates are tied.
        Works column by column (one contiguous rank column per candidate, one dot product
        per ordered pair), which suits the usual shape: many ballots, few candidates.
        """
        m = self.n_candidates
        columns = np.ascontiguousarray(self.ranks.T)
        out = np.zeros((m, m), dtype=np.int64)
        for i in range(m):
            for j in range(i + 1, m):
                out[i, j] = np.dot(columns[i] < columns[j], self.counts)
                out[j, i] = np.dot(columns[j] < columns[i], self.counts)
        return out

    def restrict(self, keep: Sequence[int]) -> RankedProfile:
        """The profile over a subset of candidates (by index), ballots re-collapsed."""
        idx = list(keep)
        return RankedProfile.from_ranks(
            [self.candidates[i] for i in idx],
            np.where(self.ranks[:, idx] == UNRANKED, -1, self.ranks[:, idx]),
            self.counts,
        )


@dataclass(frozen=True, slots=True, eq=False)
class ApprovalProfile:
    """Approval ballots, optionally with project costs and a budget (participatory budgeting)."""

    candidates: tuple[str, ...]
    approvals: NDArray[np.bool_]
    counts: IntArray
    costs: tuple[float, ...] | None = None
    budget: float | None = None
    kind: ClassVar[str] = "approval"

    @classmethod
    def from_matrix(
        cls,
        candidates: Sequence[str],
        approvals: ArrayLike,
        counts: ArrayLike | None = None,
        *,
        costs: Sequence[float] | None = None,
        budget: float | None = None,
    ) -> ApprovalProfile:
        names = _check_candidates(candidates)
        arr = np.asarray(approvals)
        if arr.ndim != 2 or arr.shape[1] != len(names):
            raise ProfileError(
                f"approvals must be a (ballots, {len(names)}) table, got shape {arr.shape}"
            )
        weights = check_counts(counts, arr.shape[0])
        rows, summed = collapse_rows((arr != 0).astype(np.int64), weights)
        cost_tuple: tuple[float, ...] | None = None
        if costs is not None:
            cost_tuple = tuple(float(c) for c in costs)
            if len(cost_tuple) != len(names):
                raise ProfileError(f"{len(cost_tuple)} costs given for {len(names)} projects")
            if any(not np.isfinite(c) or c < 0 for c in cost_tuple):
                raise ProfileError("project costs must be finite and not negative")
        if budget is not None and (not np.isfinite(budget) or budget < 0):
            raise ProfileError("the budget must be finite and not negative")
        return cls(
            names, rows.astype(bool), summed, cost_tuple, None if budget is None else float(budget)
        )

    @property
    def n_candidates(self) -> int:
        return len(self.candidates)

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    @property
    def marked(self) -> int:
        """Number of voters who approve at least one candidate (the rest are blank)."""
        return int(self.counts[self.approvals.any(axis=1)].sum())

    def approval_counts(self) -> IntArray:
        """Approvals per candidate, weighted by ballot counts."""
        return np.asarray(self.counts @ self.approvals.astype(np.int64), dtype=np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class ScoreProfile:
    """Score (range) ballots: each ballot gives every candidate a score in ``[0, max_score]``."""

    candidates: tuple[str, ...]
    scores: IntArray
    counts: IntArray
    max_score: int
    kind: ClassVar[str] = "score"

    @classmethod
    def from_matrix(
        cls,
        candidates: Sequence[str],
        scores: ArrayLike,
        counts: ArrayLike | None = None,
        *,
        max_score: int,
    ) -> ScoreProfile:
        names = _check_candidates(candidates)
        arr = np.asarray(scores)
        if arr.ndim != 2 or arr.shape[1] != len(names):
            raise ProfileError(
                f"scores must be a (ballots, {len(names)}) table, got shape {arr.shape}"
            )
        if max_score < 1:
            raise ProfileError("max_score must be at least 1")
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise ProfileError("scores must be whole numbers")
        if arr.size and (int(arr.min()) < 0 or int(arr.max()) > max_score):
            raise ProfileError(f"scores must lie between 0 and {max_score}")
        weights = check_counts(counts, arr.shape[0])
        rows, summed = collapse_rows(arr.astype(np.int64), weights)
        return cls(names, rows, summed, int(max_score))

    @property
    def n_candidates(self) -> int:
        return len(self.candidates)

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    @property
    def marked(self) -> int:
        """Number of voters who give some candidate more than 0 (an all-zero ballot is blank:
        it changes no total)."""
        return int(self.counts[(self.scores != 0).any(axis=1)].sum())


Profile: TypeAlias = RankedProfile | ApprovalProfile | ScoreProfile
