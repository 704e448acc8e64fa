"""Timing a call in a running process, for the benchmark scripts: the best and the median
of several runs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timings(fn: Callable[[], object], repeat: int) -> list[float]:
    """Seconds each of ``repeat`` calls of ``fn`` took."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def best(fn: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` timings of ``fn``."""
    return min(timings(fn, repeat))


def spread(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """The best and the median of ``repeat`` timings of ``fn``."""
    times = timings(fn, repeat)
    return min(times), statistics.median(times)
