"""Participatory budgeting: greedy and the Method of Equal Shares on hand-worked examples,
and the add1 completion against running every unit of money in turn."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ballots.formats import pabulib
from engine import ApprovalProfile, ProfileError, TieUnresolved, get_method, tally
from engine.methods.budget import UNIT, _add1, _Election, _share
from engine.result import Decision
from engine.tiebreak import lot_key
from tests.support.park import BUDGET_BALLOTS, BUDGET_COSTS, BUDGET_OPTIONS
from tests.support.paths import ELECTIONS
from tests.support.shares import stepping_add1


def approvals(
    names: list[str], ballots: list[list[str]], costs: Sequence[float], budget: float | None
) -> ApprovalProfile:
    table = [[name in ballot for name in names] for ballot in ballots]
    return ApprovalProfile.from_matrix(names, table, costs=costs, budget=budget)


def decision(result_decisions: tuple[Decision, ...], name: str) -> Decision:
    return next(d for d in result_decisions if d.candidate == name)


# The Dují pocket park: six options, six residents, a budget of 100,000 yuan.
PARK = ["play", "health", "wall", "events", "fitness", "shade"]
PARK_COSTS = [50_000, 25_000, 10_000, 15_000, 30_000, 40_000]
PARK_BALLOTS = [
    ["play", "fitness", "shade", "wall", "events"],
    ["play", "fitness", "shade", "wall", "events"],
    ["play", "fitness", "shade", "wall"],
    ["play", "fitness", "shade"],
    ["play", "fitness"],
    ["play"],
]


def test_greedy_hand_worked_park() -> None:
    # votes: play 6, fitness 5, shade 4, wall 3, events 2, health 0; budget 100,000
    # play 50,000 funded -> 50,000 left; fitness 30,000 funded -> 20,000 left;
    # shade 40,000 > 20,000 skipped; wall 10,000 funded -> 10,000 left;
    # events 15,000 > 10,000 skipped; health has no approval
    profile = approvals(PARK, PARK_BALLOTS, PARK_COSTS, 100_000)
    result = tally("greedy", profile)
    assert result.winners == ("play", "fitness", "wall")
    assert [(d.candidate, d.reason, d.step, d.remaining_after) for d in result.decisions] == [
        ("play", "funded", 1, 50_000.0),
        ("fitness", "funded", 2, 20_000.0),
        ("shade", "over-budget", 3, 20_000.0),
        ("wall", "funded", 4, 10_000.0),
        ("events", "over-budget", 5, 10_000.0),
        ("health", "no-support", None, None),
    ]
    assert decision(result.decisions, "shade").support == 4.0
    assert [r.note for r in result.rounds] == ["fund", "fund", "over-budget", "fund", "over-budget"]
    assert result.rounds[2].eliminated == ("shade",)
    assert result.ties == ()


def test_greedy_counts_money_in_whole_cents() -> None:
    # 0.10 + 0.20 = 0.30 exactly in cents (in floats it is 0.30000000000000004 > 0.3)
    profile = approvals(["a", "b"], [["a", "b"], ["a"]], [0.1, 0.2], 0.3)
    assert tally("greedy", profile).winners == ("a", "b")


def test_greedy_equal_votes_cheaper_first() -> None:
    # x and y have 2 votes each; 60 + 50 > 100, so the order matters: y (50) is scanned
    # first and funded, leaving 50 < 60 for x
    profile = approvals(["x", "y"], [["x", "y"], ["x", "y"]], [60, 50], 100)
    result = tally("greedy", profile)
    assert result.winners == ("y",)
    assert decision(result.decisions, "x").reason == "over-budget"
    (tie,) = result.ties
    assert (tie.tied, tie.rule, tie.chosen) == (("x", "y"), "cheaper-first", ("y", "x"))


def test_greedy_equal_votes_and_cost_by_lot() -> None:
    # x and y tie on 2 votes and 60 each; only one fits 100: a lot decides
    profile = approvals(["x", "y"], [["x", "y"], ["x", "y"]], [60, 60], 100)
    with pytest.raises(TieUnresolved, match="a tie between x, y decides the outcome"):
        tally("greedy", profile)
    result = tally("greedy", profile, seed="bench-7")
    first = min(["x", "y"], key=lambda n: lot_key("bench-7", n))
    assert result.winners == (first,)
    (tie,) = result.ties
    assert (tie.rule, tie.tied, tie.chosen[0]) == ("lot", ("x", "y"), first)


def test_greedy_tie_that_decides_nothing_is_not_drawn() -> None:
    # x and y tie on votes and cost, but 60 + 60 fits 120: both are funded, no lot needed
    profile = approvals(["y", "x"], [["x", "y"]], [60, 60], 120)
    result = tally("greedy", profile)
    assert result.winners == ("x", "y")
    assert result.ties == ()


def test_greedy_never_funds_a_project_without_approval() -> None:
    profile = approvals(["a", "free"], [["a"]], [10, 0], 100)
    result = tally("greedy", profile)
    assert result.winners == ("a",)
    assert decision(result.decisions, "free").reason == "no-support"


# Equal shares, six voters with 100 each (budget 600):
#   park 300 {v1..v4}, shade 240 {v1,v2,v3}, fitness 90 {v4,v5,v6}, wall 120 {v5,v6},
#   events 50 {v6}, health 100 {nobody}
MES = ["park", "shade", "fitness", "wall", "events", "health"]
MES_COSTS = [300, 240, 90, 120, 50, 100]
MES_BALLOTS = [
    ["park", "shade"],
    ["park", "shade"],
    ["park", "shade"],
    ["park", "fitness"],
    ["fitness", "wall"],
    ["fitness", "wall", "events"],
]


def test_equal_shares_hand_worked() -> None:
    # rho = payment / cost. Step 1: park 75 each (1/4), shade 80 (1/3), fitness 30 (1/3),
    # wall 60 (1/2), events 50 (1) -> park; v1..v4 keep 25.
    # Step 2: shade: 3 x 25 = 75 < 240, cannot be afforded. fitness: v4 has only 25, so
    # v5 and v6 pay (90 - 25) / 2 = 32.5 each, rho = 32.5 / 90 = 0.361 < wall 1/2 -> fitness;
    # v4 keeps 0, v5 and v6 keep 67.5.
    # Step 3: wall 60 each (1/2), events 50 (1) -> wall; v5, v6 keep 7.5.
    # Step 4: events: 7.5 < 50, cannot be afforded. Spent 300 + 90 + 120 = 510, left 90.
    profile = approvals(MES, MES_BALLOTS, MES_COSTS, 600)
    result = tally("equal-shares", profile, completion="none")
    assert result.winners == ("park", "fitness", "wall")
    assert [
        (d.candidate, d.reason, d.step, d.price, d.remaining_after) for d in result.decisions
    ] == [
        ("park", "funded", 1, 75.0, 300.0),
        ("fitness", "funded", 2, 32.5, 210.0),
        ("wall", "funded", 3, 60.0, 90.0),
        ("shade", "supporters-cannot-afford", None, None, None),
        ("events", "supporters-cannot-afford", None, None, None),
        ("health", "no-support", None, None, None),
    ]
    assert [r.elected for r in result.rounds] == [("park",), ("fitness",), ("wall",)]


def test_equal_shares_add1_keeps_the_last_outcome_that_fits() -> None:
    # 3 voters, budget 90: a 40 {v1,v2}, b 50 {v3}, c 35 {v1}.
    # Plain MES (30 each): a (20 each); b: 30 < 50 and c: 10 < 35 cannot -> {a}, 40 spent.
    # add1: with s each, b is affordable once s >= 50 -> {a, b} = 90 fits;
    # c once s - 20 >= 35, s >= 55 -> {a, b, c} = 125 > 90: stop, keep s = 54: {a, b}.
    profile = approvals(["a", "b", "c"], [["a", "c"], ["a"], ["b"]], [40, 50, 35], 90)
    assert tally("equal-shares", profile, completion="none").winners == ("a",)
    result = tally("equal-shares", profile)
    assert result.options["completion"] == "add1"
    assert result.winners == ("a", "b")
    assert decision(result.decisions, "c").reason == "supporters-cannot-afford"


def test_equal_shares_add1_utilitarian_fills_leftover_by_votes() -> None:
    # 4 voters, budget 100 (25 each): a 60 {v1,v2,v3}, b 40 {v4}, c 20 {v1}.
    # MES: a (20 each); b: 25 < 40, c: 5 < 20 -> {a}. add1: b and c both become affordable
    # at s = 40 (v4 has 40, v1 has 40 - 20), {a, b, c} = 120 > 100: stop at s = 39: {a}.
    # Fill with the 40 left, by votes: b and c have 1 each, cheaper first: c 20 funded,
    # 20 left, b 40 > 20 over budget.
    profile = approvals(["a", "b", "c"], [["a", "c"], ["a"], ["a"], ["b"]], [60, 40, 20], 100)
    assert tally("equal-shares", profile).winners == ("a",)
    result = tally("equal-shares", profile, completion="add1-utilitarian")
    assert result.winners == ("a", "c")
    assert decision(result.decisions, "c").reason == "completion"
    assert decision(result.decisions, "c").remaining_after == 20.0
    assert decision(result.decisions, "b").reason == "over-budget"
    assert result.ties[-1].rule == "cheaper-first"


def test_equal_shares_equal_price_cheaper_first() -> None:
    # 2 voters with 50 each, both approve fitness (70) and shade (40):
    # fitness 35 each, rho 1/2; shade 20 each, rho 1/2: a tie. Cheaper first: shade,
    # then fitness: 30 + 30 < 70. (Name order would have picked fitness.)
    profile = approvals(["fitness", "shade"], [["fitness", "shade"]] * 2, [70, 40], 100)
    result = tally("equal-shares", profile, completion="none")
    assert result.winners == ("shade",)
    (tie,) = result.ties
    assert (tie.tied, tie.rule, tie.chosen) == (("fitness", "shade"), "cheaper-first", ("shade",))


def test_equal_shares_equal_price_and_cost_more_supporters() -> None:
    # 6 voters with 50 each. Step 1: park 200 {v3..v6}, 50 each, rho 1/4 -> v3..v6 spent.
    # Step 2: wall 60 {v1,v2,v3}: v3 has 0, v1 and v2 pay 30, rho 1/2; events 60 {v1,v2}:
    # 30 each, rho 1/2. Same cost; wall has 3 supporters, events 2 -> wall. Then events:
    # 20 + 20 < 60. (Name order would have picked events.)
    ballots = [
        ["wall", "events"],
        ["wall", "events"],
        ["wall", "park"],
        ["park"],
        ["park"],
        ["park"],
    ]
    profile = approvals(["events", "park", "wall"], ballots, [60, 200, 60], 300)
    result = tally("equal-shares", profile, completion="none")
    assert result.winners == ("park", "wall")
    (tie,) = result.ties
    assert (tie.tied, tie.rule, tie.chosen) == (("events", "wall"), "more-supporters", ("wall",))


def test_equal_shares_full_tie_by_lot() -> None:
    # 2 voters with 50 each approve x and y (60 each): 30 each, rho 1/2 for both; after
    # one, 20 + 20 < 60 for the other: only a lot can decide
    profile = approvals(["x", "y"], [["x", "y"]] * 2, [60, 60], 100)
    with pytest.raises(TieUnresolved, match="a tie between x, y decides the outcome"):
        tally("equal-shares", profile, completion="none")
    result = tally("equal-shares", profile, completion="none", seed="bench-7")
    first = min(["x", "y"], key=lambda n: lot_key("bench-7", n))
    assert result.winners == (first,)
    assert [t.rule for t in result.ties] == ["lot"]


def test_equal_shares_tie_without_shared_supporter_needs_no_lot() -> None:
    # x {v1} and y {v2}, 60 each, 60 per voter: rho 1 for both, no shared supporter,
    # so both are funded whatever the order: name order, no lot, no tie recorded
    profile = approvals(["y", "x"], [["x"], ["y"]], [60, 60], 120)
    result = tally("equal-shares", profile)
    assert result.winners == ("x", "y")
    assert result.ties == ()


@pytest.mark.parametrize("name", ["greedy", "equal-shares"])
def test_budget_methods_with_no_ballots_decide_nothing(name: str) -> None:
    profile = ApprovalProfile.from_matrix(["a"], np.zeros((0, 1)), costs=[10], budget=100)
    result = tally(name, profile)
    assert result.winners == ()
    assert result.no_decision == "no-ballots"
    assert result.decisions == ()


@pytest.mark.parametrize("name", ["greedy", "equal-shares"])
def test_budget_methods_need_costs_and_budget(name: str) -> None:
    no_costs = ApprovalProfile.from_matrix(["a"], [[1]], budget=10)
    with pytest.raises(
        ProfileError, match=r"^participatory budgeting needs a cost for every project; none given$"
    ):
        tally(name, no_costs)
    no_budget = ApprovalProfile.from_matrix(["a"], [[1]], costs=[5])
    with pytest.raises(ProfileError, match=r"^participatory budgeting needs a budget; none given$"):
        tally(name, no_budget)


def test_costs_finer_than_a_cent_are_refused() -> None:
    profile = ApprovalProfile.from_matrix(["a"], [[1]], costs=[1.005], budget=10)
    with pytest.raises(
        ProfileError,
        match=r"^the cost of project a is 1\.005, which is not a whole number of cents$",
    ):
        tally("greedy", profile)


@pytest.mark.parametrize("name", ["greedy", "equal-shares"])
def test_budget_methods_are_registered(name: str) -> None:
    info = get_method(name)
    assert info.accepts == "approval"
    assert info.multiwinner
    assert info.claims == {"anonymous", "neutral"}
    assert info.summary_zh


def reference_mes(ballots: list[list[int]], costs: list[int], share: Fraction) -> list[int] | None:
    """Textbook MES with cost utilities in exact fractions; ``None`` if a tie is left over."""
    wallet = [share] * len(ballots)
    support = [sum(c in b for b in ballots) for c in range(len(costs))]
    left = {c for c in range(len(costs)) if support[c]}
    funded: list[int] = []
    while True:
        prices: dict[int, tuple[Fraction, Fraction]] = {}
        for c in left:
            mine = sorted(wallet[i] for i, b in enumerate(ballots) if c in b)
            if sum(mine) < costs[c]:
                continue
            paid = Fraction(0)
            for k, money in enumerate(mine):
                pay = (costs[c] - paid) / (len(mine) - k)
                if pay <= money:
                    break
                paid += money
            prices[c] = (pay / costs[c], pay)
        if not prices:
            return funded
        best = min(rho for rho, _ in prices.values())
        tied = [c for c in prices if prices[c][0] == best]
        key = {c: (costs[c], -support[c]) for c in tied}
        first = min(key.values())
        tied = [c for c in tied if key[c] == first]
        if len(tied) > 1:
            return None
        chosen = tied[0]
        pay = prices[chosen][1]
        for i, b in enumerate(ballots):
            if chosen in b:
                wallet[i] = max(wallet[i] - pay, Fraction(0))
        funded.append(chosen)
        left.remove(chosen)


@settings(max_examples=60, deadline=None)
@given(
    ballots=st.lists(st.sets(st.integers(0, 4), max_size=5), min_size=1, max_size=7),
    costs=st.lists(st.integers(1, 60), min_size=5, max_size=5),
    budget=st.integers(0, 150),
)
def test_equal_shares_matches_exact_reference(
    ballots: list[set[int]], costs: list[int], budget: int
) -> None:
    names = [f"p{c}" for c in range(5)]
    as_lists = [sorted(b) for b in ballots]
    expected = reference_mes(as_lists, costs, Fraction(budget, len(ballots)))
    assume(expected is not None)
    profile = approvals(names, [[names[c] for c in b] for b in as_lists], costs, budget)
    result = tally("equal-shares", profile, completion="none", seed="s")
    assert result.winners == tuple(names[c] for c in expected or [])


def reference_add1(ballots: list[list[int]], costs: list[int], budget: int) -> list[int] | None:
    """add1 stepped one unit at a time with :func:`reference_mes`, as documented."""
    share = Fraction(budget, len(ballots))
    outcome = reference_mes(ballots, costs, share)
    supported = [c for c in range(len(costs)) if any(c in b for b in ballots)]
    everything_fits = sum(costs[c] for c in supported) <= budget
    while outcome is not None:
        if everything_fits and len(outcome) == len(supported):
            return outcome
        share += 1
        bigger = reference_mes(ballots, costs, share)
        if bigger is None:
            return None
        if not everything_fits and sum(costs[c] for c in bigger) > budget:
            return outcome
        outcome = bigger
    return None


@settings(max_examples=25, deadline=None)
@given(
    ballots=st.lists(st.sets(st.integers(0, 3), max_size=4), min_size=1, max_size=5),
    costs=st.lists(st.integers(1, 30), min_size=4, max_size=4),
    budget=st.integers(0, 80),
)
def test_equal_shares_add1_matches_step_by_step_reference(
    ballots: list[set[int]], costs: list[int], budget: int
) -> None:
    names = [f"p{c}" for c in range(4)]
    as_lists = [sorted(b) for b in ballots]
    expected = reference_add1(as_lists, costs, budget)
    assume(expected is not None)
    profile = approvals(names, [[names[c] for c in b] for b in as_lists], costs, budget)
    result = tally("equal-shares", profile, seed="s")
    assert result.winners == tuple(names[c] for c in expected or [])


def test_share_is_the_float_that_adding_one_unit_at_a_time_gives() -> None:
    rng = random.Random(14)
    for _ in range(300):
        start = rng.randrange(0, 10**9) / rng.randrange(1, 10_000)
        units = rng.randrange(0, 3_000)
        stepped = start
        for _ in range(units):
            stepped += UNIT
        assert _share(start, units) == stepped
    # crossing from 2**24 cents into the next binade rounds once
    assert _share(2.0**24 - 0.5 - 100, 2) == 2.0**24 - 0.5 + 100


def assert_add1_as_stepping(profile: ApprovalProfile, seed: str | None = "s") -> None:
    """The jumping search keeps the very run (budget, order, payments, ties) that stepping
    one unit at a time keeps, or refuses with the same unresolved tie."""
    election = _Election.of(profile)
    try:
        expected = stepping_add1(election, seed)
    except TieUnresolved as refusal:
        with pytest.raises(TieUnresolved, match=f"^{re.escape(str(refusal))}$"):
            _add1(election, seed)
        return
    got = _add1(election, seed)
    assert (got.share, got.order, got.prices, got.ties) == (
        expected.share,
        expected.order,
        expected.prices,
        expected.ties,
    )


@pytest.mark.parametrize("name", sorted(p.name for p in (ELECTIONS / "pabulib").glob("*.pb")))
def test_add1_on_pabulib_elections_as_stepping(name: str) -> None:
    profile = pabulib.read(ELECTIONS / "pabulib" / name).profile
    assert isinstance(profile, ApprovalProfile)
    assert_add1_as_stepping(profile)


HAND_WORKED = [
    (MES, MES_BALLOTS, MES_COSTS, 600),
    (PARK, PARK_BALLOTS, PARK_COSTS, 100_000),
    (["a", "b", "c"], [["a", "c"], ["a"], ["b"]], [40, 50, 35], 90),
    (["a", "b", "c"], [["a", "c"], ["a"], ["a"], ["b"]], [60, 40, 20], 100),
    (["fitness", "shade"], [["fitness", "shade"]] * 2, [70, 40], 100),
    (["x", "y"], [["x", "y"]] * 2, [60, 60], 100),
    (["y", "x"], [["x"], ["y"]], [60, 60], 120),
    (["a", "b"], [["a", "b"], ["a"]], [0.1, 0.2], 0.3),
    (
        list(BUDGET_OPTIONS),
        [list(approved) for n, approved in BUDGET_BALLOTS for _ in range(n)],
        BUDGET_COSTS,
        200_000,
    ),
    # few voters and money enough for thousands of units
    (["a", "b", "c"], [["a", "b"], ["b", "c"]], [15_000, 9_000, 6_000], 20_000),
    (["a", "b", "c", "d"], [["a"], ["b", "d"], ["c", "d"]], [9_000, 7_000, 5_500, 3_000], 12_000),
]


@pytest.mark.parametrize("seed", ["s", None])
@pytest.mark.parametrize("case", range(len(HAND_WORKED)))
def test_add1_on_the_examples_as_stepping(case: int, seed: str | None) -> None:
    names, ballots, costs, budget = HAND_WORKED[case]
    assert_add1_as_stepping(approvals(names, ballots, costs, budget), seed)


@pytest.mark.parametrize("seed", range(120))
def test_add1_on_random_small_budgets_as_stepping(seed: int) -> None:
    # few voters, few distinct costs (equal prices tie), now and then a free project or two
    # projects with the same supporters and cost, budgets of up to a few thousand units per
    # voter, and costs in cents, so that the last unit before overspending matters
    rng = random.Random(seed)
    names = [f"p{c}" for c in range(rng.randrange(2, 7))]
    voters = rng.randrange(1, 7)
    ballots = [[n for n in names if rng.random() < 0.5] for _ in range(voters)]
    levels = [rng.randrange(1, 1_500) * rng.choice([1, 1, 1.01, 10]) for _ in range(3)]
    costs = [round(rng.choice(levels), 2) for _ in names]
    if rng.random() < 0.2:
        costs[0] = 0
    if rng.random() < 0.3:  # the last project twinned
        names.append("twin")
        costs.append(costs[-1])
        ballots = [[*b, "twin"] if names[-2] in b else b for b in ballots]
    budget = round(rng.uniform(0.2, 1.2) * sum(costs), 2)
    assert_add1_as_stepping(approvals(names, ballots, costs, budget), rng.choice(["s", None]))
