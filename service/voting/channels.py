"""How ballots reach the box: typed on a meeting's tablet, keyed from a paper ballot by two
clerks, or cast on a resident's own phone. One code is one ballot whichever way it comes.

The channel is kept on the used code (``voter_codes.channel``; none for a tablet, so codes
used before channels existed count as tablet ballots), never on the ballot: the box holds
trackers and marks only. A paper ballot that the clerks find spoiled or blank uses up its
code without a ballot (status ``spoiled`` or ``blank``), so the reconciliation line holds:

    codes issued = tablet + paper + phone ballots + spoiled + blank paper + unused + void
"""

from __future__ import annotations

from typing import Literal

from msgspec import Struct
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import VoterCode

Channel = Literal["tablet", "paper", "phone"]
CHANNELS: tuple[Channel, ...] = ("tablet", "paper", "phone")
PAPER_UNCOUNTED = ("spoiled", "blank")
"""Statuses of a code whose paper ballot came back but holds no countable ballot."""


class ChannelCounts(Struct, frozen=True):
    """Codes of a round by what became of them (the reconciliation line's terms)."""

    issued: int
    tablet: int
    paper: int
    phone: int
    spoiled: int
    blank: int
    unused: int
    void: int

    @property
    def balanced(self) -> bool:
        """Whether every issued code is accounted for exactly once."""
        return self.issued == (
            self.tablet
            + self.paper
            + self.phone
            + self.spoiled
            + self.blank
            + self.unused
            + self.void
        )


async def channel_counts(db: AsyncSession, round_id: int) -> ChannelCounts:
    """The round's codes counted by status and, for used codes, by channel."""
    rows = await db.execute(
        select(VoterCode.status, VoterCode.channel, func.count())
        .where(VoterCode.round_id == round_id)
        .group_by(VoterCode.status, VoterCode.channel)
    )
    used: dict[str, int] = {}
    status: dict[str, int] = {}
    for state, channel, n in rows:
        status[state] = status.get(state, 0) + n
        if state == "used":
            used[channel or "tablet"] = used.get(channel or "tablet", 0) + n
    return ChannelCounts(
        issued=sum(status.values()),
        tablet=used.get("tablet", 0),
        paper=used.get("paper", 0),
        phone=used.get("phone", 0),
        spoiled=status.get("spoiled", 0),
        blank=status.get("blank", 0),
        unused=status.get("issued", 0),
        void=status.get("void", 0),
    )
