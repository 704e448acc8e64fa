"""Participatory budgeting over approval ballots: greedy by votes and the Method of Equal Shares.

Costs and the budget are turned into whole cents (Python integers), so sums and "does it
still fit" checks are exact: a budget of 969,245.38 behaves exactly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from engine.errors import ProfileError, TieUnresolved
from engine.profile import ApprovalProfile
from engine.registry import OptionSpec, Outcome, method
from engine.result import Decision, Option, Round, Tie
from engine.tiebreak import TieBreaker

PRICE_TOLERANCE = 1e-9
"""Relative gap under which two equal-shares prices count as equal (float rounding)."""

COMPLETIONS = ("add1", "add1-utilitarian", "none")

UNIT = 100
"""The add1 increment in cents: one currency unit (1 PLN) per voter."""


def _cents(value: float, what: str) -> int:
    exact = Decimal(repr(float(value))) * 100
    if exact != exact.to_integral_value():
        raise ProfileError(f"{what} is {value!r}, which is not a whole number of cents")
    return int(exact)


def whole_cents(profile: ApprovalProfile) -> tuple[list[int], int]:
    """The project costs and the budget in whole cents; both must be set on the profile."""
    if profile.costs is None:
        raise ProfileError("participatory budgeting needs a cost for every project; none given")
    if profile.budget is None:
        raise ProfileError("participatory budgeting needs a budget; none given")
    costs = [
        _cents(c, f"the cost of project {name}")
        for name, c in zip(profile.candidates, profile.costs, strict=True)
    ]
    return costs, _cents(profile.budget, "the budget")


def _yuan(cents: float) -> float:
    return float(cents) / 100


def _supporters(profile: ApprovalProfile) -> NDArray[np.int64]:
    return np.asarray(profile.approval_counts(), dtype=np.int64)


def _by_votes(support: NDArray[np.int64]) -> list[list[int]]:
    """Projects with at least one approval, in groups of equal support, most approved first."""
    levels = sorted({int(v) for v in support if v > 0}, reverse=True)
    return [[int(c) for c in np.flatnonzero(support == v)] for v in levels]


def _greedy_order(
    group: list[int],
    costs: Sequence[int],
    left: int,
    names: Sequence[str],
    tb: TieBreaker,
    step: int,
) -> list[int]:
    """The scan order inside a group of projects with equal support.

    Cheaper first, then lot among equal costs; ties are recorded only when the order can
    change which projects are funded (not every one of them fits the money left).
    """
    by_cost = sorted(group, key=lambda c: (costs[c], names[c]))
    if sum(costs[c] for c in group) <= left:
        return by_cost
    if len({costs[c] for c in group}) > 1:
        tb.record(group, by_cost, rule="cheaper-first", purpose="fund", round=step, ordered=True)
    order: list[int] = []
    money_left = left
    for cost in sorted({costs[c] for c in group}):
        same = [c for c in by_cost if costs[c] == cost]
        fitting = len(same) if cost == 0 else min(len(same), money_left // cost)
        if 0 < fitting < len(same):
            same = tb.order(same, purpose="fund", round=step)
        order.extend(same)
        money_left -= fitting * cost
    return order


def _no_support(
    names: Sequence[str], costs: Sequence[int], support: NDArray[np.int64]
) -> list[Decision]:
    return [
        Decision(
            candidate=names[c], funded=False, reason="no-support", cost=_yuan(costs[c]), support=0.0
        )
        for c in range(len(names))
        if support[c] == 0
    ]


@method(
    "greedy",
    accepts="approval",
    summary="Fund projects by approvals, most first; skip any that no longer fits the money left.",
    summary_zh="按得票从高到低，放得进预算就立项",
    multiwinner=True,
)
def greedy(
    profile: ApprovalProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """Greedy participatory budgeting (the CONSUL and Warsaw count); ``seats`` is ignored.

    Projects are scanned by approval count, highest first; each is funded if its cost fits
    the money left, otherwise skipped and the scan goes on. Projects without any approval
    are never funded. Among projects with equal approvals, the cheaper is scanned first,
    and projects equal in approvals and cost are ordered by lot.
    """
    costs, left = whole_cents(profile)
    support = _supporters(profile)
    names = profile.candidates
    winners: list[int] = []
    decisions: list[Decision] = []
    rounds: list[Round] = []
    pending = [c for c in range(len(names)) if support[c] > 0]
    for group in _by_votes(support):
        for c in _greedy_order(group, costs, left, names, tb, len(rounds) + 1):
            step = len(rounds) + 1
            tallies = {names[p]: float(support[p]) for p in sorted(pending)}
            pending.remove(c)
            fits = costs[c] <= left
            if fits:
                left -= costs[c]
                winners.append(c)
            decisions.append(
                Decision(
                    candidate=names[c],
                    funded=fits,
                    reason="funded" if fits else "over-budget",
                    cost=_yuan(costs[c]),
                    support=float(support[c]),
                    step=step,
                    remaining_after=_yuan(left),
                )
            )
            rounds.append(
                Round(
                    number=step,
                    tallies=tallies,
                    elected=(names[c],) if fits else (),
                    eliminated=() if fits else (names[c],),
                    note="fund" if fits else "over-budget",
                )
            )
    decisions.extend(_no_support(names, costs, support))
    return Outcome(winners=winners, decisions=decisions, rounds=rounds)


@dataclass(frozen=True, eq=False)
class _Election:
    """What every equal-shares run over one profile shares: supporter rows and weights."""

    names: tuple[str, ...]
    costs: list[int]
    budget: int
    voters: int
    approvals: NDArray[np.bool_]
    rows: list[NDArray[np.intp]]
    weights: list[NDArray[np.float64]]
    support: NDArray[np.int64]

    @classmethod
    def of(cls, profile: ApprovalProfile) -> _Election:
        costs, budget = whole_cents(profile)
        counts = profile.counts.astype(np.float64)
        rows = [np.flatnonzero(profile.approvals[:, c]) for c in range(profile.n_candidates)]
        return cls(
            names=profile.candidates,
            costs=costs,
            budget=budget,
            voters=profile.total,
            approvals=profile.approvals,
            rows=rows,
            weights=[counts[r] for r in rows],
            support=_supporters(profile),
        )


@dataclass
class _Run:
    """One run of equal shares at a given per-voter budget (in cents)."""

    share: float
    order: list[int] = field(default_factory=list)
    prices: list[float] = field(default_factory=list)
    ties: list[Tie] = field(default_factory=list)

    def spent(self, costs: Sequence[int]) -> int:
        return sum(costs[c] for c in self.order)


def _price(
    money_left: NDArray[np.float64], weights: NDArray[np.float64], cost: int
) -> float | None:
    """The smallest per-voter price ``rho`` with ``sum(min(money, rho)) == cost``, or ``None``.

    ``None`` when the supporters' money together falls short of the cost.
    """
    if cost == 0:
        return 0.0
    total = float(weights @ money_left)
    if total < cost * (1 - PRICE_TOLERANCE):
        return None
    order = np.argsort(money_left, kind="stable")
    values = money_left[order]
    w = weights[order]
    before_w = np.cumsum(w) - w
    before_v = np.cumsum(w * values) - w * values
    everyone = float(w.sum())
    # if rho were values[j]: voters before j pay all they have, the others pay values[j]
    capacity = before_v + values * (everyone - before_w)
    j = int(np.searchsorted(capacity, cost))
    if j == len(values):
        return float(values[-1])
    return float((cost - before_v[j]) / (everyone - before_w[j]))


def _pick(tied: list[int], election: _Election, tb: TieBreaker, step: int) -> int:
    """Which of several projects with the same price is funded first."""
    names, costs, support = election.names, election.costs, election.support
    first = min(tied, key=lambda c: (costs[c], -support[c], names[c]))
    free = all(costs[c] == 0 for c in tied)
    if free or bool((election.approvals[:, tied].sum(axis=1) <= 1).all()):
        return first  # all of them are funded next, whatever the order
    group = tied
    cheapest = [c for c in group if costs[c] == min(costs[p] for p in group)]
    if len(cheapest) < len(group):
        tb.record(group, cheapest, rule="cheaper-first", purpose="fund", round=step)
    group = cheapest
    most = [c for c in group if support[c] == max(support[p] for p in group)]
    if len(most) < len(group):
        tb.record(group, most, rule="more-supporters", purpose="fund", round=step)
    return tb.choose(most, purpose="fund", round=step)[0]


def _equal_shares(election: _Election, share: float, seed: str | None) -> _Run:
    """The Method of Equal Shares with cost utilities, every voter starting with ``share``."""
    tb = TieBreaker(election.names, seed)
    run = _Run(share=share)
    wallet = np.full(len(election.approvals), share, dtype=np.float64)
    costs = election.costs
    # rho only rises as voters spend, so the last rho found is a lower bound
    bound = {c: 1 / float(election.support[c]) for c in range(len(costs)) if election.support[c]}
    while bound:
        best = np.inf
        found: dict[int, tuple[float, float]] = {}
        for c in sorted(bound, key=lambda p: (bound[p], p)):
            if bound[c] > best * (1 + PRICE_TOLERANCE):
                break
            pay = _price(wallet[election.rows[c]], election.weights[c], costs[c])
            if pay is None:
                del bound[c]
                continue
            rho = pay / costs[c] if costs[c] else 0.0
            bound[c] = rho
            found[c] = (rho, pay)
            best = min(best, rho)
        if not found:
            break
        tied = sorted(c for c, (rho, _) in found.items() if rho <= best * (1 + PRICE_TOLERANCE))
        step = len(run.order) + 1
        chosen = tied[0] if len(tied) == 1 else _pick(tied, election, tb, step)
        pay = found[chosen][1]
        rows = election.rows[chosen]
        wallet[rows] = np.maximum(wallet[rows] - pay, 0.0)
        run.order.append(chosen)
        run.prices.append(pay)
        del bound[chosen]
    run.ties = list(tb.ties)
    return run


def _share(start: float, units: int) -> float:
    """``start`` with ``UNIT`` added ``units`` times one after another, as floats.

    The same float as that many additions in a row, without making them: within one binade
    (while the ulp divides ``UNIT``) every addition is exact, so a run of them is one exact
    addition; only the addition that crosses into the next binade rounds, and it is made
    on its own.
    """
    share = start
    while units:
        if math.ulp(share) > 4:  # UNIT is no longer a multiple of the ulp: add one by one
            share += UNIT
            units -= 1
            continue
        top = math.ldexp(1.0, math.frexp(share)[1])  # the bottom of the next binade
        exact = min(units, math.ceil((Fraction(top) - Fraction(share)) / UNIT) - 1)
        share += exact * UNIT
        units -= exact
        if units:
            share += UNIT
            units -= 1
    return share


SLACK = 1e-14
"""The float error allowed, relative and per step, when a run's choices are read for a jump."""


