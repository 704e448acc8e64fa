"""Trackers, canonical ballot bytes, the ballot-box digests (open and sealed receipts) and
the profile digest."""

from __future__ import annotations

import hashlib
import random
import re

import msgspec
import numpy as np
import pytest

from ballots.digest import (
    ALPHABET,
    ENCODER,
    ballot_box_digest,
    canonical_ballot,
    canonical_profile,
    content_line,
    content_list_digest,
    grouped_tracker,
    lot_seed,
    new_tracker,
    normalize_tracker,
    profile_digest,
    sealed_box_digest,
    short_tracker,
    tracker_list_digest,
)
from ballots.encode import encode
from ballots.errors import InvalidReceipt
from ballots.kinds import Ballot, BallotRules, BudgetBallot, RankedBallot, ScoreBallot
from engine.profile import UNRANKED, ApprovalProfile, Profile, RankedProfile, ScoreProfile
from engine.registry import tally

WALL, FITNESS, SHADE, KIDS = "文化墙", "健身器材", "遮阳座椅", "儿童游乐设施"

BOX: list[tuple[str, Ballot]] = [
    ("ABCDEFGHJKMNPQRS", RankedBallot(ranking=((SHADE, KIDS),))),
    ("Z000000000000000", ScoreBallot(scores={"b": 5, "a": 2})),
    ("0000000000000001", RankedBallot(ranking=((WALL,), (FITNESS,)))),
]
# The hashed bytes, written out: lines sorted by tracker, tracker TAB canonical JSON LF.
BOX_BYTES = (
    '0000000000000001\t{"kind":"ranked","ranking":[["文化墙"],["健身器材"]]}\n'
    'ABCDEFGHJKMNPQRS\t{"kind":"ranked","ranking":[["遮阳座椅","儿童游乐设施"]]}\n'
    'Z000000000000000\t{"kind":"score","scores":{"a":2,"b":5}}\n'
).encode()
BOX_DIGEST = "c44dbb32f0c79d0480c7747f9134c3c8d37b19358a784990e6f58f6b3de2f7e2"


def test_canonical_ballot_bytes() -> None:
    ballot = ScoreBallot(scores={"b": 5, "a": 2})
    assert canonical_ballot(ballot) == b'{"kind":"score","scores":{"a":2,"b":5}}'
    assert canonical_ballot(RankedBallot(ranking=((WALL,),))) == (
        '{"kind":"ranked","ranking":[["文化墙"]]}'.encode()
    )


def test_ballot_box_digest_golden() -> None:
    assert hashlib.sha256(BOX_BYTES).hexdigest() == BOX_DIGEST
    assert ballot_box_digest(BOX) == BOX_DIGEST


def test_ballot_box_digest_ignores_casting_order() -> None:
    shuffled = BOX[:]
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert ballot_box_digest(shuffled) == BOX_DIGEST


def test_ballot_box_digest_detects_a_changed_ballot() -> None:
    tampered = [*BOX[:2], ("0000000000000001", RankedBallot(ranking=((FITNESS,), (WALL,))))]
    assert ballot_box_digest(tampered) != BOX_DIGEST


def test_ballot_box_digest_detects_a_removed_or_added_ballot() -> None:
    assert ballot_box_digest(BOX[:2]) != BOX_DIGEST
    extra = [*BOX, ("1111111111111111", RankedBallot(ranking=((WALL,),)))]
    assert ballot_box_digest(extra) != BOX_DIGEST


def test_empty_ballot_box_hashes_the_empty_string() -> None:
    assert ballot_box_digest([]) == hashlib.sha256(b"").hexdigest()


def test_ballot_box_refuses_repeated_tracker() -> None:
    ballot = RankedBallot(ranking=((WALL,),))
    with pytest.raises(InvalidReceipt, match=r"^tracker 0000000000000001 appears twice"):
        ballot_box_digest([("0000000000000001", ballot), ("0000000000000001", ballot)])


def test_ballot_box_refuses_non_canonical_tracker() -> None:
    with pytest.raises(InvalidReceipt, match=r"^'abcd-efgh-jkmn-pqrs' is not a tracker"):
        ballot_box_digest([("abcd-efgh-jkmn-pqrs", RankedBallot(ranking=((WALL,),)))])


