"""Ingest speed: a cast-vote record file to a result, against pyarrow's read of the same file.

Run from the repository root:

    .venv/bin/python tests/benchmarks/bench_ingest.py
    .venv/bin/python tests/benchmarks/bench_ingest.py --rows 10000000 --repeat 1

It writes (into a temporary folder, seeded) a CSV cast-vote record of --rows ballots over ten
options: ``rank1 .. rank10``, blank = not ranked, truncated ballots, some ``overvote``,
``undervote`` and ``UWI`` marks. Then, in one run, it times:
  floor       pyarrow reads the file and dictionary-encodes its ten columns into one int8
              table (in this process; and as a whole process, interpreter start included)
  csv module  Python's csv module reading the rows (nothing else)
  irv         ``redbench tally FILE --method irv --json`` as a whole process
  schulze     ``redbench tally FILE --method schulze --json`` as a whole process
with each time's ratio to the floor (whole processes to the whole-process floor) and the
peak memory (max RSS) of each process. Timings are the best and the median of --repeat runs
(the ratios best to best, median to median).

Then, on --peer-rows ballots of the same kind (a file of their own), beyond start-up on
both sides (timed inside one process, after its imports), it sets
  pref-voting its ``ProfileWithTies`` built from one ranking per ballot and its method
              (``instant_runoff_for_truncated_linear_orders``, ``beat_path``), in a fresh
              process; its rankings come from the file by Python's csv module and the same
              marker rules, before its clock starts
beside
  build+count ours on the same input: ``RankedProfile.from_ranks`` on one row of positions
              per ballot, and the count
  from file   reading the file, its digest (the lot seed) and the count, as ``tally`` does
and prints how many times faster ours is and both winners (they must agree).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ballot_model import raw_ballots
from timing import best, spread

OPTIONS = ["王芳", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏"]
MARKERS = ["", "overvote", "undervote", "UWI"]
CHUNK = 250_000

FLOOR = """
import sys, time
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

def floor(path):
    text = pa.dictionary(pa.int32(), pa.string())
    table = pa_csv.read_csv(
        path, convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(
            [f"rank{r}" for r in range(1, 11)], text)))
    out = np.empty((table.num_rows, table.num_columns), dtype=np.int8, order="F")
    for j, column in enumerate(table.columns):
        at = 0
        for chunk in column.chunks:
            labels = np.arange(len(chunk.dictionary), dtype=np.int8)
            # the indices' buffer itself: to_numpy() would import pandas, when installed
            indices = chunk.indices
            rows = np.frombuffer(indices.buffers()[1], dtype=np.int32, count=len(indices),
                                 offset=indices.offset * 4)
            out[at : at + len(rows), j] = labels[rows]
            at += len(rows)
    return out

if __name__ == "__main__":
    floor(sys.argv[1])
"""


def write_cvr(path: Path, rows: int, seed: int) -> None:
    """A seeded CSV cast-vote record: Plackett-Luce orders, truncated, with some marks."""
    rng = np.random.default_rng(seed + 1)
    labels = np.array(OPTIONS + MARKERS, dtype=object)
    blank, over, under, uwi = (len(OPTIONS) + i for i in range(4))
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(f"rank{r}" for r in range(1, 11)) + "\n")
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            raw = raw_ballots(n, len(OPTIONS), seed + start).astype(np.int64)
            order = np.argsort(np.where(raw < 0, 99, raw), axis=1, kind="stable")
            cells = np.where(np.arange(10)[None, :] < (raw >= 0).sum(axis=1)[:, None], order, blank)
            at = rng.integers(0, 3, n)
            draw = rng.random(n)
            for code, low, high in ((over, 0.0, 0.01), (under, 0.01, 0.03), (uwi, 0.03, 0.035)):
                hit = np.flatnonzero((draw >= low) & (draw < high))
                cells[hit, at[hit]] = code
            out.write("\n".join(",".join(row) for row in labels[cells].tolist()) + "\n")


PEER = """
import json, pickle, sys, time
from pref_voting.profiles_with_ties import ProfileWithTies
from pref_voting.voting_methods import beat_path, instant_runoff_for_truncated_linear_orders

METHODS = {"irv": instant_runoff_for_truncated_linear_orders, "schulze": beat_path}

def main(path, method):
    with open(path, "rb") as handle:
        names, rankings = pickle.load(handle)
    started = time.perf_counter()
    profile = ProfileWithTies(rankings, candidates=names)
    winners = METHODS[method](profile)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "winners": sorted(winners)}))

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
"""


def peer_rankings(path: Path) -> tuple[list[str], list[dict[str, int]]]:
    """One ranking per ballot of a CSV record (name -> position, 0 first), by the Minneapolis
    rules: blank, ``undervote`` and ``overvote`` passed over, a repeated name counted once at
    its highest rank, ``UWI`` a candidate."""
    from ballots.formats import cvr

    rankings: list[dict[str, int]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        next(rows)
        for row in rows:
            ranking: dict[str, int] = {}
            for cell in row:
                if cell in ("", cvr.UNDERVOTE, cvr.OVERVOTE):
                    continue
                name = cvr.WRITE_IN_NAME if cell == cvr.WRITE_IN else cell
                ranking.setdefault(name, len(ranking))
            rankings.append(ranking)
    names = sorted({name for ranking in rankings for name in ranking})
    return names, rankings


def ours(path: Path, method: str) -> list[str]:
    """What ``redbench tally FILE --method M`` computes, in this process: read, seed, count."""
    from ballots.digest import lot_seed, profile_digest
    from ballots.formats import read_ballots
    from engine.registry import tally

    profile = read_ballots(path).profile
    result = tally(method, profile, seed=lot_seed(profile_digest(profile)))
    return sorted(result.winners)


def build_and_count(names: list[str], table: np.ndarray, method: str) -> list[str]:
    """Ours on the peer's input: a profile from one row of positions per ballot, counted."""
    from engine.profile import RankedProfile
    from engine.registry import tally

    return sorted(tally(method, RankedProfile.from_ranks(names, table), seed="bench").winners)


