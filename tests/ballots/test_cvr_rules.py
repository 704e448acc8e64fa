"""The ballot rules of election-office records (:mod:`ballots.formats.cvr_rules`): one test
per rule value on a small record written here, whose ballots are worked out by hand in the
comments; an instant-runoff count round by round under two overvote rules; presets, RCTab
configurations, errors, codes, exclusions, rank columns by position, and one contest read
from several files."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from ballots.box import BallotBox
from ballots.errors import FormatError
from ballots.formats import _cvr_cells, cvr, read_ballots
from ballots.formats._cvr_cells import OVERVOTE_SEP, Marks
from ballots.formats.cvr_rules import MAINE, MINNEAPOLIS, CvrRules, rules_named
from engine import tally
from engine.profile import UNRANKED, RankedProfile
from tests.support.cvr import MARKS, random_cvr, reference_ballots

UWI = cvr.WRITE_IN_NAME


@pytest.fixture(autouse=True)
def by_column(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small files are read by column here, as large ones are."""
    monkeypatch.setattr(_cvr_cells, "COLUMNAR_BYTES", 0)


def read(tmp_path: Path, text: str, rules: CvrRules = MINNEAPOLIS) -> BallotBox:
    path = tmp_path / "cvr.csv"
    path.write_text(text, encoding="utf-8")
    return cvr.read(path, rules=rules)


def rows(box: BallotBox) -> dict[tuple[str, ...], int]:
    """Each distinct ballot as its ranks best first, candidates of one rank joined by ``=``
    (an overvote counted as a tie), with its count."""
    profile = box.profile
    assert isinstance(profile, RankedProfile)
    out: dict[tuple[str, ...], int] = {}
    for ranks, count in zip(profile.ranks.tolist(), profile.counts.tolist(), strict=True):
        levels = sorted({r for r in ranks if r != UNRANKED})
        ballot = tuple(
            "=".join(sorted(profile.candidates[c] for c, r in enumerate(ranks) if r == level))
            for level in levels
        )
        out[ballot] = out.get(ballot, 0) + count
    return out


# --- overvotes: the three rules, on the overvote label and on delimited cells --------------

OVERVOTES = "rank1,rank2,rank3\nA|B,C,\novervote,B,A\nA,B|C,D\n"


def test_overvote_skip_passes_over_the_rank(tmp_path: Path) -> None:
    box = read(tmp_path, OVERVOTES, CvrRules(delimiter="|"))
    # A|B passed over: C; overvote passed over: B, A; B|C passed over: A, D
    assert rows(box) == {("C",): 1, ("B", "A"): 1, ("A", "D"): 1}
    assert "3 overvoted ranks passed over" in box.notes


def test_overvote_exhaust_ends_the_ballot(tmp_path: Path) -> None:
    box = read(tmp_path, OVERVOTES, CvrRules(overvote="exhaust", delimiter="|"))
    # the first two end before any mark; the third keeps A
    assert rows(box) == {(): 2, ("A",): 1}
    assert "3 overvoted ranks ended 3 ballots" in box.notes


def test_overvote_exhaust_if_multiple_ties_named_candidates(tmp_path: Path) -> None:
    box = read(tmp_path, OVERVOTES, CvrRules(overvote="exhaust-if-multiple", delimiter="|"))
    # A|B and B|C are ties at their rank; the bare overvote label names nobody: it ends
    assert rows(box) == {("A=B", "C"): 1, (): 1, ("A", "B=C", "D"): 1}
    assert box.notes[1].endswith("1 ballots ended at an overvote naming no candidate")


