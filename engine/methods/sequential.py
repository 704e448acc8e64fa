"""Sequential instant runoff (multi-pass IRV): one instant runoff per seat over the same
ballots, each pass's winner taken off the ballots of the passes after it."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from engine.methods.common import FirstPreferences
from engine.methods.irv import IRV_OPTIONS, Pass, RunoffRules, runoff_pass
from engine.profile import RankedProfile
from engine.registry import Outcome, method
from engine.result import Option, Round
from engine.tiebreak import TieBreaker

PASS_SEP = ":"
"""Between a pass and the round's own note: ``pass-2:elimination``."""


def pass_note(number: int, code: str) -> str:
    """A round's note in pass ``number``: ``pass-2:majority``."""
    return f"pass-{number}{PASS_SEP}{code}"


def split_pass(note: str) -> tuple[int | None, str]:
    """The pass and the round's own note (``None`` and the note itself outside a pass)."""
    head, sep, code = note.partition(PASS_SEP)
    if sep and head.startswith("pass-") and head[5:].isdigit():
        return int(head[5:]), code
    return None, note


@method(
    "sequential-irv",
    accepts="ranked",
    summary="Sequential IRV: one instant runoff per seat, each winner taken off the later passes.",
    summary_zh="每个名额计一遍即时决选，前几遍的当选方案不再参加后面的计票",
    options=IRV_OPTIONS,
    claims=("anonymous", "neutral", "majority"),
    multiwinner=True,
)
def sequential_irv(
    profile: RankedProfile, tb: TieBreaker, seats: int, options: Mapping[str, Option]
) -> Outcome:
    """Sequential IRV.

    Pass ``p`` (``p = 1 .. seats``) is an instant runoff with the options of ``irv`` over
    every ballot, with the winners of passes ``1 .. p-1`` taken off the ballots (a ballot
    counts for its highest-ranked candidate not yet elected); its winner takes seat ``p``.
    The rounds of all passes are numbered on from one pass to the next, each round's note
    naming its pass (``pass-2:elimination``). A pass in which no ballot counts for anyone
    is decided by the ordinary rules (ties by the lot); when no candidate but the
    write-in is left, the passes end.
    """
    rules = RunoffRules.of(profile, options)
    winners: list[int] = []
    rounds: list[Round] = []
    last: Pass | None = None
    for number in range(1, seats + 1):
        run = runoff_pass(
            profile,
            FirstPreferences(profile, without=winners),
            tb,
            rules,
            first_number=len(rounds) + 1,
            note=partial(pass_note, number),
            empty_decides=number > 1,
        )
        if run.winner is None:
            if number == 1:
                return Outcome(no_decision="no-valid-ballots")
            break
        winners.append(run.winner)
        rounds.extend(run.rounds)
        last = run
    assert last is not None  # the first pass elected someone
    ranking = [[w] for w in winners[:-1]] + last.ranking
    return Outcome(winners=winners, ranking=ranking, rounds=rounds)
