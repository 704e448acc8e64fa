"""Malformed ballot files: each gets one FormatError whose one-line message names the file,
the line and what is wrong; small well-formed files for the conventions each reader states."""

from __future__ import annotations

from pathlib import Path

import pytest

from ballots.box import BallotBox
from ballots.errors import FormatError
from ballots.formats import alaska, blt, preflib, read_ballots, votekit, write_ballots
from engine.profile import UNRANKED, RankedProfile

PREFLIB_HEAD = (
    "# DATA TYPE: soi\n# NUMBER ALTERNATIVES: 3\n# NUMBER VOTERS: 5\n# NUMBER UNIQUE ORDERS: 2\n"
    "# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n# ALTERNATIVE NAME 3: C\n"
)
VOTEKIT_HEAD = (
    "VoteKit RankProfile\nCandidates\n(A:0),(B (b):1),(C:2)\nMax Ranking Length\n3\n"
    "Includes Voter Set\nFalse\n=,=,=,=,=,=,=\nRanking_1,Ranking_2,Ranking_3,&,Weight,&\n"
)


def message_of(reader: object, path: Path, content: bytes) -> str:
    path.write_bytes(content)
    with pytest.raises(FormatError) as info:
        reader.read(path)  # type: ignore[attr-defined]
    return str(info.value)


def small(text: str, tmp_path: Path, name: str) -> BallotBox:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_ballots(path)


# --- BLT ----------------------------------------------------------------------------------

BLT_CASES = [
    (
        "bad count",
        b'3 1\nx 1 2 0\n0\n"A"\n"B"\n"C"\n',
        "line 2: ballot weight 'x' is not a whole number",
    ),
    (
        "fractional count",
        b'3 1\n1.5 1 2 0\n0\n"A"\n"B"\n"C"\n',
        "line 2: ballot weight '1.5' is not a whole number",
    ),
    (
        "unknown candidate",
        b'3 1\n2 1 4 0\n0\n"A"\n"B"\n"C"\n',
        "line 2: candidate number 4 is not between 1 and 3",
    ),
    ("not a number", b'3 1\n2 1 b 0\n0\n"A"\n"B"\n"C"\n', "line 2: 'b' is not a candidate number"),
    (
        "missing end marker",
        b'3 1\n2 1 3 0\n"A"\n"B"\n"C"\n',
        "line 3: candidate names begin before the '0' line that ends the ballots",
    ),
    (
        "truncated",
        b"3 1\n2 1 3 0\n1 2 0\n",
        "no '0' line ends the ballots (is the file truncated?)",
    ),
    ("truncated mid line", b"3 1\n2 1 3 0\n1 2", "line 3: the ballot does not end with 0"),
    (
        "missing names",
        b'3 1\n2 1 3 0\n0\n"A"\n"B"\n',
        "expected 3 candidate names after the ballots, found 2",
    ),
    ("ranked twice", b'3 1\n2 1 3 1 0\n0\n"A"\n"B"\n"C"\n', "line 2: candidate 1 is ranked twice"),
    (
        "text after zero",
        b'3 1\n2 1 0 3 0\n0\n"A"\n"B"\n"C"\n',
        "line 2: text follows the 0 that ends the ballot",
    ),
    (
        "bad header",
        b'3\n2 1 0\n0\n"A"\n"B"\n"C"\n',
        "line 1: the first line must be 'candidates seats', got '3'",
    ),
    (
        "no seats",
        b'3 0\n2 1 0\n0\n"A"\n"B"\n"C"\n',
        "line 1: the number of seats must be at least 1",
    ),
    (
        "bad withdrawn",
        b'3 1\n-4\n2 1 0\n0\n"A"\n"B"\n"C"\n',
        "line 2: withdrawn candidate 4 is not between 1 and 3",
    ),
    (
        "duplicate names",
        b'2 1\n2 1 0\n0\n"A"\n"A"\n',
        "candidate names must be unique; repeated: A",
    ),
    (
        "non-UTF-8",
        b'3 1\n2 1 3 0\n0\n"A"\n"B\xe9"\n"C"\n',
        "line 5: is not UTF-8 text (byte 0xe9 at offset 20)",
    ),
]


