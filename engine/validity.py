"""Whether a counted decision is valid under the rule a community set before voting: a quorum
(enough households, codes or residents took part) and a winner's share (the winner holds at
least a set share of the valid ballots). Pure arithmetic on whole numbers: the service counts
who took part, this module decides, and says why not.

Conventions, one sentence each (each pinned by a test in ``tests/engine/test_validity.py``):

- A share is a fraction ``numerator/denominator`` and is compared in whole numbers, so "at
  least half" of 30 households is 15, exactly half is enough, and 2/3 has no rounding.
- A ``strict`` share (过半数 for 1/2) needs strictly more than the fraction: of 30 households
  16, exactly half is not enough.
- The quorum's required number is the share of the base rounded up (half of 31 is 16), for
  a strict share the least whole number above it (more than half of 31 is 16, of 30 is 16).
- A quorum of ``households`` counts households of the round's roll that voted over the roll;
  ``codes`` counts codes that took part (used, or used up by a spoiled or blank paper
  ballot) over codes issued less those voided; ``count`` needs that many taking part.
- Valid ballots are the ballots counted (spoiled and blank paper ballots are not).
- The winner's share applies to a single-seat round whose method counts ballots: plurality,
  IRV and Bucklin (the winner's votes in the last counting round over the valid ballots,
  exhausted ballots included) and approval (the winner's approvals over the valid ballots);
  other methods (points, scores, pairwise contests) and multi-seat or budget rounds are held
  to the quorum only, and the verdict says the share did not apply.
- A count that decided nothing, or a box without valid ballots, does not meet a winner's share.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from engine.result import Result

QuorumKind = Literal["none", "households", "codes", "count"]
QUORUM_KINDS: tuple[QuorumKind, ...] = ("none", "households", "codes", "count")

SHARE_METHODS = frozenset({"plurality", "irv", "bucklin", "approval"})
"""Methods whose counting rounds count ballots, so the winner's tally is a number of ballots."""


