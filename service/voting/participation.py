"""Who took part in a round, measured against its quorum (:mod:`engine.validity`): the
households that voted against the community's roll as it was when voting opened (the
round's own households when the community keeps no roll), the codes that took part (a
ballot cast, or used up by a spoiled or blank paper ballot) against the codes issued less
those voided, or the residents who took part against a set number. Read live while voting,
and at the count for the record (code statuses and households' ``voted`` are never rewritten
after the close)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.validity import Quorum, Validity, quorum
from service.db.models import Household, Round
from service.voting.channels import ChannelCounts, channel_counts


def took_part(ways: ChannelCounts) -> int:
    """Codes that took part: ballots by every channel, and spoiled or blank paper ballots
    (all of them ``used`` codes, :mod:`service.voting.channels`)."""
    return ways.used


def households_base(round_row: Round, households: dict[bool, int]) -> int:
    """The base of a households quorum: the community's roll when voting opened
    (``roll_size``), so that issuing codes only to the households present cannot pass any
    share; the round's own households when the community keeps no roll (or when more of
    them were issued codes than the roll held)."""
    issued = sum(households.values())
    return max(round_row.roll_size or 0, issued)


async def round_quorum(
    db: AsyncSession, round_row: Round, ways: ChannelCounts | None = None
) -> Quorum:
    """The round's turnout against its quorum now (no rule: kind ``none``, reached)."""
    rule = round_row.validity or Validity()
    if rule.quorum == "households":
        rows = await db.execute(
            select(Household.voted, func.count())
            .where(Household.round_id == round_row.id)
            .group_by(Household.voted)
        )
        households = {bool(voted): n for voted, n in rows}
        return quorum(rule, households.get(True, 0), households_base(round_row, households))
    ways = ways or await channel_counts(db, round_row.id)
    return quorum(rule, took_part(ways), ways.issued - ways.void)