@pytest.mark.parametrize(("case", "content", "message"), BLT_CASES, ids=[c[0] for c in BLT_CASES])
def test_malformed_blt(case: str, content: bytes, message: str, tmp_path: Path) -> None:
    separator = ", " if message.startswith("line") else ": "
    assert message_of(blt, tmp_path / "bad.blt", content) == f"bad.blt{separator}{message}"


def test_blt_withdrawn_candidates_are_removed(tmp_path: Path) -> None:
    # B (2) is withdrawn: "A > B=C" becomes "A > C"; "B" alone becomes an empty ballot
    box = small('3 2\n-2\n2 1 2=3 0\n1 2 0\n0\n"A"\n"B"\n"C"\n"T"\n', tmp_path, "w.blt")
    profile = box.profile
    assert isinstance(profile, RankedProfile)
    assert profile.candidates == ("A", "C")
    rows = {tuple(r): int(c) for r, c in zip(profile.ranks.tolist(), profile.counts, strict=True)}
    assert rows == {(0, 1): 2, (UNRANKED, UNRANKED): 1}
    assert box.notes == ("withdrawn before the count and removed from every ballot: B",)
    assert (box.seats, box.title) == (2, "T")


def test_blt_equals_sign_is_an_equal_ranking(tmp_path: Path) -> None:
    box = small('3 1\n4 2=3 1 0\n0\n"A"\n"B"\n"C"\n"T"\n', tmp_path, "eq.blt")
    assert box.profile.ranks.tolist() == [[1, 0, 0]]  # type: ignore[union-attr]


def test_blt_writes_equal_rankings_with_equals(tmp_path: Path) -> None:
    box = small('3 1\n4 2=3 1 0\n0\n"A"\n"B"\n"C"\n"T"\n', tmp_path, "eq.blt")
    write_ballots(box, tmp_path / "out.blt")
    assert (tmp_path / "out.blt").read_text() == '3 1\n4 2=3 1 0\n0\n"A"\n"B"\n"C"\n"T"\n'


def test_blt_refuses_to_write_a_quote_in_a_name(tmp_path: Path) -> None:
    profile = RankedProfile.from_orders(['say "hi"', "B"], [["B"]])
    with pytest.raises(FormatError) as info:
        blt.write(BallotBox(profile=profile, format="json"), tmp_path / "q.blt")
    assert str(info.value) == (
        "q.blt: the name 'say \"hi\"' has a quote or line break, which BLT cannot hold"
    )


# --- PrefLib ------------------------------------------------------------------------------

PREFLIB_CASES = [
    ("bad count", "3: 1,2\nx: 3\n", "line 9: ballot count 'x' is not a whole number"),
    ("unknown candidate", "3: 1,4\n2: 3\n", "line 8: candidate number 4 is not between 1 and 3"),
    (
        "truncated",
        "3: 1,2\n",
        "the header says 5 voters but the ballot lines add up to 3 (is the file truncated?)",
    ),
    (
        "too many lines",
        "3: 1,2\n1: 3\n1: 2\n",
        "the header says 2 unique orders but there are 3 ballot lines",
    ),
    (
        "ties in soi",
        "3: 1,{2,3}\n2: 3\n",
        "line 8: ties {...} are not allowed in a strict (soc/soi) file",
    ),
    ("ranked twice", "3: 1,2,1\n2: 3\n", "line 8: candidate 1 is ranked twice"),
    ("no colon", "3 1,2\n2: 3\n", "line 8: a ballot line must look like 'count: a,b,{c,d}'"),
    ("empty entry", "3: 1,,2\n2: 3\n", "line 8: 'an empty entry' is not a candidate number"),
    ("no ballots", "", "no ballot lines after the header"),
]


