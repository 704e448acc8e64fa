"""Ballot counts: how many ballots a profile may hold, and sums of counts that stay exact.

A profile holds fewer than :data:`BALLOT_LIMIT` ballots (2**53, about 9 x 10**15). Below it
every count and every sum of counts is exact both as a 64-bit integer and as the IEEE double
in which results are published (``Result`` numbers, JSON read by browsers and spreadsheets),
so rounding can neither make a tie nor hide one. Counts are summed as integers; a weighted
sum that could pass 2**63 (scores, Borda points) is taken in Python integers instead.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.errors import ProfileError

BALLOT_LIMIT: Final[int] = 2**53
"""A profile holds fewer ballots than this, counting every voter of every row."""

INT64_LIMIT: Final[int] = 2**63
"""The first integer numpy's int64 cannot hold."""

IntArray: TypeAlias = NDArray[np.int64]


def too_many(total: int) -> str:
    """The one sentence for a count or a total at or above :data:`BALLOT_LIMIT`."""
    return (
        f"{total:,} ballots are more than can be counted exactly"
        f" (a box may hold fewer than 2^53 = {BALLOT_LIMIT:,})"
    )


def check_counts(counts: ArrayLike | None, rows: int) -> IntArray:
    """``counts`` (one per ballot row, default 1 each) as int64, checked: whole numbers, not
    negative, adding up to fewer than :data:`BALLOT_LIMIT` ballots."""
    if counts is None:
        return np.ones(rows, dtype=np.int64)
    arr = np.asarray(counts)
    if arr.shape != (rows,):
        raise ProfileError(f"counts has shape {arr.shape}, expected ({rows},) to match the ballots")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind in "iu":
        low, high = int(arr.min()), int(arr.max())
    else:
        values = [_whole(v) for v in arr.tolist()]
        low, high = min(values), max(values)
    if low < 0:
        raise ProfileError("ballot counts must not be negative")
    if high >= BALLOT_LIMIT:
        raise ProfileError(too_many(high))
    out = arr.astype(np.int64)
    if float(out.sum(dtype=np.float64)) >= 2**62:  # an int64 sum could wrap: surely too many
        raise ProfileError(too_many(sum(out.tolist())))
    total = int(out.sum())
    if total >= BALLOT_LIMIT:
        raise ProfileError(too_many(total))
    return out


def _whole(value: object) -> int:
    """A count given as a Python number: an int, or a float with no fractional part."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ProfileError("ballot counts must be whole numbers")


def sum_by(index: NDArray[np.integer[Any]], weights: IntArray, size: int) -> IntArray:
    """Exact integer sums of ``weights`` per ``index`` in ``0..size-1``.

    For counts of one profile (their total is below :data:`BALLOT_LIMIT`), so no sum can
    overflow; numpy's ``bincount`` would add them as floats instead.
    """
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, index, weights)
    return out


def exact_type(bound: int) -> type:
    """``numpy.int64`` when every value stays below ``bound`` < 2**63, else ``object`` (Python
    integers, exact at any size and slower: only absurdly large counts take this path)."""
    return np.int64 if bound < INT64_LIMIT else object


def weighted(counts: IntArray, values: NDArray[Any]) -> NDArray[Any]:
    """``counts @ values`` for an integer table ``values`` (one row per ballot row), exactly.

    int64 when no sum can reach 2**63, otherwise Python integers (an ``object`` array).
    """
    table = np.asarray(values)
    peak = int(np.abs(table).max()) if table.size else 0
    dtype = exact_type(peak * int(counts.sum()))
    return np.asarray(counts.astype(dtype) @ table.astype(dtype))
