"""The pocket-park demo (``service/demo``), made reproducible for the record tests.

The process, proposals, rounds, comments and codes are made through the API as a
facilitator would; the ballots of ``pocket_park.json`` (round 1, instant runoff) and forty
budget ballots (round 2, Equal Shares over the top four) are written straight into the
ballot box with trackers drawn from a fixed seed, as the casting writer would store them;
both rounds are then closed (counted by the service), published, and every timestamp is
set to a fixed time. So the exported records are the same bytes on every run and database.

With ``whole_loop`` the demo goes on as ``redbench demo`` does: a third round set up by
mistake is cancelled before the decision, and the secretary then records the tasks, notes,
the photo, the feedback, the close-out, the re-opening and the second close-out
(:func:`service.demo.loader.loop_story`), all at fixed times too.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.digest import ALPHABET
from ballots.kinds import Ballot as BallotData
from ballots.kinds import BudgetBallot
from ballots.marks import marks_of
from ballots.validate import validate
from service.db import models
from service.demo.loader import BALLOTS, BUDGET_PATTERNS, COMMENTS, MISTAKE, OPTIONS, loop_story
from service.loop.tasks import process_tasks, task_notes
from service.results import ballot_box
from service.rounds.settings import ballot_rules
from tests.support.app import ok

SEED = 20260509
START = datetime(2026, 5, 9, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
DAY = 24 * 60
DECIDED = 7 * DAY
"""Minutes after :data:`START` when the process is decided."""


@dataclass(frozen=True)
class Demo:
    community_id: int
    process_id: int
    proposal_ids: list[int]
    round1: int
    round2: int


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


async def build_demo(
    client: Any, staff: dict[str, dict[str, str]], db: AsyncSession, *, whole_loop: bool = False
) -> Demo:
    """The two rounds of the pocket park, counted, published and decided; with
    ``whole_loop``, a third round cancelled, and the loop carried through to the close-out."""
    admin, facilitator = staff["admin"], staff["facilitator"]
    community = await ok(
        await client.post("/api/v1/communities", json={"name": "杜集社区"}, headers=admin), 201
    )
    process = await ok(
        await client.post(
            f"/api/v1/communities/{community['id']}/processes",
            json={
                "title": "口袋公园建设方案",
                "question": "社区东南角的闲置空地建口袋公园，先建哪些设施？",
            },
            headers=facilitator,
        ),
        201,
    )
    pid = process["id"]
    ids = []
    for title, yuan, description in OPTIONS:
        body = {"title": title, "description": description, "cost": yuan, "author": "议事会"}
        proposal = await ok(
            await client.post(f"/api/v1/processes/{pid}/proposals", json=body, headers=facilitator),
            201,
        )
        ids.append(proposal["id"])
    first = await ok(
        await client.post(
            f"/api/v1/processes/{pid}/rounds",
            json={
                "title": "设施排序",
                "ballot_kind": "ranked",
                "method": "irv",
                "proposal_ids": ids,
            },
            headers=facilitator,
        ),
        201,
    )
    r1 = first["id"]
    await _phase(client, r1, "commenting", facilitator)
    comment_ids = []
    for index, stance, body, speaker in COMMENTS:
        made = await ok(
            await client.post(
                f"/api/v1/rounds/{r1}/comments",
                json={
                    "proposal_id": ids[index],
                    "stance": stance,
                    "body": body,
                    "speaker": speaker,
                    "prompt": 0 if stance == "support" else 1,
                },
                headers=facilitator,
            ),
            201,
        )
        comment_ids.append(made["id"])
    reply = {"stance": "support", "body": "同意，地面要铺塑胶。", "parent_id": comment_ids[1]}
    await ok(
        await client.post(f"/api/v1/rounds/{r1}/comments", json=reply, headers=facilitator), 201
    )
    abusive = await ok(
        await client.post(
            f"/api/v1/rounds/{r1}/comments",
            json={"stance": "oppose", "body": "（人身攻击的话）"},
            headers=facilitator,
        ),
        201,
    )
    await ok(
        await client.post(
            f"/api/v1/comments/{abusive['id']}/hide",
            json={"reason": "人身攻击"},
            headers=facilitator,
        )
    )
    await _phase(client, r1, "voting", facilitator)
    entries = json.loads(BALLOTS.read_text(encoding="utf-8"))["ballots"]
    ballots: list[BallotData] = []
    for entry in entries:
        ballot = msgspec.convert(entry["ballot"], BallotData)
        ballots += [ballot] * int(entry["count"])
    await _codes_and_ballots(client, db, r1, ballots, facilitator, rng=random.Random(SEED))
    await _phase(client, r1, "closed", facilitator)
    await _phase(client, r1, "published", facilitator)

    second = await ok(
        await client.post(
            f"/api/v1/processes/{pid}/rounds",
            json={
                "title": "预算分配",
                "ballot_kind": "budget",
                "method": "equal-shares",
                "options": {"budget": 200000},
                "seed_from": {"round_id": r1, "top": 4},
            },
            headers=facilitator,
        ),
        201,
    )
    r2 = second["id"]
    await _phase(client, r2, "voting", facilitator)
    budget = [BudgetBallot(approved=tuple(names)) for n, names in BUDGET_PATTERNS for _ in range(n)]
    await _codes_and_ballots(client, db, r2, budget, facilitator, rng=random.Random(SEED + 1))
    await _phase(client, r2, "closed", facilitator)
    await _phase(client, r2, "published", facilitator)
    mistaken = None
    if whole_loop:
        third = {"title": "第3轮", "ballot_kind": "ranked", "method": "irv", "proposal_ids": ids}
        made = await ok(
            await client.post(f"/api/v1/processes/{pid}/rounds", json=third, headers=facilitator),
            201,
        )
        mistaken = made["id"]
        await ok(
            await client.post(
                f"/api/v1/rounds/{mistaken}/cancel", json={"reason": MISTAKE}, headers=facilitator
            )
        )
    await ok(
        await client.post(
            f"/api/v1/processes/{pid}/phase", json={"to": "decided"}, headers=facilitator
        )
    )
    if whole_loop:
        decided = at(DECIDED).date()
        checks = (decided + timedelta(days=50), decided + timedelta(days=60))
        titles = {title: pid for (title, _, _), pid in zip(OPTIONS, ids, strict=True)}
        await loop_story(_sender(client, staff["secretary"]), pid, titles, decided, checks)
    await _fix_times(db, pid, [r1, r2], mistaken)
    return Demo(community["id"], pid, ids, r1, r2)


def _sender(client: Any, headers: dict[str, str]) -> Any:
    """The API called as the staff member of ``headers`` (for the shared demo story)."""

    async def send(method: str, path: str, payload: Any = None, *, files: Any = None) -> Any:
        sent = {"files": files} if files is not None else {"json": payload}
        response = await client.request(method, path, headers=headers, **sent)
        assert response.status_code < 300, f"{method} {path}: {response.text}"
        return response.json() if response.content else None

    return send


async def _phase(client: Any, round_id: int, to: str, headers: dict[str, str]) -> None:
    await ok(
        await client.post(f"/api/v1/rounds/{round_id}/phase", json={"to": to}, headers=headers)
    )


async def _codes_and_ballots(
    client: Any,
    db: AsyncSession,
    round_id: int,
    ballots: list[BallotData],
    headers: dict[str, str],
    *,
    rng: random.Random,
) -> None:
    """Codes for everyone plus two (one voided, one left unused), and the ballots stored
    as the casting writer stores them, with trackers from ``rng``."""
    issued = await ok(
        await client.post(
            f"/api/v1/rounds/{round_id}/codes", json={"count": len(ballots) + 2}, headers=headers
        ),
        201,
    )
    lost = issued["codes"][0]["code"]
    await ok(
        await client.post(
            f"/api/v1/rounds/{round_id}/codes/void",
            json={"code": lost, "reason": "纸条遗失"},
            headers=headers,
        )
    )
    round_row = await db.get(models.Round, round_id, populate_existing=True)
    assert round_row is not None
    rules = ballot_rules(round_row)
    trackers: set[str] = set()
    while len(trackers) < len(ballots):
        trackers.add("".join(rng.choice(ALPHABET) for _ in range(16)))
    ordered = sorted(trackers)
    marks = [marks_of(validate(ballot, rules), rules.candidates) for ballot in ballots]
    await ballot_box.store(db, round_id, "".join(ordered).encode(), b"".join(marks), len(ordered))
    fresh = (
        await db.scalars(
            select(models.VoterCode.id)
            .where(models.VoterCode.round_id == round_id, models.VoterCode.status == "issued")
            .order_by(models.VoterCode.id)
            .limit(len(ballots))
        )
    ).all()
    await db.execute(
        update(models.VoterCode).where(models.VoterCode.id.in_(fresh)).values(status="used")
    )
    await db.commit()


async def _fix_times(
    db: AsyncSession, process_id: int, rounds: list[int], mistaken: int | None = None
) -> None:
    """Every timestamp the record shows, set to a fixed time (minutes after :data:`START`)."""
    await db.execute(
        update(models.Process)
        .where(models.Process.id == process_id)
        .values(created_at=at(0), deliberating_at=at(60), decided_at=at(DECIDED))
    )
    if mistaken is not None:
        await db.execute(
            update(models.Round)
            .where(models.Round.id == mistaken)
            .values(created_at=at(6 * DAY), cancelled_at=at(6 * DAY + 10))
        )
    await _fix_loop_times(db, process_id)
    for i, round_id in enumerate(rounds):
        day = i * 24 * 60 * 3
        await db.execute(
            update(models.Round)
            .where(models.Round.id == round_id)
            .values(
                created_at=at(day + 5),
                commenting_at=at(day + 10) if i == 0 else None,
                voting_at=at(day + 60),
                closed_at=at(day + 120),
                published_at=at(day + 130),
            )
        )
        await db.execute(
            update(models.RoundResult)
            .where(models.RoundResult.round_id == round_id)
            .values(counted_at=at(day + 120))
        )
    comments = (
        await db.scalars(
            select(models.Comment.id)
            .where(models.Comment.round_id.in_(rounds))
            .order_by(models.Comment.id)
        )
    ).all()
    for n, comment_id in enumerate(comments):
        await db.execute(
            update(models.Comment)
            .where(models.Comment.id == comment_id)
            .values(created_at=at(20 + 3 * n))
        )
    await db.commit()


async def _fix_loop_times(db: AsyncSession, process_id: int) -> None:
    """The loop's times: tasks set the day after the decision, each note three days after
    the one before (a task done when its note said so), the close-outs at the two checks
    and a day after the first."""
    tasks = await process_tasks(db, process_id)
    for n, task in enumerate(tasks):
        task.created_at = at(DECIDED + DAY + 10 * n)
    notes = await task_notes(db, [t.id for t in tasks])
    for n, note in enumerate(notes, start=1):
        note.created_at = at(DECIDED + 3 * n * DAY)
        if note.status == "done":
            next(t for t in tasks if t.id == note.task_id).done_at = note.created_at
    photos = (
        await db.scalars(
            select(models.TaskPhoto).where(models.TaskPhoto.note_id.in_([n.id for n in notes]))
        )
    ).all()
    for photo in photos:
        photo.created_at = next(n.created_at for n in notes if n.id == photo.note_id)
    close_outs = (
        await db.scalars(
            select(models.CloseOut)
            .where(models.CloseOut.process_id == process_id)
            .order_by(models.CloseOut.id)
        )
    ).all()
    for close_out, day in zip(close_outs, (51, 52, 61), strict=False):
        close_out.at = at(DECIDED + day * DAY)
    if close_outs:
        await db.execute(
            update(models.Process)
            .where(models.Process.id == process_id)
            .values(closed_at=close_outs[-1].at)
        )
    await db.commit()
