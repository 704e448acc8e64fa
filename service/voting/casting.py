"""Casting one ballot: checking it against the frozen slate, encoding it, and the steps that
run inside the writer's transaction (redeem the code, mark the household, store the ballot
and the idempotency key) — all or nothing, in one SAVEPOINT."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.digest import canonical_ballot, grouped_tracker, new_tracker, short_tracker
from ballots.kinds import Ballot as BallotData
from ballots.kinds import BallotRules, RankedBallot, ScoreBallot
from ballots.validate import validate
from service.db.models import Ballot, CastKey, Household, Round, VoterCode
from service.errors import Conflict, NotFound
from service.voting.codes import code_hash, normalize_code, unknown_code, used_code, void_code_error
from service.voting.schemas import CastRequest, Receipt


@dataclass(frozen=True, slots=True)
class RoundSpec:
    """What casting needs to know of a voting round (frozen when voting opened)."""

    round_id: int
    rules: BallotRules
    index: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class CastJob:
    """One checked, encoded ballot waiting for the writer. No plaintext code in it."""

    round_id: int
    code_hash: str
    key_hash: str
    request_digest: str
    marks: bytes
    content: str


def ballot_rules(round_row: Round) -> BallotRules:
    """The round's ballot rules over its frozen slate (budget costs in yuan, like the budget)."""
    slate = round_row.slate or []
    rules: dict[str, Any] = round_row.rules or {}
    options: dict[str, Any] = round_row.options or {}
    costs: tuple[float, ...] | None = None
    budget: float | None = None
    if round_row.ballot_kind == "budget":
        costs = tuple((option.get("cost_cents") or 0) / 100 for option in slate)
        raw_budget = rules.get("budget", options.get("budget"))
        budget = None if raw_budget is None else float(raw_budget)
    return BallotRules(
        kind=cast(Any, round_row.ballot_kind),
        candidates=tuple(str(option["name"]) for option in slate),
        allow_ties=bool(rules.get("allow_ties", False)),
        allow_truncation=bool(rules.get("allow_truncation", True)),
        allow_empty=bool(rules.get("allow_empty", False)),
        max_approvals=rules.get("max_approvals"),
        max_score=rules.get("max_score") or 5,
        costs=costs,
        budget=budget,
        allow_over_budget=bool(rules.get("allow_over_budget", False)),
    )


def round_spec(round_row: Round) -> RoundSpec:
    rules = ballot_rules(round_row)
    return RoundSpec(round_row.id, rules, {name: i for i, name in enumerate(rules.candidates)})


def not_open(round_id: int, phase: str) -> Conflict:
    return Conflict(
        f"round {round_id} is not open for voting (it is {phase}); ballots are taken only "
        "while the round is in its voting phase",
        code="round-not-open",
        zh="本轮目前不在投票阶段，不能投票",
        phase=phase,
    )


def no_round(round_id: int) -> NotFound:
    return NotFound(f"there is no round {round_id}", zh=f"没有编号为 {round_id} 的轮次")


def marks_of(ballot: BallotData, spec: RoundSpec) -> bytes:
    """One little-endian int16 per slate option, in slate order: the preference position
    (ties share one, -1 unranked) for ranked ballots, the score for score ballots, 1/0 for
    approval and budget ballots."""
    index = spec.index
    if isinstance(ballot, RankedBallot):
        values = [-1] * len(index)
        for position, group in enumerate(ballot.ranking):
            for name in group:
                values[index[name]] = position
    elif isinstance(ballot, ScoreBallot):
        values = [0] * len(index)
        for name, score in ballot.scores.items():
            values[index[name]] = score
    else:
        values = [0] * len(index)
        for name in ballot.approved:
            values[index[name]] = 1
    return struct.pack(f"<{len(values)}h", *values)


