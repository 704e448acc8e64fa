"""Casting while something heavy happens: does any request stall the tablets? Run from the
repository root:

    .venv/bin/python tests/benchmarks/bench_stalls.py                                # SQLite
    .venv/bin/python tests/benchmarks/bench_stalls.py \\
        --database postgresql+asyncpg://postgres@127.0.0.1:5432/redbench_bench       # PostgreSQL
    .venv/bin/python tests/benchmarks/bench_stalls.py --before main      # and the close of main

It starts ``redbench serve`` (one app worker) on a fresh database and keeps ``--tablets``
simulated tablets (default 20) casting ballots steadily into an open round over HTTP, each
pausing ``--pause`` seconds between its casts as a tablet passed along the benches would.
It prints the casts' p50/p99/max latency and throughput in these windows of the same run:

(a) nothing else going on (``--quiet`` seconds);
(b) a facilitator printing 5,000 code slips (``POST /api/v1/rounds/{id}/code-slips``), for
    as long as that request takes;
(b) a secretary downloading the PDF and the XLSX record of a closed round of
    ``--record-ballots`` ballots, one after the other;
(b) a facilitator closing a budget round of ``--budget-ballots`` ballots over
    ``--budget-projects`` projects (default 3,000 over 30, costing 80,000 to 1,200,000 yuan:
    Equal Shares counts it for about 3 s), for as long as the close request takes;
(c) ``--flooders`` clients (default 20) sending ``POST /api/v1/auth/login`` with wrong
    passwords as fast as they are answered (``--flood`` seconds);
(a) nothing else again, to show how much the machine itself moved during the run.

The target is a cast p99 under 100 ms in (b) and (c); each window is reported against (a).

With ``--before REV`` (a git revision, e.g. ``main``) a second server runs that revision's
code (``git archive`` into a temporary folder, put first on ``PYTHONPATH``) on a fresh
database, and the tablets' (a) and budget-close windows are measured on it too: the close as
it was, against the close as it is, in the same run.
The load client runs on the same machine as the server, so on a 2-core machine the two
share the cores with the document worker.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.load.harness import PASSWORD, Server, Staff, fresh_database  # noqa: E402
from tests.load.tablets import ballot_for  # noqa: E402

TARGET_P99_MS = 100.0
FLOOD_USER = "flood-target"
"""The account the login flood guesses at (not the facilitator's, whom a throttle might
lock out)."""


@dataclass
class Cast:
    started: float
    seconds: float
    status: int


@dataclass
class Tablets:
    """Tablets casting until told to stop, and what each cast saw."""

    url: str
    codes: Iterator[tuple[int, str]]
    pause: float
    casts: list[Cast] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def tablet(self, session: aiohttp.ClientSession) -> None:
        for number, code in self.codes:
            if self.stop.is_set():
                return
            body = {"code": code, "key": uuid.uuid4().hex, "ballot": ballot_for(number)}
            started = time.perf_counter()
            try:
                async with session.post(self.url, json=body) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.errors[type(exc).__name__] += 1
                status = 0
            self.casts.append(Cast(started, time.perf_counter() - started, status))
            if status != 201:
                self.errors[str(status)] += 1
            await asyncio.sleep(self.pause)
        self.errors["out of codes"] += 1

    def within(self, start: float, end: float) -> list[Cast]:
        return [c for c in self.casts if start <= c.started < end]


@dataclass
class Window:
    name: str
    start: float
    end: float
    note: str = ""


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


def row(window: Window, casts: list[Cast]) -> tuple[str, float | None]:
    """One line of the table, and the window's p99 in ms (``None`` without casts)."""
    span = window.end - window.start
    ok = sorted(c.seconds * 1000 for c in casts if c.status == 201)
    if not ok:
        return f"{window.name:<44}{span:>7.1f}{0:>7}   (no casts)  {window.note}", None
    p50, p99 = statistics.median(ok), percentile(ok, 0.99)
    line = (
        f"{window.name:<44}{span:>7.1f}{len(ok):>7}{len(ok) / span:>9.0f}"
        f"{p50:>8.1f}{p99:>8.1f}{ok[-1]:>8.1f}  {window.note}"
    )
    return line, p99