def test_overvote_separator_of_other_formats_under_each_rule() -> None:
    # the label other record formats give an overvote whose candidates they know
    marks = Marks(
        np.array([[0, 1], [2, 3]], dtype=np.uint8),
        [f"A{OVERVOTE_SEP}B", "C", "B", f"C{OVERVOTE_SEP}A"],
        np.array([2, 1], dtype=np.int64),
    )
    expected = {
        "skip": {("C",): 2, ("B",): 1},
        "exhaust": {(): 2, ("B",): 1},
        "exhaust-if-multiple": {("A=B", "C"): 2, ("B", "A=C"): 1},
    }
    for rule, ballots in expected.items():
        profile, _ = cvr.profile_from_marks(Path("m"), marks, CvrRules(overvote=rule))  # type: ignore[arg-type]
        assert rows(BallotBox(profile=profile, format="cvr")) == ballots, rule


def irv_rounds(box: BallotBox) -> list[tuple[dict[str, float], float]]:
    result = tally("irv", box.profile)
    return [(r.tallies, r.exhausted) for r in result.rounds]


# 7 A; 4 B; 3 C; 2 ballots D then an overvote of B and E (E has no first choice)
IRV_OVERVOTES = "rank1,rank2,count\nA,,7\nB,,4\nC,,3\nD,B|E,2\n"


def test_irv_under_exhaust_if_multiple_counts_the_one_left(tmp_path: Path) -> None:
    box = read(tmp_path, IRV_OVERVOTES, CvrRules(overvote="exhaust-if-multiple", delimiter="|"))
    assert rows(box) == {("A",): 7, ("B",): 4, ("C",): 3, ("D", "B=E"): 2}
    # 16 ballots, a majority is more than 8. Round 1: E (0) out. Round 2: D (2) out; its
    # ballots reach B|E, where only B continues: B 4 + 2. Round 3: C (3) out, exhausted.
    # Round 4: A 7 of 13 in play wins.
    assert irv_rounds(box) == [
        ({"A": 7, "B": 4, "C": 3, "D": 2, "E": 0}, 0),
        ({"A": 7, "B": 4, "C": 3, "D": 2}, 0),
        ({"A": 7, "B": 6, "C": 3}, 0),
        ({"A": 7, "B": 6}, 3),
    ]
    assert tally("irv", box.profile).winners == ("A",)


def test_irv_under_exhaust_ends_the_ballots_at_the_overvote(tmp_path: Path) -> None:
    box = read(tmp_path, IRV_OVERVOTES, CvrRules(overvote="exhaust", delimiter="|"))
    assert rows(box) == {("A",): 7, ("B",): 4, ("C",): 3, ("D",): 2}
    # E is named by the overvote only: 0 votes, out first. Then D's 2 ballots end (exhausted
    # 2), then C's 3 (exhausted 5): A 7 of 11 in play
    assert irv_rounds(box) == [
        ({"A": 7, "B": 4, "C": 3, "D": 2, "E": 0}, 0),
        ({"A": 7, "B": 4, "C": 3, "D": 2}, 0),
        ({"A": 7, "B": 4, "C": 3}, 2),
        ({"A": 7, "B": 4}, 5),
    ]


# --- skipped ranks, repeats, blanks and write-ins -----------------------------------------


SKIPS = "rank1,rank2,rank3,rank4\nundervote,A,B,\nA,undervote,,B\novervote,undervote,B,C\n"


@pytest.mark.parametrize(
    ("limit", "ballots"),
    [
        # row 1: a blank first rank, A, B; row 2: A, two skipped ranks, B; row 3: an
        # overvote (passed over), a skipped rank, B, C
        (None, {("A", "B"): 2, ("B", "C"): 1}),
        # none allowed: row 1 ends before A (a blank first rank is a skipped rank); row 2
        # keeps A; row 3's overvote is a marked rank, but the skip after it ends the ballot
        (0, {(): 2, ("A",): 1}),
        # one allowed: rows 1 and 3 go on; two in a row end row 2 after A
        (1, {("A", "B"): 1, ("A",): 1, ("B", "C"): 1}),
    ],
)
def test_max_skipped(
    limit: int | None, ballots: dict[tuple[str, ...], int], tmp_path: Path
) -> None:
    assert rows(read(tmp_path, SKIPS, CvrRules(max_skipped=limit))) == ballots