# Sealed receipts: the same box published as two lists. The tracker list: each tracker and
# LF, sorted. The content list: each distinct ballot's canonical JSON, TAB, how many, LF,
# sorted by the JSON's bytes (文 U+6587 before 遮 U+906E, "ranked" before "score").
TRACKERS_BYTES = b"0000000000000001\nABCDEFGHJKMNPQRS\nZ000000000000000\n"
TRACKERS_DIGEST = "8ef22a6e8f17191bf8980d4595ff7d4cecdb2bf9c3f46e068f7c0d24c6093e29"
CONTENTS: list[tuple[Ballot, int]] = [
    (ScoreBallot(scores={"b": 5, "a": 2}), 1),
    (RankedBallot(ranking=((WALL,), (FITNESS,))), 1),
    (RankedBallot(ranking=((SHADE, KIDS),)), 1),
    (RankedBallot(ranking=((WALL,), (FITNESS,))), 1),  # the same ballot again adds up
]
CONTENTS_BYTES = (
    '{"kind":"ranked","ranking":[["文化墙"],["健身器材"]]}\t2\n'
    '{"kind":"ranked","ranking":[["遮阳座椅","儿童游乐设施"]]}\t1\n'
    '{"kind":"score","scores":{"a":2,"b":5}}\t1\n'
).encode()
CONTENTS_DIGEST = "f0f63d5598447f39acf751409a8e878f0f80797ba5681a3700afd2595be45976"
SEALED_BYTES = f"trackers {TRACKERS_DIGEST}\ncontents {CONTENTS_DIGEST}\n".encode()
SEALED_DIGEST = "c3ac5a7c958fb769ba9e698a86f820c1d7d73767d40e3f6e66fc7902816181fe"


def test_tracker_list_digest_golden() -> None:
    assert hashlib.sha256(TRACKERS_BYTES).hexdigest() == TRACKERS_DIGEST
    trackers = [t for t, _ in BOX]
    assert tracker_list_digest(trackers) == TRACKERS_DIGEST
    assert tracker_list_digest(reversed(trackers)) == TRACKERS_DIGEST
    assert tracker_list_digest([]) == hashlib.sha256(b"").hexdigest()
    with pytest.raises(InvalidReceipt, match="appears twice"):
        tracker_list_digest([trackers[0], trackers[0]])
    with pytest.raises(InvalidReceipt, match="is not a tracker in canonical form"):
        tracker_list_digest(["abcd-efgh-jkmn-pqrs"])


def test_content_list_digest_golden() -> None:
    assert hashlib.sha256(CONTENTS_BYTES).hexdigest() == CONTENTS_DIGEST
    assert content_list_digest(CONTENTS) == CONTENTS_DIGEST
    assert content_list_digest(reversed(CONTENTS)) == CONTENTS_DIGEST
    assert content_line(RankedBallot(ranking=((WALL,),)), 12) == (
        '{"kind":"ranked","ranking":[["文化墙"]]}\t12\n'.encode()
    )
    assert content_list_digest([]) == hashlib.sha256(b"").hexdigest()
    with pytest.raises(InvalidReceipt, match="a count is at least 1"):
        content_list_digest([(RankedBallot(ranking=((WALL,),)), 0)])


def test_sealed_box_digest_golden() -> None:
    """The box digest of sealed receipts is made of the two lists' digests alone: whoever
    holds the two published lists recomputes it, and it is the round's lot seed."""
    assert hashlib.sha256(SEALED_BYTES).hexdigest() == SEALED_DIGEST
    assert sealed_box_digest(TRACKERS_DIGEST, CONTENTS_DIGEST) == SEALED_DIGEST
    assert lot_seed(SEALED_DIGEST) == SEALED_DIGEST
    assert sealed_box_digest(CONTENTS_DIGEST, TRACKERS_DIGEST) != SEALED_DIGEST
    with pytest.raises(InvalidReceipt, match="not 64 lowercase hex digits"):
        sealed_box_digest(TRACKERS_DIGEST.upper(), CONTENTS_DIGEST)