def against_peer(folder: Path, rows: int, seed: int, repeat: int) -> list[str]:
    """Lines comparing ours with pref-voting on ``rows`` ballots of the record."""
    import pickle

    path = folder / "peer.csv"
    write_cvr(path, rows, seed)
    names, given = peer_rankings(path)
    rankings = folder / "peer.pickle"
    rankings.write_bytes(pickle.dumps((names, given)))
    table = np.full((len(given), len(names)), -1, dtype=np.int8)
    for row, ranking in enumerate(given):
        for name, position in ranking.items():
            table[row, names.index(name)] = position
    script = folder / "peer.py"
    script.write_text(PEER, encoding="utf-8")
    lines = []
    for method in ("irv", "schulze"):
        ours(path, method)  # its imports (pyarrow's among them) are start-up
        seconds = best(lambda method=method: ours(path, method), max(repeat, 5))
        built = best(lambda m=method: build_and_count(names, table, m), max(repeat, 5))
        winners = ours(path, method)
        if build_and_count(names, table, method) != winners:
            raise SystemExit(f"{method}: the file and the rankings give different winners")
        done = subprocess.run(
            [sys.executable, str(script), str(rankings), method],
            capture_output=True,
            check=True,
            text=True,
        )
        peer = json.loads(done.stdout)
        agree = "same winners" if peer["winners"] == winners else f"DIFFERENT: {peer['winners']}"
        lines.append(
            f"{method:8}{peer['seconds']:10.2f} s{built * 1000:11.1f} ms"
            f"{peer['seconds'] / built:9.0f}×{seconds * 1000:11.1f} ms"
            f"{peer['seconds'] / seconds:9.0f}×  {','.join(winners)} ({agree})"
        )
    return lines


def process(argv: list[str], repeat: int) -> tuple[float, float, int]:
    """Best and median wall time of a whole process and its peak memory (max RSS, bytes)."""
    times, peak = [], 0
    for _ in range(repeat):
        # output to files, as when piped: no progress bar on a terminal
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            child = subprocess.Popen(argv, stdout=out, stderr=err)
            _, status, usage = os.wait4(child.pid, 0)
            times.append(time.perf_counter() - started)
            if os.waitstatus_to_exitcode(status) != 0:
                err.seek(0)
                raise SystemExit(f"{' '.join(argv)} failed:\n{err.read().decode()}")
        peak = max(peak, usage.ru_maxrss * 1024)
    return min(times), statistics.median(times), peak


def read_with_csv(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--peer-rows", type=int, default=50_000, help="0: no pref-voting")
    args = parser.parse_args()
    redbench = Path(sys.executable).with_name("redbench")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cvr.csv"
        started = time.perf_counter()
        write_cvr(path, args.rows, args.seed)
        made = time.perf_counter() - started
        size = path.stat().st_size
        print(f"{args.rows:,} rows, {size / 1e6:.1f} MB, written in {made:.1f} s")
        script = Path(folder) / "floor.py"
        script.write_text(FLOOR, encoding="utf-8")
        namespace: dict[str, object] = {}
        exec(compile(FLOOR, str(script), "exec"), namespace)
        floor_fn = namespace["floor"]
        assert callable(floor_fn)
        floor = spread(lambda: floor_fn(str(path)), args.repeat)
        *floor_process, floor_peak = process([sys.executable, str(script), str(path)], args.repeat)
        with_csv = spread(lambda: read_with_csv(path), args.repeat)
        rows = [
            ("floor: pyarrow read + encode", floor, floor, None),
            ("floor, whole process", floor_process, floor_process, floor_peak),
            ("csv module read", with_csv, floor, None),
        ]
        for method in ("irv", "schulze"):
            argv = [str(redbench), "tally", str(path), "--method", method, "--json"]
            *seconds, peak = process(argv, args.repeat)
            rows.append((f"redbench tally --method {method}", seconds, floor_process, peak))
        peer = (
            against_peer(Path(folder), args.peer_rows, args.seed, args.repeat)
            if args.peer_rows
            else []
        )
    print(f"{'':34}{'best s':>9}{'median s':>9}{'× floor':>9}{'median×':>9}{'peak MiB':>10}")
    for name, (fastest, middle), (base, base_middle), peak in rows:
        memory = "" if peak is None else f"{peak / 2**20:.0f}"
        print(
            f"{name:34}{fastest:9.3f}{middle:9.3f}{fastest / base:9.2f}"
            f"{middle / base_middle:9.2f}{memory:>10}"
        )
    if peer:
        print(f"\n{args.peer_rows:,} ballots, beyond start-up:")
        print(
            f"{'method':8}{'pref-voting':>12}{'build+count':>14}{'ratio':>10}"
            f"{'from file':>14}{'ratio':>10}  winners"
        )
        print("\n".join(peer))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
