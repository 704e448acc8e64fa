"""Breaking ties: a written, reproducible policy, and a record of every tie.

The policy (docs/counting.md, "平局 / Ties"): first the method's own rule where it has one,
then a lot — unless the count is given a tie-break mode (:data:`~engine.result.TIE_BREAK_MODES`,
:class:`TieBreaker`), which replaces the rule that compares stages and the lot alike.
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

from engine.errors import OptionError, TieUnresolved
from engine.result import TIE_BREAK_MODES, Tie, TieAnswer, TieBreak


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


HISTORY_MODES = ("earlier-round", "later-round", "later-round-then-ask")
"""Modes that compare the tied candidates' votes at the previous stages first."""


def permutation(candidates: Sequence[str], seed: str) -> tuple[str, ...]:
    """The seeded permutation of ``candidates`` of the mode ``permutation``: the candidates
    in lot order (:func:`lot_key`), so it is the very order the lot draws with ``seed``."""
    return tuple(sorted(candidates, key=lambda name: lot_key(seed, name)))


class TieBreaker:
    """Decides ties for one count and remembers each one it met.

    ``mode`` (``None``: each method's own rule, then the lot) says how a tie is settled:

    - ``earlier-round`` / ``later-round``: the tied candidates' votes at the previous
      stages, the first onward / the most recent back to the first
      (:func:`history_order`), then the lot — whatever rule the method itself uses;
    - ``lot``: the lot at once, no stage compared;
    - ``candidate-order``: ``order`` (every candidate once) is a preference: of the tied, the
      one listed first is elected (or wins, is ranked or funded first) and the one listed
      last is eliminated (the certified tabulator's "use candidate order in the config
      file");
    - ``permutation``: as ``candidate-order``, with the order a seeded permutation of all
      candidates drawn once at the start (:func:`permutation`, stated in the result);
    - ``ask``: stop with :class:`~engine.errors.TieUnresolved` (``asked``) naming the round,
      the purpose and the tied, unless ``answers`` holds the operator's decision of that
      very tie (same round, purpose and tied names), which is then followed;
    - ``later-round-then-ask``: the previous stages, most recent first, then ask.
    """

    def __init__(
        self,
        candidates: Sequence[str],
        seed: str | int | None = None,
        tie_break: TieBreak | None = None,
    ) -> None:
        self.candidates = tuple(candidates)
        self.seed = None if seed is None else str(seed)
        self.ties: list[Tie] = []
        self.mode = None if tie_break is None else tie_break.mode
        self.answers: tuple[TieAnswer, ...] = () if tie_break is None else tie_break.answers
        self.used: list[TieAnswer] = []
        self.preference: dict[int, int] = {}
        self.tie_order: tuple[str, ...] = ()
        if tie_break is not None:
            self._configure(tie_break)

    def _configure(self, tie_break: TieBreak) -> None:
        mode = tie_break.mode
        if mode not in TIE_BREAK_MODES:
            allowed = ", ".join(TIE_BREAK_MODES)
            raise OptionError(f"tie-break mode must be one of {allowed}, got {mode!r}")
        if tie_break.order and mode != "candidate-order":
            raise OptionError(f"a tie order is given only with candidate-order, not {mode}")
        if tie_break.answers and mode not in ("ask", "later-round-then-ask"):
            raise OptionError(f"answers to ties are given only to a mode that asks, not {mode}")
        order: Sequence[str] = ()
        if mode == "candidate-order":
            order = tie_break.order
            missing = [c for c in self.candidates if c not in order]
            unknown = [c for c in order if c not in self.candidates]
            if missing or unknown or len(set(order)) != len(order):
                raise OptionError(
                    "candidate-order needs a tie order naming every candidate once"
                    + (f"; missing: {', '.join(missing)}" if missing else "")
                    + (f"; not candidates: {', '.join(unknown)}" if unknown else "")
                )
        elif mode == "permutation":
            if self.seed is None:
                raise OptionError("the tie-break mode permutation needs a lot seed")
            order = permutation(self.candidates, self.seed)
        position = {name: i for i, name in enumerate(order)}
        self.preference = {i: position[name] for i, name in enumerate(self.candidates) if order}
        self.tie_order = tuple(order)

    def stated(self) -> TieBreak | None:
        """The mode as the result states it: the order followed (the configured order or the
        drawn permutation) and the operator's answers the count used."""
        if self.mode is None:
            return None
        return TieBreak(mode=self.mode, order=self.tie_order, answers=tuple(self.used))

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
        A tie-break mode replaces both (class docstring); ``lowest`` then says whether the
        one chosen is the least preferred (eliminated) or the most.

        This is the one place the counts that compare stages (instant runoff, STV) settle a
        tie, so a tie-break mode chosen for the count applies to all of them alike.
        """
        group = sorted(set(tied))
        if len(group) == 1:
            return group[0]
        if self.mode is None or self.mode in HISTORY_MODES:
            if self.mode is not None:
                rule = "later-round" if self.mode == "later-round-then-ask" else self.mode
            ordered = history_order(group, history, latest_first=rule == "later-round")
            narrowed = ordered[0] if lowest else ordered[-1]
            if len(narrowed) < len(group):
                self.record(group, narrowed, rule=rule, purpose=purpose, round=round)
            if len(narrowed) == 1:
                return narrowed[0]
            group = narrowed
        return self._final(group, 1, lowest=lowest, purpose=purpose, round=round)[0]

    def choose(
        self,
        tied: Iterable[int],
        *,
        purpose: str,
        round: int | None = None,
        count: int = 1,
    ) -> list[int]:
        """Pick ``count`` of the tied candidates (by lot, or the mode) and record the tie."""
        group = sorted(set(tied))
        if count >= len(group):
            return group
        return self._final(group, count, lowest=False, purpose=purpose, round=round)

    def order(self, tied: Iterable[int], *, purpose: str, round: int | None = None) -> list[int]:
        """Put all tied candidates in lot order (or the mode's) and record it."""
        group = sorted(set(tied))
        if len(group) < 2:
            return group
        if self.mode in ("ask", "later-round-then-ask"):  # one question per place
            ordered: list[int] = []
            while len(group) > 1:
                (first,) = self._final(group, 1, lowest=False, purpose=purpose, round=round)
                ordered.append(first)
                group.remove(first)
            return ordered + group
        if self.preference:
            ordered = sorted(group, key=self.preference.__getitem__)
            rule = str(self.mode)
        else:
            ordered, rule = self.draw(group), "lot"
        self.record(group, ordered, rule=rule, purpose=purpose, round=round, ordered=True)
        return ordered

    def _final(
        self, group: list[int], count: int, *, lowest: bool, purpose: str, round: int | None
    ) -> list[int]:
        """``count`` of ``group`` chosen by the last step of the mode: the lot, the order
        (the least preferred when ``lowest``), or the operator's answer."""
        if self.mode in ("ask", "later-round-then-ask"):
            chosen = self._answer(group, count, purpose=purpose, round=round)
            self.record(group, chosen, rule="operator", purpose=purpose, round=round)
            return chosen
        if self.preference:
            ranked = sorted(group, key=self.preference.__getitem__, reverse=lowest)
            chosen = ranked[:count]
            self.record(group, chosen, rule=str(self.mode), purpose=purpose, round=round)
            return chosen
        chosen = self.draw(group)[:count]
        self.record(group, chosen, rule="lot", purpose=purpose, round=round, ordered=True)
        return chosen

    def _answer(
        self, group: list[int], count: int, *, purpose: str, round: int | None
    ) -> list[int]:
        """The operator's answer to this tie, or :class:`TieUnresolved` asking for it."""
        names = tuple(sorted(self._names(group)))
        for answer in self.answers:
            if (answer.round, answer.purpose, tuple(sorted(answer.tied))) != (
                round,
                purpose,
                names,
            ):
                continue
            if len(set(answer.chosen)) != count or not set(answer.chosen) <= set(names):
                raise OptionError(
                    f"the answer to the tie to {purpose} in round {round} between "
                    f"{', '.join(names)} must choose {count} of them, "
                    f"not {', '.join(answer.chosen) or 'none'}"
                )
            self.used.append(answer)
            return sorted(self.candidates.index(name) for name in answer.chosen)
        where = f"round {round}: " if round is not None else ""
        raise TieUnresolved(
            f"{where}a tie to {purpose} between {', '.join(names)} needs the operator's "
            f"choice of {count}",
            names,
            round,
            purpose,
            asked=True,
            count=count,
        )

    def _names(self, idx: Iterable[int]) -> tuple[str, ...]:
        return tuple(self.candidates[i] for i in idx)
