"""One small election, hand-worked, that the tests of each certified tabulator's record format
write in that format: the ballots, the profile each overvote rule gives, and every round of
its instant-runoff count.

The record holds two contests. *Mayor* (Alice, Bob, Carol and a write-in line), ranked, on
ballots 1-11; *Council* (Dan, Erin) on ballots 1, 2 and 12 (ballot 12 does not hold Mayor).
A rank is a name, a tuple of names (an overvote) or ``None`` (nothing marked there).
"""

from __future__ import annotations

from ballots.box import BallotBox
from ballots.formats.cvr import WRITE_IN_NAME
from engine.profile import UNRANKED, RankedProfile
from engine.registry import tally

UWI = "Undeclared Write-ins"
WRITE_IN = "WI"
"""The write-in line in :data:`MAYOR` (each format writes it its own way)."""

Rank = str | tuple[str, ...] | None

MAYOR: list[list[Rank]] = [
    ["Alice", "Bob", "Carol"],  # 1
    ["Alice", None, "Bob"],  # 2: rank 2 skipped
    ["Alice", "Carol"],  # 3
    ["Alice"],  # 4
    ["Bob", "Alice"],  # 5
    ["Bob", "Carol"],  # 6
    ["Bob", "Carol"],  # 7
    [("Alice", "Bob"), "Carol"],  # 8: overvote at rank 1
    [WRITE_IN, "Bob"],  # 9: an undeclared write-in first
    ["Carol", "Bob"],  # 10
    ["Carol", ("Bob", WRITE_IN)],  # 11: overvote at rank 2
]
"""Mayor's ballots, 1 to 11."""

COUNCIL: dict[int, list[Rank]] = {0: ["Dan", "Erin"], 1: ["Erin"], 11: ["Dan"]}
"""Council's ballots by ballot index (0 is ballot 1); ballot 12 holds only Council."""

BALLOTS = 12

Groups = tuple[tuple[str, ...], ...]

_COMMON: dict[Groups, int] = {
    (("Alice",), ("Bob",), ("Carol",)): 1,
    (("Alice",), ("Bob",)): 1,  # ballot 2: the skipped rank passed over
    (("Alice",), ("Carol",)): 1,
    (("Alice",),): 1,
    (("Bob",), ("Alice",)): 1,
    (("Bob",), ("Carol",)): 2,
    ((UWI,), ("Bob",)): 1,
    (("Carol",), ("Bob",)): 1,
}

ROWS: dict[str, dict[Groups, int]] = {
    # skip: ballot 8 passes over its overvote to Carol; ballot 11 passes over rank 2
    "skip": {**_COMMON, (("Carol",),): 2},
    # exhaust: ballot 8 ends before any rank counts; ballot 11 ends after Carol
    "exhaust": {**_COMMON, (("Carol",),): 1, (): 1},
    # exhaust-if-multiple: an overvote is a tie of its candidates
    "exhaust-if-multiple": {
        **_COMMON,
        (("Alice", "Bob"), ("Carol",)): 1,
        (("Carol",), ("Bob", UWI)): 1,
    },
}
"""Mayor's distinct ballots, best group first, with their counts, under each overvote rule."""

Step = tuple[dict[str, float], float, tuple[str, ...], tuple[str, ...]]
"""One count step: the tallies, the exhausted ballots, eliminated, elected."""

ROUNDS: dict[str, list[Step]] = {
    # first choices A 4 (1-4), B 3 (5-7), C 3 (8 by its second rank, 10, 11), UWI 1 (9).
    # Step 2: UWI's ballot 9 goes to Bob. Step 3: Carol's ballots 8 and 11 have nobody left,
    # 10 goes to Bob: Bob 5 of the 9 still counting, a majority.
    "skip": [
        ({"Alice": 4, "Bob": 3, "Carol": 3, UWI: 1}, 0, (UWI,), ()),
        ({"Alice": 4, "Bob": 4, "Carol": 3}, 0, ("Carol",), ()),
        ({"Alice": 4, "Bob": 5}, 2, (), ("Bob",)),
    ],
    # ballot 8 counts for nobody from the start; Carol has 10 and 11. Step 3: 10 goes to
    # Bob, 11 ends at its overvote: Bob 5 of 9.
    "exhaust": [
        ({"Alice": 4, "Bob": 3, "Carol": 2, UWI: 1}, 1, (UWI,), ()),
        ({"Alice": 4, "Bob": 4, "Carol": 2}, 1, ("Carol",), ()),
        ({"Alice": 4, "Bob": 5}, 2, (), ("Bob",)),
    ],
    # ballot 8's Alice and Bob both continue: it ends at once. Step 3: ballot 11's overvote
    # of Bob and the write-ins (eliminated in step 1) counts for Bob alone: Bob 6 of 10.
    "exhaust-if-multiple": [
        ({"Alice": 4, "Bob": 3, "Carol": 2, UWI: 1}, 1, (UWI,), ()),
        ({"Alice": 4, "Bob": 4, "Carol": 2}, 1, ("Carol",), ()),
        ({"Alice": 4, "Bob": 6}, 1, (), ("Bob",)),
    ],
}

COUNCIL_ROWS: dict[Groups, int] = {(("Dan",), ("Erin",)): 1, (("Erin",),): 1, (("Dan",),): 1}


def groups(box: BallotBox) -> dict[Groups, int]:
    """Each distinct ballot of a box as its groups of names, best first (a tie shares a
    group, names sorted), with its count."""
    profile = box.profile
    assert isinstance(profile, RankedProfile)
    out: dict[Groups, int] = {}
    for row, count in zip(profile.ranks.tolist(), profile.counts.tolist(), strict=True):
        levels = sorted({r for r in row if r != UNRANKED})
        key = tuple(
            tuple(sorted(profile.candidates[c] for c, r in enumerate(row) if r == level))
            for level in levels
        )
        out[key] = out.get(key, 0) + count
    return out


def check_mayor(box: BallotBox, rule: str = "skip") -> None:
    """``box`` holds Mayor's ballots as ``rule`` reads them, and counts as hand-worked."""
    assert box.profile.candidates == ("Alice", "Bob", "Carol", WRITE_IN_NAME)
    assert groups(box) == ROWS[rule]
    result = tally("irv", box.profile)
    assert result.winners == ("Bob",)
    steps = [
        (dict(step.tallies), step.exhausted, step.eliminated, step.elected)
        for step in result.rounds
    ]
    assert steps == ROUNDS[rule]