def test_duplicate_skip_counts_once_at_the_highest_rank(tmp_path: Path) -> None:
    box = read(tmp_path, "rank1,rank2,rank3\nA,A,B\nB,C,B\n", CvrRules(duplicate="skip"))
    assert rows(box) == {("A", "B"): 1, ("B", "C"): 1}
    assert "2 repeated marks for a candidate counted once, at the highest rank" in box.notes


def test_duplicate_exhaust_ends_the_ballot_at_the_repeat(tmp_path: Path) -> None:
    box = read(tmp_path, "rank1,rank2,rank3\nA,A,B\nB,C,B\nC,B,A\n", CvrRules(duplicate="exhaust"))
    # A then A again: ends after A; B, C then B again: ends after C; the third has no repeat
    assert rows(box) == {("A",): 1, ("B", "C"): 1, ("C", "B", "A"): 1}
    assert "2 ballots ended at a repeated candidate" in box.notes


def test_blank_cells_as_write_ins(tmp_path: Path) -> None:
    text = "rank1,rank2,rank3\nA,,undervote\n,B,\n"
    plain = read(tmp_path, text)
    assert rows(plain) == {("A",): 1, ("B",): 1}
    box = read(tmp_path, text, CvrRules(blank_is_write_in=True))
    # a blank cell is a write-in mark, the undervote label still a skipped rank
    assert rows(box) == {("A", UWI): 1, (UWI, "B"): 1}
    assert box.profile.candidates == ("A", "B", UWI)


def test_write_ins_candidate_or_eliminated_first(tmp_path: Path) -> None:
    text = "rank1,rank2\nUWI,A\nB,UWI\n"
    assert read(tmp_path, text).write_in is None
    box = read(tmp_path, text, CvrRules(write_ins="eliminate"))
    assert box.write_in == UWI
    assert rows(box) == {(UWI, "A"): 1, ("B", UWI): 1}
    # a record without write-ins names none
    assert read(tmp_path, "rank1\nA\n", CvrRules(write_ins="eliminate")).write_in is None


def test_aliases_name_the_candidates(tmp_path: Path) -> None:
    rules = CvrRules(aliases=(("1", "Ann Lee"), ("AL", "Ann Lee"), ("2", "Bo Wu")))
    box = read(tmp_path, "rank1,rank2\n1,2\nAL,Bo Wu\n2,AL\n", rules)
    # two codes for Ann Lee, and a name as it is
    assert box.profile.candidates == ("Ann Lee", "Bo Wu")
    assert rows(box) == {("Ann Lee", "Bo Wu"): 2, ("Bo Wu", "Ann Lee"): 1}


def test_excluded_candidates_are_passed_over(tmp_path: Path) -> None:
    text = "rank1,rank2,rank3\nX,undervote,A\nX,B,\nA|X,B,\n"
    rules = CvrRules(excluded=("X",), max_skipped=1, overvote="exhaust-if-multiple", delimiter="|")
    box = read(tmp_path, text, rules)
    # X is not a candidate; its mark is a marked rank (one skip after it is allowed), and in
    # an overvote only A is left
    assert box.profile.candidates == ("A", "B")
    assert rows(box) == {("A",): 1, ("B",): 1, ("A", "B"): 1}
    assert "3 marks for excluded candidates passed over" in box.notes


def test_max_rankings_reads_the_first_ranks(tmp_path: Path) -> None:
    box = read(tmp_path, "rank1,rank2,rank3\nA,B,C\n", CvrRules(max_rankings=2))
    assert rows(box) == {("A", "B"): 1}


# --- rank and count columns by position ----------------------------------------------------


def test_generic_csv_first_rank_column(tmp_path: Path) -> None:
    # no header names a rank: the ranks are columns 3 and 4, the ballots' count column 2
    text = "id,n,first,second,precinct\n1,2,A,B,P1\n2,1,B,,P2\n"
    rules = CvrRules(first_rank_column=3, max_rankings=2, count_column=2)
    assert rows(read(tmp_path, text, rules)) == {("A", "B"): 2, ("B",): 1}
    # without max_rankings the ranks run to the last column
    with_precinct = rows(read(tmp_path, text, CvrRules(first_rank_column=3, count_column=2)))
    assert with_precinct == {("A", "B", "P1"): 2, ("B", "P2"): 1}