def _layout(election: _Election, run: _Run) -> tuple[object, ...] | None:
    """The choices one equal-shares run made, as a value to compare between two budgets.

    For each step: the projects the supporters can still afford, for each of them which
    supporters pay all they have left, the projects tied for the lowest price, and the one
    funded. With these choices fixed every wallet, payment and price is an affine function
    of the voters' starting money, so each choice is an affine inequality in it; two runs
    that made the same choices, each by a clear margin, bracket an interval of budgets over
    which every run makes them too (an inequality between affine functions holding at both
    ends of an interval holds inside it) and funds the same projects in the same order.
    ``None`` when some choice was too close to call (within ``SLACK`` of float error).
    """
    costs, share = election.costs, run.share
    wallet = np.full(len(election.approvals), share, dtype=np.float64)
    err = SLACK * (len(run.order) + 2)  # relative error of a wallet or payment
    left = [c for c in range(len(costs)) if election.support[c]]
    layout: list[object] = []
    for step in range(len(run.order) + 1):
        rho: dict[int, tuple[float, float]] = {}  # price and its possible error
        payers: list[bytes] = []
        for c in list(left):
            if costs[c] == 0:
                rho[c] = (0.0, 0.0)
                continue
            money, weights = wallet[election.rows[c]], election.weights[c]
            total, everyone = float(weights @ money), float(weights.sum())
            low, margin = costs[c] * (1 - PRICE_TOLERANCE), err * (share * everyone + costs[c])
            if abs(total - low) <= margin or low < total < costs[c] + margin:
                return None
            if total < low:
                left.remove(c)
                continue
            pay = _price(money, weights, costs[c])
            if pay is None:
                return None
            poor = money < pay
            rich = float(weights[~poor].sum())
            if rich == 0:
                return None
            wrong = err * (costs[c] + share * (everyone - rich) / rich)  # in the payment
            if bool((np.abs(money - pay) <= err * share + wrong).any()):
                return None
            rho[c] = (pay / costs[c], wrong / costs[c])
            payers.append(np.packbits(poor).tobytes())
        if not rho or step == len(run.order):
            return tuple(layout) if not rho and step == len(run.order) else None
        best = min(rho, key=lambda c: rho[c][0])
        low = (1 + PRICE_TOLERANCE) * rho[best][0]
        tied = sorted(c for c in rho if rho[c][0] <= low)
        if rho[best][0] == 0:
            tied = [c for c in tied if costs[c] == 0]
        elif any(low - rho[c][0] <= rho[c][1] + rho[best][1] for c in tied):
            return None
        top = max(tied, key=lambda c: rho[c][0])
        high = (1 + PRICE_TOLERANCE) * rho[top][0]
        if any(rho[c][0] - high <= rho[c][1] + rho[top][1] for c in rho if c not in tied):
            return None
        chosen = run.order[step]
        if chosen not in tied:
            return None
        layout.append((tuple(sorted(rho)), tuple(payers), tuple(tied), chosen))
        rows = election.rows[chosen]
        wallet[rows] = np.maximum(wallet[rows] - run.prices[step], 0.0)
        left.remove(chosen)
    return None