def test_the_sealed_digests_do_not_depend_on_which_tracker_cast_which_ballot() -> None:
    """The same trackers and the same ballots, paired differently, give the same sealed
    digest: nothing in it pairs a tracker with a ballot (the open digest differs)."""
    trackers = [t for t, _ in BOX]
    ballots = [b for _, b in BOX]
    repaired = list(zip(trackers, [ballots[2], ballots[0], ballots[1]], strict=True))
    assert ballot_box_digest(repaired) != ballot_box_digest(BOX)
    for pairs in (BOX, repaired):
        digest = sealed_box_digest(
            tracker_list_digest(t for t, _ in pairs),
            content_list_digest((b, 1) for _, b in pairs),
        )
        assert digest == sealed_box_digest(
            tracker_list_digest(trackers), content_list_digest((b, 1) for b in ballots)
        )


def test_new_tracker_form_and_uniqueness() -> None:
    trackers = {new_tracker() for _ in range(2000)}
    assert len(trackers) == 2000
    for tracker in list(trackers)[:50]:
        assert re.fullmatch(f"[{ALPHABET}]{{16}}", tracker)
        assert normalize_tracker(tracker) == tracker
    # every digit of the alphabet turns up in every position (80 uniform bits, nothing fixed)
    for position in range(16):
        assert {t[position] for t in trackers} == set(ALPHABET), position


def test_tracker_short_and_grouped_forms() -> None:
    assert short_tracker("ABCDEFGHJKMNPQRS") == "ABCD-EFGH"
    assert grouped_tracker("ABCDEFGHJKMNPQRS") == "ABCD-EFGH-JKMN-PQRS"


def test_tracker_read_aloud_is_forgiving() -> None:
    # Lower case, spaces and hyphens ignored; O reads as 0, I and L as 1.
    assert normalize_tracker("abcd-efgh jkmn-pqrs") == "ABCDEFGHJKMNPQRS"
    assert normalize_tracker("oOiL-1234") == "00111234"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ABCD-EFGU", "a tracker cannot contain 'U'"),
        ("ABCD-EFG", "a tracker has 16 characters (or 8 in its short form), got 7"),
    ],
)
def test_bad_tracker_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidReceipt, match=f"^{re.escape(message)}$"):
        normalize_tracker(text)


def test_profile_digest_golden_ranked() -> None:
    # 3 × 文化墙 > 健身器材, 2 × 健身器材, 1 × 健身器材 = 遮阳座椅 > 文化墙;
    # rows (dense ranks, -1 unranked) sorted: [-1,0,-1]×2, [0,1,-1]×3, [1,0,0]×1.
    written = (
        '{"candidates":["文化墙","健身器材","遮阳座椅"],"counts":[2,3,1],"kind":"ranked",'
        '"rows":[[-1,0,-1],[0,1,-1],[1,0,0]]}'
    ).encode()
    expected = "21acdd420cf92e1d89c1f60a56405740e33c63f6d05c264772bdd154a9652ec9"
    assert hashlib.sha256(written).hexdigest() == expected
    profile = RankedProfile.from_orders(
        [WALL, FITNESS, SHADE],
        [[WALL, FITNESS]] * 3 + [[FITNESS]] * 2 + [[[FITNESS, SHADE], WALL]],
    )
    assert profile_digest(profile) == expected


def test_profile_digest_golden_budget() -> None:
    written = (
        b'{"budget":200000,"candidates":["a","b"],"costs":[120000,25000.5],"counts":[4,1],'
        b'"kind":"approval","rows":[[0,1],[1,1]]}'
    )
    expected = "d0d26ffe5c34e928f84ab5c7861b22770cc970ce6f028cef281c91c0f1ee9449"
    assert hashlib.sha256(written).hexdigest() == expected
    profile = ApprovalProfile.from_matrix(
        ["a", "b"], [[1, 1], [0, 1]], [1, 4], costs=[120000, 25000.5], budget=200000
    )
    assert profile_digest(profile) == expected


