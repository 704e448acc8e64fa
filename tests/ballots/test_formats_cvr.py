"""Cast-vote records: one test per marker rule in :mod:`ballots.formats.cvr`, RCTab's first
rounds reproduced exactly with RCTab's own configurations, and malformed CVRs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ballots.box import BallotBox
from ballots.errors import FormatError
from ballots.formats import cvr
from engine.profile import UNRANKED, RankedProfile
from tests.support.paths import ELECTIONS
from tests.support.profiles import sole_first

MINNEAPOLIS = ELECTIONS / "minneapolis"


def read_csv(tmp_path: Path, text: str, rules: cvr.CvrRules = cvr.MINNEAPOLIS) -> BallotBox:
    path = tmp_path / "cvr.csv"
    path.write_text(text, encoding="utf-8")
    return cvr.read(path, rules=rules)


def named_rows(box: BallotBox) -> dict[tuple[str, ...], int]:
    """Each distinct ballot as its names best first (no ties in a CVR), with its count."""
    profile = box.profile
    assert isinstance(profile, RankedProfile)
    out: dict[tuple[str, ...], int] = {}
    for row, count in zip(profile.ranks.tolist(), profile.counts.tolist(), strict=True):
        ranked = sorted((r, profile.candidates[c]) for c, r in enumerate(row) if r != UNRANKED)
        out[tuple(name for _, name in ranked)] = count
    return out


# --- one test per rule --------------------------------------------------------------------


def test_cvr_undervote_is_a_skipped_rank(tmp_path: Path) -> None:
    box = read_csv(tmp_path, "rank1,rank2,rank3\nundervote,A,B\nA,,B\n")
    assert named_rows(box) == {("A", "B"): 2}


def test_cvr_overvote_is_passed_over(tmp_path: Path) -> None:
    box = read_csv(tmp_path, "rank1,rank2,rank3\novervote,B,A\n")
    assert named_rows(box) == {("B", "A"): 1}
    assert "1 overvoted ranks passed over" in box.notes


def test_cvr_overvote_exhausts_under_rctab_exhaust_rule(tmp_path: Path) -> None:
    rules = cvr.CvrRules(overvote="exhaust")
    box = read_csv(tmp_path, "rank1,rank2,rank3\nA,overvote,B\novervote,B,A\n", rules)
    # A is kept, the ballot ends at the overvote; the second ballot ranks nobody
    assert named_rows(box) == {("A",): 1, (): 1}
    assert "2 overvoted ranks ended 2 ballots" in box.notes


def test_cvr_uwi_is_a_candidate(tmp_path: Path) -> None:
    box = read_csv(tmp_path, "rank1,rank2,rank3\nUWI,B,undervote\n")
    assert box.profile.candidates == ("B", cvr.WRITE_IN_NAME)
    assert named_rows(box) == {(cvr.WRITE_IN_NAME, "B"): 1}


def test_cvr_repeated_candidate_counts_once_at_highest_rank(tmp_path: Path) -> None:
    box = read_csv(tmp_path, "rank1,rank2,rank3\nA,A,B\nB,A,B\n")
    assert named_rows(box) == {("A", "B"): 1, ("B", "A"): 1}
    assert "2 repeated marks for a candidate counted once, at the highest rank" in box.notes


def test_cvr_skip_limit_ends_the_ballot(tmp_path: Path) -> None:
    rules = cvr.CvrRules(max_skipped=1)
    text = (
        "rank1,rank2,rank3,rank4\n"
        "A,undervote,undervote,B\nundervote,undervote,C,B\nA,undervote,B,C\n"
    )
    box = read_csv(tmp_path, text, rules)
    # two skipped ranks before B (or C) end the ballot; one skipped rank is allowed
    assert named_rows(box) == {("A",): 1, (): 1, ("A", "B", "C"): 1}
    assert "2 ballots ended after more than 1 skipped ranks" in box.notes


def test_cvr_count_column_weights_rows(tmp_path: Path) -> None:
    box = read_csv(tmp_path, "Precinct,1st Choice,2nd Choice,Count\nP1,A,B,3\nP2,A,B,2\nP2,B,A,1\n")
    assert named_rows(box) == {("A", "B"): 5, ("B", "A"): 1}


def test_cvr_candidates_are_sorted_by_name_with_write_ins_last(tmp_path: Path) -> None:
    box = read_csv(tmp_path, "rank1,rank2\nZed,UWI\nAnn,Bo\n")
    assert box.profile.candidates == ("Ann", "Bo", "Zed", cvr.WRITE_IN_NAME)


# --- RCTab's first rounds -----------------------------------------------------------------


def rctab_round_one(report: Path) -> dict[str, int]:
    """Round-1 votes per candidate from an RCTab detailed report (CSV)."""
    with report.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    start = next(i for i, row in enumerate(rows) if row and row[0] == "Rounds") + 1
    out: dict[str, int] = {}
    for row in rows[start:]:
        if row[0] == "Active Ballots":
            break
        if row[0] in ("Eliminated", "Elected"):
            continue
        out[row[0]] = int(float(row[1]))
    return out


@pytest.mark.parametrize(
    "contest",
    [
        "2013_minneapolis_mayor",
        pytest.param("2017_minneapolis_mayor", marks=pytest.mark.slow),
        pytest.param("2013_minneapolis_park", marks=pytest.mark.slow),
    ],
)
def test_rctab_first_round_is_reproduced_exactly(contest: str) -> None:
    source = next(MINNEAPOLIS.glob(f"{contest}_cvr.*"))
    rules = cvr.CvrRules.from_rctab(MINNEAPOLIS / f"{contest}_rctab_config.json")
    box = cvr.read(source, rules=rules)
    expected = rctab_round_one(MINNEAPOLIS / f"{contest}_rctab_expected_detailed_report.csv")
    # RCTab's configuration spells 'ABDUL M RAHAMAN "THE ROCK"' without the quotes
    ours = {name.replace('"', ""): votes for name, votes in sole_first(box).items()}
    assert {n: v for n, v in ours.items() if v} == {n: v for n, v in expected.items() if v}


def test_rctab_rules_are_read_from_the_config() -> None:
    assert cvr.CvrRules.from_rctab(
        MINNEAPOLIS / "2013_minneapolis_mayor_rctab_config.json"
    ) == cvr.CvrRules("exhaust", 1)
    assert cvr.CvrRules.from_rctab(
        MINNEAPOLIS / "2017_minneapolis_mayor_rctab_config.json"
    ) == cvr.CvrRules("skip", 1)
    assert cvr.CvrRules.from_rctab(
        MINNEAPOLIS / "2013_minneapolis_park_rctab_config.json"
    ) == cvr.CvrRules("skip", 2)


def test_rctab_config_that_is_not_one(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text("[]")
    with pytest.raises(FormatError) as info:
        cvr.CvrRules.from_rctab(path)
    assert str(info.value) == f"{path}: not an RCTab configuration with a 'rules' section"


# --- malformed and writing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"Precinct,Count\nP1,1\n",
            "cvr.csv, line 1: no rank columns (headers like 'rank1' or '1st Choice')",
        ),
        (b"rank1,rank2\n", "cvr.csv: no ballot rows after the header"),
        (b"rank1,rank2,count\nA,B,x\n", "cvr.csv, line 2: count 'x' is not a whole number"),
        (b"rank1,rank2\nA\n", "cvr.csv, line 2: the row has 1 of the 2 columns it needs"),
        (b"rank1,rank2\nundervote,overvote\n", "cvr.csv: no ballot marks a candidate"),
        (
            b"rank1,rank2\nA,B\n\xe9,A\n",
            "cvr.csv, line 3: is not UTF-8 text (byte 0xe9 at offset 16)",
        ),
    ],
)
def test_malformed_cvr(content: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "cvr.csv"
    path.write_bytes(content)
    with pytest.raises(FormatError) as info:
        cvr.read(path)
    assert str(info.value) == message


def test_broken_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "cvr.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(FormatError) as info:
        cvr.read(path)
    assert str(info.value) == "cvr.xlsx: is not a readable xlsx workbook (BadZipFile)"


def test_cvr_write_layout(tmp_path: Path) -> None:
    profile = RankedProfile.from_orders(
        ["A", "B", cvr.WRITE_IN_NAME], [["A", "B"], [cvr.WRITE_IN_NAME], ["A", "B"]]
    )
    cvr.write(BallotBox(profile=profile, format="json"), tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text() == ("rank1,rank2,count\nA,B,2\nUWI,undervote,1\n")


def test_cvr_refuses_to_write_ties(tmp_path: Path) -> None:
    profile = RankedProfile.from_orders(["A", "B"], [[["A", "B"]]])
    with pytest.raises(FormatError) as info:
        cvr.write(BallotBox(profile=profile, format="json"), tmp_path / "out.csv")
    assert str(info.value) == (
        "out.csv: some ballots have ties, which a CVR would read back as overvotes"
    )


def test_cvr_refuses_a_marker_as_a_name(tmp_path: Path) -> None:
    profile = RankedProfile.from_orders(["A", "overvote"], [["A"]])
    with pytest.raises(FormatError) as info:
        cvr.write(BallotBox(profile=profile, format="json"), tmp_path / "out.csv")
    assert str(info.value) == "out.csv: the candidate name 'overvote' is a CVR marker"
