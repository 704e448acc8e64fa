"""The one result type every method returns, and the records that explain it.

A :class:`Result` carries plain ints, floats and strings only (no numpy), so the API,
the exports and the command line all show the same thing. Language-neutral codes
(``Round.note``, ``Decision.reason``, ``Tie.rule``) are turned into Chinese or English
words by the presentation layers.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal, get_args

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

Option = str | int | float | bool | None


class Tie(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One tie met while counting and how it was broken.

    ``purpose`` is what the tie decided: ``eliminate``, ``elect``, ``win``, ``rank``,
    ``fund``. ``rule`` is how: a method's own rule (``earlier-round``, ``later-round``,
    ``first-preferences``, ``pairwise``), ``lot`` (drawn from the recorded seed), or the
    count's tie-break mode: ``candidate-order``, ``permutation``, ``operator`` (the
    operator's answer).
    """

    round: int | None
    purpose: str
    tied: tuple[str, ...]
    rule: str
    chosen: tuple[str, ...]


class TieAnswer(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The operator's decision of one tie (mode ``ask``): at ``round``, for ``purpose``,
    among ``tied`` (sorted), ``chosen`` are the ones eliminated, elected, ... (what the
    purpose says)."""

    round: int | None
    purpose: str
    tied: tuple[str, ...]
    chosen: tuple[str, ...]


class TieBreak(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How a count breaks the ties its method's own rule leaves (docs/counting.md, "平局 /
    Ties"): ``mode`` (one of :data:`TIE_BREAK_MODES`), ``order`` (for ``candidate-order``
    the configured order, most preferred first; in a result of ``permutation`` the drawn
    permutation) and ``answers``, the operator's decisions so far (``ask`` modes; in a
    result, those the count used)."""

    mode: str
    order: tuple[str, ...] = ()
    answers: tuple[TieAnswer, ...] = ()


TIE_BREAK_MODES: Final[tuple[str, ...]] = (
    "earlier-round",
    "later-round",
    "lot",
    "candidate-order",
    "permutation",
    "ask",
    "later-round-then-ask",
)
"""The tie-break modes a count can be given; without one, each method's own rule then the
lot."""

ASKING_MODES: Final[tuple[str, ...]] = ("ask", "later-round-then-ask")
"""The modes that stop and ask the operator instead of drawing a lot."""


class Transfer(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Votes moved from one candidate (a surplus or an exclusion) in a round."""

    source: str
    kind: str
    value: float
    received: dict[str, float]
    exhausted: float = 0.0


class Round(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One counting round (stage): the standing of every continuing candidate and what changed.

    ``tallies`` holds each candidate's votes at the start of the round (after the
    previous round's transfers), in candidate order. ``note`` is a code such as
    ``first-count``, ``surplus``, ``exclusion``, ``runoff``, ``fund``.
    """

    number: Annotated[int, Meta(ge=1)]
    tallies: dict[str, float]
    elected: tuple[str, ...] = ()
    eliminated: tuple[str, ...] = ()
    quota: float | None = None
    exhausted: float = 0.0
    transfers: tuple[Transfer, ...] = ()
    note: str = ""


class Decision(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Why a budget project was funded or skipped.

    ``reason``: ``funded``, ``over-budget`` (it no longer fits the money left),
    ``supporters-cannot-afford`` (equal shares: its supporters' shares fall short),
    ``no-support`` or ``completion`` (funded in the completion step).
    """

    candidate: str
    funded: bool
    reason: str
    cost: float
    support: float
    step: int | None = None
    remaining_after: float | None = None
    price: float | None = None


NoDecision = Literal["no-ballots", "no-valid-ballots"]
"""Why a count can end without a decision: the box holds no ballot at all, or no ballot
counts for any candidate under the method (blank ballots; for plurality and IRV also
overvotes, for Scottish STV papers without a single first preference)."""

NO_DECISION_REASONS: Final[tuple[str, ...]] = get_args(NoDecision)


class Result(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a counting method decided, and everything needed to explain it.

    ``no_decision`` says why nothing was decided (one of :data:`NO_DECISION_REASONS`); such a
    result has no winners, ranking, scores, rounds or ties, and no lot is drawn. When a
    decision was made the field is left out (``UNSET``), so the JSON of every decided result
    is byte for byte what it was before the field existed, and stored results and sealed
    bundles keep their digests. ``tie_break`` is likewise left out of a count given no
    tie-break mode (each method's own rule, then the lot).
    """

    method: str
    options: dict[str, Option]
    candidates: tuple[str, ...]
    ballots: int
    winners: tuple[str, ...]
    ranking: tuple[tuple[str, ...], ...] | None = None
    scores: dict[str, float] | None = None
    rounds: tuple[Round, ...] = ()
    pairwise: tuple[tuple[int, ...], ...] | None = None
    ties: tuple[Tie, ...] = ()
    decisions: tuple[Decision, ...] = ()
    seed: str | None = None
    no_decision: NoDecision | UnsetType = UNSET
    tie_break: TieBreak | UnsetType = UNSET

    @property
    def decided(self) -> bool:
        """Whether the count reached a decision (see ``no_decision``)."""
        return self.no_decision is UNSET


def to_json(result: Result) -> bytes:
    """Canonical JSON bytes of a result (deterministic key order)."""
    return msgspec.json.encode(result, order="deterministic")
