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
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ballot_model import raw_ballots

from ballots.formats import blt, pabulib, preflib

ROOT = Path(__file__).resolve().parents[2]

BASELINE = "3a03a5a"
"""The last commit whose BLT, PrefLib and pabulib readers went line by line."""


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


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
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--baseline", default=BASELINE)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
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
