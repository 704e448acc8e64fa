"""The stored form of a ballot (its marks): a normalised ballot and its marks give each other
back, and the canonical JSON written straight from the marks is the canonical encoder's; a
box of marks becomes the engine's profile, and the close's digests and lists are the ones
:mod:`ballots.digest` defines."""

from __future__ import annotations

import struct
from collections import Counter

import msgspec
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballots.digest import (
    ALPHABET,
    ballot_box_digest,
    canonical_ballot,
    content_list_digest,
    new_tracker,
    profile_digest,
    sealed_box_digest,
    tracker_list_digest,
)
from ballots.encode import encode
from ballots.errors import FormatError
from ballots.kinds import Ballot, BallotRules, RankedBallot, ScoreBallot
from ballots.marks import (
    ballot_of,
    box_digest,
    canonical_of,
    close_box,
    content_list,
    marks_of,
    marks_table,
    profile_from_marks,
    sealed_lists,
    tracker_order,
)
from ballots.validate import validate

SLATE = ("儿童游乐设施", "健康监测站", '文化"墙', "back\\slash", "Zebra", "é", "\u2028line")


def test_a_ranked_ballot_with_a_tie_and_an_unranked_option():
    # 健康监测站 first; 儿童游乐设施 and Zebra tied second; the rest unranked
    ballot = RankedBallot(ranking=(("健康监测站",), ("儿童游乐设施", "Zebra")))
    marks = marks_of(ballot, SLATE)
    assert struct.unpack("<7h", marks) == (1, 0, -1, -1, 1, -1, -1)
    assert ballot_of(marks, "ranked", SLATE) == ballot
    assert canonical_of(marks, "ranked", SLATE) == (
        '{"kind":"ranked","ranking":[["健康监测站"],["儿童游乐设施","Zebra"]]}'
    )


def test_scores_left_out_are_zero_and_keys_are_sorted():
    ballot = ScoreBallot(scores={"Zebra": 2, "é": 5})
    marks = marks_of(ballot, SLATE)
    assert struct.unpack("<7h", marks) == (0, 0, 0, 0, 2, 5, 0)
    assert canonical_of(marks, "score", SLATE) == '{"kind":"score","scores":{"Zebra":2,"é":5}}'


def test_marks_of_the_wrong_length_are_refused():
    with pytest.raises(FormatError, match="3 bytes of marks for a slate of 7 candidates"):
        ballot_of(b"\x00\x00\x00", "ranked", SLATE)
    with pytest.raises(FormatError):
        canonical_of(b"\x00" * 4, "approval", SLATE)


def test_marks_table_has_one_row_per_ballot():
    rows = marks_of(RankedBallot(ranking=(("Zebra",),)), SLATE) * 3
    assert marks_table(rows, len(SLATE)).shape == (3, 7)


@st.composite
def ballots(draw: st.DrawFn) -> tuple[str, object]:
    """A ballot of any kind over :data:`SLATE`, as a voter might write it."""
    kind = draw(st.sampled_from(["ranked", "approval", "budget", "score"]))
    chosen = draw(st.lists(st.sampled_from(SLATE), unique=True, max_size=len(SLATE)))
    if kind == "ranked":
        cuts = sorted(draw(st.sets(st.integers(1, max(1, len(chosen))), max_size=3)))
        groups, start = [], 0
        for cut in [*cuts, len(chosen)]:
            if chosen[start:cut]:
                groups.append(chosen[start:cut])
            start = cut
        return kind, {"kind": kind, "ranking": groups}
    if kind == "score":
        return kind, {"kind": kind, "scores": {n: draw(st.integers(0, 5)) for n in chosen}}
    return kind, {"kind": kind, "approved": chosen}


def rules_for(kind: str) -> BallotRules:
    """Rules over :data:`SLATE` that admit every ballot :func:`ballots` draws of ``kind``."""
    return BallotRules(
        kind=kind,
        candidates=SLATE,
        allow_ties=True,
        allow_empty=True,
        costs=(1.0,) * len(SLATE) if kind == "budget" else None,
        budget=100.0 if kind == "budget" else None,
    )