def test_first_rank_column_past_the_end(tmp_path: Path) -> None:
    with pytest.raises(FormatError) as info:
        read(tmp_path, "a,b\nA,B\n", CvrRules(first_rank_column=3))
    assert str(info.value) == "cvr.csv, line 1: first rank column 3 is past the last column"


# --- presets, RCTab configurations, errors -------------------------------------------------


def test_presets() -> None:
    assert rules_named("minneapolis") == MINNEAPOLIS == CvrRules()
    assert rules_named("maine") == MAINE == CvrRules(overvote="exhaust", max_skipped=1)
    with pytest.raises(FormatError) as info:
        rules_named("ohio")
    assert str(info.value) == (
        "ballot rules 'ohio': neither a preset (minneapolis, maine) nor an RCTab configuration"
        " file (.json)"
    )


RCTAB = """{
  "cvrFileSources": [{"provider": "csv", "firstVoteColumnIndex": "2", "overvoteDelimiter": "//",
    "overvoteLabel": "OV", "skippedRankLabel": "skipped", "undeclaredWriteInLabel": "Write-in",
    "treatBlankAsUndeclaredWriteIn": true}],
  "candidates": [
    {"name": "Ann Lee", "code": "AL", "aliases": ["Lee, Ann"], "excluded": false},
    {"name": "Bo Wu", "aliases": [], "excluded": true}
  ],
  "rules": {"overvoteRule": "exhaustIfMultipleContinuing", "maxSkippedRanksAllowed": "0",
    "maxRankingsAllowed": "max", "exhaustOnDuplicateCandidate": true}
}"""


def test_rctab_configuration_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(RCTAB, encoding="utf-8")
    assert CvrRules.from_rctab(path) == CvrRules(
        overvote="exhaust-if-multiple",
        max_skipped=0,
        duplicate="exhaust",
        blank_is_write_in=True,
        write_ins="eliminate",
        aliases=(("AL", "Ann Lee"), ("Lee, Ann", "Ann Lee")),
        excluded=("Bo Wu",),
        delimiter="//",
        first_rank_column=2,
        labels=(("overvote", "OV"), ("undervote", "skipped"), ("UWI", "Write-in")),
    )
    assert rules_named(str(path)) == CvrRules.from_rctab(path)
    # the record's own words: OV ends the ballot (no candidates named), skipped is a skip
    record = tmp_path / "cvr.csv"
    record.write_text("id,r1,r2,r3\n1,AL,skipped,Write-in\n2,OV,AL,\n3,AL//Write-in,,\n")
    box = cvr.read(record, rules=CvrRules.from_rctab(path))
    # row 1: a skip with none allowed ends it after Ann Lee; row 2 ends at once; row 3 ties
    # Ann Lee and the write-ins, then two blank cells are write-ins: a repeat, which ends it
    assert rows(box) == {("Ann Lee",): 1, (): 1, (f"Ann Lee={UWI}",): 1}
    assert box.write_in == UWI


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ('{"overvoteRule": "sometimes"}', "overvote rule 'sometimes' is not supported"),
        ('{"maxSkippedRanksAllowed": "-1"}', "maxSkippedRanksAllowed '-1' is not a whole number"),
        ('{"maxRankingsAllowed": "0"}', "maxRankingsAllowed '0' is not a whole number of at"),
    ],
)
def test_rctab_configuration_with_a_bad_value(rules: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(f'{{"rules": {rules}}}', encoding="utf-8")
    with pytest.raises(FormatError) as info:
        CvrRules.from_rctab(path)
    assert str(info.value).startswith(f"{path}: {message}")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"overvote": "ignore"},
            "overvote must be one of skip, exhaust, exhaust-if-multiple, got 'ignore'",
        ),
        ({"duplicate": "count"}, "duplicate must be one of skip, exhaust, got 'count'"),
        ({"write_ins": "drop"}, "write_ins must be one of candidate, eliminate, got 'drop'"),
        ({"max_skipped": -1}, "max_skipped must be a whole number of at least 0, got -1"),
        ({"first_rank_column": 0}, "first_rank_column must be a whole number of at least 1, got 0"),
        ({"delimiter": " "}, "delimiter ' ' must be one or more characters"),
        ({"aliases": (("", "A"),)}, "alias ''='A': the code and the name must not be blank"),
    ],
)
def test_bad_rule_values_are_named(values: dict[str, object], message: str) -> None:
    with pytest.raises(FormatError) as info:
        CvrRules(**values)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_rules_are_refused_for_a_format_without_them(tmp_path: Path) -> None:
    path = tmp_path / "b.blt"
    path.write_text('2 1\n1 1 2 0\n0\n"A"\n"B"\n"t"\n', encoding="utf-8")
    with pytest.raises(FormatError) as info:
        read_ballots(path, rules=MAINE)
    assert str(info.value) == "ballot rules apply to election-office records, not to the blt format"


