"""After a round is counted, PostgreSQL's storage keeps no trace of the order of casting:
every ballot row carries the same transaction id and the rows sit in tracker order
(SQLite's table is clustered on the tracker and has no row ids to begin with)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from tests.service.test_casting import PARK, cast, issue, make_round, ranked

ORDER = text("SELECT tracker FROM ballots WHERE round_id = :r ORDER BY ctid")
WRITERS = text("SELECT count(DISTINCT xmin::text) FROM ballots WHERE round_id = :r")


@pytest.mark.backends("postgres")
async def test_the_counted_box_keeps_no_casting_order(client, db, staff):
    round_id = await make_round(db)
    codes = await issue(client, staff["facilitator"], round_id, 8)
    trackers = []
    for i, code in enumerate(codes):  # one after the other: eight transactions
        response = await cast(client, round_id, code, ranked(PARK[i % 6], PARK[(i + 1) % 6]))
        assert response.status_code == 201, response.text
        trackers.append(response.json()["tracker"])
    params = {"r": round_id}
    assert (await db.scalar(WRITERS, params)) == 8  # the casting order is there to be read
    assert list((await db.scalars(ORDER, params)).all()) == trackers

    closed = await client.post(
        f"/api/v1/rounds/{round_id}/phase", json={"to": "closed"}, headers=staff["facilitator"]
    )
    assert closed.status_code == 200, closed.text
    for _ in range(200):  # the seal runs in the background once the close has committed
        await db.commit()  # a fresh snapshot
        if await db.scalar(WRITERS, params) == 1:
            break
        await asyncio.sleep(0.05)
    assert (await db.scalar(WRITERS, params)) == 1
    assert list((await db.scalars(ORDER, params)).all()) == sorted(trackers)
    result = await client.get(f"/api/v1/rounds/{round_id}/result", headers=staff["facilitator"])
    listing = await client.get(f"/api/v1/rounds/{round_id}/ballots", headers=staff["facilitator"])
    assert listing.json()["ballot_box_digest"] == result.json()["ballot_box_digest"]
    assert [b["tracker"] for b in listing.json()["ballots"]] == sorted(trackers)