@given(ballots())
def test_marks_give_the_normalised_ballot_and_its_canonical_json(drawn):
    kind, raw = drawn
    rules = rules_for(kind)
    valid = validate(msgspec.convert(raw, Ballot), rules)
    marks = marks_of(valid, SLATE)
    assert ballot_of(marks, kind, SLATE) == valid
    assert canonical_of(marks, kind, SLATE) == canonical_ballot(valid).decode()


def test_the_box_is_put_in_tracker_order_when_trackers_share_their_first_half():
    """Trackers are sorted on their first eight characters, and on all sixteen whenever two
    share those: the order is the full string order either way."""
    names = ["ZZZZZZZZ00000001", "AAAAAAAA0000000B", "AAAAAAAA0000000A", "M0000000ZZZZZZZZ"]
    names += [f"Q{i:015d}" for i in range(50)]
    rng = np.random.default_rng(3)
    rng.shuffle(names)
    table = np.frombuffer("".join(names).encode("ascii"), np.uint8).reshape(len(names), 16)
    assert [names[i] for i in tracker_order(table)] == sorted(names)
    distinct = [n for n in names if not n.startswith("AAAAAAAA")]
    table = np.frombuffer("".join(distinct).encode("ascii"), np.uint8).reshape(-1, 16)
    assert [distinct[i] for i in tracker_order(table)] == sorted(distinct)


@pytest.mark.parametrize(
    ("kind", "candidates", "ballots"),
    [
        ("ranked", 5, 70_000),  # more ballots than one slice of the digest's lines
        ("ranked", 20, 3_000),  # too many columns for one integer key: raw bytes
        ("score", 4, 2_000),  # scores far apart: raw bytes too
    ],
)
def test_the_close_digests_the_box_as_the_published_rule_says(kind, candidates, ballots):
    """The close's vectorised digest equals :func:`ballots.digest.ballot_box_digest`, the
    rule anyone recounting uses, whichever way it keys the ballots."""
    rng = np.random.default_rng(ballots)
    names = [f"方案{i}" for i in range(candidates)]
    if kind == "ranked":
        marks = np.argsort(rng.random((ballots, candidates)), axis=1).astype("<i2")
        marks[rng.random(ballots) < 0.3, 0] = -1  # some leave the first option unranked
    else:
        marks = rng.integers(0, 2, (ballots, candidates)).astype("<i2") * 30_000
        marks[:, 0] = 1  # no empty score ballot
    trackers = sorted({new_tracker() for _ in range(ballots)})
    marks = marks[: len(trackers)]
    table = marks.view(np.uint8).reshape(len(trackers), 2 * candidates)
    expected = ballot_box_digest(
        (t, ballot_of(table[i].tobytes(), kind, names)) for i, t in enumerate(trackers)
    )
    assert box_digest("".join(trackers).encode(), table, kind, names) == expected


