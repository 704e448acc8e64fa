"""The median and 90th percentile of days to 销号, worked by hand (numpy's linear rule: the
p-th percentile of n sorted values sits at position p/100 × (n − 1), between its two
neighbours)."""

from __future__ import annotations

import pytest

from engine.spread import Spread, spread_of


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([], Spread(median=None, p90=None, count=0)),
        ([5], Spread(median=5.0, p90=5.0, count=1)),
        # positions 1.5 and 2.7: 2 + 0.5 × 1 = 2.5; 3 + 0.7 × 7 = 7.9
        ([10, 1, 3, 2], Spread(median=2.5, p90=7.9, count=4)),
        # eleven days 0..10: positions 5 and 9 exactly
        (list(range(11)), Spread(median=5.0, p90=9.0, count=11)),
        # same-day closes: 0 days, one request took 30
        ([0, 0, 0, 0, 30], Spread(median=0.0, p90=18.0, count=5)),
    ],
)
def test_spread_of_days(days: list[int], expected: Spread) -> None:
    assert spread_of(days) == expected