@pytest.mark.parametrize(
    ("case", "body", "message"), PREFLIB_CASES, ids=[c[0] for c in PREFLIB_CASES]
)
def test_malformed_preflib(case: str, body: str, message: str, tmp_path: Path) -> None:
    separator = ", " if message.startswith("line") else ": "
    content = (PREFLIB_HEAD + body).encode()
    assert message_of(preflib, tmp_path / "bad.soi", content) == f"bad.soi{separator}{message}"


def test_preflib_missing_alternative_name(tmp_path: Path) -> None:
    content = b"# NUMBER ALTERNATIVES: 3\n# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 3: C\n3: 1\n"
    message = message_of(preflib, tmp_path / "bad.soi", content)
    assert message == "bad.soi: no ALTERNATIVE NAME line for candidate 2"


def test_preflib_complete_file_must_rank_everyone(tmp_path: Path) -> None:
    content = b"# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n3: 1\n"
    message = message_of(preflib, tmp_path / "bad.toc", content)
    assert message == "bad.toc, line 3: a complete (toc) ballot must rank all 2 candidates"


def test_preflib_rejects_non_ordinal_data(tmp_path: Path) -> None:
    content = b"# DATA TYPE: wmd\n# ALTERNATIVE NAME 1: A\n1: 1\n"
    message = message_of(preflib, tmp_path / "bad.soi", content)
    assert message == "bad.soi: PrefLib data type 'wmd' is not an ordinal type (soc, soi, toc, toi)"


def test_preflib_non_utf8(tmp_path: Path) -> None:
    content = PREFLIB_HEAD.encode() + b"3: 1\n2: 2\n# \xff\n"
    message = message_of(preflib, tmp_path / "bad.soi", content)
    assert message.startswith("bad.soi, line 10: is not UTF-8 text (byte 0xff at offset ")


def test_preflib_toi_ties_and_empty_ballot(tmp_path: Path) -> None:
    # 3 voters tie A=B; 4 rank B alone; 1 ranks nobody
    text = "# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n3: {1,2}\n4: 2\n1:\n"
    box = small(text, tmp_path, "t.toi")
    profile = box.profile
    assert isinstance(profile, RankedProfile)
    rows = {tuple(r): int(c) for r, c in zip(profile.ranks.tolist(), profile.counts, strict=True)}
    assert rows == {(0, 0): 3, (UNRANKED, 0): 4, (UNRANKED, UNRANKED): 1}


def test_preflib_refuses_to_write_ties_as_soi(tmp_path: Path) -> None:
    box = small("# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n3: {1,2}\n", tmp_path, "t.toi")
    with pytest.raises(FormatError) as info:
        write_ballots(box, tmp_path / "out.soi")
    assert str(info.value) == (
        "out.soi: some ballots have ties, which a strict .soi file cannot hold; use .toi"
    )


def test_preflib_refuses_to_write_truncated_ballots_as_soc(tmp_path: Path) -> None:
    box = small("# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n3: 1\n", tmp_path, "t.soi")
    with pytest.raises(FormatError) as info:
        write_ballots(box, tmp_path / "out.soc")
    assert str(info.value) == (
        "out.soc: some ballots leave candidates unranked, which a complete .soc file cannot hold;"
        " use .soi"
    )


def test_preflib_writes_complete_strict_ballots_as_soc(tmp_path: Path) -> None:
    box = small(
        "# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n3: 1,2\n1: 2,1\n", tmp_path, "t.soi"
    )
    preflib.write(box, tmp_path / "out.soc")
    text = (tmp_path / "out.soc").read_text()
    assert "# DATA TYPE: soc" in text
    assert text.endswith("3: 1,2\n1: 2,1\n")
    assert preflib.data_type_for(box.profile, tmp_path / "x.txt") == "soc"  # type: ignore[arg-type]


# --- VoteKit ------------------------------------------------------------------------------


def test_votekit_sets_ties_skips_and_weights(tmp_path: Path) -> None:
    # row 1: A > (B = C) weight 2; row 2: skipped first rank, then C, weight 3
    text = VOTEKIT_HEAD + "{'0'},\"{'1', '2'}\",,&,2.0,&\n,{'2'},,&,3.0,&\n"
    box = small(text, tmp_path, "v.csv")
    profile = box.profile
    assert isinstance(profile, RankedProfile)
    assert profile.candidates == ("A", "B (b)", "C")
    rows = {tuple(r): int(c) for r, c in zip(profile.ranks.tolist(), profile.counts, strict=True)}
    assert rows == {(0, 1, 1): 2, (UNRANKED, UNRANKED, 0): 3}


