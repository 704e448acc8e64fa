"""Collapsing identical rows on one packed key per row gives what numpy's ``unique`` over
rows gives: the same distinct rows, in the same (lexicographic) order, with summed counts."""

from __future__ import annotations

import numpy as np
import pytest

from engine.profile import collapse_rows, row_keys


def by_rows(matrix: np.ndarray, counts: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The reference: ``numpy.unique`` over rows, counts added, zero counts dropped."""
    rows, inverse = np.unique(matrix.astype(np.int64), axis=0, return_inverse=True)
    summed = np.zeros(len(rows), dtype=np.int64)
    np.add.at(summed, inverse.ravel(), np.ones(len(matrix), np.int64) if counts is None else counts)
    return rows[summed > 0], summed[summed > 0]


# value spans that fit a few bits a value, need 16 bits (rows past 64 bits), or 17
@pytest.mark.parametrize("span", [1, 2, 11, 300, 70_000])
@pytest.mark.parametrize("weighted", [False, True])
def test_collapse_rows_agrees_with_unique_over_rows(span: int, weighted: bool) -> None:
    rng = np.random.default_rng(span)
    for _ in range(40):
        n, m = int(rng.integers(1, 200)), int(rng.integers(1, 24))
        low = int(rng.integers(-3, 2))
        matrix = rng.integers(low, low + span + 1, (n, m))[rng.integers(0, n, n)]
        counts = rng.integers(0, 5, n) if weighted else None
        rows, summed = collapse_rows(matrix, counts)
        want_rows, want_counts = by_rows(matrix, counts)
        assert np.array_equal(rows, want_rows)
        assert np.array_equal(summed, want_counts)


def test_row_keys_order_rows_lexicographically() -> None:
    narrow = np.array([[1, -1, 0], [0, 9, 9], [1, -1, -1], [0, 9, 9]])
    wide = np.hstack([narrow] * 30)  # 90 values of 4 bits: past one 64-bit key
    for matrix in (narrow, wide):
        keys = row_keys(matrix)
        assert list(np.argsort(keys, kind="stable")) == [1, 3, 2, 0]
        assert keys[1] == keys[3]
        assert len(np.unique(keys)) == 3


def test_collapse_rows_of_many_distinct_rows() -> None:
    # more distinct rows than are unpacked from their keys at a time
    matrix = np.random.default_rng(3).integers(-1, 10, (60_000, 9))
    rows, summed = collapse_rows(matrix)
    want_rows, want_counts = by_rows(matrix, None)
    assert len(rows) > 40_000
    assert np.array_equal(rows, want_rows)
    assert np.array_equal(summed, want_counts)


@pytest.mark.parametrize("weighted", [False, True])
def test_collapse_rows_of_rows_already_collapsed(weighted: bool) -> None:
    # a profile's own rows: distinct and in order, so they come back as they are
    matrix = np.random.default_rng(5).integers(-1, 6, (500, 7))
    rows, counts = by_rows(matrix, None)
    if weighted:
        counts[::7] = 0  # zero counts are still dropped
    again, summed = collapse_rows(rows, counts if weighted else None)
    keep = counts > 0 if weighted else np.ones(len(rows), dtype=bool)
    assert np.array_equal(again, rows[keep])
    assert np.array_equal(summed, counts[keep] if weighted else np.ones(len(rows), np.int64))


@pytest.mark.parametrize("kind", [np.int8, np.int16, np.uint8, np.int32, np.uint64, np.bool_])
def test_row_keys_of_narrow_types(kind: type) -> None:
    # values less the smallest are taken in the matrix's own width: the keys do not change
    rng = np.random.default_rng(7)
    low = 0 if np.dtype(kind).kind in "ub" else -128 if kind is np.int8 else -3
    high = 1 if kind is np.bool_ else 127 if kind is np.int8 else 9
    matrix = rng.integers(low, high + 1, (300, 5)).astype(kind)
    assert np.array_equal(row_keys(matrix), row_keys(matrix.astype(np.int64)))
    rows, _ = collapse_rows(matrix)
    assert np.array_equal(rows, by_rows(matrix, None)[0])
