"""Reading decision bundles (:mod:`ballots.bundle`) from the database: one counted round, or
a process's whole record (every counted round and the loop after the decision), as a
:class:`~service.records.draft.Draft` that the worker process seals. Every document and
export is made from a bundle, so the PDF, the tables and the JSON always say the same thing.

Only the reading happens here, in the request's transaction; the ballots are fetched in
partitions so that the event loop is free between them however large the box."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.bundle import (
    STANCES,
    CommentRecord,
    Counting,
    Deliberation,
    OptionComments,
    ProcessRecord,
    RoundDates,
    RoundRecord,
    SlateEntry,
    StanceCounts,
    Turnout,
)
from engine.compare import Comparison
from engine.result import Result, TieBreak
from service.auth.guard import Actor
from service.communities.controllers import zone_of_process
from service.db import models
from service.errors import Conflict
from service.processes.repository import find_process
from service.records.draft import Draft, StoredBallot, StoredLists
from service.records.loop_record import loop_photos, loop_record
from service.results import ballot_box
from service.results.controllers import counted_round
from service.results.validity import round_validity
from service.rounds.settings import RoundOptions, ballot_rules
from service.voting.assistance import assistance
from service.voting.channels import channel_counts
from service.voting.proxies import proxy_counts

NOTABLE_LIMIT: Final[int] = 12
"""At most this many notable comments per round."""


async def round_draft(db: AsyncSession, round_id: int, actor: Actor) -> Draft:
    """The bundle of one round, if the caller may see its result now (staff once it is
    closed, everyone once it is published; 409 ``results-hidden`` before)."""
    round_row, stored = await counted_round(db, round_id, actor)
    process = await find_process(db, round_row.process_id)
    record = await round_record(db, round_row, stored)
    return Draft(
        scope="round",
        process=await process_record(db, process),
        rounds=(record,),
        ballots=(await stored_ballots(db, round_row, stored),),
        time_zone=await zone_of_process(db, process.id),
    )


async def process_draft(db: AsyncSession, process_id: int, *, photos: bool = False) -> Draft:
    """A process's whole record (for staff): every counted round, then the loop — rounds
    cancelled before voting, tasks, notes, feedback, close-outs — and, with ``photos``, the
    photos' bytes to print."""
    process = await find_process(db, process_id)
    rows = (
        await db.execute(
            select(models.Round, models.RoundResult)
            .join(models.RoundResult, models.RoundResult.round_id == models.Round.id)
            .where(models.Round.process_id == process_id)
            .order_by(models.Round.number)
        )
    ).all()
    if not rows:
        raise Conflict("record-before-count", process_id=process_id)
    return Draft(
        scope="process",
        process=await process_record(db, process),
        rounds=tuple([await round_record(db, r, s) for r, s in rows]),
        ballots=tuple([await stored_ballots(db, r, s) for r, s in rows]),
        loop=await loop_record(db, process),
        photos=await loop_photos(db, process_id) if photos else {},
        time_zone=await zone_of_process(db, process.id),
    )


async def process_record(db: AsyncSession, process: models.Process) -> ProcessRecord:
    community = await db.get(models.Community, process.community_id)
    return ProcessRecord(
        id=process.id,
        community=community.name if community else "",
        title=process.title,
        question=process.question,
        created_at=process.created_at,
        deliberating_at=process.deliberating_at,
        decided_at=process.decided_at,
    )


def tie_break_of(options: RoundOptions) -> dict[str, TieBreak]:
    """The round's tie-break mode for the bundle, when it has one (left out otherwise)."""
    mode = options.tie_mode()
    return {} if mode is None else {"tie_break": mode}


async def round_record(
    db: AsyncSession, round_row: models.Round, stored: models.RoundResult
) -> RoundRecord:
    """One counted round as the bundle holds it, without its ballots (see
    :func:`stored_ballots`)."""
    options = round_row.options
    counting = Counting(
        method=round_row.method,
        seats=options.seats,
        tie_policy=options.tie_policy,
        method_options=dict(sorted(options.own.items())),
        **tie_break_of(options),
    )
    rules = ballot_rules(round_row)
    slate = await _slate(db, round_row)
    return RoundRecord(
        number=round_row.number,
        title=round_row.title,
        counting=counting,
        rules=rules,
        slate=slate,
        dates=RoundDates(
            created_at=round_row.created_at,
            commenting_at=round_row.commenting_at,
            voting_at=round_row.voting_at,
            closed_at=round_row.closed_at,
            published_at=round_row.published_at,
            counted_at=stored.counted_at,
        ),
        turnout=await _turnout(db, round_row, stored),
        deliberation=await deliberation(db, round_row, slate),
        ballot_box_digest=stored.ballot_box_digest,
        result=msgspec.json.decode(stored.result, type=Result),
        comparison=None
        if stored.comparison is None
        else msgspec.json.decode(stored.comparison, type=Comparison),
        ballots=(),
        **await _validity(db, round_row, stored),
    )


async def _validity(
    db: AsyncSession, round_row: models.Round, stored: models.RoundResult
) -> dict[str, Any]:
    """The rule and the verdict, for a round that has a rule (none: both left out)."""
    if round_row.validity is None:
        return {}
    judged = await round_validity(db, round_row, msgspec.json.decode(stored.result, type=Result))
    return {"validity_rule": judged.rule, "validity": judged.verdict}


