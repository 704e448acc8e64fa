"""A one-round bundle written in pieces is the bundle written whole, byte for byte, with the
same package digest, however its ballots are split into parts; the content list counted part
by part is the one counted from the whole box."""

from __future__ import annotations

import random
from pathlib import Path

import msgspec
import pytest

from ballots import streaming
from ballots.bundle import Package, RoundRecord, SealedBallots, decode, encode, entry, seal
from ballots.digest import TRACKER_LENGTH, content_list_digest, new_tracker
from ballots.kinds import Ballot, BallotRules
from ballots.marks import NONE, content_list, profile_from_marks
from ballots.streaming import (
    ContentTally,
    StreamedBundle,
    after_lists,
    between_lists,
    closing_entries,
    contents_digest,
    contents_piece,
    entries_piece,
    placeholder,
    trackers_lines,
    trackers_piece,
)
from ballots.verify import verify
from engine.profile import RankedProfile

GOLDEN = Path(__file__).parents[1] / "service" / "golden" / "pocket-park-round1.json"
CANDIDATES = ("甲", "乙", "丙", "丁", "戊")


def golden_round() -> tuple[Package, RoundRecord]:
    bundle = decode(GOLDEN.read_bytes())
    fields = {name: getattr(bundle, name) for name in Package.__struct_fields__}
    return Package(**fields), bundle.rounds[0]


def split(items: list, sizes: list[int]) -> list[list]:
    out, start = [], 0
    for size in sizes:
        out.append(items[start : start + size])
        start += size
    return [part for part in out if part]


def streamed(package: Package, record: RoundRecord, sizes: list[int]) -> tuple[bytes, str]:
    """The bundle of ``package`` with ``record``'s ballots sent in parts of ``sizes``."""
    bare = msgspec.structs.replace(record, ballots=placeholder(record.open_receipts))
    writer = StreamedBundle(msgspec.structs.replace(package, rounds=(bare,)))
    out = [writer.head]
    if isinstance(record.ballots, SealedBallots):
        trackers = list(record.ballots.trackers)
        parts = split(trackers, sizes) or [[]]
        for i, part in enumerate(parts):
            out.append(writer.piece(trackers_piece("".join(part).encode(), i == 0)))
        out.append(writer.piece(between_lists(record.ballots.trackers_digest)))
        contents = [(encode_ballot(c.ballot), c.count) for c in record.ballots.contents]
        for i, part in enumerate(split(contents, sizes)):
            out.append(writer.piece(contents_piece(part, i == 0)))
        out.append(writer.piece(after_lists(record.ballots.contents_digest)))
    else:
        entries = list(record.ballots)
        parts = split(entries, sizes)
        for i, part in enumerate(parts):
            out.append(writer.piece(entries_piece(part, i == 0)))
        out.append(writer.piece(closing_entries(bool(parts))))
    out.append(writer.end())
    assert writer.digest is not None
    return b"".join(out), writer.digest


def encode_ballot(ballot) -> str:
    return msgspec.json.encode(ballot).decode()


@pytest.mark.parametrize("sizes", [[1000], [1, 1, 1000], [2, 3, 5, 7, 1000]])
def test_a_sealed_round_in_pieces_is_the_whole_bundle(sizes):
    package, record = golden_round()
    data, digest = streamed(package, record, sizes)
    assert data == GOLDEN.read_bytes()
    assert digest == decode(data).digest
    assert verify(data).verified


@pytest.mark.parametrize("ballots", [0, 1, 9])
@pytest.mark.parametrize("sizes", [[1000], [1, 1, 1000], [4, 1000]])
def test_an_open_round_in_pieces_is_the_whole_bundle(ballots, sizes):
    package, record = golden_round()
    rng = random.Random(ballots)
    counted = [c.ballot for c in record.ballots.contents for _ in range(c.count)]  # type: ignore[union-attr]
    chosen = sorted((new_tracker(), rng.choice(counted)) for _ in range(ballots))
    entries = tuple(entry(t, b) for t, b in chosen)
    open_record = msgspec.structs.replace(record, ballots=entries)
    whole = seal(msgspec.structs.replace(package, rounds=(open_record,)))
    data, digest = streamed(package, open_record, sizes)
    assert data == encode(whole)
    assert digest == whole.digest
    assert whole.version == 1  # open receipts keep version 1's bytes


def ranked_marks(rng: random.Random) -> bytes:
    chosen = rng.sample(range(len(CANDIDATES)), rng.randint(1, 3))
    places = [NONE] * len(CANDIDATES)
    for place, option in enumerate(chosen):
        places[option] = place
    return b"".join(p.to_bytes(2, "little", signed=True) for p in places)


