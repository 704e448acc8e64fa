"""Encoding ballots into profiles: collapsing, validation on the way, ranked tables, the API."""

from __future__ import annotations

import inspect
import random
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ballots
from ballots.encode import collapse, encode, encode_ranked_table
from ballots.errors import InvalidBallot
from ballots.kinds import ApprovalBallot, BallotRules, BudgetBallot, RankedBallot, ScoreBallot
from engine.errors import ProfileError
from engine.profile import UNRANKED, ApprovalProfile, RankedProfile, ScoreProfile
from tests.support.park import PARK

KIDS, HEALTH, WALL, EVENTS, FITNESS, SHADE = PARK


def ranked(*groups: str | tuple[str, ...]) -> RankedBallot:
    return RankedBallot(ranking=tuple((g,) if isinstance(g, str) else tuple(g) for g in groups))


def test_public_api_all_is_sorted_and_complete() -> None:
    # isort-style order, as ruff's RUF022 wants: CONSTANTS, then Classes, then functions.
    def key(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert ballots.__all__ == sorted(ballots.__all__, key=key)
    public = {
        name
        for name, value in vars(ballots).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert set(ballots.__all__) == public


def test_identical_ballots_collapse_with_counts() -> None:
    rules = BallotRules(kind="ranked", candidates=PARK)
    box = [ranked(KIDS, SHADE)] * 5 + [ranked(HEALTH)] * 2 + [ranked(KIDS, SHADE)]
    profile = encode(box, rules)
    assert isinstance(profile, RankedProfile)
    rows = {
        tuple(int(v) for v in row): int(n)
        for row, n in zip(profile.ranks, profile.counts, strict=True)
    }
    u = UNRANKED
    assert rows == {(0, u, u, u, u, 1): 6, (u, 0, u, u, u, u): 2}
    assert profile.total == 8


def test_collapse_keeps_first_seen_order_and_counts() -> None:
    box = [ranked("b")] * 10 + [ranked("a", "b")] * 1000
    distinct = collapse(box)
    assert [(d.ballot, d.voters) for d in distinct] == [(ranked("b"), 10), (ranked("a", "b"), 1000)]


def test_validation_runs_once_per_distinct_ballot(monkeypatch: pytest.MonkeyPatch) -> None:
    module = sys.modules["ballots.encode"]  # the name ballots.encode is the function
    seen: list[object] = []
    real = module.validate

    def counting(ballot: RankedBallot, rules: BallotRules) -> object:
        seen.append(ballot)
        return real(ballot, rules)

    monkeypatch.setattr(module, "validate", counting)
    rules = BallotRules(kind="ranked", candidates=("a", "b"))
    encode([ranked("a", "b")] * 1000 + [ranked("b")] * 10, rules)
    assert len(seen) == 2


def test_lists_written_for_tuples_collapse_with_tuples() -> None:
    as_lists = RankedBallot(ranking=[["a"], ["b"]])  # type: ignore[arg-type]
    distinct = collapse([as_lists, ranked("a", "b")])
    assert distinct == [(ranked("a", "b"), 2, distinct[0].key)]


def test_counts_add_up_and_zero_counts_drop() -> None:
    rules = BallotRules(kind="ranked", candidates=("a", "b"))
    profile = encode([ranked("a"), ranked("b"), ranked("a")], rules, counts=[3, 0, 4])
    assert profile.counts.tolist() == [7]


def test_negative_count_is_refused() -> None:
    rules = BallotRules(kind="ranked", candidates=("a", "b"))
    with pytest.raises(ProfileError, match=r"ballot 1 has count -2"):
        encode([ranked("a"), ranked("b")], rules, counts=[1, -2])


def test_tie_groups_in_any_order_encode_alike() -> None:
    rules = BallotRules(kind="ranked", candidates=("a", "b", "c"), allow_ties=True)
    profile = encode([ranked(("b", "a"), "c"), ranked(("a", "b"), "c")], rules)
    assert isinstance(profile, RankedProfile)
    assert profile.ranks.tolist() == [[0, 0, 1]]
    assert profile.counts.tolist() == [2]


def test_invalid_ballot_names_its_index() -> None:
    rules = BallotRules(kind="ranked", candidates=("a", "b"))
    box = [ranked("a")] * 3 + [ranked("b", "x")] + [ranked("b", "x")]
    with pytest.raises(InvalidBallot, match=r"^unknown candidate 'x'$") as info:
        encode(box, rules)
    assert info.value.where == "[3].ranking[1][0]"


def test_malformed_ballot_is_refused() -> None:
    rules = BallotRules(kind="ranked", candidates=("a", "b"))
    bad = RankedBallot(ranking=((1,),))  # type: ignore[arg-type]
    with pytest.raises(InvalidBallot, match=r"^malformed ballot: Expected `str`, got `int`"):
        encode([ranked("a"), bad], rules)


def test_approval_ballots_become_an_approval_profile() -> None:
    rules = BallotRules(kind="approval", candidates=("a", "b", "c"))
    box = [ApprovalBallot(approved=("c", "a")), ApprovalBallot(approved=("a", "c"))]
    profile = encode(box, rules)
    assert isinstance(profile, ApprovalProfile)
    assert profile.approvals.tolist() == [[True, False, True]]
    assert profile.counts.tolist() == [2]
    assert profile.costs is None


def test_budget_ballots_carry_costs_and_budget() -> None:
    costs = (120000.0, 60000.0, 30000.0, 50000.0, 40000.0, 25000.0)
    rules = BallotRules(kind="budget", candidates=PARK, costs=costs, budget=200000)
    profile = encode([BudgetBallot(approved=(KIDS, SHADE))], rules)
    assert isinstance(profile, ApprovalProfile)
    assert profile.costs == costs
    assert profile.budget == 200000.0


def test_score_ballots_become_a_score_profile() -> None:
    rules = BallotRules(kind="score", candidates=("a", "b", "c"), max_score=3)
    box = [ScoreBallot(scores={"b": 2, "a": 3}), ScoreBallot(scores={"a": 3, "b": 2, "c": 0})]
    profile = encode(box, rules)
    assert isinstance(profile, ScoreProfile)
    assert profile.scores.tolist() == [[3, 2, 0]]
    assert profile.counts.tolist() == [2]
    assert profile.max_score == 3


def test_no_ballots_give_an_empty_profile() -> None:
    profile = encode([], BallotRules(kind="ranked", candidates=("a", "b")))
    assert profile.total == 0
    assert profile.n_candidates == 2


def test_ranked_table_matches_ballot_encoding() -> None:
    names = ("a", "b", "c", "d")
    table = [[2, 0, -1, -1], [1, -1, -1, -1], [2, 0, -1, -1], [3, 2, 1, 0]]
    profile = encode_ranked_table(names, table, counts=[1, 2, 3, 1])
    rules = BallotRules(kind="ranked", candidates=names)
    expected = encode(
        [ranked("c", "a"), ranked("b"), ranked("d", "c", "b", "a")], rules, counts=[4, 2, 1]
    )
    assert isinstance(expected, RankedProfile)
    assert profile.ranks.tolist() == expected.ranks.tolist()
    assert profile.counts.tolist() == expected.counts.tolist()


def test_ranked_table_skipped_position_closes_the_gap() -> None:
    # [1, -1, 0]: b first, nothing second, a third -> b > a, ranks b=0, a=1.
    profile = encode_ranked_table(("a", "b", "c"), [[1, -1, 0]])
    assert profile.ranks.tolist() == [[1, 0, UNRANKED]]


@pytest.mark.parametrize(
    ("table", "problem", "where", "text"),
    [
        ([[0, 5]], "unknown-candidate", "[0][1]", "unknown candidate '#5'"),
        ([[0, 1], [1, 1]], "ranked-twice", "[1][1]", "candidate 'b' is ranked twice"),
        (
            [[0, 1], [-1, -1]],
            "empty",
            "[1]",
            "the ballot is empty, and this round does not accept blank ballots",
        ),
    ],
)
def test_ranked_table_faults(table: list[list[int]], problem: str, where: str, text: str) -> None:
    with pytest.raises(InvalidBallot) as info:
        encode_ranked_table(("a", "b", "c"), table)
    assert (info.value.problem, info.value.where, str(info.value)) == (problem, where, text)


def test_ranked_table_large_input_is_vectorised() -> None:
    rng = np.random.default_rng(7)
    table = np.argsort(rng.random((200_000, 6)), axis=1)[:, :3]
    profile = encode_ranked_table(PARK, table)
    assert profile.total == 200_000
    assert len(profile.counts) == 6 * 5 * 4


@given(
    st.lists(
        st.permutations(["a", "b", "c", "d"]).flatmap(
            lambda order: st.integers(1, 4).map(lambda n: order[:n])
        ),
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
@settings(max_examples=60, deadline=None)
def test_encode_agrees_with_from_orders_in_any_order(
    orders: list[list[str]], rnd: random.Random
) -> None:
    names = ("a", "b", "c", "d")
    rules = BallotRules(kind="ranked", candidates=names)
    shuffled = orders[:]
    rnd.shuffle(shuffled)
    profile = encode([ranked(*order) for order in shuffled], rules)
    expected = RankedProfile.from_orders(names, orders)
    assert isinstance(profile, RankedProfile)
    assert profile.ranks.tolist() == expected.ranks.tolist()
    assert profile.counts.tolist() == expected.counts.tolist()