VOTEKIT_CASES = [
    ("fractional weight", "{'0'},,,&,1.5,&\n", "line 10: weight '1.5' is not a whole number"),
    ("unknown index", "{'7'},,,&,1.0,&\n", "line 10: candidate index '7' is not between 0 and 2"),
    ("not a set", "A,,,&,1.0,&\n", "line 10: ranking cell 'A' is not a set like {'3'}"),
    ("ranked twice", "{'0'},{'0'},,&,1.0,&\n", "line 10: candidate 'A' is ranked twice"),
    ("short row", "{'0'},,&\n", "line 10: the row has 3 of the 5 columns it needs"),
    ("no rows", "", "no ballot rows after the table header"),
]


@pytest.mark.parametrize(
    ("case", "body", "message"), VOTEKIT_CASES, ids=[c[0] for c in VOTEKIT_CASES]
)
def test_malformed_votekit(case: str, body: str, message: str, tmp_path: Path) -> None:
    separator = ", " if message.startswith("line") else ": "
    content = (VOTEKIT_HEAD + body).encode()
    assert message_of(votekit, tmp_path / "bad.csv", content) == f"bad.csv{separator}{message}"


def test_votekit_wrong_magic(tmp_path: Path) -> None:
    message = message_of(votekit, tmp_path / "bad.csv", b"rank1,rank2\nA,B\n")
    assert message == "bad.csv, line 1: the first line must be 'VoteKit RankProfile'"


# --- Alaska -------------------------------------------------------------------------------

ALASKA_HEAD = "Begich_ Nick,Palin_ Sarah,Write-in\nIND,IND,IND\n-+-+-+-+-\n"


def test_alaska_underscore_means_comma(tmp_path: Path) -> None:
    box = small(ALASKA_HEAD + "(Palin_ Sarah,Begich_ Nick) : 5\n() : 1\n", tmp_path, "a.profile")
    profile = box.profile
    assert isinstance(profile, RankedProfile)
    assert profile.candidates == ("Begich, Nick", "Palin, Sarah", "Write-in")
    rows = {tuple(r): int(c) for r, c in zip(profile.ranks.tolist(), profile.counts, strict=True)}
    assert rows == {(1, 0, UNRANKED): 5, (UNRANKED, UNRANKED, UNRANKED): 1}
    assert box.meta == {"parties": "IND,IND,IND"}


ALASKA_CASES = [
    ("bad count", "(Write-in) : x\n", "line 4: ballot count 'x' is not a whole number"),
    (
        "unknown candidate",
        "(Peltola_ Mary S.) : 3\n",
        "line 4: unknown candidate 'Peltola, Mary S.'",
    ),
    ("ranked twice", "(Write-in,Write-in) : 3\n", "line 4: candidate 'Write-in' is ranked twice"),
    ("not a ballot", "Write-in : 3\n", "line 4: a ballot line must look like '(A,B,C) : count'"),
    ("no ballots", "", "no ballot lines after the header"),
]


@pytest.mark.parametrize(
    ("case", "body", "message"), ALASKA_CASES, ids=[c[0] for c in ALASKA_CASES]
)
def test_malformed_alaska(case: str, body: str, message: str, tmp_path: Path) -> None:
    separator = ", " if message.startswith("line") else ": "
    content = (ALASKA_HEAD + body).encode()
    assert (
        message_of(alaska, tmp_path / "bad.profile", content) == f"bad.profile{separator}{message}"
    )


def test_alaska_missing_rule_line(tmp_path: Path) -> None:
    message = message_of(alaska, tmp_path / "bad.profile", b"A,B\n(A) : 3\n")
    assert message == "bad.profile: no '-+-+-' line ends the header"