# --- one contest over several files --------------------------------------------------------


def write_xlsx(path: Path, rows_: list[list[object]]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows_:
        sheet.append(row)
    workbook.save(path)


def test_ess_workbooks_of_one_contest(tmp_path: Path) -> None:
    header = ["Precinct", "1st Choice", "2nd Choice", "Count"]
    folder = tmp_path / "contest"
    folder.mkdir()
    write_xlsx(folder / "batch1.xlsx", [header, ["P1", "A", "B", 2], ["P1", "overvote", "B", 1]])
    write_xlsx(folder / "batch2.xlsx", [header, ["P2", "B", "undervote", 1], ["P2", "C", "A", 3]])
    expected = {("A", "B"): 2, ("B",): 2, ("C", "A"): 3}
    for source in (folder, str(folder / "*.xlsx"), sorted(folder.iterdir())):
        box = read_ballots(source)  # type: ignore[arg-type]
        assert box.format == "cvr"
        assert rows(box) == expected
        assert "2 files read as one contest" in box.notes
    # the rules apply across the files: the overvote in the first ends its ballot
    assert rows(read_ballots(folder, rules=MAINE)) == {
        ("A", "B"): 2,
        (): 1,
        ("B",): 1,
        ("C", "A"): 3,
    }


def test_files_with_other_rank_columns_are_not_one_contest(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("rank1,rank2\nA,B\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("rank1\nA\n", encoding="utf-8")
    with pytest.raises(FormatError) as info:
        read_ballots([tmp_path / "a.csv", tmp_path / "b.csv"])
    assert (
        str(info.value)
        == "b.csv: has 1 rank columns where a.csv has 2: not the same contest's records"
    )


# --- the columnar reading against a plain reading, under every rule ------------------------

CELLS = [*MARKS, "A|B", "B| C d", "A|A", "UWI|A", "|", "1", "1|B", "overvote|A"]


@pytest.mark.parametrize("seed", range(6))
def test_every_rule_agrees_with_a_plain_reading(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    path = tmp_path / "cvr.csv"
    for _ in range(20):
        random_cvr(rng, path, CELLS)
        rules = CvrRules(
            overvote=rng.choice(["skip", "exhaust", "exhaust-if-multiple"]),
            max_skipped=rng.choice([None, 0, 1, 2]),
            duplicate=rng.choice(["skip", "exhaust"]),
            blank_is_write_in=rng.random() < 0.3,
            aliases=(("1", "A"),) if rng.random() < 0.5 else (),
            excluded=("C d",) if rng.random() < 0.4 else (),
            delimiter="|" if rng.random() < 0.7 else None,
            max_rankings=rng.choice([None, 2, 4]),
        )
        # the first ballot marks A first, never excluded: some ballot marks a candidate
        assert rows(cvr.read(path, rules=rules)) == reference_ballots(path, rules), rules