def prepare(spec: RoundSpec, request: CastRequest, secret_key: str) -> CastJob:
    """Check the ballot against the slate and rules and encode it for the writer."""
    valid = validate(request.ballot, spec.rules)
    code = normalize_code(request.code)
    if code is None:
        raise unknown_code()
    content = canonical_ballot(valid)
    key_hash = hashlib.sha256(f"{spec.round_id}\n{request.key}".encode()).hexdigest()
    # the plaintext code is in the digest so that a key reused for another voter is refused;
    # only the plaintext (never stored) links this digest to a code
    digest = hashlib.sha256(code.encode("ascii") + b"\n" + content).hexdigest()
    return CastJob(
        round_id=spec.round_id,
        code_hash=code_hash(secret_key, code),
        key_hash=key_hash,
        request_digest=digest,
        marks=marks_of(valid, spec),
        content=content.decode(),
    )


def receipt(round_id: int, tracker: str, *, replayed: bool = False) -> Receipt:
    return Receipt(
        round_id=round_id,
        tracker=tracker,
        short=short_tracker(tracker),
        grouped=grouped_tracker(tracker),
        replayed=replayed,
    )


async def open_rounds(session: AsyncSession, round_ids: Iterable[int]) -> dict[int, str]:
    """The phase of each round, read under a shared row lock (PostgreSQL ``FOR SHARE``) held
    to the end of the transaction, so that closing a round waits for the casts in flight."""
    rows = await session.execute(
        select(Round.id, Round.phase)
        .where(Round.id.in_(sorted(set(round_ids))))
        .order_by(Round.id)
        .with_for_update(read=True)
    )
    return {round_id: phase for round_id, phase in rows}


async def replayed(session: AsyncSession, job: CastJob) -> Receipt | None:
    """The earlier receipt for this idempotency key, if the same ballot was cast with it."""
    row = (
        await session.execute(
            select(CastKey.request_digest, CastKey.tracker).where(CastKey.key_hash == job.key_hash)
        )
    ).first()
    if row is None:
        return None
    if row.request_digest != job.request_digest:
        raise Conflict(
            "this idempotency key was already used for a different ballot or code; "
            "make a new key for each new submission",
            code="idempotency-key-reused",
            zh="此提交编号已用于另一张选票，请为每次新的提交生成新的编号",
            field="key",
        )
    return receipt(job.round_id, row.tracker, replayed=True)


async def _why_not_redeemed(session: AsyncSession, job: CastJob) -> Exception:
    status = await session.scalar(
        select(VoterCode.status).where(
            VoterCode.code_hash == job.code_hash, VoterCode.round_id == job.round_id
        )
    )
    if status is None:
        return unknown_code()
    return void_code_error() if status == "void" else used_code()


async def cast_one(session: AsyncSession, job: CastJob) -> Receipt:
    """Redeem the code, mark its household, store the ballot and the key (in one SAVEPOINT
    of the writer's transaction; the caller has checked that the round is voting)."""
    earlier = await replayed(session, job)
    if earlier is not None:
        return earlier
    redeemed = (
        await session.execute(
            update(VoterCode)
            .where(
                VoterCode.code_hash == job.code_hash,
                VoterCode.round_id == job.round_id,
                VoterCode.status == "issued",
            )
            .values(status="used")
            .returning(VoterCode.household_id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if redeemed is None:
        # another worker may have committed this very submission meanwhile
        earlier = await replayed(session, job)
        if earlier is not None:
            return earlier
        raise await _why_not_redeemed(session, job)
    if redeemed.household_id is not None:
        marked = await session.execute(
            update(Household)
            .where(Household.id == redeemed.household_id, Household.voted.is_(False))
            .values(voted=True)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], marked).rowcount != 1:
            raise Conflict(
                "this household has already voted in this round (one vote per household)",
                code="household-voted",
                zh="该户在本轮已经投过票（每户一票）",
                field="code",
            )
    tracker = new_tracker()
    await session.execute(
        insert(Ballot).values(
            tracker=tracker, round_id=job.round_id, marks=job.marks, content=job.content
        )
    )
    await session.execute(
        insert(CastKey).values(
            key_hash=job.key_hash,
            request_digest=job.request_digest,
            tracker=tracker,
            round_id=job.round_id,
        )
    )
    return receipt(job.round_id, tracker)
