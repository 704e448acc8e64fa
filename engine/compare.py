"""Run every applicable method on one profile and say whether they agree.

Burlington 2009 and Alaska 2022 are the classic cases where they do not: the instant
runoff winner is not the Condorcet winner.
"""

from __future__ import annotations

from msgspec import UNSET, Struct, UnsetType

from engine.errors import TieUnresolved
from engine.methods.pairwise import condorcet_winner, smith_set
from engine.profile import ApprovalProfile, Profile, RankedProfile
from engine.registry import tally
from engine.result import NoDecision, Result


class MethodVerdict(Struct, frozen=True, kw_only=True):
    """One method's winners on the profile (``tied`` when only a lot could decide).

    ``no_decision`` is the method's reason when it decided nothing (see
    :class:`~engine.result.Result`); left out of the JSON otherwise, as there.
    """

    method: str
    winners: tuple[str, ...]
    tied: tuple[str, ...] = ()
    no_decision: NoDecision | UnsetType = UNSET


class Comparison(Struct, frozen=True, kw_only=True):
    """The methods' verdicts side by side.

    ``agree`` is true when every method names the same winners. ``condorcet_winner`` is
    the candidate who beats every other head to head (``None`` if there is none);
    ``smith_set`` is the smallest group that beats everyone outside it;
    ``condorcet_misses`` names the methods that do not elect the Condorcet winner.
    With no ballots (or blank ones only) every verdict is "no decision", and there is no
    Condorcet winner and no Smith set to name.
    """

    candidates: tuple[str, ...]
    ballots: int
    seats: int
    verdicts: tuple[MethodVerdict, ...]
    agree: bool
    condorcet_winner: str | None = None
    smith_set: tuple[str, ...] = ()
    condorcet_misses: tuple[str, ...] = ()


RANKED_COMPARISON = (
    "plurality",
    "irv",
    "borda",
    "bucklin",
    "schulze",
    "ranked-pairs",
    "copeland",
    "minimax",
)


def compare(profile: Profile, *, seats: int = 1, seed: str | int | None = None) -> Comparison:
    """Count ``profile`` with every applicable method (STV for several seats)."""
    if isinstance(profile, RankedProfile):
        names = list(RANKED_COMPARISON) if seats == 1 else ["stv", "irv", "schulze", "borda"]
    elif isinstance(profile, ApprovalProfile):
        names = ["approval"] + (["greedy", "equal-shares"] if profile.costs is not None else [])
    else:
        names = ["score", "star"]
    verdicts = [_verdict(name, profile, seats, seed) for name in names]
    winners = {v.winners for v in verdicts}
    cw: str | None = None
    smith: tuple[str, ...] = ()
    notes: list[str] = []
    if isinstance(profile, RankedProfile) and profile.marked:
        pairwise = profile.pairwise()
        found = condorcet_winner(pairwise)
        cw = None if found is None else profile.candidates[found]
        smith = tuple(profile.candidates[i] for i in smith_set(pairwise))
        if cw is not None and seats == 1:
            notes = [v.method for v in verdicts if v.winners != (cw,)]
    return Comparison(
        candidates=profile.candidates,
        ballots=profile.total,
        seats=seats,
        verdicts=tuple(verdicts),
        agree=len(winners) == 1,
        condorcet_winner=cw,
        smith_set=smith,
        condorcet_misses=tuple(notes),
    )


def _verdict(name: str, profile: Profile, seats: int, seed: str | int | None) -> MethodVerdict:
    try:
        result: Result = tally(name, profile, seats=seats, seed=seed)
    except TieUnresolved as tie:
        return MethodVerdict(method=name, winners=(), tied=tie.tied)
    return MethodVerdict(method=name, winners=result.winners, no_decision=result.no_decision)