async def staff_request(
    staff: Staff, method: str, path: str, payload: Any = None
) -> tuple[int, int, float]:
    """A staff request: its status, body size and seconds."""
    started = time.perf_counter()
    response = await staff.client.request(method, path, json=payload, headers=staff.auth)
    if response.status_code >= 400:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
    return response.status_code, len(response.content), time.perf_counter() - started


async def timed(name: str, work: Callable[[], Awaitable[str]]) -> Window:
    start = time.perf_counter()
    note = await work()
    return Window(name, start, time.perf_counter(), note)


async def fill_record_round(base: str, staff: Staff, ballots: int) -> int:
    """A closed (counted) round holding ``ballots`` ballots cast over HTTP."""
    round_id, plain = await staff.open_round(ballots)
    url = f"{base}/api/v1/rounds/{round_id}/ballots"
    codes = iter(enumerate(plain))
    connector = aiohttp.TCPConnector(limit=50)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def caster() -> None:
            for number, code in codes:
                body = {"code": code, "key": uuid.uuid4().hex, "ballot": ballot_for(number)}
                async with session.post(url, json=body) as response:
                    if response.status != 201:
                        raise RuntimeError(f"cast: {response.status} {await response.text()}")

        await asyncio.gather(*(caster() for _ in range(50)))
    await staff.call("POST", f"/api/v1/rounds/{round_id}/phase", {"to": "closed"})
    return round_id


@dataclass
class SourceServer(Server):
    """A server running the code in ``source`` (first on ``PYTHONPATH``) instead of ours."""

    source: str = ""

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "PYTHONPATH": self.source}


def budget_ballot(rng: random.Random, names: list[str], costs: list[int], budget: int) -> Any:
    """A budget ballot approving 2 to 6 projects, as many as fit in ``budget`` (yuan)."""
    chosen, total = [], 0
    for i in rng.sample(range(len(names)), rng.randint(2, 6)):
        if total + costs[i] <= budget:
            chosen.append(names[i])
            total += costs[i]
    return {"kind": "budget", "approved": chosen}


async def fill_budget_round(base: str, staff: Staff, ballots: int, projects: int) -> int:
    """A voting budget round (Equal Shares) of ``projects`` projects holding ``ballots``
    ballots cast over HTTP, ready to be closed. Large costs make the add1 completion long:
    3,000 ballots over 30 projects take Equal Shares about 3 s on a 2-core machine."""
    rng = random.Random(2026)
    costs = [rng.randint(2, 30) * 40_000 for _ in range(projects)]  # 80,000 to 1,200,000 yuan
    budget = sum(costs) // 3
    names = [f"项目{n + 1}" for n in range(projects)]
    community = await staff.call("POST", "/api/v1/communities", {"name": f"预算 {uuid.uuid4()}"})
    process = await staff.call(
        "POST",
        f"/api/v1/communities/{community['id']}/processes",
        {"title": "社区微更新预算", "question": "哪些项目先做？"},
    )
    ids = []
    for name, cost in zip(names, costs, strict=True):
        made = await staff.call(
            "POST", f"/api/v1/processes/{process['id']}/proposals", {"title": name, "cost": cost}
        )
        ids.append(made["id"])
    created = await staff.call(
        "POST",
        f"/api/v1/processes/{process['id']}/rounds",
        {
            "title": "预算投票",
            "ballot_kind": "budget",
            "method": "equal-shares",
            "options": {"budget": budget},
            "proposal_ids": ids,
        },
    )
    round_id = int(created["id"])
    await staff.call("POST", f"/api/v1/rounds/{round_id}/phase", {"to": "voting"})
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()  # casts from home: a window
    await staff.call("PUT", f"/api/v1/rounds/{round_id}/phone-window", {"until": until})
    plain: list[str] = []
    while len(plain) < ballots:
        batch = min(5000, ballots - len(plain))
        issued = await staff.call("POST", f"/api/v1/rounds/{round_id}/codes", {"count": batch})
        plain += [c["code"] for c in issued["codes"]]
    url = f"{base}/api/v1/rounds/{round_id}/ballots"
    codes = iter(plain)
    connector = aiohttp.TCPConnector(limit=50)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def caster() -> None:
            for code in codes:
                ballot = budget_ballot(rng, names, costs, budget)
                body = {"code": code, "key": uuid.uuid4().hex, "ballot": ballot}
                async with session.post(url, json=body) as response:
                    if response.status != 201:
                        raise RuntimeError(f"cast: {response.status} {await response.text()}")

        await asyncio.gather(*(caster() for _ in range(50)))
    return round_id


