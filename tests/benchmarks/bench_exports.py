"""Downloading the exports of a 1,000,000-ballot round over HTTP. Run from the repository root:

    .venv/bin/python tests/benchmarks/bench_exports.py

It starts ``redbench serve`` (one worker, ``REDBENCH_BENCHMARK_ENDPOINTS=1``) on a fresh SQLite
file, prepares a ranked round of ten options and writes a million sealed ballots into it as
:mod:`bench_service` does, closes and publishes it, then downloads each of the four exports
that carry the ballots (JSON bundle, ballots CSV, BLT, PrefLib) as a client would, ``--repeat``
times each, and prints the median time to the first byte of the body, the median total time,
the bytes, and the largest growth of the server's resident memory during a download (its
peak, ``VmHWM``, reset before each download through ``/proc/PID/clear_refs``, less its
resident memory before; the server process and, separately, its document workers).

Baselines in the same run: the no-op endpoint's time to the first byte, and the same four
files made whole in the worker process as before streaming (a benchmark-only endpoint, routed
with ``REDBENCH_BENCHMARK_ENDPOINTS=1`` like the no-op), whose bytes must equal the streamed
ones. While each download
runs, another client pings the server (``GET /api/v1/ping``, one after another, 10 ms apart);
*ping max ms* is the longest a ping waited.

With ``--cli`` it measures the command line instead of HTTP: once the round is stored and
published it stops the server and runs ``redbench export ROUND --format F -o FILE`` for each
of the four files, written as the box is read and (the baseline, the hidden ``--whole``
option) made whole in the worker as before, ``--repeat`` times each: the median wall time,
the command's peak resident memory and the largest peak of its document workers (``VmHWM``,
read every 20 ms while it runs); both files must be the same bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_service import PASSWORD, ballot_body, call, prepare, redbench, store_million, wait_ready

from tests.load.harness import fresh_database
from tests.support.app import free_port

FORMATS = ("json", "ballots-csv", "blt", "preflib")


def children(pid: int) -> list[int]:
    """The process's descendants (the worker pool's fork server and the document workers)."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found += [int(child), *children(int(child))]
    except FileNotFoundError:
        pass
    return found


def memory(pid: int, field: str) -> int:
    """``VmRSS`` or ``VmHWM`` of a process, in bytes (0 once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except FileNotFoundError:
        return 0
    return 0


def reset_peak(pid: int) -> None:
    """Set the process's ``VmHWM`` back to its current resident memory."""
    with contextlib.suppress(FileNotFoundError, PermissionError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


@dataclass
class Download:
    first_byte: float
    total: float
    size: int
    digest: str
    server_growth: int
    workers_growth: int
    ping_max: float


async def pings(base: str, stop: asyncio.Event, times: list[float]) -> None:
    """``GET /api/v1/ping`` one after another until ``stop``: how long the server keeps other
    requests waiting meanwhile."""
    async with httpx.AsyncClient(base_url=base) as client:
        while not stop.is_set():
            started = time.perf_counter()
            await client.get("/api/v1/ping")
            times.append(time.perf_counter() - started)
            await asyncio.sleep(0.01)


async def download(client: httpx.AsyncClient, path: str, pid: int) -> Download:
    """One download, timed from the request to the first body byte and to the last, with
    pings to the same server meanwhile."""
    stop = asyncio.Event()
    waited: list[float] = []
    pinging = asyncio.create_task(pings(str(client.base_url), stop, waited))
    workers = children(pid)
    for process in (pid, *workers):
        reset_peak(process)
    before = {p: memory(p, "VmRSS") for p in (pid, *workers)}
    sha = hashlib.sha256()
    size = 0
    first = None
    started = time.perf_counter()
    async with client.stream("GET", path) as response:
        if response.status_code != 200:
            await response.aread()
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text}")
        async for chunk in response.aiter_raw():
            if first is None and chunk:
                first = time.perf_counter() - started
            sha.update(chunk)
            size += len(chunk)
    total = time.perf_counter() - started
    stop.set()
    await pinging
    workers = [w for w in children(pid) if w in before] or workers
    return Download(
        first_byte=first or total,
        total=total,
        size=size,
        digest=sha.hexdigest(),
        server_growth=memory(pid, "VmHWM") - before[pid],
        workers_growth=max([memory(w, "VmHWM") - before[w] for w in workers] or [0]),
        ping_max=max(waited or [0.0]),
    )


async def noop_first_byte(client: httpx.AsyncClient, repeat: int) -> float:
    times = []
    for i in range(max(repeat, 20)):
        payload = {"code": "ABCDE-FGHJK", "key": f"bench-{i}", "ballot": ballot_body(i)}
        started = time.perf_counter()
        async with client.stream("POST", "/api/v1/noop", json=payload) as response:
            async for _ in response.aiter_raw():
                break
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def mib(n: int) -> str:
    return f"{n / 2**20:.0f}"


@dataclass
class Command:
    seconds: float
    peak: int
    workers_peak: int
    digest: str
    size: int


