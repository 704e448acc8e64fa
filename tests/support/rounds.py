"""Rounds for the service tests: made straight in the database, frozen for voting as the
rounds endpoint would (:func:`make_round`), or through the API from the pocket-park process
(:func:`pocket_park`, :func:`new_round`); codes issued, ballots cast, rounds closed."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.guard import Actor
from service.db import models
from service.db.models import Community, Process, Proposal, Round
from service.results.counting import close_round
from service.rounds.settings import BallotSettings, RoundOptions, SlateOption
from tests.support.app import SECRET
from tests.support.park import PARK

COSTS = [8_000_000, 3_000_000, 2_000_000, 4_000_000, 2_500_000, 1_500_000]
"""The costs in fen :func:`make_round` gives the six options (80,000 yuan for the play
equipment ...)."""

PROCESS_COSTS = [12_000_000, 3_000_000, 1_500_000, 2_000_000, 2_500_000, 1_800_000]
"""The costs in fen :func:`pocket_park` gives its six proposals."""

FACILITATOR = Actor(id=None, name="主持人", role="facilitator")
"""Who closes the rounds :func:`close` counts."""


# --- made in the database ----------------------------------------------------------------


async def make_round(
    db: AsyncSession,
    *,
    kind: str = "ranked",
    method: str = "irv",
    options: dict[str, Any] | None = None,
    rules: dict[str, Any] | None = None,
    phase: str = "voting",
    household_roll: bool = False,
    costs: list[int] | None = None,
    open_receipts: bool = False,
    phone_hours: float | None = 24,
) -> int:
    """A round of the pocket-park process, frozen for voting as the rounds endpoint would;
    ``costs`` (in fen, one per option) replace the park's own :data:`COSTS`. Its phone
    window is open for ``phone_hours`` from now (``None``: no phone window), so ballots cast
    through ``POST /api/v1/rounds/{id}/ballots`` (:func:`cast`), which are ballots from
    home, are taken."""
    community = Community(name=f"杜集社区 {uuid.uuid4().hex[:6]}")
    db.add(community)
    await db.flush()
    process = Process(community_id=community.id, title="口袋公园建设方案", phase="deliberating")
    db.add(process)
    await db.flush()
    proposals = [
        Proposal(process_id=process.id, title=name, cost_cents=cost)
        for name, cost in zip(PARK, costs or COSTS, strict=True)
    ]
    db.add_all(proposals)
    await db.flush()
    number = 1 + (await db.scalar(select(func.count()).select_from(Round)) or 0)
    round_row = Round(
        process_id=process.id,
        number=number,
        title="第一轮投票",
        phase=phase,
        ballot_kind=kind,
        method=method,
        options=RoundOptions.of(options or {}),
        rules=BallotSettings(**(rules or {})),
        household_roll=household_roll,
        open_receipts=open_receipts,
        slate=[
            SlateOption(proposal_id=p.id, name=p.title, cost_cents=p.cost_cents) for p in proposals
        ],
        voting_at=datetime.now(UTC) if phase != "scheduled" else None,
        phone_until=None
        if phone_hours is None
        else datetime.now(UTC) + timedelta(hours=phone_hours),
    )
    db.add(round_row)
    await db.commit()
    return round_row.id


@dataclass
class Park:
    """The ids :func:`pocket_park` made."""

    process: int
    proposals: list[int]
    other_process: int
    other_proposal: int


async def pocket_park(db: AsyncSession) -> Park:
    """The pocket-park process with its six proposals, and an unrelated second process."""
    community = models.Community(name="杜集社区")
    db.add(community)
    await db.flush()
    process = models.Process(community_id=community.id, title="口袋公园建设方案")
    other = models.Process(community_id=community.id, title="防溺水宣传")
    db.add_all([process, other])
    await db.flush()
    proposals = [
        models.Proposal(process_id=process.id, title=t, cost_cents=c)
        for t, c in zip(PARK, PROCESS_COSTS, strict=True)
    ]
    stray = models.Proposal(process_id=other.id, title="河边护栏")
    db.add_all([*proposals, stray])
    await db.commit()
    return Park(process.id, [p.id for p in proposals], other.id, stray.id)


async def phone_window_in_db(db: AsyncSession, round_id: int, hours: float = 24) -> None:
    """Open the round's phone window for ``hours`` straight in the database (for a test
    signed in by session cookie, casting through the public API: ballots from home)."""
    until = datetime.now(UTC) + timedelta(hours=hours)
    await db.execute(update(Round).where(Round.id == round_id).values(phone_until=until))
    await db.commit()


async def close(db: AsyncSession, round_id: int, phase: str = "closed") -> None:
    """Close (and count) the round as the rounds phase endpoint does; optionally publish."""
    round_row = await db.get(Round, round_id, populate_existing=True)
    round_row.phase = "closed"
    await close_round(db, round_row, FACILITATOR, SECRET)
    round_row.phase = phase
    await db.commit()


# --- through the API ----------------------------------------------------------------------


async def new_round(
    client: Any, headers: dict[str, str], process_id: int, proposal_ids: list[int], **fields: Any
) -> dict[str, Any]:
    """A round set up through the API (instant runoff unless ``fields`` say otherwise)."""
    payload = {"title": "第一轮", "method": "irv", "proposal_ids": proposal_ids, **fields}
    response = await client.post(
        f"/api/v1/processes/{process_id}/rounds", json=payload, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def to_phase(client: Any, headers: dict[str, str], round_id: int, phase: str) -> Any:
    """Ask the API to move the round to ``phase``; the answer."""
    return await client.post(
        f"/api/v1/rounds/{round_id}/phase", json={"to": phase}, headers=headers
    )


async def issue(client: Any, headers: dict[str, str], round_id: int, count: int) -> list[str]:
    """Issue ``count`` voter codes for the round; the codes."""
    response = await client.post(
        f"/api/v1/rounds/{round_id}/codes", json={"count": count}, headers=headers
    )
    assert response.status_code == 201, response.text
    return [c["code"] for c in response.json()["codes"]]


def ranked(*names: str) -> dict[str, Any]:
    """A ranked ballot (as JSON) naming one option per place, best first."""
    return {"kind": "ranked", "ranking": [[n] for n in names]}


async def cast(
    client: Any, round_id: int, code: str, ballot: dict[str, Any], key: str | None = None
) -> Any:
    """Cast ``ballot`` with ``code`` through the API (a fresh key unless one is given): a
    ballot from home, taken only inside the round's phone window (:func:`make_round` opens
    one; :func:`tests.support.phone.open_phone_window` for a round made through the API)."""
    return await client.post(
        f"/api/v1/rounds/{round_id}/ballots",
        json={"code": code, "key": key or uuid.uuid4().hex, "ballot": ballot},
    )


SECURE = "https://testserver.local"
"""The test client's host over ``https``, as a facilitator reaches a service behind TLS: a
phone window is refused on a plain ``http`` public address (``phone-window-insecure``)."""


async def ensure_phone_window(client: Any, headers: dict[str, str], round_id: int) -> None:
    """Open the round's phone window for a day unless it is open: ballots cast through
    ``POST /api/v1/rounds/{id}/ballots`` (:func:`cast`) are ballots from home, taken only
    inside it."""
    path = f"/api/v1/rounds/{round_id}/phone-window"
    shown = await client.get(path, headers=headers)
    if shown.status_code == 200 and shown.json()["open"]:
        return
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    opened = await client.put(f"{SECURE}{path}", json={"until": until}, headers=headers)
    assert opened.status_code == 200, opened.text


async def vote(
    client: Any, staff: dict[str, dict[str, str]], round_id: int, ballots: list[dict[str, Any]]
) -> list[str]:
    """Issue a code for each ballot and cast it through the API, a phone window opened if
    the round has none open; the receipts' trackers, in order."""
    await ensure_phone_window(client, staff["facilitator"], round_id)
    codes = await issue(client, staff["facilitator"], round_id, len(ballots))
    trackers = []
    for code, ballot in zip(codes, ballots, strict=True):
        response = await cast(client, round_id, code, ballot)
        assert response.status_code == 201, response.text
        trackers.append(response.json()["tracker"])
    return trackers


async def saved_export(
    client: Any, headers: dict[str, str], round_id: int, fmt: str, folder: Path
) -> Path:
    """A round's export as a user saves it: under the file name the server gives, in a
    folder of the round's and the format's own below ``folder``."""
    response = await client.get(f"/api/v1/rounds/{round_id}/exports/{fmt}", headers=headers)
    assert response.status_code == 200, response.text
    name = re.search(r'filename="([^"]+)"', response.headers["content-disposition"])
    assert name is not None
    path = folder / str(round_id) / fmt / name.group(1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(response.content)
    return path
