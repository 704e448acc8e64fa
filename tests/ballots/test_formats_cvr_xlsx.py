"""xlsx cast-vote records read with calamine give what openpyxl's reading gave: the same cells
row by row, and the same ballots and notes as the same record written as a CSV, whose plain
reading (``reference``) follows the rules one ballot at a time. The workbooks are written
with openpyxl, as the service writes its own."""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from ballots.errors import FormatError
from ballots.formats import _sheet, cvr
from tests.support.cvr import named_rows, random_cvr, reference


def write_xlsx(path: Path, rows: list[list[Any]]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def openpyxl_rows(path: Path) -> list[list[Any]]:
    """The rows as openpyxl's read-only reading gives them (an empty cell as ``""``)."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        return [["" if c is None else c for c in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def as_cells(rng: random.Random, header: list[str], row: list[str]) -> list[Any]:
    """A CSV row as an xlsx row: counts as numbers (some as decimals that are whole), empty
    cells left out or written as nothing."""
    out: list[Any] = []
    for name, cell in zip(header, row, strict=True):
        if name == "Count" and cell:
            out.append(int(cell) if rng.random() < 0.5 else float(cell))
        else:
            out.append(None if cell == "" else cell)
    return out


@pytest.mark.parametrize("seed", range(8))
def test_xlsx_reads_as_the_same_csv(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    text, book = tmp_path / "cvr.csv", tmp_path / "cvr.xlsx"
    for _ in range(12):
        random_cvr(rng, text)
        with text.open(encoding="utf-8", newline="") as handle:
            header, *rows = list(csv.reader(handle))
        write_xlsx(book, [header, *(as_cells(rng, header, row) for row in rows)])
        for rules in (cvr.MINNEAPOLIS, cvr.CvrRules("exhaust", 1), cvr.CvrRules("skip", 0)):
            ballots, figures = reference(text, rules)
            box = cvr.read(book, rules=rules)
            assert named_rows(box) == ballots
            assert [int(f) for f in re.findall(r"\d+", " ".join(box.notes))] == figures
            assert box.notes == cvr.read(text, rules=rules).notes


def test_xlsx_cells_are_openpyxl_cells(tmp_path: Path) -> None:
    path = tmp_path / "cells.xlsx"
    rows: list[list[Any]] = [
        [None, "rank1", "rank2", "Count"],
        [None, "A", 7, 1],
        [],
        [None, "  B ", None, 2.0],
        [None, "A", 2.5, 3, None, "x"],
        ["P", True, "", 1],
    ]
    write_xlsx(path, rows)
    ours = list(_sheet.sheet_rows(path))
    assert ours == openpyxl_rows(path)
    assert ours[1] == ["", "A", 7, 1, "", ""]  # whole numbers as int, rows as wide as the sheet
    assert isinstance(ours[3][3], int)


def test_xlsx_empty_rows_are_no_ballots_but_blank_ranks_are(tmp_path: Path) -> None:
    path = tmp_path / "cvr.xlsx"
    rows: list[list[Any]] = [["Precinct", "rank1", "rank2"], ["P1", None, None], [], ["P2", "A"]]
    rows += [[None, None, None]] * 3 + [["", "B", "A"]]
    write_xlsx(path, rows)
    box = cvr.read(path)
    assert named_rows(box) == {(): 1, ("A",): 1, ("B", "A"): 1}
    assert box.notes[2] == "1 ballots rank nobody"


def test_xlsx_numbers_as_names_read_as_openpyxl_wrote_them(tmp_path: Path) -> None:
    path = tmp_path / "cvr.xlsx"
    write_xlsx(path, [["rank1", "rank2"], [7, 2.5], ["7", "A"], [7.0, None]])
    box = cvr.read(path)
    assert named_rows(box) == {("7", "2.5"): 1, ("7", "A"): 1, ("7",): 1}
    assert box.profile.candidates == ("2.5", "7", "A")  # 7, "7" and 7.0 are one name


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["rank1", "Count"], ["A", 1], ["B", 0]], "cvr.xlsx, line 3: ballot count 0: "),
        ([["rank1", "Count"], ["A", 1], [], ["B", "x"]], "cvr.xlsx, line 4: count 'x' is not"),
        ([["rank1", "Count"], ["A", 1.5]], "cvr.xlsx, line 2: count 1.5 is not a whole number"),
        ([["rank1", "Count"], ["A", None]], "cvr.xlsx, line 2: count '' is not a whole number"),
        ([["name", "Count"], ["A", 1]], "cvr.xlsx, line 1: no rank columns"),
        ([["rank1", "Count"], [None, None]], "cvr.xlsx: no ballot rows after the header"),
    ],
)
def test_xlsx_refusals_name_the_line(rows: list[list[Any]], message: str, tmp_path: Path) -> None:
    path = tmp_path / "cvr.xlsx"
    write_xlsx(path, rows)
    with pytest.raises(FormatError) as info:
        cvr.read(path)
    assert str(info.value).startswith(message)


def test_xlsx_that_is_a_zip_of_something_else(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "cvr.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(FormatError) as info:
        cvr.read(path)
    assert re.fullmatch(r"cvr\.xlsx: is not a readable xlsx workbook \(\w+\)", str(info.value))


def test_xlsx_counts_many_rows_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sheet, "BATCH_ROWS", 7)  # several batches, the last one partial
    path = tmp_path / "cvr.xlsx"
    rng = np.random.default_rng(4)
    names = ["A", "B", "C", "undervote", "overvote"]
    cells = rng.integers(0, len(names), (100, 3))
    write_xlsx(path, [["rank1", "rank2", "rank3"], *([names[c] for c in row] for row in cells)])
    reports: list[tuple[int, int]] = []
    box = cvr.read(path, lambda done, total: reports.append((done, total)))
    assert box.profile.total == 100
    assert reports[-1][0] == reports[-1][1]
    text = tmp_path / "cvr.csv"
    text.write_text(
        "rank1,rank2,rank3\n" + "".join(",".join(names[c] for c in row) + "\n" for row in cells)
    )
    assert named_rows(box) == named_rows(cvr.read(text))
