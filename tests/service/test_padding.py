"""Every ballot request of a round can be sent at one length (``pad``), so the size of an
encrypted request does not tell the network how much a resident marked."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from ballots.kinds import BallotRules
from service.voting.padding import STEP, fullest, padded_size
from tests.support.box import cast_count
from tests.support.park import PARK
from tests.support.rounds import COSTS, cast, issue, make_round

LONG = tuple(f"第{i}个方案：{'很长的名字' * 20}" for i in range(12))


@pytest.mark.parametrize("kind", ["ranked", "approval", "score", "budget"])
def test_the_padded_size_holds_the_longest_request(kind):
    budget = {"costs": (1.0,) * len(LONG), "budget": 10.0} if kind == "budget" else {}
    rules = BallotRules(kind=kind, candidates=LONG, **budget)
    longest = msgspec.json.encode(
        {
            "round_id": 2**31 - 1,
            "ticket": "T" * 128,
            "code": "C" * 40,
            "key": "K" * 64,
            "ballot": fullest(rules),
            "pad": "",
        }
    )
    size = padded_size(rules)
    assert size % STEP == 0
    assert len(longest) < size
    costs = {"costs": tuple(c / 100 for c in COSTS), "budget": 100_000.0}
    short = BallotRules(kind=kind, candidates=PARK, **(costs if kind == "budget" else {}))
    assert padded_size(short) < size  # a short slate pads less


async def test_a_padded_ballot_is_cast_and_a_pad_of_anything_but_spaces_refused(client, db, staff):
    round_id = await make_round(db)
    first, second = await issue(client, staff["facilitator"], round_id, 2)
    ballot = {"kind": "ranked", "ranking": [[PARK[0]]]}
    body = {"code": first, "key": uuid.uuid4().hex, "ballot": ballot}
    answer = await client.post(
        f"/api/v1/rounds/{round_id}/ballots", json={**body, "pad": " " * 900}
    )
    assert answer.status_code == 201, answer.text
    refused = await client.post(
        f"/api/v1/rounds/{round_id}/ballots",
        json={**body, "code": second, "key": uuid.uuid4().hex, "pad": "hidden"},
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == "pad"
    assert await cast_count(db, round_id) == 1
    assert (
        await cast(client, round_id, second, {"kind": "ranked", "ranking": [[PARK[1]]]})
    ).status_code == 201