def closing(staff: Staff, round_id: int) -> Callable[[], Awaitable[str]]:
    """The window's work: close (and count) the budget round."""

    async def work() -> str:
        path = f"/api/v1/rounds/{round_id}/phase"
        status, _, seconds = await staff_request(staff, "POST", path, {"to": "closed"})
        return f"close: {status} in {seconds:.1f} s"

    return work


async def login_flood(base: str, clients: int, seconds: float) -> str:
    """``clients`` loops of wrong-password logins for ``seconds``; what they were answered."""
    answers: Counter[int] = Counter()
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base_url=base, connector=connector) as session:

        async def flooder(n: int) -> None:
            attempt = 0
            while time.perf_counter() < deadline:
                attempt += 1
                body = {"username": FLOOD_USER, "password": f"wrong-{n}-{attempt}"}
                async with session.post("/api/v1/auth/login", json=body) as response:
                    await response.read()
                    answers[response.status] += 1

        await asyncio.gather(*(flooder(n) for n in range(clients)))
    total = sum(answers.values())
    shown = ", ".join(f"{status}: {n}" for status, n in sorted(answers.items()))
    return f"logins {total / seconds:.0f}/s ({shown})"


def closing_name(args: argparse.Namespace, before: str = "") -> str:
    rev = f" [{before}]" if before else ""
    return f"(b) closing a budget round of {args.budget_ballots:,}{rev}"


async def measure(
    args: argparse.Namespace, folder: Path, source: str = ""
) -> tuple[list[Window], Tablets, str]:
    """Start a server (on ``source``'s code if given) on a fresh database, keep the tablets
    casting and run the windows; what each window did, the tablets' casts, the database."""
    folder.mkdir(parents=True)
    database = await fresh_database(args.database, folder)
    server: Server = SourceServer(database, folder=folder, source=source)
    server.redbench("db", "upgrade")
    server.redbench("user", "add", "load", "--role", "admin", "--password", PASSWORD)
    server.redbench("user", "add", FLOOD_USER, "--role", "grid_worker", "--password", PASSWORD)
    await server.start()
    staff = Staff(server.base)
    everything = not (source or args.only_close)
    try:
        await staff.login()
        record_round = 0
        if everything:
            print(f"preparing: a closed round of {args.record_ballots:,} ballots ...", flush=True)
            record_round = await fill_record_round(server.base, staff, args.record_ballots)
        print(
            f"preparing: a budget round of {args.budget_ballots:,} ballots over "
            f"{args.budget_projects} projects{' (' + args.before + ')' if source else ''} ...",
            flush=True,
        )
        budget_round = await fill_budget_round(
            server.base, staff, args.budget_ballots, args.budget_projects
        )
        slips_round, _ = await staff.open_round(0)
        voting_round, plain = await staff.open_round(args.codes)
        tablets = Tablets(
            url=f"{server.base}/api/v1/rounds/{voting_round}/ballots",
            codes=iter(enumerate(plain)),
            pause=args.pause,
        )
        connector = aiohttp.TCPConnector(limit=args.tablets)
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            casting = [asyncio.create_task(tablets.tablet(session)) for _ in range(args.tablets)]
            await asyncio.sleep(3 * args.settle)  # connections made, the preparation done

            async def quiet() -> str:
                await asyncio.sleep(args.quiet)
                return ""

            async def slips() -> str:
                path = f"/api/v1/rounds/{slips_round}/code-slips"
                status, size, seconds = await staff_request(
                    staff, "POST", path, {"count": args.slips}
                )
                return f"slips: {status} in {seconds:.1f} s, {size / 1e6:.1f} MB"

            async def downloads() -> str:
                notes = []
                for fmt in ("pdf", "xlsx"):
                    path = f"/api/v1/rounds/{record_round}/exports/{fmt}"
                    _, size, seconds = await staff_request(staff, "GET", path)
                    notes.append(f"{fmt} {seconds:.1f} s ({size / 1e6:.1f} MB)")
                return ", ".join(notes)

            async def flood() -> str:
                return await login_flood(server.base, args.flooders, args.flood)

            plan: list[tuple[str, Callable[[], Awaitable[str]]]] = [
                ("(a) nothing else" + (f" [{args.before}]" if source else ""), quiet)
            ]
            if everything:
                plan += [
                    (f"(b) {args.slips:,} code slips", slips),
                    (f"(b) record of {args.record_ballots:,} ballots: pdf, xlsx", downloads),
                ]
            plan.append(
                (closing_name(args, args.before if source else ""), closing(staff, budget_round))
            )
            if everything:
                plan.append((f"(c) {args.flooders} clients flooding wrong logins", flood))
            if not source:
                plan.append(("(a) nothing else, again", quiet))
            windows = []
            for name, work in plan:
                windows.append(await timed(name, work))
                await asyncio.sleep(args.settle)
            tablets.stop.set()
            await asyncio.gather(*casting)
    finally:
        await staff.aclose()
        server.stop()
    return windows, tablets, database


