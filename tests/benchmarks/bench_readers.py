"""Ballot file readers: BLT, PrefLib and pabulib files read at once, against the readers
that went line by line and against reading and splitting the text alone.

Run from the repository root (a few minutes; the files go to a temporary folder):

    .venv/bin/python tests/benchmarks/bench_readers.py
    .venv/bin/python tests/benchmarks/bench_readers.py --ballots 200000 --votes 20000

It writes, from a seeded model of real ballots (``ballot_model.raw_ballots``): a BLT file
and PrefLib ``.soi`` and ``.toi`` files of --ballots ranked ballots, one line per ballot
(the ``.toi`` ties the second and third choice of one ballot in twenty), and a pabulib file
of --votes approval votes on 60 projects. For every file it prints, from one run:
  text     reading the file as text and splitting it into lines (the floor)
  now      the reader in this checkout
  before   the same reader at --baseline (the last commit that read line by line),
           loaded from git into a temporary module
and the ratios before ÷ now and now ÷ text. Times are the best of --repeat runs (the
baseline runs once).

Then xlsx cast-vote records of --xlsx-rows rows each (the ballots of ``bench_ingest``, with a
precinct column and a ``Count`` column of 1, written as Excel writes them: shared strings,
empty cells left out). For each it prints
  rows     calamine reading the sheet into Python rows (nothing else; the floor)
  now      ``cvr.read`` in this checkout (calamine)
  before   ``cvr.read`` at --xlsx-baseline (openpyxl's read-only mode), loaded from git
and checks that both give the same profile and notes. ``--no-lines`` skips the first part.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from types import ModuleType
from xml.sax.saxutils import escape

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ballot_model import raw_ballots
from timing import best

from ballots.formats import blt, cvr, pabulib, preflib

ROOT = Path(__file__).resolve().parents[2]

BASELINE = "3a03a5a"
"""The last commit whose BLT, PrefLib and pabulib readers went line by line."""

XLSX_BASELINE = "a34798d"
"""The last commit whose xlsx cast-vote records were read with openpyxl."""


def orders(raw: np.ndarray) -> list[list[int]]:
    """Each ballot as candidate numbers from 1, best first."""
    order = np.argsort(np.where(raw < 0, raw.shape[1], raw), axis=1, kind="stable") + 1
    lengths = (raw >= 0).sum(axis=1)
    return [o[:k] for o, k in zip(order.tolist(), lengths.tolist(), strict=True)]


def write_blt(path: Path, ballots: list[list[int]], m: int) -> None:
    lines = [f"{m} 3"]
    lines += ["1 " + " ".join(map(str, b)) + " 0" if b else "1 0" for b in ballots]
    lines += ["0", *(f'"候选 {c}"' for c in range(1, m + 1)), '"基准"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_preflib(path: Path, ballots: list[list[int]], m: int, ties: bool) -> None:
    lines = [
        f"# DATA TYPE: {path.suffix[1:]}",
        f"# NUMBER ALTERNATIVES: {m}",
        f"# NUMBER VOTERS: {len(ballots)}",
        f"# NUMBER UNIQUE ORDERS: {len(ballots)}",
        *(f"# ALTERNATIVE NAME {c}: 候选 {c}" for c in range(1, m + 1)),
    ]
    for i, b in enumerate(ballots):
        parts = [str(c) for c in b]
        if ties and i % 20 == 0 and len(parts) >= 3:
            parts[1:3] = ["{" + parts[1] + "," + parts[2] + "}"]
        lines.append("1: " + ",".join(parts))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_pabulib(path: Path, votes: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = 60
    popularity = rng.random(m) ** 2
    approvals = rng.random((votes, m)) < popularity[None, :] * 0.3
    lines = ["META", "key;value", "budget;1000000", "vote_type;approval", "PROJECTS"]
    lines += ["project_id;cost;name"]
    lines += [f"{100 + c};{int(rng.integers(5, 200)) * 1000};项目 {c}" for c in range(m)]
    lines += ["VOTES", "voter_id;vote"]
    for voter, row in enumerate(approvals, start=1):
        lines.append(f"{voter};" + ",".join(str(100 + c) for c in np.flatnonzero(row)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def baseline(name: str, rev: str, folder: Path) -> ModuleType:
    """The reader module ``ballots/formats/<name>.py`` as it was at ``rev``."""
    source = subprocess.run(
        ["git", "show", f"{rev}:ballots/formats/{name}.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    file = folder / f"before_{name}.py"
    file.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"before_{name}", file)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def column(number: int) -> str:
    """A spreadsheet column's letters (0 is A)."""
    letters = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


XLSX_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="CVR" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
    ),
}


