"""What a decided process decided, for the secretary's desk and the task form: its published
rounds with their method and winners (or funded projects), the options the decision names,
and which of them no task carries out yet.

The decision is the last published round (the board says the same): an earlier published
round is the way there — a ranking that chose which options a budget round offered — and
its winners are offered for tasks only if the last round decided them too. A last round
that decided nothing names no option; its tasks are then for the item as a whole. Options
are matched to proposals through the round's frozen slate, so a proposal renamed after the
vote is still the one decided.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import RoundPhase
from engine.result import Result
from service.db import models


@dataclass(frozen=True, slots=True)
class PublishedRound:
    """A published round as the desk says it: which, how it was counted, what it decided."""

    round_id: int
    number: int
    title: str
    method: str
    ballot_kind: str
    winners: tuple[str, ...]
    undecided: str | None
    """Why the count decided nothing (``no-ballots`` …), or ``None`` when it decided."""


@dataclass(frozen=True, slots=True)
class DecidedOption:
    """An option the decision names, and how many tasks (not cancelled) carry it out."""

    proposal_id: int
    name: str
    tasks: int


@dataclass(frozen=True, slots=True)
class Decision:
    """A process's published rounds (oldest first) and the options its decision names."""

    rounds: tuple[PublishedRound, ...]
    options: tuple[DecidedOption, ...]

    @property
    def final(self) -> PublishedRound | None:
        """The round that decided: the last one published."""
        return self.rounds[-1] if self.rounds else None

    @property
    def earlier(self) -> tuple[PublishedRound, ...]:
        return self.rounds[:-1]

    @property
    def to_do(self) -> tuple[DecidedOption, ...]:
        """Decided options no task carries out yet (a cancelled task does not count)."""
        return tuple(o for o in self.options if not o.tasks)

    def allows(self, proposal_id: int) -> bool:
        """Whether a task may say it carries out ``proposal_id``: one the decision names."""
        return any(o.proposal_id == proposal_id for o in self.options)

    def name_of(self, proposal_id: int) -> str | None:
        return next((o.name for o in self.options if o.proposal_id == proposal_id), None)


async def decision_of(db: AsyncSession, process_id: int) -> Decision:
    """The process's decision as it stands (see the module docstring)."""
    rows = await db.execute(
        select(models.Round, models.RoundResult.result)
        .join(models.RoundResult, models.RoundResult.round_id == models.Round.id)
        .where(
            models.Round.process_id == process_id,
            models.Round.phase == RoundPhase.PUBLISHED,
        )
        .order_by(models.Round.number)
    )
    rounds: list[PublishedRound] = []
    last: models.Round | None = None
    for round_row, stored in rows:
        result = msgspec.json.decode(stored, type=Result)
        undecided = None if result.no_decision is msgspec.UNSET else str(result.no_decision)
        rounds.append(
            PublishedRound(
                round_id=round_row.id,
                number=round_row.number,
                title=round_row.title,
                method=round_row.method,
                ballot_kind=round_row.ballot_kind,
                winners=() if undecided else tuple(result.winners),
                undecided=undecided,
            )
        )
        last = round_row
    if last is None:
        return Decision(rounds=(), options=())
    on_slate = {option.name: option.proposal_id for option in last.slate or []}
    decided = [(on_slate[name], name) for name in rounds[-1].winners if name in on_slate]
    carried = await _tasks_per_option(db, process_id)
    return Decision(
        rounds=tuple(rounds),
        options=tuple(DecidedOption(pid, name, carried[pid]) for pid, name in decided),
    )


async def _tasks_per_option(db: AsyncSession, process_id: int) -> Counter[int]:
    """How many tasks (not cancelled) carry out each option of the process."""
    rows = await db.execute(
        select(models.Task.proposal_id, func.count())
        .where(
            models.Task.process_id == process_id,
            models.Task.proposal_id.is_not(None),
            models.Task.status != "cancelled",
        )
        .group_by(models.Task.proposal_id)
    )
    return Counter({pid: int(n) for pid, n in rows if pid is not None})