def _first_unit(
    election: _Election, seed: str | None, done: Callable[[list[int]], bool], least: int
) -> int:
    """The first number of units, ``least`` or more, whose equal-shares run is ``done``.

    The same answer as running every unit from 0 in turn (and the same refusal, should a
    run on the way need a lot with no seed), without running every unit: from a run, the
    search doubles its stride while the run at the far end made the same choices
    (:func:`_layout`), so that every unit in between funds the same projects, then halves
    back to the last unit it can vouch for, and goes on from the next one. Where the
    choices change at nearly every unit (many voters), it falls back to running each unit;
    how often it tries depends on the time the tries took, the answer never does.
    """
    start = election.budget / election.voters
    # with each voter holding every cost together, every supported project is funded
    last = max(0, math.ceil((sum(election.costs) - start) / UNIT)) + 1

    def layout(units: int) -> tuple[object, ...] | None:
        try:
            return _layout(election, _equal_shares(election, _share(start, units), seed))
        except TieUnresolved:
            return None

    # reading choices costs several runs; the search reads only while the units it skipped
    # paid for the reading, or the reading stays under half the time of the runs it made
    units, reading, saved, stepping = 0, 0.0, 0.0, 0.0
    while True:
        began = time.perf_counter()
        run = _equal_shares(election, _share(start, units), seed)
        took = time.perf_counter() - began
        if done(run.order) and units >= least:
            return units
        here = None
        if units < last and reading <= saved + stepping / 2:
            began = time.perf_counter()
            here = _layout(election, run)
            reading += time.perf_counter() - began
        if here is None:
            stepping += took
            units += 1
            continue
        began = time.perf_counter()
        same, stride = units, 1
        while True:
            probe = min(same + stride, last)
            if probe == same or layout(probe) != here:
                break
            same, stride = probe, stride * 2
        far = probe if probe > same else same + 1
        while far - same > 1:
            middle = (same + far) // 2
            if layout(middle) == here:
                same = middle
            else:
                far = middle
        reading += time.perf_counter() - began
        saved += (same - units) * took
        if done(run.order) and same >= least:
            return max(units, least)
        units = same + 1