def write_xlsx_cvr(path: Path, rows: int, seed: int) -> None:
    """An xlsx CVR: ``Precinct``, ``rank1 .. rank10``, ``Count`` (1), from the CSV record of
    ``bench_ingest`` (blank cells are left out of the sheet, as Excel leaves them)."""
    from bench_ingest import write_cvr

    text = path.with_suffix(".csv")
    write_cvr(text, rows, seed)
    strings: dict[str, int] = {}
    precincts = [f"MINNEAPOLIS W-{w} P-{p:02d}" for w in range(1, 14) for p in range(1, 9)]
    rng = np.random.default_rng(seed)
    with text.open(encoding="utf-8") as handle:
        header = ["Precinct", *next(handle).rstrip("\n").split(","), "Count"]
        ncols = len(header)
        letters = [column(j) for j in range(ncols)]

        def cells(values: list[str]) -> str:
            out = []
            for j, value in enumerate(values):
                if value:
                    at = strings.setdefault(value, len(strings))
                    out.append(f'<c r="{letters[j]}#" t="s"><v>{at}</v></c>')
            return "".join(out)

        known: dict[str, str] = {}
        parts = [f'<row r="1">{cells(header).replace("#", "1")}</row>']
        where = rng.integers(0, len(precincts), rows)
        for number, (line, place) in enumerate(zip(handle, where.tolist(), strict=True), 2):
            key = f"{place},{line}"
            body = known.get(key)
            if body is None:
                body = cells([precincts[place], *line.rstrip("\n").split(",")])
                body += f'<c r="{letters[-1]}#"><v>1</v></c>'
                known[key] = body
            parts.append(f'<row r="{number}">{body.replace("#", str(number))}</row>')
    text.unlink()
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:{letters[-1]}{rows + 1}"/><sheetData>'
        + "".join(parts)
        + "</sheetData></worksheet>"
    )
    shared = "".join(f"<si><t>{escape(value)}</t></si>" for value in strings)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in XLSX_PARTS.items():
            archive.writestr(name, xml)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr(
            "xl/sharedStrings.xml",
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>',
        )


def calamine_rows(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(path) as workbook:
        return sum(1 for _ in workbook.get_sheet_by_index(0).iter_rows())


def bench_xlsx(sizes: list[int], rev: str, seed: int, repeat: int, folder: Path) -> None:
    old = baseline("cvr", rev, folder)
    print(
        f"\n{'xlsx rows':>10} {'MB':>6} {'rows s':>8} {'now s':>8} {'before s':>9}"
        f" {'before/now':>11} {'now/rows':>9}"
    )
    for rows in sizes:
        path = folder / f"cvr{rows}.xlsx"
        write_xlsx_cvr(path, rows, seed)
        floor = best(lambda p=path: calamine_rows(p), repeat)
        now = best(lambda p=path: cvr.read(p), repeat)
        before = best(lambda p=path: old.read(p), 1)
        new, was = cvr.read(path), old.read(path)
        same = (
            new.profile.candidates == was.profile.candidates
            and new.notes == was.notes
            and all(
                np.array_equal(getattr(new.profile, k), getattr(was.profile, k))
                for k in ("ranks", "counts")
            )
        )
        if not same:
            raise SystemExit(f"{path.name}: the two readers disagree")
        size = path.stat().st_size / 1e6
        print(
            f"{rows:10,d} {size:6.1f} {floor:8.3f} {now:8.3f} {before:9.3f}"
            f" {before / now:10.1f}x {now / floor:8.2f}x",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--xlsx-rows", default="100000,1000000", help="comma-separated; '' none")
    parser.add_argument("--xlsx-baseline", default=XLSX_BASELINE)
    parser.add_argument("--no-lines", action="store_true", help="only the xlsx part")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.no_lines:
            bench_lines(args, folder)
        sizes = [int(n) for n in args.xlsx_rows.split(",") if n.strip()]
        if sizes:
            bench_xlsx(sizes, args.xlsx_baseline, args.seed, args.repeat, folder)


def bench_lines(args: argparse.Namespace, folder: Path) -> None:
    """The BLT, PrefLib and pabulib part."""
    m = 10
    ballots = orders(raw_ballots(args.ballots, m, args.seed))
    files = [
        (folder / "big.blt", blt, "blt"),
        (folder / "big.soi", preflib, "preflib"),
        (folder / "big.toi", preflib, "preflib"),
        (folder / "big.pb", pabulib, "pabulib"),
    ]
    write_blt(files[0][0], ballots, m)
    write_preflib(files[1][0], ballots, m, ties=False)
    write_preflib(files[2][0], ballots, m, ties=True)
    write_pabulib(files[3][0], args.votes, args.seed)
    del ballots
    print(
        f"{'file':<8} {'MB':>6} {'lines':>9} {'text s':>8} {'now s':>8} {'before s':>9}"
        f" {'before/now':>11} {'now/text':>9}"
    )
    for path, module, name in files:
        old = baseline(name, args.baseline, folder)
        text = best(lambda p=path: p.read_text(encoding="utf-8").splitlines(), args.repeat)
        now = best(lambda p=path, r=module.read: r(p), args.repeat)
        before = best(lambda p=path, r=old.read: r(p), 1)
        new, was = module.read(path).profile, old.read(path).profile
        marks = "ranks" if hasattr(new, "ranks") else "approvals"
        same = new.candidates == was.candidates and all(
            np.array_equal(getattr(new, k), getattr(was, k)) for k in (marks, "counts")
        )
        if not same:
            raise SystemExit(f"{path.name}: the two readers disagree")
        size = path.stat().st_size / 1e6
        lines = sum(1 for _ in path.open(encoding="utf-8"))
        print(
            f"{path.suffix[1:]:<8} {size:6.1f} {lines:9,d} {text:8.3f} {now:8.3f}"
            f" {before:9.3f} {before / now:10.1f}x {now / text:8.1f}x"
        )


if __name__ == "__main__":
    main()