class Share(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """A fraction ``numerator/denominator`` between 1/100 and 1 (e.g. 1/2, 2/3): at least that
    much, or with ``strict`` more than that (1/2 strict is 过半数, more than half)."""

    numerator: Annotated[int, Meta(ge=1, le=100)]
    denominator: Annotated[int, Meta(ge=1, le=100)]
    strict: bool = False
    """Strictly more than the fraction (过半数), not at least it."""

    def __post_init__(self) -> None:
        if self.numerator > self.denominator:
            raise ValueError("a share is at most 1 (numerator <= denominator)")
        if self.strict and self.numerator == self.denominator:
            raise ValueError("nothing is more than all (a strict share is below 1)")

    def of(self, base: int) -> int:
        """The least whole number that is enough of ``base``: the share rounded up, or for a
        strict share the least whole number above the share."""
        if self.strict:
            return base * self.numerator // self.denominator + 1
        return -(-base * self.numerator // self.denominator)

    def reached(self, part: float, whole: int) -> bool:
        """Whether ``part`` is at least (strict: more than) this share of ``whole``, exact at
        the boundary."""
        if whole <= 0:
            return False
        if self.strict:
            return part * self.denominator > whole * self.numerator
        return part * self.denominator >= whole * self.numerator

    def percent(self) -> float:
        return round(100 * self.numerator / self.denominator, 1)


HALF = Share(numerator=1, denominator=2)
MORE_THAN_HALF = Share(numerator=1, denominator=2, strict=True)
"""过半数: strictly more than half."""


class Validity(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The community's rule for a valid decision, set before voting opens. ``quorum``:
    ``none``, ``households`` (``quorum_share`` of the household roll voted; household rounds
    only), ``codes`` (``quorum_share`` of the codes issued, less voided, took part) or
    ``count`` (at least ``quorum_count`` took part). ``winner_share``: the winner needs at
    least this share of the valid ballots (``None``: no such rule)."""

    quorum: QuorumKind = "none"
    quorum_share: Share = HALF
    quorum_count: Annotated[int, Meta(ge=1, le=1_000_000)] = 1
    winner_share: Share | None = None

    @property
    def any(self) -> bool:
        """Whether the round has any rule at all."""
        return self.quorum != "none" or self.winner_share is not None


class Quorum(Struct, frozen=True, kw_only=True):
    """Turnout against the quorum. ``kind`` as in :class:`Validity`; ``present``: those who
    took part (households, codes or residents); ``base``: what the share is of (households on
    the roll, codes issued less voided; ``None`` for ``count`` and ``none``); ``required``:
    how many are needed (0 without a quorum); ``missing``: how many more are needed."""

    kind: QuorumKind
    present: int
    required: int
    reached: bool
    missing: int
    base: int | None = None
    share_numerator: int | None = None
    share_denominator: int | None = None


def quorum(rule: Validity, present: int, base: int) -> Quorum:
    """Turnout ``present`` against the rule's quorum over ``base`` (ignored for ``count``)."""
    if rule.quorum == "none":
        return Quorum(kind="none", present=present, required=0, reached=True, missing=0)
    if rule.quorum == "count":
        need = rule.quorum_count
        return Quorum(
            kind="count",
            present=present,
            required=need,
            reached=present >= need,
            missing=max(0, need - present),
        )
    share = rule.quorum_share
    need = max(1, share.of(base))
    return Quorum(
        kind=rule.quorum,
        present=present,
        required=need,
        reached=present >= need,
        missing=max(0, need - present),
        base=base,
        share_numerator=share.numerator,
        share_denominator=share.denominator,
    )


ReasonCode = Literal["quorum", "winner-share", "no-decision"]


class Reason(Struct, frozen=True, kw_only=True):
    """Why a decision is not valid: ``quorum`` (``present`` of ``required``), ``winner-share``
    (the winner ``votes`` of ``valid`` ballots, under ``numerator/denominator``) or
    ``no-decision`` (the count decided nothing, so no winner holds a share)."""

    code: ReasonCode
    present: int | None = None
    required: int | None = None
    winner: str | None = None
    votes: float | None = None
    valid: int | None = None
    numerator: int | None = None
    denominator: int | None = None


class Verdict(Struct, frozen=True, kw_only=True):
    """Whether the decision is valid, why not (in the rule's order: quorum first), the quorum
    figures and whether the winner's share applied to this round's method."""

    valid: bool
    reasons: tuple[Reason, ...]
    quorum: Quorum
    winner_share_applies: bool
    winner: str | None = None
    winner_votes: float | None = None
    valid_ballots: int = 0


def winner_votes(result: Result, *, seats: int = 1, kind: str = "ranked") -> float | None:
    """The winner's ballots in the sense of the winner's share (module docstring), or
    ``None`` when the share does not apply to this round (or nobody won)."""
    if seats != 1 or kind == "budget" or result.method not in SHARE_METHODS:
        return None
    if not result.winners:
        return None
    winner = result.winners[0]
    for counting in reversed(result.rounds):
        if winner in counting.tallies:
            return counting.tallies[winner]
    if result.scores is not None and winner in result.scores:
        return result.scores[winner]
    return None


def decide(
    rule: Validity,
    turnout: Quorum,
    result: Result,
    *,
    seats: int = 1,
    kind: str = "ranked",
) -> Verdict:
    """The verdict on a counted round: the quorum as measured at the close (``turnout``),
    then the winner's share of the valid ballots (``result.ballots``)."""
    reasons: list[Reason] = []
    if not turnout.reached:
        reasons.append(Reason(code="quorum", present=turnout.present, required=turnout.required))
    applies = rule.winner_share is not None and (
        seats == 1 and kind != "budget" and result.method in SHARE_METHODS
    )
    winner = result.winners[0] if result.winners else None
    votes = winner_votes(result, seats=seats, kind=kind)
    share = rule.winner_share
    if share is not None and applies:
        if not result.decided or winner is None or votes is None:
            reasons.append(Reason(code="no-decision", valid=result.ballots))
        elif not share.reached(votes, result.ballots):
            reasons.append(
                Reason(
                    code="winner-share",
                    winner=winner,
                    votes=votes,
                    valid=result.ballots,
                    numerator=share.numerator,
                    denominator=share.denominator,
                )
            )
    return Verdict(
        valid=not reasons,
        reasons=tuple(reasons),
        quorum=turnout,
        winner_share_applies=applies,
        winner=winner,
        winner_votes=votes,
        valid_ballots=result.ballots,
    )
