"""The add1 completion of Equal Shares as it was first written, one run per unit of money:
the reference the jumping search must agree with, unit for unit."""

from __future__ import annotations

from engine.methods.budget import UNIT, _Election, _equal_shares, _Run


def stepping_add1(election: _Election, seed: str | None) -> _Run:
    """Raise every voter's budget by one unit, run Equal Shares again, and so on."""
    start = election.budget / election.voters
    run = _equal_shares(election, start, seed)
    supported = [c for c in range(len(election.costs)) if election.support[c] > 0]
    if sum(election.costs[c] for c in supported) <= election.budget:
        while len(run.order) < len(supported):
            run = _equal_shares(election, run.share + UNIT, seed)
        return run
    while True:
        bigger = _equal_shares(election, run.share + UNIT, seed)
        if bigger.spent(election.costs) > election.budget:
            return run
        run = bigger
