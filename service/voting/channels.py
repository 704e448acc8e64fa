"""How ballots reach the box: typed on a meeting's tablet, keyed from a paper ballot by two
clerks, or cast on a resident's own phone. One code is one ballot whichever way it comes.

The channel is kept on the used code (``voter_codes.channel``; none for a tablet, so codes
used before channels existed count as tablet ballots), never on the ballot: the box holds
trackers and marks only. A paper ballot that the clerks find spoiled or blank uses up its
code without a ballot: the code is ``used`` with channel ``paper`` like a counted paper
ballot's, and only a count per round says how many were spoiled or blank
(``paper_uncounted_counts``), so the codes' terms of the reconciliation line are

    codes issued = tablet + paper + phone ballots + spoiled + blank paper + unused + void

with paper ballots = codes used on paper − spoiled − blank. The line is *balanced* when
those terms agree with figures kept apart from the codes: tablet + paper + phone = the
ballots in the box (sealed envelopes and counted box parts while voting, the stored result's
ballots once counted), paper = the paper serials cast (give or take those agreed and being
cast at that moment), and spoiled + blank = the paper
serials settled spoiled or blank that used up a code. A code, envelope, count or serial
altered in the database shows as 不符.
"""

from __future__ import annotations

from typing import Literal

from msgspec import Struct
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import (
    BoxPart,
    Envelope,
    PaperSerial,
    PaperUncountedCount,
    RoundResult,
    VoterCode,
)

Channel = Literal["tablet", "paper", "phone"]
CHANNELS: tuple[Channel, ...] = ("tablet", "paper", "phone")
PAPER_UNCOUNTED = ("spoiled", "blank")
"""Verdicts of a paper ballot that came back but holds no countable ballot."""


class ChannelCounts(Struct, frozen=True):
    """Codes of a round by what became of them (the reconciliation line's terms), and the
    figures kept apart from the codes that the line is checked against."""

    issued: int
    tablet: int
    paper: int
    phone: int
    spoiled: int
    blank: int
    unused: int
    void: int
    box: int
    """Ballots in the box: sealed envelopes and counted box parts, or the stored result's."""
    serials_cast: int
    """Paper serials settled as cast."""
    serials_uncounted: int
    """Paper serials settled spoiled or blank that used up a code."""
    serials_agreed: int = 0
    """Paper serials agreed and being cast: a cast commits before its serial is marked
    ``cast`` (:mod:`service.paper.settling`), so each may already be among the paper
    ballots."""

    @property
    def used(self) -> int:
        """Codes that took part: a ballot cast by any channel, or a spoiled or blank paper
        ballot."""
        return self.tablet + self.paper + self.phone + self.spoiled + self.blank

    @property
    def balanced(self) -> bool:
        """Whether every issued code is accounted for exactly once and the codes agree with
        the box and the paper serials (module docstring)."""
        return (
            self.issued == self.used + self.unused + self.void
            and min(self.tablet, self.paper, self.phone, self.spoiled, self.blank) >= 0
            and self.tablet + self.paper + self.phone == self.box
            and self.serials_cast <= self.paper <= self.serials_cast + self.serials_agreed
            and self.spoiled + self.blank == self.serials_uncounted
        )


async def box_ballots(db: AsyncSession, round_id: int) -> int:
    """Ballots in the round's box: the stored result's once counted, else the sealed
    envelopes and any counted box parts."""
    counted = await db.scalar(select(RoundResult.ballots).where(RoundResult.round_id == round_id))
    if counted is not None:
        return int(counted)
    sealed = await db.scalar(
        select(func.count()).select_from(Envelope).where(Envelope.round_id == round_id)
    )
    parts = await db.scalar(
        select(func.coalesce(func.sum(BoxPart.count), 0)).where(BoxPart.round_id == round_id)
    )
    return int(sealed or 0) + int(parts or 0)


async def uncounted_counts(db: AsyncSession, round_id: int) -> dict[str, int]:
    """The round's spoiled and blank paper ballots that used up a code, by verdict."""
    rows = await db.execute(
        select(PaperUncountedCount.verdict, PaperUncountedCount.count).where(
            PaperUncountedCount.round_id == round_id
        )
    )
    counts = {verdict: int(n) for verdict, n in rows}
    return {verdict: counts.get(verdict, 0) for verdict in PAPER_UNCOUNTED}


async def channel_counts(db: AsyncSession, round_id: int) -> ChannelCounts:
    """The round's codes counted by status and, for used codes, by channel; and the
    independent figures (module docstring)."""
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
    uncounted = await uncounted_counts(db, round_id)
    serials = await db.execute(
        select(PaperSerial.state, func.count())
        .where(
            PaperSerial.round_id == round_id,
            PaperSerial.state.in_(("cast", "agreed", *PAPER_UNCOUNTED)),
            PaperSerial.reason.is_(None),
        )
        .group_by(PaperSerial.state)
    )
    by_state = {state: int(n) for state, n in serials}
    return ChannelCounts(
        issued=sum(status.values()),
        tablet=used.get("tablet", 0),
        paper=used.get("paper", 0) - uncounted["spoiled"] - uncounted["blank"],
        phone=used.get("phone", 0),
        spoiled=uncounted["spoiled"],
        blank=uncounted["blank"],
        unused=status.get("issued", 0),
        void=status.get("void", 0),
        box=await box_ballots(db, round_id),
        serials_cast=by_state.get("cast", 0),
        serials_uncounted=by_state.get("spoiled", 0) + by_state.get("blank", 0),
        serials_agreed=by_state.get("agreed", 0),
    )
