"""Breaking ties: a written, reproducible policy, and a record of every tie.

The policy (docs/counting.md, "平局 / Ties"): first the method's own rule where it has one,
then a lot.
The rule instant runoff and STV share, comparing the tied candidates' votes stage by stage
through the count's history, is :func:`history_order`, the one implementation of it.
The lot is not a random number generator but a published ordering anyone can redo: each
candidate's lot key is ``sha256(seed + "\\n" + name)`` in hex, and the candidate with the
smallest key is drawn first. So the draw depends on the seed and the names only, never
on dict order, array order or ``PYTHONHASHSEED``. With no seed, a tie that matters raises
:class:`~engine.errors.TieUnresolved` instead of being decided silently.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from numpy.typing import NDArray

from engine.errors import TieUnresolved
from engine.result import Tie


def history_order(
    group: Iterable[int],
    history: Sequence[Sequence[int] | NDArray[Any]],
    *,
    latest_first: bool,
) -> list[list[int]]:
    """``group`` in groups of equal standing through ``history``, fewest votes first.

    ``history`` holds each stage's votes per candidate (whole numbers, oldest stage first).
    Candidates are compared at one stage after another, the earliest first (rule
    ``earlier-round``) or, with ``latest_first``, the most recent first (``later-round``):
    at the first stage where they differ the fewer votes come first, and those still equal
    there go on to be compared at the next stage, and so on. Candidates equal at every
    stage share a group (only a lot can separate them), listed by index.
    """
    stages = list(reversed(history)) if latest_first else list(history)
    keys = {c: tuple(int(stage[c]) for stage in stages) for c in group}
    groups: list[list[int]] = []
    for c in sorted(keys, key=lambda c: (keys[c], c)):
        if groups and keys[groups[-1][0]] == keys[c]:
            groups[-1].append(c)
        else:
            groups.append([c])
    return groups


def lot_key(seed: str, name: str) -> str:
    """The hex digest that orders ``name`` in the lot drawn with ``seed``."""
    return hashlib.sha256(f"{seed}\n{name}".encode()).hexdigest()


class TieBreaker:
    """Decides ties for one count and remembers each one it met."""

    def __init__(self, candidates: Sequence[str], seed: str | int | None = None) -> None:
        self.candidates = tuple(candidates)
        self.seed = None if seed is None else str(seed)
        self.ties: list[Tie] = []

    def record(
        self,
        tied: Iterable[int],
        chosen: Iterable[int],
        *,
        rule: str,
        purpose: str,
        round: int | None = None,
        ordered: bool = False,
    ) -> None:
        """Note a tie that the method's own rule resolved.

        The tied names are listed sorted; so are the chosen ones, unless ``ordered`` says
        their order means something (a lot's draw order).
        """
        chosen_names = self._names(chosen)
        self.ties.append(
            Tie(
                round=round,
                purpose=purpose,
                tied=tuple(sorted(self._names(tied))),
                rule=rule,
                chosen=chosen_names if ordered else tuple(sorted(chosen_names)),
            )
        )

    def draw(self, tied: Iterable[int]) -> list[int]:
        """The tied candidates in lot order (first drawn first). Needs a seed."""
        group = sorted(set(tied), key=lambda i: self.candidates[i])
        if self.seed is None:
            names = ", ".join(self.candidates[i] for i in group)
            raise TieUnresolved(
                f"a tie between {names} decides the outcome and no lot seed was given",
                tuple(self.candidates[i] for i in group),
            )
        seed = self.seed
        return sorted(group, key=lambda i: lot_key(seed, self.candidates[i]))

    def settle(
        self,
        tied: Iterable[int],
        history: Sequence[Sequence[int] | NDArray[Any]],
        *,
        rule: str,
        lowest: bool,
        purpose: str,
        round: int | None = None,
    ) -> int:
        """The one of ``tied`` (equal now) with the fewest (``lowest``) or most votes at the
        stages of ``history``, compared by ``rule`` (the method's own: ``earlier-round`` or
        ``later-round``, :func:`history_order`), then the lot; every narrowing is recorded.

        This is the one place the counts that compare stages (instant runoff, STV) settle a
        tie, so a tie-break mode chosen for the count applies to all of them alike.
        """
        group = sorted(set(tied))
        if len(group) == 1:
            return group[0]
        ordered = history_order(group, history, latest_first=rule == "later-round")
        narrowed = ordered[0] if lowest else ordered[-1]
        if len(narrowed) < len(group):
            self.record(group, narrowed, rule=rule, purpose=purpose, round=round)
        if len(narrowed) == 1:
            return narrowed[0]
        return self.choose(narrowed, purpose=purpose, round=round)[0]

    def choose(
        self,
        tied: Iterable[int],
        *,
        purpose: str,
        round: int | None = None,
        count: int = 1,
    ) -> list[int]:
        """Pick ``count`` of the tied candidates by lot and record the tie."""
        group = sorted(set(tied))
        if count >= len(group):
            return group
        chosen = self.draw(group)[:count]
        self.record(group, chosen, rule="lot", purpose=purpose, round=round, ordered=True)
        return chosen

    def order(self, tied: Iterable[int], *, purpose: str, round: int | None = None) -> list[int]:
        """Put all tied candidates in lot order and record it."""
        group = sorted(set(tied))
        if len(group) < 2:
            return group
        ordered = self.draw(group)
        self.record(group, ordered, rule="lot", purpose=purpose, round=round, ordered=True)
        return ordered

    def _names(self, idx: Iterable[int]) -> tuple[str, ...]:
        return tuple(self.candidates[i] for i in idx)
