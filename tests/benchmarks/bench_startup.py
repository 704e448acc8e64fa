"""Start-up of the command line: the whole process of ``redbench tally FILE --method irv``
on a 100-ballot cast-vote record, beside what any Python process costs. Run from the
repository root:

    .venv/bin/python tests/benchmarks/bench_startup.py
    .venv/bin/python tests/benchmarks/bench_startup.py --runs 41 --ballots 100

Each line is the median (and the fastest) of ``--runs`` processes, the lines measured in
turn (one process of each, then again) in the same run, with Python's compiled bytecode
kept (in a temporary ``PYTHONPYCACHEPREFIX``, as an installed package has it, whatever
``PYTHONDONTWRITEBYTECODE`` says here). ``cpu s`` is the median user + system time, which
other work on a shared machine disturbs less than the wall clock:

  python -c pass          an interpreter that does nothing (the floor)
  python -c import numpy  the floor of anything that counts with numpy
  redbench tally          the console script counting the file (the target: ≤ 0.25 s)
  … + web service         the same count with the web service and its record documents
                          imported first, as the command line did before it imported only
                          the chosen command (the previous code path)
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = 0.25
"""Seconds: the whole process of ``redbench tally`` on a 100-ballot file."""
OPTIONS = ("a", "b", "c", "d", "e", "f")


def write_cvr(path: Path, ballots: int, seed: int = 14) -> None:
    """A cast-vote record of ``ballots`` rows, ``rank1..rank6``, truncated at random."""
    lot = random.Random(seed)
    rows = [",".join(f"rank{i}" for i in range(1, len(OPTIONS) + 1))]
    for _ in range(ballots):
        order = lot.sample(OPTIONS, len(OPTIONS))[: lot.randint(1, len(OPTIONS))]
        rows.append(",".join(order + [""] * (len(OPTIONS) - len(order))))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one process of ``argv`` (which must
    succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="processes per line (median)")
    parser.add_argument("--ballots", type=int, default=100, help="ballots in the file")
    args = parser.parse_args()
    python = sys.executable
    script = Path(python).with_name("redbench")
    redbench = [str(script)] if script.exists() else [python, "-m", "service.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "bytecode")
        path = Path(tmp) / "small.csv"
        write_cvr(path, args.ballots)
        tally = ["tally", str(path), "--method", "irv"]
        web = (
            "import sys, service.app, service.records.exports; from service.cli import main;"
            " sys.exit(main(sys.argv[1:]))"
        )
        lines = [
            ("python -c pass", [python, "-c", "pass"]),
            ("python -c import numpy", [python, "-c", "import numpy"]),
            ("redbench tally", [*redbench, *tally]),
            ("… + web service", [python, "-c", web, *tally]),
        ]
        for _, argv in lines * 2:  # compile the bytecode, warm the file cache
            timed(argv, env)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in lines}
        for _ in range(args.runs):  # in turn, so that every line meets the same load
            for name, argv in lines:
                results[name].append(timed(argv, env))
    wall = {name: statistics.median(w for w, _ in runs) for name, runs in results.items()}
    floor, numpy = wall["python -c pass"], wall["python -c import numpy"]
    print(f"redbench tally FILE --method irv: {args.ballots} ballots, {args.runs} runs each\n")
    print(
        f"{'process':<24}{'median s':>10}{'fastest s':>11}{'cpu s':>8}{'× pass':>8}"
        f"{'beyond numpy s':>16}"
    )
    for name, runs in results.items():
        fastest = min(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        beyond = f"{wall[name] - numpy:>16.3f}" if name.startswith(("redbench", "…")) else ""
        print(
            f"{name:<24}{wall[name]:>10.3f}{fastest:>11.3f}{cpu:>8.3f}"
            f"{wall[name] / floor:>8.1f}{beyond}"
        )
    ours = wall["redbench tally"]
    verdict = "met" if ours <= TARGET else "missed"
    print(f"\ntarget: redbench tally ≤ {TARGET} s whole process: {verdict} ({ours:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
