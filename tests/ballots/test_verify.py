"""``verify`` catches every kind of tampering with a bundle and says exactly what differs:
a changed ballot, a removed ballot, an edited result, an edited digest, and the careful
forger who recomputes the digests after an edit."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import msgspec
import pytest

from ballots.bundle import Bundle, decode, encode, seal
from ballots.digest import ballot_box_digest, ballot_line, content_list_digest
from ballots.kinds import Ballot
from ballots.verify import Report, differences, verify, verify_bundle
from engine.registry import METHODS
from tests.support.park import park_bundle, sealed_park_bundle


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    return park_bundle()


def edited(bundle: Bundle, change: Any) -> bytes:
    """The bundle file after ``change`` edited its JSON (as a tamperer with a text editor)."""
    data = json.loads(encode(bundle))
    change(data)
    return json.dumps(data, ensure_ascii=False).encode()


def resealed(data: bytes) -> bytes:
    """A careful forger: the package digest recomputed after the edit."""
    return encode(seal(decode(data)))


def checks(report: Report) -> list[str]:
    return [f.check for f in report.findings]


def messages(report: Report) -> str:
    return "\n".join(f.message for f in report.findings)


def test_an_untouched_bundle_is_verified(bundle: Bundle) -> None:
    report = verify(encode(bundle))
    assert report.verified
    assert report.findings == ()
    assert (report.digest, report.stored_digest) == (bundle.digest, bundle.digest)
    assert (report.rounds, report.ballots, report.sealed_rounds) == (1, 72, 0)


def test_a_changed_ballot_is_named_by_position_and_tracker(bundle: Bundle) -> None:
    tracker = bundle.rounds[0].ballots[16].tracker
    grouped = "-".join(tracker[i : i + 4] for i in range(0, 16, 4))

    def change(d: dict[str, Any]) -> None:
        d["rounds"][0]["ballots"][16]["ballot"]["ranking"] = [["文化墙"]]

    report = verify(edited(bundle, change))
    assert not report.verified
    assert checks(report)[:3] == ["package-digest", "ballot-hash", "box-digest"]
    text = messages(report)
    assert f"ballot 17 (tracker {grouped}) does not match its ballot-box line hash" in text
    assert "ballot-box digest mismatch" in text
    # the ballot's first preference moved to the culture wall
    first = bundle.rounds[0].ballots[16].ballot.ranking[0][0]  # type: ignore[union-attr]
    votes = bundle.rounds[0].result.rounds[0].tallies[first]
    assert f'rounds[0].tallies["{first}"]: stored {votes} vs recount {votes - 1}' in text


def test_a_changed_ballot_with_its_hash_forged_still_breaks_the_box_digest(bundle: Bundle) -> None:
    def change(d: dict[str, Any]) -> None:
        item = d["rounds"][0]["ballots"][0]
        item["ballot"] = {"kind": "ranked", "ranking": [["文化墙"]]}
        ballot = msgspec.convert(item["ballot"], Ballot)
        item["hash"] = hashlib.sha256(ballot_line(item["tracker"], ballot)).hexdigest()

    report = verify(resealed(edited(bundle, change)))
    assert "ballot-hash" not in checks(report)
    assert "package-digest" not in checks(report)
    assert "box-digest" in checks(report)
    assert "result" in checks(report)


def test_a_removed_ballot_is_caught_by_the_counts_and_the_box_digest(bundle: Bundle) -> None:
    report = verify(edited(bundle, lambda d: d["rounds"][0]["ballots"].pop(5)))
    text = messages(report)
    assert "the bundle lists 71 ballots, but its turnout says 72 were cast" in text
    assert "the bundle lists 71 ballots, but its result counted 72" in text
    assert "its 71 ballots hash to" in text
    assert "result differs at ballots: stored 72 vs recount 71" in text


def test_a_removed_ballot_with_every_count_and_digest_forged_is_caught_by_the_result(
    bundle: Bundle,
) -> None:
    def change(d: dict[str, Any]) -> None:
        ballots = d["rounds"][0]["ballots"]
        ballots.pop(5)
        entries = [(b["tracker"], msgspec.convert(b["ballot"], Ballot)) for b in ballots]
        d["rounds"][0]["ballot_box_digest"] = ballot_box_digest(entries)
        d["rounds"][0]["turnout"]["ballots_cast"] = 71
        d["rounds"][0]["turnout"]["codes_used"] = 71

    report = verify(resealed(edited(bundle, change)))
    assert "result differs at ballots: stored 72 vs recount 71" in messages(report)
    # and the package digest is no longer the one on the signed record
    assert not verify(resealed(edited(bundle, change)), expect=bundle.digest).verified


def test_an_edited_result_is_reported_winners_first(bundle: Bundle) -> None:
    report = verify(
        edited(bundle, lambda d: d["rounds"][0]["result"].update(winners=["健康监测站"]))
    )
    assert checks(report) == ["package-digest", "result"]
    assert report.findings[1].message == (
        'result differs: stored winners ["健康监测站"] vs recount ["儿童游乐设施"]'
    )


def test_an_edited_result_resealed_is_caught_by_the_recount_and_the_signed_digest(
    bundle: Bundle,
) -> None:
    def change(d: dict[str, Any]) -> None:
        d["rounds"][0]["result"]["rounds"][4]["tallies"]["健康监测站"] = 40.0

    forged = resealed(edited(bundle, change))
    report = verify(forged)
    assert checks(report) == ["result"]
    assert 'rounds[4].tallies["健康监测站"]: stored 40.0 vs recount 24.0' in messages(report)
    signed = verify(forged, expect=bundle.digest)
    assert checks(signed) == ["expected-digest", "result"]
    assert f"is not the expected {bundle.digest}" in messages(signed)


def test_an_edited_digest_is_a_package_digest_mismatch(bundle: Bundle) -> None:
    report = verify(edited(bundle, lambda d: d.update(digest="0" * 64)))
    assert checks(report) == ["package-digest"]
    assert report.findings[0].message == (
        f"package digest mismatch: the bundle says {'0' * 64}, its content hashes to "
        f"{bundle.digest}"
    )


def test_an_edited_ballot_box_digest_is_named(bundle: Bundle) -> None:
    report = verify(
        resealed(edited(bundle, lambda d: d["rounds"][0].update(ballot_box_digest="1" * 64)))
    )
    assert checks(report) == ["box-digest"]
    # the recount draws any lot from the ballots themselves, so the result still agrees


def test_trackers_out_of_order_or_twice_are_named(bundle: Bundle) -> None:
    def swap(d: dict[str, Any]) -> None:
        ballots = d["rounds"][0]["ballots"]
        ballots[2], ballots[3] = ballots[3], ballots[2]

    report = verify(edited(bundle, swap))
    assert "ballot 4 (tracker" in messages(report)
    assert "is out of tracker order" in messages(report)
    assert "not recounted" in messages(report)

    def twice(d: dict[str, Any]) -> None:
        d["rounds"][0]["ballots"][1] = d["rounds"][0]["ballots"][0]

    assert "appears twice" in messages(verify(edited(bundle, twice)))


def test_a_ballot_outside_the_rules_is_named(bundle: Bundle) -> None:
    def change(d: dict[str, Any]) -> None:
        d["rounds"][0]["ballots"][0]["ballot"]["ranking"] = [["游泳池"]]

    report = verify(edited(bundle, change))
    assert "ballot 1 (tracker" in messages(report)
    assert "breaks the round's rules: unknown candidate '游泳池'" in messages(report)
    assert "not recounted: fix the ballots reported above first" in messages(report)


def test_edited_turnout_and_deliberation_are_named(bundle: Bundle) -> None:
    def change(d: dict[str, Any]) -> None:
        d["rounds"][0]["turnout"]["codes_used"] = 70
        d["rounds"][0]["deliberation"]["per_option"] = [
            {"option": "文化墙", "counts": {"support": 3}}
        ]
        d["rounds"][0]["deliberation"]["notable"] = [9]

    report = verify(edited(bundle, change))
    text = messages(report)
    assert "72 ballots were cast with 70 used codes" in text
    assert "comments about 文化墙 (support): the summary says 3, the bundle lists 0" in text
    assert "notable comment 9 is not among the listed comments" in text


def test_a_changed_method_is_named(bundle: Bundle) -> None:
    report = verify_bundle(
        msgspec.structs.replace(
            bundle,
            rounds=(
                msgspec.structs.replace(
                    bundle.rounds[0],
                    counting=msgspec.structs.replace(bundle.rounds[0].counting, method="schulze"),
                ),
            ),
        )
    )
    assert "declared schulze" in messages(report)


def test_differences_reads_like_a_path() -> None:
    old = {"a": [1, {"文化墙": 2}], "b": "x"}
    new = {"a": [1, {"文化墙": 3}], "b": "x"}
    assert differences(old, new) == [('a[1]["文化墙"]', 2, 3)]
    assert differences([1, 2], [1]) == [("", [1, 2], [1])]
    assert len(differences(list(range(20)), list(range(1, 21)))) == 6


def test_a_score_bundle_verifies_too() -> None:
    # the verifier is not tied to ranked ballots
    from ballots.box import BallotBox
    from ballots.bundle import Package, ProcessRecord
    from ballots.recount import round_from_box
    from engine.profile import ScoreProfile

    profile = ScoreProfile.from_matrix(["甲", "乙"], [[5, 1], [2, 4], [0, 3]], max_score=5)
    record = round_from_box(BallotBox(profile=profile, format="test"), "score")
    bundle = seal(Package(process=ProcessRecord(title="评分"), rounds=(record,)))
    assert verify(encode(bundle)).verified
    assert record.result.winners == ("乙",)  # 甲 5 + 2 + 0 = 7, 乙 1 + 4 + 3 = 8


@pytest.fixture(scope="module")
def sealed_bundle() -> Bundle:
    return sealed_park_bundle()


def test_an_untouched_sealed_bundle_is_verified(sealed_bundle: Bundle) -> None:
    report = verify(encode(sealed_bundle))
    assert report.findings == ()
    assert (report.rounds, report.ballots, report.sealed_rounds) == (1, 72, 1)


def test_a_changed_count_in_a_sealed_list_breaks_its_digest_and_the_counts(
    sealed_bundle: Bundle,
) -> None:
    def change(d: dict[str, Any]) -> None:
        d["rounds"][0]["ballots"]["contents"][0]["count"] += 1

    report = verify(resealed(edited(sealed_bundle, change)))
    assert checks(report)[:2] == ["contents-digest", "box-digest"]
    assert "contents digest mismatch" in messages(report)
    assert "the bundle lists 72 trackers but 73 ballots" in messages(report)


def test_a_forger_who_recomputes_a_sealed_list_still_breaks_the_box_digest(
    sealed_bundle: Bundle,
) -> None:
    """Moving one ballot to another option and recomputing the content list's digest gives
    a self-consistent list, but the box digest (the lot seed, published on the board) no
    longer follows from the two lists."""

    def change(d: dict[str, Any]) -> None:
        lists = d["rounds"][0]["ballots"]
        lists["contents"][0]["count"] -= 1
        lists["contents"][1]["count"] += 1
        counted = [(msgspec.convert(c["ballot"], Ballot), c["count"]) for c in lists["contents"]]
        lists["contents_digest"] = content_list_digest(counted)

    report = verify(resealed(edited(sealed_bundle, change)))
    assert "box-digest" in checks(report)
    assert "contents-digest" not in checks(report)


def test_a_removed_tracker_is_caught_by_its_digest_and_the_counts(sealed_bundle: Bundle) -> None:
    report = verify(edited(sealed_bundle, lambda d: d["rounds"][0]["ballots"]["trackers"].pop(5)))
    assert {"trackers-digest", "box-digest", "ballot-count"} <= set(checks(report))
    assert "its 71 trackers hash to" in messages(report)


def test_a_sealed_list_out_of_order_or_twice_is_named(sealed_bundle: Bundle) -> None:
    def swap(d: dict[str, Any]) -> None:
        contents = d["rounds"][0]["ballots"]["contents"]
        contents[2], contents[3] = contents[3], contents[2]

    report = verify(edited(sealed_bundle, swap))
    assert "distinct ballot 4 is out of order" in messages(report)
    assert "not recounted" in messages(report)

    def twice(d: dict[str, Any]) -> None:
        d["rounds"][0]["ballots"]["contents"][1] = d["rounds"][0]["ballots"]["contents"][0]

    assert "distinct ballot 2 is listed twice" in messages(verify(edited(sealed_bundle, twice)))

    def tracker_twice(d: dict[str, Any]) -> None:
        trackers = d["rounds"][0]["ballots"]["trackers"]
        trackers[1] = trackers[0]

    assert "tracker 2 (" in messages(verify(edited(sealed_bundle, tracker_twice)))


def test_a_sealed_ballot_outside_the_rules_is_named(sealed_bundle: Bundle) -> None:
    def change(d: dict[str, Any]) -> None:
        d["rounds"][0]["ballots"]["contents"][0]["ballot"]["ranking"] = [["游泳池"]]

    report = verify(edited(sealed_bundle, change))
    assert "distinct ballot 1 breaks the round's rules: unknown candidate '游泳池'" in messages(
        report
    )


def test_a_result_sealed_before_an_option_existed_still_verifies(bundle: Bundle) -> None:
    # a record stored before the method gained an option does not name it; the recount,
    # counting it at its default, must not call that a difference
    record = bundle.rounds[0]
    options = dict(record.result.options)
    newest = sorted(METHODS[record.result.method].options)
    for name in newest:
        options.pop(name, None)
    older = msgspec.structs.replace(record.result, options=options)
    report = verify_bundle(
        seal(
            msgspec.structs.replace(bundle, rounds=(msgspec.structs.replace(record, result=older),))
        )
    )
    assert newest
    assert report.findings == ()


def test_an_option_stored_at_another_value_is_still_a_difference(bundle: Bundle) -> None:
    record = bundle.rounds[0]
    name, spec = sorted(METHODS[record.result.method].options.items())[0]
    other = not spec.default if isinstance(spec.default, bool) else "?"
    changed = msgspec.structs.replace(record.result, options={**record.result.options, name: other})
    report = verify_bundle(
        seal(
            msgspec.structs.replace(
                bundle, rounds=(msgspec.structs.replace(record, result=changed),)
            )
        )
    )
    assert f"options.{name}" in messages(report)
