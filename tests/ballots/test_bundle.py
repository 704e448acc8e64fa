"""The decision bundle: canonical bytes, the package digest, strict reading, and counted
rounds made from ballot files."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import msgspec
import pytest

from ballots.bundle import (
    LOOP_VERSION,
    VERSION,
    LoopRecord,
    Package,
    ProcessRecord,
    SealedBallots,
    decode,
    encode,
    entry,
    package_bytes,
    package_digest,
    seal,
    version_for,
)
from ballots.digest import (
    ballot_box_digest,
    ballot_line,
    canonical_ballot,
    lot_seed,
    normalize_tracker,
    sealed_box_digest,
)
from ballots.errors import FormatError
from ballots.formats import read_ballots
from ballots.kinds import RankedBallot
from ballots.recount import derived_tracker, recount, round_from_box
from ballots.verify import verify
from tests.support.park import park_bundle, sealed_park_bundle
from tests.support.paths import ROOT

TASK = {
    "title": "安装秋千",
    "owner": "物业公司",
    "due_on": "2026-06-30",
    "status": "done",
    "progress": 100,
    "notes": [{"body": "更换链条", "status": "done"}],
}


def test_the_file_is_the_canonical_encoding_and_ends_with_the_digest() -> None:
    bundle = park_bundle()
    data = encode(bundle)
    assert data == msgspec.json.encode(bundle, order="deterministic")
    assert data.startswith(b'{"format":"redbench-decision","version":1,"scope":"round"')
    assert data.endswith(b',"digest":"' + bundle.digest.encode() + b'"}')


def test_the_digest_is_the_sha256_of_the_file_without_its_digest_member() -> None:
    # the rule documented for outside verifiers: drop the final ,"digest":"…" member
    bundle = park_bundle()
    data = encode(bundle)
    stripped = re.sub(rb',"digest":"[0-9a-f]{64}"}$', b"}", data)
    assert hashlib.sha256(stripped).hexdigest() == bundle.digest
    assert stripped == package_bytes(bundle)
    assert package_digest(bundle) == bundle.digest


def test_a_reformatted_file_reads_back_to_the_same_bundle_and_digest() -> None:
    bundle = park_bundle()
    pretty = json.dumps(json.loads(encode(bundle)), ensure_ascii=True, indent=2, sort_keys=True)
    again = decode(pretty.encode())
    assert encode(again) == encode(bundle)
    assert verify(pretty.encode()).verified


def test_ballots_are_in_tracker_order_each_with_its_line_hash() -> None:
    record = park_bundle().rounds[0]
    trackers = [e.tracker for e in record.ballots]
    assert trackers == sorted(trackers)
    assert len(set(trackers)) == len(trackers) == 72
    assert all(normalize_tracker(t) == t for t in trackers)
    for item in record.ballots:
        assert item.hash == hashlib.sha256(ballot_line(item.tracker, item.ballot)).hexdigest()
    assert record.ballot_box_digest == ballot_box_digest(
        (e.tracker, e.ballot) for e in record.ballots
    )


def test_the_same_file_always_gives_the_same_bundle() -> None:
    assert encode(park_bundle()) == encode(park_bundle())
    assert derived_tracker("seed", 0) == derived_tracker("seed", 0) != derived_tracker("seed", 1)


def test_a_counted_round_from_a_file_is_the_service_count() -> None:
    # pocket park under instant runoff: play equipment 28 first preferences, 44 at the end
    record = park_bundle().rounds[0]
    assert record.result.winners == ("儿童游乐设施",)
    assert record.result.rounds[0].tallies["儿童游乐设施"] == 28
    assert record.result.rounds[-1].tallies["儿童游乐设施"] == 44
    assert record.result.seed == record.ballot_box_digest  # the lot seed is the box digest
    assert record.counting.tie_policy == "lot"
    assert record.comparison is not None
    assert recount(record, record.ballot_box_digest) == (record.result, record.comparison)


def test_entry_hashes_the_ballot_line() -> None:
    ballot = RankedBallot(ranking=(("文化墙",), ("健身器材",)))
    made = entry("0000000000000001", ballot)
    line = '0000000000000001\t{"kind":"ranked","ranking":[["文化墙"],["健身器材"]]}\n'
    assert made.hash == hashlib.sha256(line.encode()).hexdigest()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d.update(extra=1),
            r"bundle: \(top level\): Object contains unknown field `extra`",
        ),
        (lambda d: d.update(format="other"), "format: expected 'redbench-decision', got 'other'"),
        (
            lambda d: d.update(version=3),
            "version: this reader knows versions 1 to 2, the file is 3",
        ),
        (
            lambda d: d.update(loop={"phase": "closed"}),
            r"\(top level\): a bundle holding the loop is version 2 or later",
        ),
        (
            lambda d: d.update(
                version=2, loop={"phase": "closed", "tasks": [TASK | {"progress": 101}]}
            ),
            r"loop.tasks\[0\].progress: Expected `int` <= 100",
        ),
        (
            lambda d: d.update(version=2, loop={"phase": "done"}),
            r"loop.phase: Invalid enum value 'done'",
        ),
        (
            lambda d: d["rounds"][0]["ballots"][3].update(tracker=5),
            r"rounds\[0\].ballots\[3\].tracker: Expected `str`, got `int`",
        ),
        (
            lambda d: d["rounds"][0]["ballots"][0]["ballot"].update(kind="secret"),
            r"rounds\[0\].ballots\[0\].ballot.kind: Invalid value 'secret'",
        ),
        (lambda d: d.update(digest="abc"), "digest: Expected `str` matching regex"),
    ],
)
def test_a_malformed_bundle_names_the_place_of_the_fault(change, message) -> None:
    data = json.loads(encode(park_bundle()))
    change(data)
    with pytest.raises(FormatError, match=message):
        decode(json.dumps(data).encode())


def test_a_bundle_without_the_loop_leaves_it_out_and_takes_its_rounds_version() -> None:
    """``loop`` is left out of a bundle without it, whose version is what its rounds need
    (1 for open receipts only: written as before, so digests printed on earlier records
    still verify)."""
    bundle = park_bundle()
    data = encode(bundle)
    assert b'"loop"' not in data
    assert json.loads(data)["version"] == version_for(bundle.rounds)
    assert VERSION == 2
    assert verify(data).verified


def test_a_bundle_with_the_loop_is_version_2_and_the_digest_covers_it() -> None:
    bundle = park_bundle()
    loop = msgspec.convert({"phase": "implementing", "tasks": [TASK]}, LoopRecord)
    fields = {name: getattr(bundle, name) for name in Package.__struct_fields__}
    with_loop = seal(
        Package(**{**fields, "version": version_for(bundle.rounds, loop), "loop": loop})
    )
    data = encode(with_loop)
    assert json.loads(data)["version"] == LOOP_VERSION == 2
    assert data.index(b'"rounds"') < data.index(b'"loop"') < data.index(b'"digest"')
    assert decode(data) == with_loop
    assert verify(data).verified
    assert with_loop.digest != bundle.digest
    changed = data.replace("更换链条".encode(), "没有更换".encode())
    assert [f.check for f in verify(changed).findings] == ["package-digest"]
    with pytest.raises(ValueError, match="a bundle holding the loop is version 2 or later"):
        Package(**{**fields, "loop": loop})


def test_a_file_that_is_not_json_is_refused_in_one_line() -> None:
    with pytest.raises(FormatError, match="bundle: not a JSON document"):
        decode(b"META\nbudget;1\n")


@pytest.mark.parametrize(
    "golden", ["pocket-park-round1.json", "pocket-park-process.json"], ids=["round", "process"]
)
def test_a_bundle_sealed_before_no_decision_existed_reads_and_verifies_unchanged(golden) -> None:
    # Result.no_decision is left out of decided results, so re-encoding keeps the bytes, and
    # with them the package digest
    data = (ROOT / "tests" / "service" / "golden" / golden).read_bytes()
    assert b"no_decision" not in data
    bundle = decode(data)
    assert all(r.result.decided for r in bundle.rounds)
    assert encode(bundle) == data
    assert verify(data).verified


def test_blank_ballots_seal_a_round_of_no_decision_that_verifies(tmp_path: Path) -> None:
    path = tmp_path / "blank.toi"
    path.write_text("# ALTERNATIVE NAME 1: a\n# ALTERNATIVE NAME 2: b\n3:\n", encoding="utf-8")
    record = round_from_box(read_ballots(path), "irv", tie_policy="refuse")
    assert record.result.no_decision == "no-valid-ballots"
    assert record.result.winners == ()
    assert record.result.ballots == 3
    assert record.comparison is not None
    assert {v.no_decision for v in record.comparison.verdicts} == {"no-valid-ballots"}
    data = encode(seal(Package(process=ProcessRecord(title="blank"), rounds=(record,))))
    assert b'"no_decision":"no-valid-ballots"' in data
    assert verify(data).verified


def test_a_bundle_of_open_receipts_is_version_1_and_of_sealed_ones_version_2() -> None:
    """A bundle is written in the oldest version that holds it: every round with open
    receipts is version 1, byte for byte what a version 1 writer made."""
    assert park_bundle().version == 1
    bundle = sealed_park_bundle()
    data = encode(bundle)
    assert data.startswith(b'{"format":"redbench-decision","version":2,"scope":"round"')
    assert decode(data) == bundle
    assert verify(data).verified


def test_a_sealed_round_lists_its_trackers_and_its_ballots_apart() -> None:
    record = sealed_park_bundle().rounds[0]
    assert isinstance(record.ballots, SealedBallots)
    assert not record.open_receipts
    lists = record.ballots
    assert list(lists.trackers) == sorted(lists.trackers)
    assert len(lists.trackers) == 72
    keys = [canonical_ballot(c.ballot) for c in lists.contents]
    assert keys == sorted(set(keys))  # each distinct ballot once, in content order
    assert record.ballot_count == sum(c.count for c in lists.contents) == 72
    assert record.ballot_box_digest == sealed_box_digest(
        lists.trackers_digest, lists.contents_digest
    )
    assert record.result.seed == lot_seed(record.ballot_box_digest)
    # nothing of a ballot is hashed with a tracker: no per-ballot line hash at all
    assert b'"hash"' not in encode(sealed_park_bundle())


def test_a_version_1_bundle_cannot_hold_sealed_receipts() -> None:
    data = json.loads(encode(sealed_park_bundle()))
    data["version"] = 1
    with pytest.raises(FormatError, match=r"rounds\[0\].ballots: sealed receipts need version 2"):
        decode(json.dumps(data).encode())


def test_a_version_1_bundle_reads_and_writes_back_byte_for_byte() -> None:
    """A bundle written before sealed receipts (the pocket-park process as version 1 wrote
    it, every ballot beside its tracker) is read, verified and written again unchanged."""
    data = (ROOT / "tests" / "service" / "golden" / "pocket-park-process-v1.json").read_bytes()
    bundle = decode(data)
    assert bundle.version == 1
    assert all(r.open_receipts for r in bundle.rounds)
    assert encode(bundle) == data
    assert encode(seal(bundle)) == data  # sealed again, it stays version 1
    report = verify(data)
    assert report.verified
    assert report.sealed_rounds == 0