def _add1(election: _Election, seed: str | None) -> _Run:
    """Equal shares, then raise every voter's budget by one unit at a time while the outcome
    still fits the real budget; the last outcome that fits is kept.

    The outcome is not monotone in the voters' budget, so no bisection over the units may
    guess where it stops fitting; the search (:func:`_first_unit`) skips only units it has
    shown fund the same projects as a unit it ran. When every supported project fits the
    budget together, no unit can overspend, and the completion stops at the first unit that
    buys them all.
    """
    start = election.budget / election.voters
    supported = [c for c in range(len(election.costs)) if election.support[c] > 0]
    costs = election.costs
    if sum(costs[c] for c in supported) <= election.budget:
        units = _first_unit(election, seed, lambda order: len(order) == len(supported), 0)
        return _equal_shares(election, _share(start, units), seed)
    units = _first_unit(
        election, seed, lambda order: sum(costs[c] for c in order) > election.budget, 1
    )
    return _equal_shares(election, _share(start, units - 1), seed)


@method(
    "equal-shares",
    accepts="approval",
    summary="Method of Equal Shares: the budget is split equally among voters, and each "
    "project is bought by its supporters sharing its cost, the cheapest per-voter price first.",
    summary_zh="预算平分给每位投票人，支持者平摊项目费用，人均出钱最少的项目先立项",
    options={
        "completion": OptionSpec(
            "add1",
            choices=COMPLETIONS,
            help="how leftover money is used: add1 (raise every voter's budget by one unit "
            "while the outcome fits), add1-utilitarian (add1, then greedy by votes), none",
        )
    },
    multiwinner=True,
)
def equal_shares(
    profile: ApprovalProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """The Method of Equal Shares with cost utilities; ``seats`` is ignored.

    Every voter starts with an equal share of the budget. In each step, for every project
    its supporters could still afford, the price ``rho`` is the smallest amount such that
    supporters each paying ``min(their money, rho)`` cover its cost; the project with the
    lowest ``rho`` is funded and its supporters pay. Among projects with equal ``rho``,
    the cheaper project is funded first, then the one with more supporters, then by lot;
    but tied projects that share no supporter (or all cost nothing) are all funded one
    after another whatever the order, so they are taken cheaper first, then more
    supporters, then by name, and no tie is recorded. With cost utilities the price
    compared is ``rho = payment / cost`` (so equal payments favour the dearer project);
    a decision's ``price`` is the payment, the most any one supporter paid. Payments are
    floats over whole cents; two ``rho`` within one part in 10**9 count as equal.

    ``completion``: ``add1`` (default) raises every voter's starting money by one unit
    (1 yuan, 1 PLN), step by step, and reruns while the outcome still fits the budget,
    keeping the last outcome that fits (it does not stop early at an outcome that leaves
    no room for another project); ``add1-utilitarian`` then funds, by approvals as in
    :func:`greedy`, any project still fitting the money left; ``none`` is plain MES.
    The outcome is that of rerunning at every unit, though not every unit is rerun: the
    units skipped are those shown to fund the same projects as a unit that was
    (:func:`_first_unit`).
    """
    election = _Election.of(profile)
    completion = options["completion"]
    if election.voters == 0:
        run = _Run(share=0.0)
    elif completion == "none":
        run = _equal_shares(election, election.budget / election.voters, tb.seed)
    else:
        run = _add1(election, tb.seed)
    tb.ties.extend(run.ties)
    return _mes_outcome(election, run, tb, fill=completion == "add1-utilitarian")


def _mes_outcome(election: _Election, run: _Run, tb: TieBreaker, *, fill: bool) -> Outcome:
    names, costs, support = election.names, election.costs, election.support
    left = election.budget
    winners: list[int] = []
    decisions: list[Decision] = []
    rounds: list[Round] = []
    pending = [c for c in range(len(names)) if support[c] > 0]

    def fund(c: int, reason: str, price: float | None) -> None:
        nonlocal left
        left -= costs[c]
        step = len(rounds) + 1
        rounds.append(
            Round(
                number=step,
                tallies={names[p]: float(support[p]) for p in sorted(pending)},
                elected=(names[c],),
                note="fund" if reason == "funded" else reason,
            )
        )
        pending.remove(c)
        winners.append(c)
        decisions.append(
            Decision(
                candidate=names[c],
                funded=True,
                reason=reason,
                cost=_yuan(costs[c]),
                support=float(support[c]),
                step=step,
                remaining_after=_yuan(left),
                price=price,
            )
        )

    for c, rho in zip(run.order, run.prices, strict=True):
        fund(c, "funded", _yuan(rho))
    if fill:
        for group in _by_votes(support):
            rest = [c for c in group if c in pending]
            for c in _greedy_order(rest, costs, left, names, tb, len(rounds) + 1):
                if costs[c] <= left:
                    fund(c, "completion", None)
    reason = "over-budget" if fill else "supporters-cannot-afford"
    for c in sorted(pending, key=lambda p: (-support[p], costs[p], names[p])):
        decisions.append(
            Decision(
                candidate=names[c],
                funded=False,
                reason=reason,
                cost=_yuan(costs[c]),
                support=float(support[c]),
            )
        )
    decisions.extend(_no_support(names, costs, support))
    return Outcome(winners=winners, decisions=decisions, rounds=rounds)
