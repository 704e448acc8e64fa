"""Pairwise (Condorcet-family) methods: Copeland, Schulze, ranked pairs and minimax.

Each reads only the pairwise matrix ``P`` (``P[i, j]`` = voters ranking ``i`` strictly above
``j``; see :meth:`~engine.profile.RankedProfile.pairwise`) and returns a weak order.
The helpers that say *why* (:func:`strict_cycle`, :func:`beat_paths`,
:func:`strongest_path`, :func:`lock_order`) take the plain matrix a
:class:`~engine.result.Result` carries and answer in plain ints, and the methods count
with the same code, so an explanation cannot drift from the count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from engine.errors import ProfileError
from engine.methods.common import groups_by_score
from engine.profile import RankedProfile
from engine.registry import OptionSpec, Outcome, method
from engine.result import Option
from engine.tiebreak import TieBreaker

IntMatrix = NDArray[np.int64]
BoolMatrix = NDArray[np.bool_]
Matrix = IntMatrix | Sequence[Sequence[int]]
"""A pairwise matrix: the engine's array, or the plain rows a :class:`Result` carries."""

CLAIMS = ("anonymous", "neutral", "condorcet")
STRENGTHS = ("winning", "margin")


def _square(pairwise: Matrix) -> IntMatrix:
    pw = np.asarray(pairwise, dtype=np.int64)
    if pw.ndim != 2 or pw.shape[0] != pw.shape[1]:
        raise ProfileError(f"a pairwise matrix must be square, got shape {pw.shape}")
    return pw


def condorcet_winner(pairwise: Matrix) -> int | None:
    """The candidate who beats every other one head to head (strictly), or ``None``."""
    pw = _square(pairwise)
    m = pw.shape[0]
    beats = pw > pw.T
    wins = beats.sum(axis=1)
    found = np.flatnonzero(wins == m - 1)
    return int(found[0]) if found.size else None


def smith_set(pairwise: Matrix) -> list[int]:
    """The smallest non-empty group whose members each beat every candidate outside it.

    Computed as the top class of the transitive closure of "beats or ties" (``P[i, j] >=
    P[j, i]``): the candidates who reach every other candidate along such steps. Sorted.
    """
    pw = _square(pairwise)
    reach = _closure(pw >= pw.T)
    return [int(i) for i in np.flatnonzero(reach.all(axis=1))]


def strict_cycle(pairwise: Matrix, among: Sequence[int]) -> list[int]:
    """A shortest cycle of strict head-to-head wins among ``among`` (``[a, b, c]``: ``a``
    beats ``b``, ``b`` beats ``c``, ``c`` beats ``a``), or ``[]`` when there is none.

    Among equally short cycles, the one starting at the lowest index, then the one whose
    steps go to the lowest indices first. Ties (equal numbers each way) are never steps:
    two leaders who tie and beat everyone else form no cycle.
    """
    pw = _square(pairwise)
    beats = pw > pw.T
    members = sorted(set(among))
    best: list[int] = []
    for start in members:
        parent = {start: start}
        frontier = [start]
        found: list[int] = []
        while frontier and not found:
            following: list[int] = []
            for node in frontier:
                if beats[node, start] and node != start:
                    found = _path_to(parent, node)
                    break
                for nxt in members:
                    if beats[node, nxt] and nxt not in parent:
                        parent[nxt] = node
                        following.append(nxt)
            frontier = following
        if found and (not best or len(found) < len(best)):
            best = found
    return best


def _path_to(parent: dict[int, int], node: int) -> list[int]:
    path = [node]
    while parent[path[-1]] != path[-1]:
        path.append(parent[path[-1]])
    return path[::-1]


def _closure(relation: BoolMatrix) -> BoolMatrix:
    """Reflexive-transitive closure of a boolean relation (Warshall, one pass per candidate)."""
    reach = relation.copy()
    np.fill_diagonal(reach, True)
    for k in range(reach.shape[0]):
        reach |= reach[:, k : k + 1] & reach[k : k + 1, :]
    return reach


def _strength(pw: IntMatrix, kind: Option) -> IntMatrix:
    """Strength of each pairwise defeat (0 where ``i`` does not beat ``j``)."""
    wins = pw > pw.T
    value = pw - pw.T if kind == "margin" else pw
    return np.where(wins, value, 0).astype(np.int64)


def _beat_path_matrix(pw: IntMatrix, kind: Option) -> IntMatrix:
    """Strength of the strongest path from each candidate to each other (Floyd-Warshall
    over defeats, a path being as strong as its weakest defeat; 0: no path)."""
    d = _strength(pw, kind)
    for k in range(d.shape[0]):
        d = np.maximum(d, np.minimum(d[:, k : k + 1], d[k : k + 1, :]))
    return d