@pytest.mark.parametrize(
    ("kind", "candidates", "ballots"),
    [
        ("ranked", 5, 70_000),
        ("ranked", 20, 3_000),
        ("score", 4, 2_000),
        ("ranked", 3, 0),
    ],
)
def test_the_close_makes_the_sealed_lists_as_the_published_rule_says(kind, candidates, ballots):
    """With sealed receipts the close's vectorised digests equal
    :func:`ballots.digest.tracker_list_digest` and :func:`~ballots.digest.content_list_digest`,
    and the marks it stores are the same ballots sorted apart from the trackers: equal
    marks together, in an order that depends on the marks alone."""
    rng = np.random.default_rng(ballots + 1)
    names = [f"方案{i}" for i in range(candidates)]
    if kind == "ranked":
        marks = np.argsort(rng.random((ballots, candidates)), axis=1).astype("<i2")
        marks[rng.random(ballots) < 0.3, 0] = -1
    else:
        marks = rng.integers(0, 2, (ballots, candidates)).astype("<i2") * 30_000
        marks[:, 0] = 1
    trackers = sorted({new_tracker() for _ in range(ballots)})
    marks = marks[: len(trackers)]
    table = marks.view(np.uint8).reshape(len(trackers), 2 * candidates)
    lists = sealed_lists("".join(trackers).encode(), table, kind, names)
    rows = [table[i].tobytes() for i in range(len(trackers))]
    assert lists.trackers_digest == tracker_list_digest(trackers)
    assert lists.contents_digest == content_list_digest(
        (ballot_of(m, kind, names), n) for m, n in Counter(rows).items()
    )
    stored = [lists.marks[i].tobytes() for i in range(len(trackers))]
    assert Counter(stored) == Counter(rows)
    groups = [m for i, m in enumerate(stored) if i == 0 or stored[i - 1] != m]
    assert len(groups) == len(set(stored))  # equal marks lie together
    shuffled = table[rng.permutation(len(trackers))]
    again = sealed_lists("".join(trackers).encode(), shuffled, kind, names)
    assert again.marks.tobytes() == lists.marks.tobytes()  # the order follows the marks alone


@st.composite
def boxes(draw: st.DrawFn) -> tuple[BallotRules, list[tuple[str, Ballot]]]:
    """A box of valid ballots of one kind, each under a distinct tracker."""
    drawn = draw(st.lists(ballots(), max_size=12))
    kind = drawn[0][0] if drawn else draw(st.sampled_from(["ranked", "approval", "score"]))
    rules = rules_for(kind)
    valid = [validate(msgspec.convert(raw, Ballot), rules) for k, raw in drawn if k == kind]
    trackers = draw(st.sets(st.integers(0, 32**16 - 1), min_size=len(valid), max_size=len(valid)))
    names = ["".join(ALPHABET[(t >> 5 * i) & 31] for i in range(16)) for t in trackers]
    return rules, list(zip(names, valid, strict=True))


@given(boxes())
def test_a_box_of_marks_is_the_profile_of_its_ballots(drawn):
    rules, box = drawn
    marks = b"".join(marks_of(ballot, SLATE) for _, ballot in box)
    profile = profile_from_marks(rules, marks)
    assert profile.total == len(box)
    if box:
        assert profile_digest(profile) == profile_digest(encode([b for _, b in box], rules))


@given(boxes(), st.booleans())
def test_the_closed_box_is_digested_as_the_published_rules_say(drawn, open_receipts):
    # "the close's digests and lists are the ones ballots.digest defines"
    rules, box = drawn
    rows = b"".join(t.encode("ascii") + marks_of(ballot, SLATE) for t, ballot in box)
    closed = close_box(rows, rules.kind, SLATE, open_receipts=open_receipts)
    trackers = sorted(t for t, _ in box)
    assert closed.count == len(box)
    assert closed.trackers == "".join(trackers).encode("ascii")
    width = 2 * len(SLATE)
    stored = [closed.marks[i : i + width] for i in range(0, len(closed.marks), width)]
    said = Counter(canonical_ballot(b).decode() for _, b in box)
    assert content_list(closed.marks, rules.kind, SLATE) == sorted(
        said.items(), key=lambda e: e[0].encode()
    )
    if open_receipts:
        assert (closed.trackers_digest, closed.contents_digest) == (None, None)
        assert closed.digest == ballot_box_digest(box)
        pairs = dict(box)
        assert [ballot_of(m, rules.kind, SLATE) for m in stored] == [pairs[t] for t in trackers]
    else:
        assert closed.trackers_digest == tracker_list_digest(trackers)
        assert closed.contents_digest == content_list_digest((b, 1) for _, b in box)
        assert closed.digest == sealed_box_digest(closed.trackers_digest, closed.contents_digest)
        assert Counter(canonical_of(m, rules.kind, SLATE) for m in stored) == said
