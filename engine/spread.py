"""How long things took, summed up: the median and the 90th percentile of a list of whole
days (days from a request's logging to its close, 销号), the way the street reads them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Spread:
    """The median and the 90th percentile of some durations, rounded to one decimal
    (``None`` when there are none), and how many there were."""

    median: float | None
    p90: float | None
    count: int


def spread_of(days: Sequence[int]) -> Spread:
    """``numpy.percentile`` with its default linear interpolation: the median of 1, 2, 3, 10
    days is 2.5 and the 90th percentile 7.9."""
    if not days:
        return Spread(median=None, p90=None, count=0)
    median, p90 = np.percentile(np.asarray(days, dtype=np.int64), [50, 90])
    return Spread(median=round(float(median), 1), p90=round(float(p90), 1), count=len(days))
