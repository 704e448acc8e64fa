"""Closing the gaps in rank values: the bit-set way (values below 64), the per-row histogram
and the per-row sort all give what a plain reading of each row gives."""

from __future__ import annotations

import numpy as np
import pytest

from engine.profile import RankedProfile, _densify, _densify_bits, close_gaps, dense_ranks


def by_row(rows: np.ndarray) -> np.ndarray:
    """The reference: each row's distinct ranked values, sorted, numbered 0, 1, 2 ..."""
    out = np.full(rows.shape, -1, dtype=np.int64)
    for b, row in enumerate(rows.tolist()):
        number = {v: i for i, v in enumerate(sorted({v for v in row if v >= 0}))}
        out[b] = [number[v] if v >= 0 else -1 for v in row]
    return out


# highest values: within 64 bits, the histogram's reach (4m + 16), past it
@pytest.mark.parametrize("high", [1, 5, 40, 63, 64, 90, 5_000])
@pytest.mark.parametrize("ties", [False, True])
def test_densify_agrees_with_a_plain_reading(high: int, ties: bool) -> None:
    rng = np.random.default_rng(high * 2 + ties)
    for _ in range(30):
        k, m = int(rng.integers(1, 300)), int(rng.integers(1, 20))
        # tie-heavy: each row draws from three values, so most rows repeat a value
        values = rng.integers(0, high + 1, 3) if ties else np.arange(high + 1)
        rows = rng.choice(values, (k, m))
        rows[rng.random((k, m)) < 0.3] = -1
        rows[0, 0] = high  # the highest value is present
        assert np.array_equal(_densify(rows), by_row(rows))


def test_densify_bits_uses_the_top_bit() -> None:
    rows = np.array([[63, 0, -1], [62, 63, 1], [-1, -1, -1], [5, 5, 63]])
    assert np.array_equal(_densify_bits(rows), by_row(rows))
    assert by_row(rows).tolist() == [[1, 0, -1], [1, 2, 0], [-1, -1, -1], [0, 0, 1]]


def test_densify_returns_dense_rows_themselves() -> None:
    rows = np.array([[0, 1, -1, 2], [1, 0, 0, -1], [-1, -1, -1, -1], [0, 0, 0, 0]])
    assert _densify(rows) is rows
    gapped = rows.copy()
    gapped[1, 0] = 2  # the values 0 and 2: a gap at 1
    assert _densify(gapped) is not gapped
    assert _densify(gapped)[1].tolist() == [1, 0, 0, -1]


def test_dense_ranks_marks_unranked_candidates() -> None:
    raw = np.array([[0, 5, 5, -1], [7, -3, 2**40, 7]])
    unranked = np.iinfo(np.int32).max
    assert dense_ranks(raw).tolist() == [[0, 1, 1, unranked], [0, unranked, unranked, 0]]


def test_from_ranks_merges_rows_that_differ_only_in_gaps() -> None:
    profile = RankedProfile.from_ranks(["a", "b", "c"], [[0, 1, -1], [0, 7, -1], [3, 9, 3]])
    # rows in order with unranked read as -1, below every rank
    assert profile.ranks.tolist() == [[0, 1, np.iinfo(np.int32).max], [0, 1, 0]]
    assert profile.counts.tolist() == [2, 1]


def test_close_gaps_is_densify_and_keeps_dense_rows() -> None:
    rows = np.array([[0, 3, -1], [2, 2, 0], [-1, -1, -1]])
    assert close_gaps(rows).tolist() == [[0, 1, -1], [1, 1, 0], [-1, -1, -1]]
    dense = close_gaps(rows)
    assert close_gaps(dense) is dense