def beat_paths(pairwise: Matrix, strength: Option = "winning") -> list[list[int]]:
    """Schulze's strongest-path strengths: ``[a][b]`` is how strong the strongest chain of
    head-to-head wins from ``a`` to ``b`` is (its weakest link; 0 when there is none).
    ``strength`` as for :func:`schulze`: ``winning`` votes or ``margin``; 0 on the diagonal."""
    d = _beat_path_matrix(_square(pairwise), strength)
    np.fill_diagonal(d, 0)
    return [[int(v) for v in row] for row in d]


def strongest_path(
    pairwise: Matrix,
    source: int,
    target: int,
    strength: Option = "winning",
) -> list[int]:
    """One strongest path from ``source`` to ``target`` (both included), or ``[]``.

    Of the strongest paths, one with the fewest steps, visiting lower indices first: the
    candidates reached from ``source`` along defeats at least as strong as the strongest
    path's strength, breadth first.
    """
    pw = _square(pairwise)
    links = _strength(pw, strength)
    best = int(_beat_path_matrix(pw, strength)[source, target])
    if best <= 0 or source == target:
        return []
    parent = {source: source}
    frontier = [source]
    while frontier:
        following: list[int] = []
        for node in frontier:
            for nxt in range(pw.shape[0]):
                if links[node, nxt] >= best and nxt not in parent:
                    parent[nxt] = node
                    if nxt == target:
                        return _path_to(parent, nxt)
                    following.append(nxt)
        frontier = following
    return []  # unreachable: a strongest path of strength ``best`` exists


class Lock(NamedTuple):
    """One pair considered by ranked pairs, in the order considered: ``winner`` beat
    ``loser`` by ``margin`` votes; ``locked`` is false when it would have closed a cycle."""

    winner: int
    loser: int
    margin: int
    locked: bool


def lock_order(
    pairwise: Matrix,
    draw: Callable[[list[int]], list[int]] | None = None,
) -> list[Lock]:
    """Every head-to-head win in the order ranked pairs considers it, and whether it was
    locked (see :func:`ranked_pairs`).

    ``draw`` puts candidates in lot order where pairs of equal margin conflict; it gets the
    candidates involved (sorted indices). Without it they keep index order.
    """
    steps, _, _ = _lock_all(_square(pairwise), draw or (lambda c: c))
    return steps


def _lock_all(
    pw: IntMatrix, draw: Callable[[list[int]], list[int]]
) -> tuple[list[Lock], BoolMatrix, BoolMatrix]:
    """Ranked pairs' locking: the pairs in the order considered, the locked relation and
    its reflexive-transitive closure."""
    m = pw.shape[0]
    margin = pw - pw.T
    reach = np.eye(m, dtype=bool)  # reach[a, b]: a is locked above b (or a == b)
    locked = np.zeros((m, m), dtype=bool)
    steps: list[Lock] = []
    for value in sorted({int(v) for v in margin[margin > 0]}, reverse=True):
        group = [(int(a), int(b)) for a, b in zip(*np.nonzero(margin == value), strict=True)]
        closed = [(a, b) for a, b in group if reach[b, a]]
        open_pairs = [(a, b) for a, b in group if not reach[b, a]]
        trial_reach, trial_locked = reach.copy(), locked.copy()
        if all(_lock(trial_reach, trial_locked, a, b) for a, b in open_pairs):
            reach, locked = trial_reach, trial_locked
            considered = [(a, b, True) for a, b in open_pairs]
        else:
            involved = sorted({c for pair in open_pairs for c in pair})
            drawn = draw(involved)
            place = {c: n for n, c in enumerate(drawn)}
            considered = [
                (a, b, _lock(reach, locked, a, b))
                for a, b in sorted(open_pairs, key=lambda p: (place[p[0]], place[p[1]]))
            ]
        steps += [Lock(a, b, value, ok) for a, b, ok in considered]
        steps += [Lock(a, b, value, False) for a, b in closed]
    return steps, locked, reach


def _layers(beats: BoolMatrix) -> list[list[int]]:
    """Weak order from an acyclic "beats" relation: repeatedly take the unbeaten candidates."""
    left = list(range(beats.shape[0]))
    out: list[list[int]] = []
    while left:
        sub = beats[np.ix_(left, left)]
        beaten: BoolMatrix = np.asarray(sub.any(axis=0))
        top = [c for n, c in enumerate(left) if not beaten[n]]
        if not top:  # cannot happen for an acyclic relation; keep the rest tied
            top = left
        out.append(top)
        left = [c for c in left if c not in top]
    return out


