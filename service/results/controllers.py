"""A closed round's result, its published ballot and tracker lists and receipt checks: staff
see them once the round is closed, everyone once it is published, nobody before.

What a list and a receipt check show depends on the round's receipts: sealed (the default)
publishes the ballots and the trackers apart and a receipt check only confirms the ballot
was counted; open lists each ballot beside its tracker and a receipt check shows it."""

from __future__ import annotations

from bisect import bisect_right
from typing import Annotated, Final

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.digest import normalize_tracker
from ballots.errors import InvalidReceipt
from ballots.kinds import Ballot
from engine.compare import Comparison
from engine.process import RoundPhase
from engine.result import Result
from service.auth.guard import STAFF, Actor, roles
from service.db.models import Round, RoundResult
from service.deps import DB, Caller
from service.errors import Conflict, Invalid
from service.openapi.responses import refusals
from service.results import ballot_box
from service.results.schemas import (
    BallotPage,
    PublishedBallot,
    ReceiptCheck,
    RoundResultOut,
    TrackerPage,
)
from service.results.validity import round_validity
from service.rounds.repository import find_round
from service.rounds.settings import ballot_rules

HIDDEN = refusals(
    {
        409: "`results-hidden`: the round is not counted yet, or it is closed but not "
        "published and the caller is not staff"
    }
)
"""The refusal of every answer that shows a round's count (:func:`counted_round`)."""


async def counted_round(db: AsyncSession, round_id: int, actor: Actor) -> tuple[Round, RoundResult]:
    """The round and its stored count, if the caller may see them now."""
    round_row = await find_round(db, round_id)
    visible = round_row.phase is RoundPhase.PUBLISHED or (
        round_row.phase is RoundPhase.CLOSED and actor.is_staff
    )
    stored = await db.get(RoundResult, round_id) if visible else None
    if stored is None:
        key = (
            "result-unpublished" if round_row.phase is RoundPhase.CLOSED else "result-before-close"
        )
        raise Conflict(key, phase=round_row.phase, detail={"phase": round_row.phase})
    return round_row, stored


_BALLOT: Final = msgspec.json.Decoder(Ballot)


async def ballot_page(
    db: AsyncSession, round_id: int, actor: Actor, after: str | None, limit: int
) -> BallotPage:
    """A page of the published ballots (never in casting order): distinct ballots with
    their counts for sealed receipts, ballots beside their trackers for open ones."""
    round_row, stored = await counted_round(db, round_id, actor)
    if not round_row.open_receipts:
        listed = await ballot_box.content_list(db, round_row)
        keys = [content.encode() for content, _ in listed]
        start = 0 if after is None else bisect_right(keys, after.encode())
        chunk = listed[start : start + limit]
        return BallotPage(
            round_id=round_id,
            open_receipts=False,
            ballots=[
                PublishedBallot(tracker=None, count=n, ballot=_BALLOT.decode(content))
                for content, n in chunk
            ],
            next=chunk[-1][0] if start + limit < len(listed) else None,
            total=stored.ballots,
            ballot_box_digest=stored.ballot_box_digest,
        )
    since = after.strip().upper() if after else None
    found = await ballot_box.page_after(db, round_id, since, limit + 1)
    ballot = ballot_box.reader(ballot_rules(round_row))
    page = [PublishedBallot(tracker=t, count=1, ballot=ballot(m)) for t, m in found[:limit]]
    return BallotPage(
        round_id=round_id,
        open_receipts=True,
        ballots=page,
        next=page[-1].tracker if len(found) > limit else None,
        total=stored.ballots,
        ballot_box_digest=stored.ballot_box_digest,
    )


async def tracker_page(
    db: AsyncSession, round_id: int, actor: Actor, after: str | None, limit: int
) -> TrackerPage:
    """A page of the round's trackers in tracker order."""
    _, stored = await counted_round(db, round_id, actor)
    since = after.strip().upper() if after else None
    found = await ballot_box.trackers_after(db, round_id, since, limit + 1)
    return TrackerPage(
        round_id=round_id,
        trackers=found[:limit],
        next=found[limit - 1] if len(found) > limit else None,
        total=stored.ballots,
        trackers_digest=stored.trackers_digest,
        ballot_box_digest=stored.ballot_box_digest,
    )


class ResultController(Controller):
    path = "/api/v1/rounds"
    tags = ["results"]

    @get("/{round_id:int}/result", opt=roles("public", *STAFF), responses=HIDDEN)
    async def result(self, db: DB, round_id: FromPath[int], actor: Caller) -> RoundResultOut:
        round_row, stored = await counted_round(db, round_id, actor)
        counted = msgspec.json.decode(stored.result, type=Result)
        return RoundResultOut(
            round_id=round_id,
            phase=round_row.phase,
            method=round_row.method,
            ballots=stored.ballots,
            codes_issued=stored.codes_issued,
            ballot_box_digest=stored.ballot_box_digest,
            counted_at=stored.counted_at,
            result=counted,
            comparison=None
            if stored.comparison is None
            else msgspec.json.decode(stored.comparison, type=Comparison),
            open_receipts=round_row.open_receipts,
            trackers_digest=stored.trackers_digest,
            contents_digest=stored.contents_digest,
            validity=await round_validity(db, round_row, counted),
        )

    @get("/{round_id:int}/trackers", opt=roles("public", *STAFF), responses=HIDDEN)
    async def trackers(
        self,
        db: DB,
        round_id: FromPath[int],
        actor: Caller,
        after: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> TrackerPage:
        """The round's trackers in tracker order, ``limit`` at a time after ``after``: with
        sealed receipts published apart from the ballots, so nothing pairs them."""
        return await tracker_page(db, round_id, actor, after, limit)

    @get(
        "/{round_id:int}/receipts/{tracker:str}",
        opt=roles("public", *STAFF),
        responses=refusals(
            {
                409: HIDDEN[409].description,
                422: "`bad-tracker`: not a tracker nor its 8-character short form",
            }
        ),
    )
    async def receipt(
        self, db: DB, round_id: FromPath[int], tracker: FromPath[str], actor: Caller
    ) -> ReceiptCheck:
        """Look a receipt (full tracker or its 8-character short form) up in the ballot box:
        whether its ballot was counted, and, only if the round has open receipts, what it
        says."""
        round_row, stored = await counted_round(db, round_id, actor)
        try:
            wanted = normalize_tracker(tracker)
        except InvalidReceipt as exc:
            raise Invalid("bad-tracker", field="tracker", exc=exc) from exc
        found = await ballot_box.look_up(db, round_row, wanted)
        return ReceiptCheck(
            round_id=round_id,
            tracker=found.tracker if found else wanted,
            found=found is not None,
            open_receipts=round_row.open_receipts,
            ballot=found.ballot if found else None,
            ballot_box_digest=stored.ballot_box_digest,
        )
