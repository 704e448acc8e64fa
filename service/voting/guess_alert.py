"""When a round sees unusual guessing, so that the round page tells the facilitator.

Residents mistype: say a third of them once, most at the opening rush. A tablet takes two
or three residents a minute, so even ten tablets see at most some 250 residents in ten
minutes, about 80 typing mistakes; a 20-resident bench, a handful. So in any
:data:`MINUTES` minutes the unknown codes of a round are unusual from :data:`LEAST`, or from
one for every :data:`SHARE` codes issued if that is more (100 for a round of 500 codes).
A device that ran out of guesses (10 unknown codes in quick succession, see
:mod:`service.voting.guesses`) is unusual by itself: someone guessing, or a resident who
needs help with a smudged slip — either way worth a look.
"""

from __future__ import annotations

import time
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from service.voting import guess_ledger
from service.voting.schemas import Guessing

MINUTES: Final = 10
LEAST: Final = 20
SHARE: Final = 5


def threshold(codes_issued: int) -> int:
    """Unknown codes in :data:`MINUTES` minutes that are unusual for a round with this many
    codes issued."""
    return max(LEAST, codes_issued // SHARE)


async def guessing(
    db: AsyncSession, round_id: int, codes_issued: int, now: float | None = None
) -> Guessing:
    """What the round has seen in the last :data:`MINUTES` minutes, and whether it is
    unusual."""
    since = (time.time() if now is None else now) - MINUTES * 60
    unknown, locked = await guess_ledger.seen(db, round_id, since)
    limit = threshold(codes_issued)
    return Guessing(
        unusual=unknown >= limit or locked > 0,
        unknown_codes=unknown,
        threshold=limit,
        devices_locked=locked,
        minutes=MINUTES,
    )
