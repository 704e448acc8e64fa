"""Hand-worked examples and tie conventions for the pairwise (Condorcet-family) methods."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from engine import OptionError, ProfileError, RankedProfile, TieUnresolved, tally
from engine.methods.pairwise import (
    Lock,
    beat_paths,
    condorcet_winner,
    lock_order,
    smith_set,
    strict_cycle,
    strongest_path,
)
from engine.registry import get_method
from engine.tiebreak import lot_key

PAIRWISE = ("copeland", "schulze", "ranked-pairs", "minimax")

# The three-voter Condorcet cycle: a>b>c, b>c>a, c>a>b.
# P[a,b] = 2 (voters 1, 3), P[b,c] = 2 (voters 1, 2), P[c,a] = 2 (voters 2, 3); each the
# other way 1. Every pairwise contest is won 2-1 (margin 1), in a cycle a>b>c>a.
CYCLE = RankedProfile.from_orders("abc", [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]])

# Schulze's example as on Wikipedia ("Schulze method", 45 voters, 5 candidates).
WIKI_BALLOTS = [
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
]
WIKI = RankedProfile.from_orders(
    "ABCDE", [list(order) for _, order in WIKI_BALLOTS], [n for n, _ in WIKI_BALLOTS]
)


def groups(result_ranking: tuple[tuple[str, ...], ...] | None) -> list[set[str]]:
    assert result_ranking is not None
    return [set(group) for group in result_ranking]


# --- helpers: condorcet_winner and smith_set -------------------------------------------


def test_condorcet_winner_beats_everyone() -> None:
    # a beats b 3-1 and c 4-0; b beats c 3-1.
    pw = np.array([[0, 3, 4], [1, 0, 3], [0, 1, 0]])
    assert condorcet_winner(pw) == 0
    assert smith_set(pw) == [0]


def test_condorcet_winner_none_in_cycle() -> None:
    pw = CYCLE.pairwise()
    assert pw.tolist() == [[0, 2, 1], [1, 0, 2], [2, 1, 0]]
    assert condorcet_winner(pw) is None
    assert smith_set(pw) == [0, 1, 2]


def test_condorcet_winner_needs_strict_wins() -> None:
    # a and b tie 2-2 and both beat c: no Condorcet winner, and the Smith set is {a, b}.
    pw = np.array([[0, 2, 3], [2, 0, 4], [1, 0, 0]])
    assert condorcet_winner(pw) is None
    assert smith_set(pw) == [0, 1]


def test_smith_set_bigger_than_one_but_not_everyone() -> None:
    # The cycle over a, b, c with d ranked last by all three voters:
    # a, b, c each beat d 3-0, and a>b>c>a 2-1 among themselves.
    profile = RankedProfile.from_orders(
        "abcd", [["a", "b", "c", "d"], ["b", "c", "a", "d"], ["c", "a", "b", "d"]]
    )
    pw = profile.pairwise()
    assert smith_set(pw) == [0, 1, 2]
    assert condorcet_winner(pw) is None
    for name in PAIRWISE:
        ranking = tally(name, profile, seed="s").ranking
        assert ranking is not None
        assert "d" not in ranking[0]
        assert ranking[-1] == ("d",)


def test_helpers_refuse_a_non_square_matrix() -> None:
    with pytest.raises(ProfileError, match=r"must be square, got shape \(2, 3\)"):
        condorcet_winner(np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(ProfileError, match="must be square"):
        smith_set(np.zeros(3, dtype=np.int64))


# --- every pairwise method ---------------------------------------------------------------


@pytest.mark.parametrize("name", PAIRWISE)
def test_registration(name: str) -> None:
    info = get_method(name)
    assert info.accepts == "ranked"
    assert info.claims == {"anonymous", "neutral", "condorcet"}
    assert info.summary
    assert info.summary_zh


@pytest.mark.parametrize("name", PAIRWISE)
def test_pocket_park_condorcet_winner_elected(name: str) -> None:
    # 5 residents: 2 rank 遮阳座椅 > 儿童游乐设施 > 文化墙; 2 rank 儿童游乐设施 > 遮阳座椅 > 文化墙;
    # 1 ranks 文化墙 > 遮阳座椅 > 儿童游乐设施.
    # 遮阳座椅 beats 儿童游乐设施 3-2 and 文化墙 4-1: the Condorcet winner.
    shade, play, wall = "遮阳座椅", "儿童游乐设施", "文化墙"
    profile = RankedProfile.from_orders(
        [play, wall, shade],
        [[shade, play, wall], [play, shade, wall], [wall, shade, play]],
        [2, 2, 1],
    )
    result = tally(name, profile)
    assert result.winners == (shade,)
    assert result.ranking is not None
    assert result.ranking[0] == (shade,)
    assert result.pairwise == ((0, 4, 2), (1, 0, 1), (3, 4, 0))
    assert result.ties == ()


@pytest.mark.parametrize("name", PAIRWISE)
def test_no_ballots_give_no_decision_not_a_lot(name: str) -> None:
    profile = RankedProfile.from_ranks("abc", np.zeros((0, 3), dtype=np.int64))
    for seed in ("empty", None):
        result = tally(name, profile, seed=seed)
        assert result.no_decision == "no-ballots"
        assert (result.winners, result.ranking, result.ties) == ((), None, ())


@pytest.mark.parametrize("name", ["copeland", "schulze", "minimax"])
def test_symmetric_cycle_is_a_three_way_tie(name: str) -> None:
    # Each candidate wins one contest and loses one, all 2-1: nothing separates them.
    result = tally(name, CYCLE, seed="lot")
    assert groups(result.ranking) == [{"a", "b", "c"}]
    assert result.ties[-1].rule == "lot"
    assert result.ties[-1].purpose == "win"


# --- Copeland --------------------------------------------------------------------------


def test_copeland_pairwise_tie_scores_half() -> None:
    # a>b>c and b>a>c: a and b tie 1-1, both beat c 2-0.
    # a: 1 win + ½ tie = 1.5; b: 1.5; c: 0.
    profile = RankedProfile.from_orders("abc", [["a", "b", "c"], ["b", "a", "c"]])
    result = tally("copeland", profile, seed="x")
    assert result.scores == {"a": 1.5, "b": 1.5, "c": 0.0}
    assert groups(result.ranking) == [{"a", "b"}, {"c"}]


def test_copeland_equal_scores_tied_then_lot() -> None:
    # The cycle: every candidate 1 win, 1 loss -> score 1 each, one group.
    result = tally("copeland", CYCLE, seats=2, seed="bench")
    assert result.scores == {"a": 1.0, "b": 1.0, "c": 1.0}
    drawn = sorted("abc", key=lambda n: lot_key("bench", n))
    assert set(result.winners) == set(drawn[:2])
    (tie,) = result.ties
    assert (tie.purpose, tie.rule, tie.tied) == ("win", "lot", ("a", "b", "c"))
    with pytest.raises(TieUnresolved, match="no lot seed"):
        tally("copeland", CYCLE)


# --- Schulze ---------------------------------------------------------------------------


@pytest.mark.parametrize("strength", ["winning", "margin"])
def test_schulze_wikipedia_example(strength: str) -> None:
    # Pairwise d[X,Y] (row beats column):
    #        A   B   C   D   E
    #   A    -  20  26  30  22
    #   B   25   -  16  33  18
    #   C   19  29   -  17  24
    #   D   15  12  28   -  14
    #   E   23  27  21  31   -
    # Strongest paths (winning votes): p[E,A] = 25 (E-D-C-A: min 31, 28, 25) > p[A,E] = 24
    # (A-C-E), and likewise E beats B (28 > 24), C (28 > 24), D (31 > 24): E wins, and the
    # full order is E > A > C > B > D. Margins give the same order on complete ballots.
    assert WIKI.pairwise()[0].tolist() == [0, 20, 26, 30, 22]
    result = tally("schulze", WIKI, strength=strength)
    assert result.winners == ("E",)
    assert result.ranking == (("E",), ("A",), ("C",), ("B",), ("D",))
    assert result.scores == {"A": 3.0, "B": 1.0, "C": 2.0, "D": 0.0, "E": 4.0}


def test_schulze_default_strength_is_winning_votes() -> None:
    assert get_method("schulze").options["strength"].default == "winning"
    assert tally("schulze", WIKI).options["strength"] == "winning"


def test_schulze_pairwise_tie_is_no_defeat() -> None:
    # a>b and b>a: a 1-1 pairwise tie, so neither has a path to the other.
    profile = RankedProfile.from_orders("ab", [["a", "b"], ["b", "a"]])
    result = tally("schulze", profile, seed="x")
    assert groups(result.ranking) == [{"a", "b"}]
    assert result.scores == {"a": 0.0, "b": 0.0}


def test_schulze_equal_paths_tied_then_lot() -> None:
    # The cycle: every strongest path has strength 2 both ways, so all three are tied.
    result = tally("schulze", CYCLE, seed="bench")
    assert result.winners == (min("abc", key=lambda n: lot_key("bench", n)),)
    assert [t.rule for t in result.ties] == ["lot"]


def test_schulze_refuses_an_unknown_strength() -> None:
    with pytest.raises(OptionError, match="option strength must be one of winning, margin"):
        tally("schulze", CYCLE, strength="ratio")


# --- Ranked pairs ----------------------------------------------------------------------


def test_ranked_pairs_skips_the_edge_that_closes_a_cycle() -> None:
    # 7 a>b>c, 5 b>c>a, 4 c>a>b (16 voters).
    # a-b: 7+4 = 11 vs 5 -> a>b by 6; b-c: 7+5 = 12 vs 4 -> b>c by 8; c-a: 5+4 = 9 vs 7 -> c>a by 2.
    # Lock b>c (8), lock a>b (6), skip c>a (2): it would close a>b>c>a.
    profile = RankedProfile.from_orders(
        "abc", [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]], [7, 5, 4]
    )
    result = tally("ranked-pairs", profile)
    assert result.ranking == (("a",), ("b",), ("c",))
    assert result.scores == {"a": 2.0, "b": 1.0, "c": 0.0}
    assert result.ties == ()


def test_ranked_pairs_wikipedia_schulze_example_elects_a() -> None:
    # Margins, largest first: B>D 21, E>D 17, A>D 15, C>B 13, D>C 11, E>B 9, A>C 7, B>A 5,
    # C>E 3, E>A 1.
    # Lock B>D, E>D, A>D, C>B; skip D>C (C>B>D already); lock E>B, A>C; skip B>A (A>C>B);
    # lock C>E (E does not reach C); skip E>A (A>C>E). Order A > C > E > B > D.
    result = tally("ranked-pairs", WIKI)
    assert result.ranking == (("A",), ("C",), ("E",), ("B",), ("D",))
    assert result.ties == ()


def test_ranked_pairs_zero_margin_never_locked() -> None:
    # a>b>c and b>a>c: a-b tie 1-1 (margin 0, not locked); a>c and b>c by 2 are locked.
    profile = RankedProfile.from_orders("abc", [["a", "b", "c"], ["b", "a", "c"]])
    result = tally("ranked-pairs", profile, seed="x")
    assert groups(result.ranking) == [{"a", "b"}, {"c"}]
    assert [(t.purpose, t.rule) for t in result.ties] == [("win", "lot")]


def test_ranked_pairs_uncontested_equal_margins_need_no_lot() -> None:
    # a>b>c once: a>b, a>c, b>c all by margin 1, and they can all be locked together.
    profile = RankedProfile.from_orders("abc", [["a", "b", "c"]])
    result = tally("ranked-pairs", profile)
    assert result.ranking == (("a",), ("b",), ("c",))
    assert result.ties == ()


def test_ranked_pairs_equal_margins_in_lot_order() -> None:
    # The cycle: a>b, b>c, c>a all by margin 1 and they cannot all be locked. The lot orders
    # a, b, c; the pair won by the first drawn is locked first, then the second drawn's;
    # the third drawn's pair would close the cycle and is skipped.
    # E.g. drawn (b, a, c): lock b>c, lock a>b, skip c>a -> a > b > c.
    for seed in ["1", "2", "3", "4", "5", "6"]:
        drawn = sorted("abc", key=lambda n: lot_key(seed, n))
        beats = {"a": "b", "b": "c", "c": "a"}
        # the third drawn loses its pair; the one it would have beaten heads the order
        top = beats[drawn[2]]
        result = tally("ranked-pairs", CYCLE, seed=seed)
        assert result.winners == (top,), seed
        assert len(result.ranking or ()) == 3
        (tie,) = result.ties
        assert (tie.purpose, tie.rule, tie.tied) == ("rank", "lot", ("a", "b", "c"))
        assert tie.chosen == tuple(drawn)


def test_ranked_pairs_contested_lot_needs_a_seed() -> None:
    with pytest.raises(TieUnresolved, match="a, b, c"):
        tally("ranked-pairs", CYCLE)


# --- Minimax ---------------------------------------------------------------------------


def test_minimax_default_strength_is_margin() -> None:
    assert get_method("minimax").options["strength"].default == "margin"


@pytest.mark.parametrize(("strength", "winner"), [("margin", "b"), ("winning", "a")])
def test_minimax_strength_option(strength: str, winner: str) -> None:
    # 4 b>a (c unranked), 3 c (a, b unranked), 2 a>c (b unranked); unranked are below ranked.
    # b beats a 4-2 (margin 2), a beats c 6-3 (margin 3), c beats b 5-4 (margin 1).
    # Worst defeats by margin: a 2, b 1, c 3 -> b.  By winning votes: a 4, b 5, c 6 -> a.
    profile = RankedProfile.from_orders("abc", [["b", "a"], ["c"], ["a", "c"]], [4, 3, 2])
    assert profile.pairwise().tolist() == [[0, 2, 6], [4, 0, 4], [3, 5, 0]]
    result = tally("minimax", profile, strength=strength)
    assert result.winners == (winner,)
    expected = {"margin": [2.0, 1.0, 3.0], "winning": [4.0, 5.0, 6.0]}[strength]
    assert result.scores == dict(zip("abc", expected, strict=True))


def test_minimax_equal_worst_defeats_tied_then_lot() -> None:
    # The cycle: every candidate's worst (only) defeat is 2-1, margin 1.
    result = tally("minimax", CYCLE, seed="s")
    assert result.scores == {"a": 1.0, "b": 1.0, "c": 1.0}
    assert groups(result.ranking) == [{"a", "b", "c"}]


def test_minimax_undefeated_candidate_scores_zero() -> None:
    # a>b twice: a has no defeat (0); b loses 0-2 (margin 2).
    profile = RankedProfile.from_orders("ab", [["a", "b"]], [2])
    result = tally("minimax", profile)
    assert result.scores == {"a": 0.0, "b": 2.0}


# --- helpers that say why: cycles, beat paths, locked pairs -----------------------------


def test_a_tie_between_two_leaders_is_no_cycle() -> None:
    # a and b tie 2-2 and both beat c: the Smith set is {a, b}, but no strict cycle
    pw = np.array([[0, 2, 3], [2, 0, 4], [1, 0, 0]])
    assert strict_cycle(pw, smith_set(pw)) == []
    assert strict_cycle(CYCLE.pairwise(), [0, 1, 2]) == [0, 1, 2]
    # the cycle a>b>c>a over a fourth candidate all of them beat
    four = RankedProfile.from_orders(
        "abcd", [["a", "b", "c", "d"], ["b", "c", "a", "d"], ["c", "a", "b", "d"]]
    ).pairwise()
    assert strict_cycle(four, smith_set(four)) == [0, 1, 2]
    assert strict_cycle(four.tolist(), [0, 3]) == []  # plain rows work as well


def test_beat_paths_are_wikipedias_strongest_paths() -> None:
    # Wikipedia's table of strongest paths p[X, Y] for the 45-voter example
    assert beat_paths(WIKI.pairwise()) == [
        [0, 28, 28, 30, 24],
        [25, 0, 28, 33, 24],
        [25, 29, 0, 29, 24],
        [25, 28, 28, 0, 24],
        [25, 28, 28, 31, 0],
    ]


def test_a_strongest_path_is_as_strong_as_its_weakest_win() -> None:
    pw = WIKI.pairwise()
    paths = beat_paths(pw)
    for a in range(5):
        for b in range(5):
            if a == b:
                assert strongest_path(pw, a, b) == []
                continue
            path = strongest_path(pw, a, b)
            assert path[0] == a
            assert path[-1] == b
            links = [int(pw[x, y]) for x, y in itertools.pairwise(path)]
            assert all(pw[x, y] > pw[y, x] for x, y in itertools.pairwise(path))
            assert min(links) == paths[a][b]
    assert strongest_path(pw, 0, 2) == [0, 3, 2]  # A -> D (30) -> C (28): 28


def test_lock_order_is_the_order_ranked_pairs_locks_in() -> None:
    # margins on Wikipedia's example: B>D 21, E>D 17, A>D 15, C>B 13, D>C 11 (closes
    # C>B>D>C: skipped), E>B 9, A>C 7, B>A 5 (skipped), C>E 3, E>A 1 (skipped)
    steps = lock_order(WIKI.pairwise())
    assert steps == [
        Lock(1, 3, 21, True),
        Lock(4, 3, 17, True),
        Lock(0, 3, 15, True),
        Lock(2, 1, 13, True),
        Lock(3, 2, 11, False),
        Lock(4, 1, 9, True),
        Lock(0, 2, 7, True),
        Lock(1, 0, 5, False),
        Lock(2, 4, 3, True),
        Lock(4, 0, 1, False),
    ]
    assert tally("ranked-pairs", WIKI).winners == ("A",)