def revision_source(revision: str, folder: Path) -> str:
    """The code of git ``revision``, unpacked into ``folder``; its path."""
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return str(folder)


async def run(args: argparse.Namespace) -> int:
    with open("/proc/loadavg") as load:
        print(f"load average before: {load.read().strip()}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="redbench-stalls-"))
    try:
        windows, tablets, database = await measure(args, folder / "now")
        lines = [row(w, tablets.within(w.start, w.end)) for w in windows]
        if args.before:
            (folder / "code").mkdir()
            source = revision_source(args.before, folder / "code")
            old_windows, old_tablets, _ = await measure(args, folder / "before", source)
            old = [row(w, old_tablets.within(w.start, w.end)) for w in old_windows]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    with open("/proc/loadavg") as load:
        print(f"load average after: {load.read().strip()}")
    print(
        f"\ndatabase: {database.split('://')[0]}; one app worker; {args.tablets} tablets, "
        f"each pausing {args.pause * 1000:.0f} ms between casts; "
        f"{os.cpu_count()} cores shared with the load client\n"
    )
    header = (
        f"{'while':<44}{'secs':>7}{'casts':>7}{'casts/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'max ms':>8}  what it did"
    )
    print(header + "\n" + "-" * (len(header) + 30))
    for line, _ in lines:
        print(line)
    if tablets.errors:
        print(f"\ncast errors: {dict(tablets.errors)}")
    if args.before:
        print(f"\nthe same close on the code of {args.before} (a server of its own):")
        for line, _ in old:
            print(line)
        if old_tablets.errors:
            print(f"\ncast errors [{args.before}]: {dict(old_tablets.errors)}")
    base = lines[0][1]
    verdicts = []
    middle = windows[1:-1] if len(windows) > 2 else windows[1:]
    for window, (_, p99) in zip(middle, lines[1 : 1 + len(middle)], strict=True):
        if p99 is None:
            verdicts.append(f"{window.name}: no casts")
            continue
        met = "met" if p99 < TARGET_P99_MS else "NOT met"
        against = f" ({p99 / base:.1f}x the quiet p99)" if base else ""
        verdicts.append(f"{window.name}: p99 {p99:.1f} ms{against}: target {met}")
    print(f"\ntarget: cast p99 under {TARGET_P99_MS:.0f} ms in (b) and (c)")
    print("\n".join(verdicts))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--tablets", type=int, default=20, help="tablets casting")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between casts")
    parser.add_argument("--codes", type=int, default=40_000, help="codes for the tablets")
    parser.add_argument("--slips", type=int, default=5000, help="code slips printed in (b)")
    parser.add_argument("--record-ballots", type=int, default=5000, help="ballots in the record")
    parser.add_argument("--quiet", type=float, default=10.0, help="seconds of (a)")
    parser.add_argument("--flooders", type=int, default=20, help="login flooders in (c)")
    parser.add_argument("--flood", type=float, default=10.0, help="seconds of (c)")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds between windows")
    parser.add_argument(
        "--budget-ballots", type=int, default=3000, help="ballots in the budget round closed"
    )
    parser.add_argument(
        "--budget-projects", type=int, default=30, help="projects in the budget round closed"
    )
    parser.add_argument("--before", default="", help="git revision to measure the close on too")
    parser.add_argument(
        "--only-close", action="store_true", help="only the quiet and budget-close windows"
    )
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
