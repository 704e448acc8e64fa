"""Faults under load: the server is killed with SIGKILL again and again while 20 tablets
cast, and afterwards nothing acknowledged is missing, nothing is doubled, the digest
verifies and the count equals a recount. Also: the load tool's check catches what it must.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from ballots.digest import (
    content_list_digest,
    lot_seed,
    new_tracker,
    sealed_box_digest,
    tracker_list_digest,
)
from ballots.kinds import RankedBallot
from tests.load.harness import postgres_database
from tests.load.tablets import Ledger, ballot_for, canonical, check, parse, recount, run
from tests.support.databases import PG_URL

BACKENDS = ["sqlite", "postgres"] if PG_URL else ["sqlite"]


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """``--database`` arguments for the run: none (a fresh SQLite file) or a database of
    this test run's own on the configured PostgreSQL server, dropped afterwards."""
    if request.param == "sqlite":
        yield []
        return
    with postgres_database("redbench_load") as url:
        yield ["--database", url]


def test_killing_the_server_mid_run_loses_and_doubles_nothing(database: list[str]) -> None:
    args = parse(
        ["--ballots", "3000", "--tablets", "20", "--kill-every", "0.2", "--kills", "3", *database]
    )
    done = asyncio.run(run(args, say=lambda _: None))
    assert done.kills == 3, "the server was not killed three times during the run"
    assert done.problems == []
    assert done.ledger.lost == []
    assert len(done.ledger.acks) == 3000  # every code ended with its receipt
    assert sum(done.ledger.errors.values()) > 0  # the tablets did see the server go away


def _closed(numbers: range) -> tuple[Ledger, dict[str, Any]]:
    """A consistent ledger and published round (sealed receipts: a tracker list and a
    ballot list with counts) for the ballots of ``numbers``."""
    ledger = Ledger()
    counted: Counter[bytes] = Counter()
    for number in numbers:
        ledger.acks[number] = new_tracker()
        counted[canonical(ballot_for(number))] += 1
    trackers = sorted(ledger.acks.values())
    ballots = [{"count": n, "ballot": msgspec.json.decode(c)} for c, n in sorted(counted.items())]
    lists = (
        tracker_list_digest(trackers),
        content_list_digest(
            (msgspec.convert(b["ballot"], RankedBallot), b["count"]) for b in ballots
        ),
    )
    digest = sealed_box_digest(*lists)
    result = recount([ballot_for(n) for n in numbers], "irv", digest)
    closed = {
        "trackers": trackers,
        "ballots": ballots,
        "turnout": {"codes_used": len(trackers)},
        "result": {
            "ballot_box_digest": digest,
            "trackers_digest": lists[0],
            "contents_digest": lists[1],
            "result": msgspec.to_builtins(result),
        },
    }
    assert lot_seed(digest)  # the recount drew its lots from this box
    return ledger, closed


def test_the_check_passes_a_consistent_round() -> None:
    ledger, closed = _closed(range(40))
    assert check(ledger, closed) == []


def test_the_check_finds_a_changed_ballot() -> None:
    ledger, closed = _closed(range(40))
    first = closed["ballots"][0]
    first["count"] -= 1  # one of these ballots now says something else
    closed["ballots"].append({"count": 1, "ballot": {"kind": "ranked", "ranking": [["文化墙"]]}})
    if first["count"] == 0:
        closed["ballots"].remove(first)
    problems = check(ledger, closed)
    assert any("1 acknowledged ballots are not in the published ballot list" in p for p in problems)
    assert any("digest" in p for p in problems)


def test_the_check_finds_a_missing_and_an_extra_ballot() -> None:
    ledger, closed = _closed(range(40))
    gone = closed["trackers"].pop(0)
    assert any(gone in p and "not published" in p for p in check(ledger, closed))
    ledger, closed = _closed(range(40))
    del ledger.acks[5]  # a ballot stored although its cast was never acknowledged or lost
    assert any("never acknowledged" in p for p in check(ledger, closed))
    ledger.lost.append(5)  # … which is allowed when its answer was lost
    assert not any("never acknowledged" in p for p in check(ledger, closed))
    assert check(ledger, closed) == []


def test_the_check_finds_an_edited_result_and_turnout() -> None:
    ledger, closed = _closed(range(40))
    closed["result"]["result"]["winners"] = ["遮阳座椅"]
    closed["turnout"]["codes_used"] = 41
    problems = check(ledger, closed)
    assert any("recount elects" in p for p in problems)
    assert any("41 codes used" in p for p in problems)