@pytest.mark.parametrize("kind", ["ranked", "approval"])
def test_the_content_list_counted_in_parts_is_the_whole_boxs(kind):
    rng = random.Random(5)
    if kind == "ranked":
        ballots = [ranked_marks(rng) for _ in range(3000)]
    else:
        ballots = [
            b"".join(rng.choice((0, 1)).to_bytes(2, "little") for _ in CANDIDATES)
            for _ in range(3000)
        ]
    tally = ContentTally(kind, CANDIDATES)
    for start in range(0, len(ballots), 1024):
        tally.add(b"".join(ballots[start : start + 1024]))
    whole = content_list(b"".join(ballots), kind, CANDIDATES)
    if kind == "ranked":
        rules = BallotRules(kind="ranked", candidates=CANDIDATES)
        counted = tally.ranked_profile()
        box = profile_from_marks(rules, b"".join(ballots))
        assert isinstance(box, RankedProfile)
        assert counted.candidates == box.candidates
        assert counted.ranks.tolist() == box.ranks.tolist()
        assert counted.counts.tolist() == box.counts.tolist()
    contents = tally.contents()
    assert contents == whole
    assert tally.ballots == 3000
    assert len(whole) < 3000  # some ballots say the same
    listed = [(msgspec.json.decode(line, type=Ballot), n) for line, n in whole]
    assert contents_digest(contents) == content_list_digest(listed)


def some_ranked_marks(rng: random.Random, slate: int, *, gaps: bool = False) -> bytes:
    """Marks of a ranked ballot over ``slate`` candidates: some ranked, ties sometimes, and
    with ``gaps`` places up to twice the slate (marks no cast makes, kept as read)."""
    places = [NONE] * slate
    for option in rng.sample(range(slate), rng.randint(0, slate)):
        places[option] = rng.randrange(2 * slate if gaps else slate)
    return b"".join(p.to_bytes(2, "little", signed=True) for p in places)


@pytest.mark.parametrize("slate", [5, 15, 16], ids=["5", "15-packed", "16-unpacked"])
@pytest.mark.parametrize("order", ["sealed", "open"])
@pytest.mark.parametrize("seed", [1, 2])
def test_the_tally_counts_any_box_as_counting_it_whole(slate, order, seed, monkeypatch):
    """Packed keys (up to 15 candidates), the dictionary (16, or marks outside a slate's
    places) and both mixed, merged often: the same content list and profile as the whole
    box, whether the box is in content order (sealed receipts) or in tracker order (open)."""
    monkeypatch.setattr(streaming, "MERGE_AT", 50)
    rng = random.Random(seed * 100 + slate)
    candidates = tuple(f"c{i}" for i in range(slate))
    pool = [some_ranked_marks(rng, slate, gaps=i % 7 == 0) for i in range(300)]
    ballots = [rng.choice(pool) for _ in range(2500)]
    if order == "sealed":
        ballots.sort()
    tally = ContentTally("ranked", candidates)
    start = 0
    while start < len(ballots):
        size = rng.randint(1, 400)
        tally.add(b"".join(ballots[start : start + size]))
        start += size
    assert tally.ballots == len(ballots)
    rules = BallotRules(kind="ranked", candidates=candidates)
    box = profile_from_marks(rules, b"".join(ballots))
    counted = tally.ranked_profile()
    assert isinstance(box, RankedProfile)
    assert counted.ranks.tolist() == box.ranks.tolist()
    assert counted.counts.tolist() == box.counts.tolist()
    assert tally.contents() == content_list(b"".join(ballots), "ranked", candidates)


def test_a_tally_of_no_ballots_is_empty():
    tally = ContentTally("ranked", CANDIDATES)
    tally.add(b"")
    empty = tally.ranked_profile()
    assert empty.ranks.shape == (0, len(CANDIDATES))
    assert empty.counts.tolist() == []
    assert tally.contents() == []


def test_tracker_pieces_and_lines_hold_each_tracker():
    trackers = [new_tracker() for _ in range(50)]
    joined = "".join(trackers).encode()
    assert trackers_piece(joined, False) == b"," + msgspec.json.encode(trackers)[1:-1]
    assert trackers_lines(joined) == "".join(t + "\n" for t in trackers).encode()
    assert trackers_lines(b"") == b""


def test_a_tracker_piece_is_the_json_of_the_trackers():
    trackers = [new_tracker() for _ in range(3)]
    piece = trackers_piece("".join(trackers).encode(), True)
    assert piece == b'{"trackers":' + msgspec.json.encode(trackers)[:-1]
    assert len(trackers[0]) == TRACKER_LENGTH
    assert trackers_piece(b"", False) == b""