async def _slate(db: AsyncSession, round_row: models.Round) -> tuple[SlateEntry, ...]:
    frozen = list(round_row.slate or [])
    ids = [e.proposal_id for e in frozen]
    found = {
        p.id: p
        for p in (
            await db.scalars(select(models.Proposal).where(models.Proposal.id.in_(ids)))
        ).all()
    }
    out: list[SlateEntry] = []
    for option in frozen:
        proposal = found.get(option.proposal_id)
        cents = option.cost_cents
        out.append(
            SlateEntry(
                name=option.name,
                description=proposal.description if proposal else "",
                author=proposal.author if proposal else "",
                cost=None if cents is None else cents / 100,
                proposal_id=option.proposal_id,
            )
        )
    return tuple(out)


async def _turnout(
    db: AsyncSession, round_row: models.Round, stored: models.RoundResult
) -> Turnout:
    round_id = round_row.id
    rows = await db.execute(
        select(models.VoterCode.status, func.count())
        .where(models.VoterCode.round_id == round_id)
        .group_by(models.VoterCode.status)
    )
    statuses: dict[str, int] = {status: n for status, n in rows}
    ways = await channel_counts(db, round_id)
    helped = await assistance(db, round_id)
    turnout = Turnout(
        codes_issued=stored.codes_issued,
        codes_void=statuses.get("void", 0),
        codes_used=ways.tablet + ways.paper + ways.phone,
        ballots_cast=stored.ballots,
        tablet_ballots=ways.tablet,
        paper_ballots=ways.paper,
        phone_ballots=ways.phone,
        paper_spoiled=ways.spoiled,
        paper_blank=ways.blank,
        codes_unused=ways.unused,
        reconciled=ways.balanced,
        assisted_chosen=helped.chosen,
        assisted_staff=helped.staff,
    )
    if round_row.household_roll:  # proxies (委托代投): household rounds only
        proxies, proxy_votes = await proxy_counts(db, round_id)
        turnout = msgspec.structs.replace(turnout, proxies=proxies, proxy_votes=proxy_votes)
    return turnout


async def stored_ballots(
    db: AsyncSession, round_row: models.Round, stored: models.RoundResult
) -> list[StoredBallot] | StoredLists:
    """The round's counted ballots as published: with sealed receipts its trackers and its
    distinct ballots apart; with open receipts (tracker, canonical JSON) in tracker order."""
    if not round_row.open_receipts:
        trackers = [t for t, _ in await ballot_box.read_all(db, round_row.id)]
        return StoredLists(
            trackers=trackers,
            contents=await ballot_box.content_list(db, round_row),
            trackers_digest=stored.trackers_digest,
            contents_digest=stored.contents_digest,
        )
    counted = await ballot_box.read_all(db, round_row.id)
    return ballot_box.contents(ballot_rules(round_row), counted)


async def deliberation(
    db: AsyncSession, round_row: models.Round, slate: Sequence[SlateEntry]
) -> Deliberation:
    """The comment phase: counts by stance per option (slate order, then the round as a
    whole), the visible comments and the notable ones (see :func:`notable`)."""
    rows = (
        await db.scalars(
            select(models.Comment)
            .where(models.Comment.round_id == round_row.id)
            .order_by(models.Comment.id)
        )
    ).all()
    names = {option.proposal_id: option.name for option in slate}
    visible = [c for c in rows if c.hidden_reason is None]
    comments = tuple(
        CommentRecord(
            id=c.id,
            parent_id=c.parent_id,
            option=names.get(c.proposal_id) if c.proposal_id is not None else None,
            prompt=c.prompt,
            stance=c.stance,  # type: ignore[arg-type]
            body=c.body,
            at=c.created_at,
        )
        for c in visible
    )
    per: dict[str | None, Counter[str]] = {option.name: Counter() for option in slate}
    per[None] = Counter()
    for comment in comments:
        per.setdefault(comment.option, Counter())[comment.stance] += 1
    return Deliberation(
        prompts=tuple(round_row.prompts or ()),
        per_option=tuple(
            OptionComments(option=name, counts=StanceCounts(**{s: c[s] for s in STANCES}))
            for name, c in per.items()
        ),
        comments=comments,
        notable=notable(comments, [option.name for option in slate]),
        hidden=len(rows) - len(visible),
    )


def notable(comments: Sequence[CommentRecord], options: Sequence[str]) -> tuple[int, ...]:
    """The notable comments: for each option (slate order, then the round as a whole) and
    each stance, the comment that drew the most replies (the earliest among equals), at most
    :data:`NOTABLE_LIMIT` in all, in that order."""
    replies = Counter(c.parent_id for c in comments if c.parent_id is not None)
    chosen: list[int] = []
    for option in [*options, None]:
        for stance in STANCES:
            group = [c for c in comments if c.option == option and c.stance == stance]
            if group:
                best = min(group, key=lambda c: (-replies[c.id], c.id))
                chosen.append(best.id)
    return tuple(chosen[:NOTABLE_LIMIT])
