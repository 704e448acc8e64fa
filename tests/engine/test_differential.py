"""Differential tests: our methods against pref-voting on random small profiles.

pref-voting returns every tied winner; we compare with the top group of our ranking
(``Result.ranking[0]``, before the lot), or with the winner the lot picked where both sides
break ties by a stated rule. Unranked candidates count as tied below every ranked one, so
pref-voting's profiles use its extended strict preference. Where conventions differ:

- Plurality: a ballot with several equal first preferences is an overvote and counts for
  nobody, while pref-voting's plurality refuses such ballots, so we compare with its
  plurality scores ignoring overvotes; when every ballot is an overvote it ties everyone at 0
  where we give no decision.
- Borda: our ``average`` rule is pref-voting's symmetric Borda; our ``zero`` rule is its
  domination Borda only without ties in a ballot; pref-voting has no modified Borda count,
  which on complete strict ballots must agree with plain (symmetric) Borda.
- IRV: an elimination tie goes to the earlier-round rule (docs/counting.md, "Ties": rounds compared
  from the first, continued among those still tied) and then the lot, so our winner
  must be one of pref-voting's parallel-universe (PUT) winners, and the only one when no
  tie was met; a ballot whose highest continuing candidates are tied counts for nobody
  from then on, which is pref-voting's overvote truncation only when the tie is among
  the first preferences, so ties in IRV ballots are drawn there only.
- Ranked pairs: equal margins are locked in the lot's order of candidates, which is
  pref-voting's ``ranked_pairs_tb`` with the lot order as tie-breaker when no pairwise
  contest is tied; with pairwise ties (which we never lock) our top group must lie within
  pref-voting's PUT winners, and equal them when no lot was drawn.

Examples are derandomized with no example database, so every run checks the same profiles.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import permutations
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from pref_voting import (
    c1_methods,
    iterative_methods,
    margin_based_methods,
    scoring_methods,
)
from pref_voting.profiles_with_ties import ProfileWithTies

from engine import UNRANKED, RankedProfile, Result, tally
from engine.tiebreak import lot_key
from tests.support.strategies import ranked_profiles, seeds

CHECKS = settings(
    max_examples=120,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

ANY = ranked_profiles(ties=True, truncated=True)
TRUNCATED = ranked_profiles(truncated=True)
COMPLETE = ranked_profiles()
STRICT_ODD = ranked_profiles(odd=True)
IRV_OVERVOTES = ranked_profiles(max_candidates=5, ties=True, truncated=True, tied_first_only=True)


def to_pref_voting(profile: RankedProfile) -> ProfileWithTies:
    """The same ballots as a pref-voting profile; candidates are our indices."""
    rankings = [
        {c: int(r) for c, r in enumerate(row) if r != UNRANKED} for row in profile.ranks.tolist()
    ]
    prof = ProfileWithTies(
        rankings,
        rcounts=[int(n) for n in profile.counts],
        candidates=list(range(profile.n_candidates)),
    )
    prof.use_extended_strict_preference()
    return prof


def top_group(result: Result) -> set[int]:
    assert result.ranking is not None
    return {result.candidates.index(name) for name in result.ranking[0]}


def winner_index(result: Result) -> int:
    (name,) = result.winners
    return result.candidates.index(name)


def lot_order(profile: RankedProfile, seed: str) -> list[int]:
    names = profile.candidates
    return sorted(range(len(names)), key=lambda i: lot_key(seed, names[i]))


def argmax_set(scores: dict[int, Any]) -> set[int]:
    best = max(scores.values())
    return {c for c, s in scores.items() if abs(float(s) - float(best)) <= 1e-9}


# --- the shared input --------------------------------------------------------------------


@CHECKS
@given(ANY)
def test_pairwise_matrix_matches_pref_voting(profile: RankedProfile) -> None:
    prof = to_pref_voting(profile)
    ours = profile.pairwise()
    m = profile.n_candidates
    for i in range(m):
        for j in range(m):
            if i != j:
                assert int(ours[i, j]) == prof.support(i, j), (i, j)


# --- pairwise methods ---------------------------------------------------------------------


@CHECKS
@given(ANY)
def test_copeland_matches_pref_voting(profile: RankedProfile) -> None:
    result = tally("copeland", profile, seed="x")
    assert top_group(result) == set(c1_methods.copeland(to_pref_voting(profile)))


@pytest.mark.parametrize("strength", ["winning", "margin"])
@CHECKS
@given(profile=ANY)
def test_schulze_matches_pref_voting_beat_path(profile: RankedProfile, strength: str) -> None:
    prof = to_pref_voting(profile)
    kwargs: dict[str, Callable[[int, int], int]] = (
        {"strength_function": prof.support} if strength == "winning" else {}
    )
    expected = margin_based_methods.beat_path(prof, **kwargs)
    result = tally("schulze", profile, seed="x", strength=strength)
    assert top_group(result) == set(expected)


@pytest.mark.parametrize("strength", ["winning", "margin"])
@CHECKS
@given(profile=ANY)
def test_minimax_matches_pref_voting(profile: RankedProfile, strength: str) -> None:
    prof = to_pref_voting(profile)
    kwargs: dict[str, Callable[[int, int], int]] = (
        {"strength_function": prof.support} if strength == "winning" else {}
    )
    expected = margin_based_methods.minimax(prof, **kwargs)
    result = tally("minimax", profile, seed="x", strength=strength)
    assert top_group(result) == set(expected)


@CHECKS
@given(STRICT_ODD, seeds())
def test_ranked_pairs_matches_pref_voting_tb_variant(profile: RankedProfile, seed: str) -> None:
    # Odd voters on complete strict ballots: no pairwise tie, so tie-breaking by the lot's
    # candidate order is exactly pref-voting's ranked_pairs_tb with that order.
    expected = margin_based_methods.ranked_pairs_tb(
        to_pref_voting(profile), tie_breaker=lot_order(profile, seed)
    )
    result = tally("ranked-pairs", profile, seed=seed)
    assert [winner_index(result)] == expected


@CHECKS
@given(ranked_profiles(max_candidates=5, ties=True, truncated=True), seeds())
def test_ranked_pairs_top_group_within_pref_voting_put(profile: RankedProfile, seed: str) -> None:
    graph = to_pref_voting(profile).margin_graph()
    put = set(margin_based_methods.ranked_pairs(graph, algorithm="from_stacks"))
    result = tally("ranked-pairs", profile, seed=seed)
    drew_lot = any(t.purpose == "rank" for t in result.ties)
    if drew_lot:
        assert top_group(result) <= put
    else:
        assert top_group(result) == put


def test_ranked_pairs_stack_algorithm_agrees_with_pref_voting_basic() -> None:
    # The PUT reference above uses pref-voting's stack characterisation; check it against
    # its locking algorithm on a profile with a pairwise tie and equal margins.
    profile = RankedProfile.from_orders(
        "abcd",
        [["a", "b", "c", "d"], ["b", "c", "a", "d"], ["c", "a", ["b", "d"]], ["d", "a"]],
    )
    graph = to_pref_voting(profile).margin_graph()
    assert margin_based_methods.ranked_pairs(
        graph, algorithm="from_stacks"
    ) == margin_based_methods.ranked_pairs(graph)


# --- plurality, Borda, IRV ------------------------------------------------------------------


@CHECKS
@given(TRUNCATED)
def test_plurality_matches_pref_voting(profile: RankedProfile) -> None:
    result = tally("plurality", profile, seed="x")
    assert top_group(result) == set(scoring_methods.plurality(to_pref_voting(profile)))


@CHECKS
@given(ANY)
def test_plurality_ignores_overvotes(profile: RankedProfile) -> None:
    scores = to_pref_voting(profile).plurality_scores_ignoring_overvotes()
    result = tally("plurality", profile, seed="x")
    if not any(scores.values()):
        # every ballot an overvote: pref-voting ties everyone at 0, we decide nothing
        assert result.no_decision == "no-valid-ballots"
    else:
        assert top_group(result) == argmax_set(scores)


@CHECKS
@given(ANY)
def test_borda_average_is_symmetric_borda(profile: RankedProfile) -> None:
    expected = scoring_methods.borda_for_profile_with_ties(
        to_pref_voting(profile), borda_scores=scoring_methods.symmetric_borda_scores
    )
    result = tally("borda", profile, seed="x")
    assert top_group(result) == set(expected)


@CHECKS
@given(TRUNCATED)
def test_borda_zero_is_domination_borda_without_ties(profile: RankedProfile) -> None:
    expected = scoring_methods.borda_for_profile_with_ties(
        to_pref_voting(profile), borda_scores=scoring_methods.domination_borda_scores
    )
    result = tally("borda", profile, seed="x", truncated="zero")
    assert top_group(result) == set(expected)


@pytest.mark.parametrize("rule", ["average", "zero", "modified"])
@CHECKS
@given(profile=COMPLETE)
def test_borda_rules_agree_on_complete_ballots(profile: RankedProfile, rule: str) -> None:
    # On complete strict ballots symmetric Borda is plain Borda, doubled and shifted.
    expected = scoring_methods.borda_for_profile_with_ties(
        to_pref_voting(profile), borda_scores=scoring_methods.symmetric_borda_scores
    )
    result = tally("borda", profile, seed="x", truncated=rule)
    assert top_group(result) == set(expected)


@pytest.mark.parametrize("batch", [False, True])
@CHECKS
@given(profile=ranked_profiles(max_candidates=5, truncated=True), seed=seeds())
def test_irv_winner_is_a_pref_voting_put_winner(
    profile: RankedProfile, seed: str, batch: bool
) -> None:
    put = iterative_methods.instant_runoff_put(to_pref_voting(profile))
    result = tally("irv", profile, seed=seed, batch=batch)
    if result.ties:
        assert winner_index(result) in put
    else:
        assert [winner_index(result)] == put


@CHECKS
@given(IRV_OVERVOTES, seeds())
def test_irv_overvote_among_first_preferences_counts_for_nobody(
    profile: RankedProfile, seed: str
) -> None:
    truncated, _ = to_pref_voting(profile).truncate_overvotes()
    put = iterative_methods.instant_runoff_put(truncated)
    result = tally("irv", profile, seed=seed)
    if result.ties:
        assert winner_index(result) in put
    else:
        assert [winner_index(result)] == put


# --- the harness itself -----------------------------------------------------------------------


@CHECKS
@given(STRICT_ODD)
def test_strict_odd_profiles_have_no_pairwise_ties(profile: RankedProfile) -> None:
    pw = profile.pairwise()
    off = ~np.eye(profile.n_candidates, dtype=bool)
    assert (pw != pw.T)[off].all()
    assert profile.total % 2 == 1


def test_lot_order_is_a_permutation() -> None:
    profile = RankedProfile.from_orders("abcd", [["a"]])
    order = lot_order(profile, "7")
    assert sorted(order) == [0, 1, 2, 3]
    assert order in [list(p) for p in permutations(range(4))]