@method(
    "copeland",
    accepts="ranked",
    summary="Pairwise contests: one point per win and half a point per tie; most points wins.",
    summary_zh="两两比较，赢一场得一分、打平得半分，得分最多的胜出",
    claims=CLAIMS,
)
def copeland(
    profile: RankedProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """Copeland's method.

    A candidate scores 1 for each pairwise win and ½ for each pairwise tie (equal numbers
    of voters each way), including ties of 0 to 0.
    Candidates with equal Copeland scores are tied in the ranking, and the lot breaks such a
    tie where it decides a seat.
    """
    pw = profile.pairwise()
    wins = (pw > pw.T).sum(axis=1)
    ties = (pw == pw.T).sum(axis=1) - 1
    scores = [float(s) for s in wins + 0.5 * ties]
    return Outcome(ranking=groups_by_score(scores), pairwise=pw, scores=scores)


@method(
    "schulze",
    accepts="ranked",
    summary="Beat-path method: a beats b if a's strongest chain of pairwise wins to b is stronger.",
    summary_zh="两两比较，看谁能通过一条更强的支持链胜过所有人",
    options={
        "strength": OptionSpec(
            default="winning",
            choices=STRENGTHS,
            help="strength of a pairwise defeat: winning votes (as Debian) or margin",
        )
    },
    claims=CLAIMS,
)
def schulze(
    profile: RankedProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """The Schulze (beat-path) method.

    A defeat's strength is by default its winning votes (``P[a, b]`` when ``P[a, b] >
    P[b, a]``), or with ``strength="margin"`` its margin; a path's strength is its weakest
    defeat, and ``a`` beats ``b`` when the strongest path from ``a`` to ``b`` is stronger than
    the strongest from ``b`` to ``a``. A pairwise tie is no defeat and so no path step.
    Candidates whose strongest paths to each other are equally strong are tied in the
    ranking, and the lot breaks such a tie where it decides a seat.
    Scores count how many candidates each one beats by beat path.
    """
    pw = profile.pairwise()
    d = _beat_path_matrix(pw, options["strength"])
    beats = d > d.T
    return Outcome(
        ranking=_layers(beats),
        pairwise=pw,
        scores=[float(s) for s in beats.sum(axis=1)],
    )


@method(
    "ranked-pairs",
    accepts="ranked",
    summary="Tideman's ranked pairs: lock pairwise wins from largest margin down, skip cycles.",
    summary_zh="两两比较，从领先最多的一对开始逐对定下先后，与已定结果矛盾的就跳过",
    claims=CLAIMS,
)
def ranked_pairs(
    profile: RankedProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """Tideman's ranked pairs, locking by margin.

    Pairwise wins are locked from the largest margin down, skipping any that would close a
    cycle with those already locked; a pairwise tie (margin 0) is never locked, so its two
    candidates may stay tied in the ranking.
    Pairs of equal margin whose locking order matters (some can be locked, but not all
    together) are put in lot order: the candidates they involve are drawn by lot, and the
    pairs are taken by their winner's place in that draw, then their loser's (Tideman's
    tie-breaking ranking of candidates).
    The ranking repeatedly takes the candidates with no locked defeat; scores count how
    many candidates each one is locked above, directly or through others.
    """
    pw = profile.pairwise()
    _, locked, reach = _lock_all(pw, lambda involved: tb.order(involved, purpose="rank"))
    return Outcome(
        ranking=_layers(locked),
        pairwise=pw,
        scores=[float(s) for s in reach.sum(axis=1) - 1],
    )


def _lock(reach: BoolMatrix, locked: BoolMatrix, a: int, b: int) -> bool:
    """Lock ``a`` over ``b`` unless ``b`` already reaches ``a``; update the closure in place."""
    if reach[b, a]:
        return False
    locked[a, b] = True
    reach |= np.outer(reach[:, a], reach[b, :])
    return True


@method(
    "minimax",
    accepts="ranked",
    summary="Minimax (Simpson-Kramer): the winner's worst pairwise defeat is the smallest.",
    summary_zh="两两比较，看谁输得最惨的那一场输得最少",
    options={
        "strength": OptionSpec(
            default="margin",
            choices=("margin", "winning"),
            help="size of a pairwise defeat: margin, or the winner's votes",
        )
    },
    claims=CLAIMS,
)
def minimax(
    profile: RankedProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """Minimax: rank candidates by their worst pairwise defeat, smallest first.

    A defeat's size is by default its margin, or with ``strength="winning"`` the votes of
    the candidate who wins it; a candidate with no defeat scores 0. Scores are these worst
    defeats (lower is better).
    Candidates with equal worst defeats are tied in the ranking, and the lot breaks such a
    tie where it decides a seat.
    """
    pw = profile.pairwise()
    worst = _strength(pw, options["strength"]).max(axis=0, initial=0)
    scores = [float(s) for s in worst]
    return Outcome(
        ranking=groups_by_score(worst, higher_first=False),
        pairwise=pw,
        scores=scores,
    )
