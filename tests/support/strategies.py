"""Hypothesis strategies for small random profiles, shared by the engine's property tests.

Everything is drawn through hypothesis (no global randomness), so a failing example
shrinks and replays. Candidate names are ``a``, ``b``, ``c`` ... in order.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from engine.profile import RankedProfile

NAMES = "abcdefgh"


def candidate_names(m: int) -> tuple[str, ...]:
    """The names used for a profile of ``m`` candidates: ``a``, ``b``, ..."""
    return tuple(NAMES[:m])


@st.composite
def rank_rows(
    draw: st.DrawFn,
    m: int,
    *,
    ties: bool = False,
    truncated: bool = False,
    tied_first_only: bool = False,
) -> list[int]:
    """One ballot as a row of rank values (``-1`` = unranked).

    A random order of the ``m`` candidates; with ``ties`` each candidate may share the
    rank of the one before it (with ``tied_first_only``, only within the first group);
    with ``truncated`` only a prefix of at least one candidate is ranked.
    """
    order = draw(st.permutations(range(m)))
    joined = draw(st.lists(st.booleans(), min_size=m - 1, max_size=m - 1)) if ties else []
    keep = draw(st.integers(1, m)) if truncated else m
    row = [-1] * m
    level = 0
    for position, cand in enumerate(order[:keep]):
        tie = bool(joined) and joined[position - 1] and not (tied_first_only and level > 0)
        if position and not tie:
            level += 1
        row[cand] = level
    return row


@st.composite
def ranked_profiles(
    draw: st.DrawFn,
    *,
    min_candidates: int = 2,
    max_candidates: int = 6,
    min_ballots: int = 1,
    max_ballots: int = 40,
    ties: bool = False,
    truncated: bool = False,
    tied_first_only: bool = False,
    odd: bool = False,
) -> RankedProfile:
    """A :class:`RankedProfile` of ``min..max_candidates`` and ``min..max_ballots`` ballots.

    ``ties`` allows candidates ranked equal within a ballot (``tied_first_only``: only
    among its first preferences), ``truncated`` allows ballots that rank only some
    candidates, and ``odd`` makes the number of voters odd (with
    complete strict ballots this rules out pairwise ties).
    """
    m = draw(st.integers(min_candidates, max_candidates))
    n = draw(st.integers(min_ballots, max_ballots))
    if odd and n % 2 == 0:
        n = n + 1 if n < max_ballots else n - 1
    row = rank_rows(m, ties=ties, truncated=truncated, tied_first_only=tied_first_only)
    rows = draw(st.lists(row, min_size=n, max_size=n))
    return RankedProfile.from_ranks(candidate_names(m), np.array(rows, dtype=np.int64))


def seeds() -> st.SearchStrategy[str]:
    """Lot seeds, as short decimal strings."""
    return st.integers(0, 10**6).map(str)
