"""The pocket park of the 杜集 community, the example every part of the project uses: its
six options as the demo's ballot file lists them, that file's round sealed into a decision
bundle, and the demo's second round (a budget over the top four)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Final

import msgspec

from ballots.bundle import (
    Bundle,
    CountedContent,
    Package,
    ProcessRecord,
    RoundRecord,
    SealedBallots,
    seal,
)
from ballots.digest import (
    canonical_ballot,
    content_list_digest,
    sealed_box_digest,
    tracker_list_digest,
)
from ballots.formats import read_ballots
from ballots.recount import recount, round_from_box
from service.demo.loader import BUDGET_PATTERNS, OPTIONS
from tests.support.paths import DEMO

PARK: Final[tuple[str, ...]] = tuple(
    json.loads(DEMO.read_text(encoding="utf-8"))["rules"]["candidates"]
)
"""The six options in the ballot order: 儿童游乐设施 健康监测站 文化墙 小型活动区 健身器材
遮阳座椅."""
BUDGET_BALLOTS: Final = BUDGET_PATTERNS
"""The demo's 40 budget ballots within 200,000 yuan, as (voters, approved options)."""
BUDGET_OPTIONS: Final[tuple[str, ...]] = tuple(
    name for name, _, _ in OPTIONS if any(name in approved for _, approved in BUDGET_PATTERNS)
)
"""The four options of the budget round: 儿童游乐设施 健康监测站 小型活动区 健身器材."""
BUDGET_COSTS: Final[tuple[float, ...]] = tuple(
    float(yuan) for name, yuan, _ in OPTIONS if name in BUDGET_OPTIONS
)
"""Their costs in yuan, as the demo states them."""


def park_bundle() -> Bundle:
    """The demo's ballots counted by instant runoff and sealed as a one-round bundle."""
    box = read_ballots(DEMO)
    record = round_from_box(box, "irv")
    return seal(Package(process=ProcessRecord(title=box.title), rounds=(record,)))


def sealed(record: RoundRecord) -> RoundRecord:
    """The round as the service publishes it with sealed receipts: its trackers and its
    distinct ballots as two lists, the box digest made of theirs, counted again with it."""
    assert not isinstance(record.ballots, SealedBallots)
    trackers = tuple(sorted(e.tracker for e in record.ballots))
    ballots = {canonical_ballot(e.ballot): e.ballot for e in record.ballots}
    counts = Counter(canonical_ballot(e.ballot) for e in record.ballots)
    contents = tuple(CountedContent(count=counts[k], ballot=ballots[k]) for k in sorted(counts))
    lists = SealedBallots(
        trackers=trackers,
        trackers_digest=tracker_list_digest(trackers),
        contents=contents,
        contents_digest=content_list_digest((c.ballot, c.count) for c in contents),
    )
    digest = sealed_box_digest(lists.trackers_digest, lists.contents_digest)
    draft = msgspec.structs.replace(record, ballots=lists, ballot_box_digest=digest)
    result, comparison = recount(draft, digest)
    return msgspec.structs.replace(draft, result=result, comparison=comparison)


def sealed_park_bundle() -> Bundle:
    """:func:`park_bundle` with sealed receipts."""
    box = read_ballots(DEMO)
    record = sealed(round_from_box(box, "irv"))
    return seal(Package(process=ProcessRecord(title=box.title), rounds=(record,)))
