"""Participatory budgeting over approval ballots: greedy by votes and the Method of Equal Shares.

Costs and the budget are turned into whole cents (Python integers), so sums and "does it
still fit" checks are exact: a budget of 969,245.38 behaves exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from engine.errors import ProfileError
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


def _add1(election: _Election, seed: str | None) -> _Run:
    """Equal shares, then raise every voter's budget by one unit at a time while the outcome
    still fits the real budget; the last outcome that fits is kept.

    Strictly one run per unit: the outcome is not monotone in the voters' budget, so a
    bisection or a jump over the units could land on a different outcome. When every
    supported project fits the budget together, no unit can overspend, and the loop stops
    at the first run that buys them all.
    """
    start = election.budget / election.voters
    run = _equal_shares(election, start, seed)
    supported = [c for c in range(len(election.costs)) if election.support[c] > 0]
    if sum(election.costs[c] for c in supported) <= election.budget:
        while len(run.order) < len(supported):  # everything fits: raise until all are bought
            run = _equal_shares(election, run.share + UNIT, seed)
        return run
    while True:
        bigger = _equal_shares(election, run.share + UNIT, seed)
        if bigger.spent(election.costs) > election.budget:
            return run
        run = bigger


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
