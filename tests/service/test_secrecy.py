"""The secret ballot, checked on what is stored and what is exported after a real round
(codes issued, ballots cast over the API, one retry, the round closed and published):

- the ballot table holds the tracker, the round and the ballot, nothing else, and no table
  refers to it;
- a tracker appears nowhere but in its ballot row; a code (plain or hashed) nowhere but in
  the code table, which records whether a code was used, not when or for what;
- nothing records when a ballot was cast (no audit row, no idempotency key left);
- every export lists ballots in tracker order and carries neither codes nor casting times;
- before the close nobody sees a result, a ballot list or an export, and before publishing
  the public does not either.
"""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import openpyxl
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.base import Base
from service.db.models import BoxPart, SlipBatch, VoterCode
from service.voting.codes import code_hash
from tests.support.app import SECRET
from tests.support.park import PARK
from tests.support.rounds import cast, issue, make_round, ranked

ROUND_EXPORTS = ["json", "pdf", "xlsx", "ballots-csv", "rounds-csv", "comments-csv", "blt"]
TIME = re.compile(r"\d{2}:\d{2}:\d{2}")


async def every_value(db: AsyncSession) -> dict[str, list[str]]:
    """Every stored value of every table, as text, by ``table.column``."""
    found: dict[str, list[str]] = {}
    for table in Base.metadata.sorted_tables:
        rows = (await db.execute(select(table))).all()
        for index, column in enumerate(table.columns):
            found[f"{table.name}.{column.name}"] = [
                v.hex() if isinstance(v, bytes) else str(v) for row in rows if (v := row[index])
            ]
    return found


async def hidden(client: Any, round_id: int, headers: dict[str, str]) -> list[int]:
    """The statuses of everything that would show a result or the ballots."""
    paths = [
        f"/api/v1/rounds/{round_id}/result",
        f"/api/v1/rounds/{round_id}/ballots",
        f"/api/v1/rounds/{round_id}/bundle",
        *[f"/api/v1/rounds/{round_id}/exports/{fmt}" for fmt in ROUND_EXPORTS],
    ]
    return [(await client.get(path, headers=headers)).status_code for path in paths]


async def test_no_path_from_a_ballot_to_a_code_a_device_or_a_time(client, db, staff):
    facilitator = staff["facilitator"]
    round_id = await make_round(db)
    codes = await issue(client, facilitator, round_id, 12)
    trackers = []
    for i, code in enumerate(codes[:10]):
        key = uuid.uuid4().hex
        body = ranked(PARK[i % 6], PARK[(i + 2) % 6])
        response = await cast(client, round_id, code, body, key)
        assert response.status_code == 201, response.text
        if i == 3:  # a tablet that lost the answer sends the same request again
            assert (await cast(client, round_id, code, body, key)).status_code == 200
        trackers.append(response.json()["tracker"])

    # before the close: nothing for anyone (the public is refused, staff get 409)
    for headers in ({}, facilitator, staff["secretary"], staff["admin"]):
        assert all(status in (401, 403, 409) for status in await hidden(client, round_id, headers))

    closed = await client.post(
        f"/api/v1/rounds/{round_id}/phase", json={"to": "closed"}, headers=facilitator
    )
    assert closed.status_code == 200, closed.text
    assert all(s in (401, 403, 409) for s in await hidden(client, round_id, {}))  # not published

    # the counted box: trackers and marks by round, nothing else; nothing points at it
    assert {c.name for c in BoxPart.__table__.columns} == {
        "round_id",
        "first_tracker",
        "count",
        "trackers",
        "marks",
    }
    for table in Base.metadata.sorted_tables:
        for key in table.foreign_keys:
            assert key.column.table.name != "box_parts", f"{table.name} refers to the box"
    code_columns = {c.name for c in VoterCode.__table__.columns}
    # a code's slip number and batch say which slip it is, never when or with which ballot
    # it was used: a cast clears them (see test_a_used_code_keeps_no_slip_number); a batch
    # knows when it was issued and how many slips were reprinted, nothing of their use; a
    # code's channel says how its ballot came (paper, phone, tablet), the ballot does not
    assert code_columns == {
        "channel",
        "id",
        "round_id",
        "code_hash",
        "household_id",
        "status",
        "void_reason",
        "batch_id",
        "number",
    }
    assert {c.name for c in SlipBatch.__table__.columns} == {
        "id",
        "round_id",
        "number",
        "first",
        "count",
        "salt",
        "issued_by",
        "issued_at",
        "reprints",
    }

    stored = await every_value(db)
    hashes = [code_hash(SECRET, code.replace("-", "")) for code in codes]
    for where, values in stored.items():
        text = "\n".join(values)
        for tracker in trackers:
            if tracker in text or tracker.encode().hex() in text:
                assert where.startswith("box_parts."), f"tracker {tracker} found in {where}"
        for code, hashed in zip(codes, hashes, strict=True):
            assert code not in text, where
            assert code.replace("-", "") not in text, where
            if hashed in text:
                assert where == "voter_codes.code_hash", f"a code hash found in {where}"
    assert stored["cast_keys.key_hash"] == []  # the idempotency keys went with the close
    actions = {v for v in stored["audit_events.action"]}
    assert not any("cast" in action or "ballot" in action for action in actions), actions

    # the exports: the trackers sorted and apart from the ballots (sealed receipts), no
    # codes, no times of casting
    published = await client.post(
        f"/api/v1/rounds/{round_id}/phase", json={"to": "published"}, headers=facilitator
    )
    assert published.status_code == 200, published.text
    secretary = staff["secretary"]
    bundle = (await client.get(f"/api/v1/rounds/{round_id}/bundle")).json()
    [lists] = [r["ballots"] for r in bundle["rounds"]]
    assert set(lists) == {"trackers", "trackers_digest", "contents", "contents_digest"}
    assert lists["trackers"] == sorted(trackers)
    for entry in lists["contents"]:
        assert set(entry) == {"count", "ballot"}, entry
    csv = await client.get(f"/api/v1/rounds/{round_id}/exports/ballots-csv", headers=secretary)
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert not any(TIME.search(line) for line in lines)
    rows = [line for line in lines if not line.startswith("#redbench_")][1:]  # less the header
    assert sum(int(row.split(",")[1]) for row in rows) == 10  # round, count, …
    assert not any(tracker in csv.text for tracker in trackers)
    workbook = openpyxl.load_workbook(
        io.BytesIO(
            (await client.get(f"/api/v1/rounds/{round_id}/exports/xlsx", headers=secretary)).content
        )
    )
    cells = "\n".join(
        str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row
    )
    for fmt in ROUND_EXPORTS:
        body = (
            await client.get(f"/api/v1/rounds/{round_id}/exports/{fmt}", headers=secretary)
        ).content
        for code, hashed in zip(codes, hashes, strict=True):
            for secret in (code, code.replace("-", ""), hashed):
                assert secret.encode() not in body, f"{fmt} holds a code"
                assert secret not in cells
        if fmt != "json":  # only the bundle lists the trackers, apart from the ballots
            assert not [t for t in trackers if t.encode() in body], f"{fmt} holds a tracker"
    assert not [t for t in trackers if t in cells]