def export_command(
    database: str, rid: int, fmt: str, whole: bool, folder: Path, env: dict[str, str]
) -> Command:
    """One ``redbench export`` of the round, with its peak memory and its workers'."""
    target = folder / f"round.{fmt}"
    argv = [str(Path(sys.executable).parent / "redbench"), "export", str(rid)]
    argv += ["--format", fmt, "-o", str(target), "--database", database, "--no-progress"]
    started = time.perf_counter()
    command = subprocess.Popen(
        [*argv, *(["--whole"] if whole else [])], env=env, stdout=subprocess.DEVNULL
    )
    peak = workers_peak = 0
    while True:
        # VmHWM only, not wait4's ru_maxrss: that keeps the peak of this process's forked
        # copy from before the exec
        if b"export" in Path(f"/proc/{command.pid}/cmdline").read_bytes():  # after the exec
            peak = max(peak, memory(command.pid, "VmHWM"))
        for worker in children(command.pid):
            workers_peak = max(workers_peak, memory(worker, "VmHWM"))
        pid, status = os.waitpid(command.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    command.returncode = os.waitstatus_to_exitcode(status)
    if command.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {command.returncode}")
    data = target.read_bytes()
    target.unlink()
    return Command(seconds, peak, workers_peak, hashlib.sha256(data).hexdigest(), len(data))


def commands(database: str, rid: int, ballots: int, repeat: int, env: dict[str, str]) -> None:
    """``redbench export`` of each file, streamed and whole (``--cli``)."""
    folder = Path(tempfile.mkdtemp(prefix="redbench-cli-"))
    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")
    print(
        f"{ballots:,} ballots; redbench export, each {repeat} times: median seconds, "
        "largest peak RSS in MiB\n"
    )
    header = f"{'export':<13}{'how':<9}{'total s':>9}{'MB':>8}{'command MiB':>13}{'worker MiB':>12}"
    print(header + "\n" + "-" * len(header))
    try:
        for fmt in FORMATS:
            digests = set()
            for how in ("streamed", "whole"):
                runs = [
                    export_command(database, rid, fmt, how == "whole", folder, env)
                    for _ in range(repeat)
                ]
                digests |= {r.digest for r in runs}
                print(
                    f"{fmt:<13}{how:<9}{statistics.median(r.seconds for r in runs):>9.2f}"
                    f"{runs[0].size / 1e6:>8.1f}{mib(max(r.peak for r in runs)):>13}"
                    f"{mib(max(r.workers_peak for r in runs)):>12}",
                    flush=True,
                )
            same = "the same bytes" if len(digests) == 1 else "DIFFERENT BYTES"
            print(f"{'':<13}streamed and whole: {same}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\nload average after: {Path('/proc/loadavg').read_text().strip()}")


async def run(database: str, ballots: int, repeat: int, cli: bool = False) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "REDBENCH_DATABASE_URL": database,
        "REDBENCH_SECRET": "bench-secret-of-at-least-32-characters",
        "REDBENCH_BENCHMARK_ENDPOINTS": "1",
    }
    redbench("user", "add", "bench", "--role", "admin", "--password", PASSWORD, env=env)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "redbench"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        await wait_ready(base)
        async with httpx.AsyncClient(base_url=base, timeout=600) as client:
            rid, auth, _ = await prepare(client, 1)
            print(f"storing {ballots:,} ballots in round {rid} (not timed) ...", flush=True)
            await store_million(database, rid, ballots, env["REDBENCH_SECRET"])
            await call(client, "POST", f"/api/v1/rounds/{rid}/phase", {"to": "closed"}, auth)
            await call(client, "POST", f"/api/v1/rounds/{rid}/phase", {"to": "published"}, auth)
            await asyncio.sleep(2)  # the purge after the close
        if cli:
            server.terminate()
            server.wait(10)
            commands(database, rid, ballots, repeat, env)
            return
        async with httpx.AsyncClient(base_url=base, timeout=600, headers=auth) as client:
            noop = await noop_first_byte(client, repeat)
            print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")
            print(
                f"no-op endpoint, time to first byte (median of 20): {noop * 1000:.2f} ms\n"
                f"{ballots:,} ballots; each download {repeat} times, medians; memory: the "
                "largest growth of peak RSS over RSS before, in MiB\n"
            )
            header = (
                f"{'export':<13}{'how':<9}{'first byte s':>13}{'total s':>9}{'MB':>8}"
                f"{'server MiB':>12}{'worker MiB':>12}{'ping max ms':>13}"
            )
            print(header + "\n" + "-" * len(header))
            for fmt in FORMATS:
                digests = set()
                for how, path in (
                    ("streamed", f"/api/v1/rounds/{rid}/exports/{fmt}"),
                    ("whole", f"/api/v1/benchmark/rounds/{rid}/exports/{fmt}"),
                ):
                    runs = [await download(client, path, server.pid) for _ in range(repeat)]
                    digests |= {r.digest for r in runs}
                    print(
                        f"{fmt:<13}{how:<9}"
                        f"{statistics.median(r.first_byte for r in runs):>13.3f}"
                        f"{statistics.median(r.total for r in runs):>9.2f}"
                        f"{runs[0].size / 1e6:>8.1f}"
                        f"{mib(max(r.server_growth for r in runs)):>12}"
                        f"{mib(max(r.workers_growth for r in runs)):>12}"
                        f"{max(r.ping_max for r in runs) * 1000:>13.1f}",
                        flush=True,
                    )
                same = "the same bytes" if len(digests) == 1 else "DIFFERENT BYTES"
                print(f"{'':<13}streamed and whole: {same}")
            print(f"\nload average after: {Path('/proc/loadavg').read_text().strip()}")
    finally:
        server.terminate()
        server.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", type=int, default=1_000_000, help="ballots in the round")
    parser.add_argument("--repeat", type=int, default=3, help="downloads of each export")
    parser.add_argument(
        "--cli", action="store_true", help="measure redbench export instead of HTTP downloads"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="redbench-bench-"))
    try:
        database = asyncio.run(fresh_database(None, folder))
        asyncio.run(run(database, args.ballots, args.repeat, args.cli))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
