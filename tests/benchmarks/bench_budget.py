"""Equal Shares with the add1 completion: the jumping search against stepping one unit.

Run from the repository root:

    .venv/bin/python tests/benchmarks/bench_budget.py
    .venv/bin/python tests/benchmarks/bench_budget.py --limit 20

For every instance (the pabulib elections in tests/, the demo's budget round, and few
voters holding a large budget each) it prints, from one run:
  units    how many units of money per voter the completion adds before it stops
  runs     Equal Shares runs the search made (stepping makes units + 2)
  new      the search alone (the add1 completion, ``engine.methods.budget._add1``)
  stepping the previous code path, one Equal Shares run per unit (tests/support/shares.py),
           given up after --limit seconds (printed as "> limit")
  ×        stepping ÷ new
  tally    the whole count, ``tally("equal-shares", profile)``, with the search
  pabutools  pabutools' method_of_equal_shares with voter_budget_increment=1 (its own add1,
           which stops at the first outcome leaving no room for another project), when
           pabutools is installed; also given up after --limit seconds
and checks that the search keeps the same run as stepping wherever stepping finished.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ballots.formats import pabulib  # noqa: E402
from engine import ApprovalProfile, tally  # noqa: E402
from engine.methods import budget  # noqa: E402
from tests.support.park import BUDGET_BALLOTS, BUDGET_COSTS, BUDGET_OPTIONS  # noqa: E402
from tests.support.paths import ELECTIONS  # noqa: E402
from tests.support.shares import stepping_add1  # noqa: E402

Instance = tuple[str, ApprovalProfile]
ROW = "{:<36} {:>6} {:>8} {:>5} {:>8} {:>9} {:>7} {:>8} {:>10}"


def few_voters(voters: int, projects: int, budget: int, seed: int) -> ApprovalProfile:
    """``voters`` ballots approving each of ``projects`` with chance 0.4, costs between a
    fiftieth of ``budget`` and all of it in hundreds of yuan: the completion adds tens of
    thousands of units before the next one would overspend."""
    rng = random.Random(seed)
    names = [f"p{c}" for c in range(projects)]
    costs = [rng.randrange(budget // 50, budget) // 100 * 100 for _ in names]
    rows = [[rng.random() < 0.4 for _ in names] for _ in range(voters)]
    return ApprovalProfile.from_matrix(names, rows, costs=costs, budget=budget)


def instances() -> list[Instance]:
    found: list[Instance] = []
    for path in sorted((ELECTIONS / "pabulib").glob("*.pb")):
        profile = pabulib.read(path).profile
        assert isinstance(profile, ApprovalProfile)
        found.append((path.stem, profile))
    rows = [
        [n in approved for n in BUDGET_OPTIONS] for k, approved in BUDGET_BALLOTS for _ in range(k)
    ]
    found.append(
        (
            "demo budget round",
            ApprovalProfile.from_matrix(BUDGET_OPTIONS, rows, costs=BUDGET_COSTS, budget=200_000),
        )
    )
    found.append(("2 voters, 4 projects, 200,000", few_voters(2, 4, 200_000, seed=3)))
    found.append(("5 voters, 10 projects, 200,000", few_voters(5, 10, 200_000, seed=2)))
    found.append(("3 voters, 6 projects, 2,000,000", few_voters(3, 6, 2_000_000, seed=1)))
    return found


def _stepping(profile: ApprovalProfile, out: Any) -> None:
    election = budget._Election.of(profile)
    began = time.perf_counter()
    run = stepping_add1(election, "bench")
    out.put((time.perf_counter() - began, run.share, run.order, run.prices))


def _pabutools(profile: ApprovalProfile, out: Any) -> None:
    from pabutools.election import ApprovalBallot, Cost_Sat, Instance, Project
    from pabutools.election import ApprovalProfile as PabuProfile
    from pabutools.rules import method_of_equal_shares

    assert profile.costs is not None
    assert profile.budget is not None

    def exact(yuan: float) -> Fraction:
        return Fraction(repr(float(yuan)))

    projects = [
        Project(n, exact(c)) for n, c in zip(profile.candidates, profile.costs, strict=True)
    ]
    ballots = [
        ApprovalBallot(p for p, yes in zip(projects, row, strict=True) if yes)
        for row, k in zip(profile.approvals, profile.counts, strict=True)
        for _ in range(int(k))
    ]
    instance = Instance(projects, budget_limit=exact(profile.budget))
    began = time.perf_counter()
    method_of_equal_shares(
        instance,
        PabuProfile(ballots, instance=instance),
        sat_class=Cost_Sat,
        voter_budget_increment=1,
    )
    out.put((time.perf_counter() - began,))


def bounded(target: Any, profile: ApprovalProfile, limit: float) -> tuple[Any, ...] | str:
    """What ``target`` put out in a child process, or why it did not within ``limit`` s."""
    out: Any = mp.get_context("fork").Queue()
    child = mp.get_context("fork").Process(target=target, args=(profile, out))
    child.start()
    child.join(limit)
    if child.is_alive():
        child.terminate()
        child.join()
        return f"> {limit:.0f} s"
    return tuple(out.get()) if child.exitcode == 0 else "failed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--limit", type=float, default=60.0, help="seconds before a peer is given up"
    )
    args = parser.parse_args()
    try:
        import pabutools  # noqa: F401

        peer = True
    except ImportError:
        peer = False
    print(
        ROW.format(
            "instance", "voters", "units", "runs", "new", "stepping", "×", "tally", "pabutools"
        )
    )
    for label, profile in instances():
        original, runs = budget._equal_shares, [0]

        def counted(*given: Any, run: Any = original, made: list[int] = runs, **named: Any) -> Any:
            made[0] += 1
            return run(*given, **named)

        budget._equal_shares = counted
        election = budget._Election.of(profile)
        began = time.perf_counter()
        kept = budget._add1(election, "bench")
        new = time.perf_counter() - began
        budget._equal_shares = original
        whole = time.perf_counter()
        tally("equal-shares", profile, seed="bench")
        whole = time.perf_counter() - whole
        units = round((kept.share - election.budget / election.voters) / budget.UNIT)
        old = bounded(_stepping, profile, args.limit)
        if isinstance(old, str):
            stepping, ratio = old, ""
        else:
            assert old[1:] == (kept.share, kept.order, kept.prices), f"{label}: not the same run"
            stepping, ratio = f"{old[0]:.2f} s", f"{old[0] / new:.1f}×"
        if peer:
            theirs = bounded(_pabutools, profile, args.limit)
            pabu = theirs if isinstance(theirs, str) else f"{theirs[0]:.2f} s"
        else:
            pabu = "not installed"
        print(
            ROW.format(
                label,
                profile.total,
                units,
                runs[0],
                f"{new:.3f} s",
                stepping,
                ratio,
                f"{whole:.3f} s",
                pabu,
            )
        )


if __name__ == "__main__":
    main()