def test_profile_digest_ignores_ballot_order() -> None:
    rules = BallotRules(kind="ranked", candidates=(WALL, FITNESS, SHADE))
    box = [RankedBallot(ranking=((c,),)) for c in (WALL, FITNESS, SHADE, WALL)]
    digests = set()
    for seed in range(5):
        random.Random(seed).shuffle(box)
        digests.add(profile_digest(encode(box, rules)))
    assert len(digests) == 1


def test_profile_digest_detects_a_changed_count() -> None:
    one = ScoreProfile.from_matrix(["a", "b"], [[1, 2], [0, 3]], [2, 1], max_score=3)
    two = ScoreProfile.from_matrix(["a", "b"], [[1, 2], [0, 3]], [2, 2], max_score=3)
    assert profile_digest(one) != profile_digest(two)


def test_profile_digest_merges_rows_built_by_hand() -> None:
    # A profile constructed directly with repeated rows hashes like its collapsed form.
    collapsed = RankedProfile.from_ranks(["a", "b"], [[0, 1]], [2])
    by_hand = RankedProfile(("a", "b"), np.array([[0, 1], [0, 1]]), np.array([1, 1]))
    assert profile_digest(by_hand) == profile_digest(collapsed)


def test_lot_seed_is_the_digest_and_drives_the_lot() -> None:
    # Two voters, one each for 文化墙 and 健身器材: the plurality tie goes to lot.
    rules = BallotRules(kind="ranked", candidates=(WALL, FITNESS))
    profile = encode([RankedBallot(ranking=((WALL,),)), RankedBallot(ranking=((FITNESS,),))], rules)
    digest = profile_digest(profile)
    seed = lot_seed(digest.upper())
    assert seed == digest
    first = min((WALL, FITNESS), key=lambda n: hashlib.sha256(f"{seed}\n{n}".encode()).hexdigest())
    result = tally("plurality", profile, seed=seed)
    assert result.winners == (first,)
    assert result.seed == digest


def test_lot_seed_refuses_a_non_digest() -> None:
    with pytest.raises(InvalidReceipt, match=r"is not a SHA-256 digest"):
        lot_seed("abc")


def test_budget_ballot_canonical_bytes() -> None:
    assert canonical_ballot(BudgetBallot(approved=("a", "b"))) == (
        b'{"kind":"budget","approved":["a","b"]}'
    )


def test_codes_and_trackers_are_typed_and_drawn_alike():
    from ballots.digest import as_typed, foreign, random_characters

    assert as_typed("abcd-efgh 0il") == "ABCDEFGH011"
    assert foreign(as_typed("ab-uz")) == "U"
    assert foreign(as_typed("ab-o1")) is None
    for length in (8, 10, 16):
        drawn = random_characters(length)
        assert len(drawn) == length
        assert foreign(drawn) is None


def test_profile_bytes_write_rows_as_the_encoder_does() -> None:
    # the rows are written from a table of each value's text; the bytes are the encoder's
    rng = np.random.default_rng(11)
    for span in (1, 3, 12, 150, 5000):
        for m in (1, 4, 9):
            ranks = rng.integers(-1, span, (400, m))
            for profile in (
                RankedProfile.from_ranks([f"c{i}" for i in range(m)], ranks),
                ScoreProfile.from_matrix([f"c{i}" for i in range(m)], ranks + 1, max_score=span),
                ApprovalProfile.from_matrix([f"c{i}" for i in range(m)], ranks > 0, costs=[1] * m),
            ):
                body = msgspec.json.decode(canonical_profile(profile))
                assert canonical_profile(profile) == ENCODER.encode(body)
                assert body["rows"] == profile_table(profile).tolist()
    # scores whose texts take more than eight bytes with their separators
    names = ["a", "b", "c"]
    wide = ScoreProfile.from_matrix(names, rng.integers(99_000, 101_000, (300, 3)), max_score=10**6)
    assert msgspec.json.decode(canonical_profile(wide))["rows"] == wide.scores.tolist()


def profile_table(profile: Profile) -> np.ndarray:
    """A profile's rows as the canonical bytes hold them (a profile's rows are canonical)."""
    if isinstance(profile, RankedProfile):
        return np.where(profile.ranks == UNRANKED, -1, profile.ranks)
    if isinstance(profile, ApprovalProfile):
        return profile.approvals.astype(np.int64)
    return profile.scores
