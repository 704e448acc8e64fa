"""Cast-vote records: one test per marker rule in :mod:`ballots.formats.cvr`, RCTab's first
rounds reproduced exactly with RCTab's own configurations, and malformed CVRs."""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from ballots.box import BallotBox
from ballots.errors import FormatError
from ballots.formats import _cvr_cells, cvr, read_ballots
from engine.profile import RankedProfile
from tests.support.cvr import named_rows, random_cvr, reference
from tests.support.paths import ELECTIONS
from tests.support.profiles import sole_first

MINNEAPOLIS = ELECTIONS / "minneapolis"


@pytest.fixture(autouse=True)
def by_column(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small files here are read by column too, as large ones are (row by row, which the
    tests of rows pyarrow reads otherwise cover)."""
    monkeypatch.setattr(_cvr_cells, "COLUMNAR_BYTES", 0)


def read_csv(tmp_path: Path, text: str, rules: cvr.CvrRules = cvr.MINNEAPOLIS) -> BallotBox:
    path = tmp_path / "cvr.csv"
    path.write_text(text, encoding="utf-8")
    return cvr.read(path, rules=rules)


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
    # RCTab eliminates undeclared write-ins first; the three configurations read 3 ranks
    rctab = {"write_ins": "eliminate", "max_rankings": 3}
    assert cvr.CvrRules.from_rctab(
        MINNEAPOLIS / "2013_minneapolis_mayor_rctab_config.json"
    ) == cvr.CvrRules("exhaust", 1, **rctab)
    assert cvr.CvrRules.from_rctab(
        MINNEAPOLIS / "2017_minneapolis_mayor_rctab_config.json"
    ) == cvr.CvrRules("skip", 1, **rctab)
    assert cvr.CvrRules.from_rctab(
        MINNEAPOLIS / "2013_minneapolis_park_rctab_config.json"
    ) == cvr.CvrRules("skip", 2, **rctab)


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


def test_cvr_parquet_round_trip(tmp_path: Path) -> None:
    profile = RankedProfile.from_orders(
        ["A", "B", cvr.WRITE_IN_NAME], [["A", "B"], [cvr.WRITE_IN_NAME], ["A", "B"]]
    )
    cvr.write(BallotBox(profile=profile, format="json"), tmp_path / "out.parquet")
    again = read_ballots(tmp_path / "out.parquet")
    assert again.format == "cvr"
    assert named_rows(again) == {("A", "B"): 2, (cvr.WRITE_IN_NAME,): 1}


# --- the columnar reading against a plain reading of the same rules ----------------------


@pytest.mark.parametrize("seed", range(12))
def test_cvr_columnar_reading_agrees_with_a_plain_reading(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    path = tmp_path / "cvr.csv"
    for _ in range(25):
        random_cvr(rng, path)
        for rules in (cvr.MINNEAPOLIS, cvr.CvrRules("exhaust", 1), cvr.CvrRules("skip", 0)):
            ballots, figures = reference(path, rules)
            box = cvr.read(path, rules=rules)
            assert named_rows(box) == ballots
            assert [int(f) for f in re.findall(r"\d+", " ".join(box.notes))] == figures


def test_cvr_parquet_reads_as_the_csv(tmp_path: Path) -> None:
    source = MINNEAPOLIS / "2013_minneapolis_mayor_cvr.csv"
    table = pa_csv.read_csv(
        source, convert_options=pa_csv.ConvertOptions(column_types={"Rank2": pa.string()})
    )
    # a file named without the extension is known by its first bytes
    target = tmp_path / "mayor.cvr"
    pq.write_table(table, target)
    rules = cvr.CvrRules.from_rctab(MINNEAPOLIS / "2013_minneapolis_mayor_rctab_config.json")
    from_csv, from_parquet = cvr.read(source, rules=rules), read_ballots(target)
    assert from_parquet.format == "cvr"
    from_parquet = cvr.read(target, rules=rules)
    assert from_parquet.profile.candidates == from_csv.profile.candidates
    assert named_rows(from_parquet) == named_rows(from_csv)
    assert from_parquet.notes == from_csv.notes


def test_cvr_parquet_missing_cells_are_blank_and_counts_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "cvr.parquet"
    ranks = {"rank1": ["A", None, None], "rank2": [None, "B", None]}
    pq.write_table(pa.table({**ranks, "Count": [2, 3, 4]}), path)
    assert named_rows(cvr.read(path)) == {("A",): 2, ("B",): 3, (): 4}
    pq.write_table(pa.table({**ranks, "Count": [2, 0, 4]}), path)
    with pytest.raises(FormatError) as info:
        cvr.read(path)
    assert str(info.value) == (
        "cvr.parquet, line 3: ballot count 0: a line must stand for at least one ballot"
    )


@pytest.mark.parametrize(
    ("text", "ballots"),
    [
        # a row longer than the header: the csv module reads it, so does the reader
        ("rank1,rank2\nA,B,extra\nB,A\n", {("A", "B"): 1, ("B", "A"): 1}),
        # a blank first line is the (empty) header for the csv module
        ("\nrank1,rank2\nA,B\n", None),
        # a line break inside a quoted name
        ('rank1,rank2\n"A\nA",B\nB,\n', {("A\nA", "B"): 1, ("B",): 1}),
        # a byte-order mark before the header
        ("\ufeffrank1,rank2\nA,B\n", {("A", "B"): 1}),
        # a row of empty cells is no ballot; a row of blank ranks with a precinct is one
        ("P,rank1\n,\nP1,\nP2,A\n", {(): 1, ("A",): 1}),
    ],
)
def test_cvr_rows_pyarrow_would_read_otherwise(
    text: str, ballots: dict[tuple[str, ...], int] | None, tmp_path: Path
) -> None:
    path = tmp_path / "cvr.csv"
    path.write_text(text, encoding="utf-8")
    if ballots is None:
        with pytest.raises(FormatError) as info:
            cvr.read(path)
        assert str(info.value) == (
            "cvr.csv, line 1: no rank columns (headers like 'rank1' or '1st Choice')"
        )
    else:
        assert named_rows(cvr.read(path)) == ballots


def test_cvr_with_more_candidates_than_a_small_code_holds(tmp_path: Path) -> None:
    # 140 names: the label lookup needs more than 8 bits; the rules still read as the reference
    rng = random.Random(140)
    names = [f"候选{i}" for i in range(140)] + ["undervote", "overvote", "UWI", ""]
    path = tmp_path / "cvr.csv"
    rows = [[rng.choice(names) for _ in range(4)] for _ in range(300)]
    rows[0][0] = "候选0"
    with path.open("w", encoding="utf-8", newline="") as out:
        header = ["rank1", "rank2", "rank3", "rank4"]
        csv.writer(out, lineterminator="\n").writerows([header, *rows])
    for rules in (cvr.MINNEAPOLIS, cvr.CvrRules("exhaust", 0)):
        ballots, figures = reference(path, rules)
        box = cvr.read(path, rules=rules)
        assert len(box.profile.candidates) > 127
        assert named_rows(box) == ballots
        assert [int(f) for f in re.findall(r"\d+", " ".join(box.notes))] == figures
