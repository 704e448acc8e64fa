"""Option names voters can tell apart: two options of a process whose names are the same
once case, spaces, compatibility forms and invisible characters are set aside
(:func:`service.text.likeness`) look alike on a ballot. Naming an option like another active
one is refused; look-alikes already on a slate stop voting from opening
(:func:`service.rounds.freeze.issues_before_freeze`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Proposal
from service.errors import Conflict
from service.i18n import text as label
from service.records.labels import listed as listed_names
from service.records.labels import separator
from service.text import likeness


def lookalikes(options: Sequence[Proposal]) -> list[list[Proposal]]:
    """Groups of two or more options whose names look alike, in slate order."""
    groups: dict[str, list[Proposal]] = {}
    for option in options:
        groups.setdefault(likeness(option.title), []).append(option)
    return [group for group in groups.values() if len(group) > 1]


def listed(lang: str, group: Sequence[Proposal]) -> str:
    """The options of a group by number and name (``第 3 号方案「文化墙」和…``)."""
    names = [label(lang, "option.lookalike.one", id=p.id, name=p.title) for p in group]
    return listed_names(lang, names[:-1]) + separator(lang, "last") + names[-1]


async def refuse_taken(
    db: AsyncSession, process_id: int, title: str, *, besides: int | None = None
) -> None:
    """Refuse (409 ``option-name-taken``) a name that looks like the name of another active
    option of the process (``besides``: the option being renamed)."""
    key = likeness(title)
    rows = await db.execute(
        select(Proposal.id, Proposal.title).where(
            Proposal.process_id == process_id, Proposal.status == "active"
        )
    )
    for other, name in rows:
        if other != besides and likeness(name) == key:
            raise Conflict(
                label("en", "option.name-taken", other=other, name=name),
                code="option-name-taken",
                zh=label("zh", "option.name-taken", other=other, name=name),
                field="title",
                proposal_id=other,
            )
