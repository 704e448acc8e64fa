"""Service speed over real HTTP: casting against the same server's no-op endpoint, then
close-and-count of a 1,000,000-ballot round. Run from the repository root:

    .venv/bin/python tests/benchmarks/bench_service.py                      # SQLite
    .venv/bin/python tests/benchmarks/bench_service.py \\
        --database postgresql+asyncpg://postgres@127.0.0.1:5432/redbench_bench  # PostgreSQL
    .venv/bin/python tests/benchmarks/bench_service.py --workers 4 --clients 50 \\
        --client lean --ballots 0 --database postgresql+asyncpg://...  # four app workers

It starts ``redbench serve`` (``--workers`` app processes, default one; with more than one,
live events go through Redis; ``REDBENCH_BENCHMARK_ENDPOINTS=1`` so that the no-op endpoint is
routed) on a fresh database, prepares a round through the API, and prints for 1 and for 50
concurrent clients (``--clients``): requests/s and p50/p99 latency of
``POST /api/v1/noop`` (decodes a ballot-sized JSON body, touches nothing) and of
``POST /api/v1/rounds/{id}/ballots`` (real casts, each with its own code). Then it writes
1,000,000 sealed ballots straight into the round's box (not timed: that is the voting) and times
closing the round, counting it and publishing the result, as the facilitator's two clicks.

CPU time is printed per request for the app (all its processes), for the load client and,
on PostgreSQL, for the database's backends serving this benchmark's database. The load
client is aiohttp, or with ``--client lean`` :mod:`tests.load.lean` (a tenth of the client
CPU per request, leaving more of a small machine to the server).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import msgspec

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ballot_model import raw_ballots  # noqa: E402

from tests.load.harness import fresh_database  # noqa: E402
from tests.load.lean import LeanConnection, request_bytes  # noqa: E402
from tests.support.app import free_port  # noqa: E402

PASSWORD = "bench-password"
OPTIONS = [
    "儿童游乐设施",
    "健康监测站",
    "文化墙",
    "小型活动区",
    "健身器材",
    "遮阳座椅",
    "健身步道",
    "公共厕所",
    "充电车棚",
    "花园绿地",
]


def redbench(*args: str, env: dict[str, str]) -> None:
    exe = Path(sys.executable).parent / "redbench"
    subprocess.run([str(exe), *args], check=True, env=env, stdout=subprocess.DEVNULL)


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                if (await client.get(f"{base}/api/v1/ping")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the server did not start")


async def call(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    payload: Any = None,
    headers: dict[str, str] | None = None,
) -> Any:
    response = await client.request(method, path, json=payload, headers=headers)
    if response.status_code >= 400:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
    return response.json() if response.content else None


async def prepare(
    client: httpx.AsyncClient, codes_needed: int
) -> tuple[int, dict[str, str], list[str]]:
    login = await call(
        client, "POST", "/api/v1/auth/login", {"username": "bench", "password": PASSWORD}
    )
    auth = {"Authorization": f"Bearer {login['token']}"}
    name = f"基准测试社区 {secrets.token_hex(3)}"
    community = await call(client, "POST", "/api/v1/communities", {"name": name}, auth)
    process = await call(
        client,
        "POST",
        f"/api/v1/communities/{community['id']}/processes",
        {"title": "基准测试议题", "question": "测速"},
        auth,
    )
    ids = []
    for title in OPTIONS:
        proposal = await call(
            client,
            "POST",
            f"/api/v1/processes/{process['id']}/proposals",
            {"title": title, "description": "", "cost": 1000},
            auth,
        )
        ids.append(proposal["id"])
    round_ = await call(
        client,
        "POST",
        f"/api/v1/processes/{process['id']}/rounds",
        {"title": "测速轮", "ballot_kind": "ranked", "method": "irv", "proposal_ids": ids},
        auth,
    )
    rid = round_["id"]
    await call(client, "POST", f"/api/v1/rounds/{rid}/phase", {"to": "voting"}, auth)
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()  # casts from home: a window
    await call(client, "PUT", f"/api/v1/rounds/{rid}/phone-window", {"until": until}, auth)
    codes: list[str] = []
    while len(codes) < codes_needed:
        batch = min(5000, codes_needed - len(codes))
        issued = await call(client, "POST", f"/api/v1/rounds/{rid}/codes", {"count": batch}, auth)
        codes += [c["code"] for c in issued["codes"]]
    return rid, auth, codes


def ballot_body(i: int) -> dict[str, Any]:
    order = [OPTIONS[(i + j) % len(OPTIONS)] for j in range(3)]
    return {"kind": "ranked", "ranking": [[name] for name in order]}


def percentiles(latencies: list[float]) -> tuple[float, float]:
    """(p50 ms, p99 ms) of latencies in seconds."""
    latencies = sorted(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return statistics.median(latencies) * 1000, p99 * 1000


async def drive_lean(
    base: str, requests: list[tuple[str, dict[str, Any]]], concurrency: int, expect: int
) -> tuple[float, float, float]:
    """:func:`drive` with the lean client; every request is encoded before the clock starts."""
    connections = [LeanConnection(base) for _ in range(concurrency)]
    host = connections[0].host
    prepared = iter(
        [request_bytes(host, path, msgspec.json.encode(body)) for path, body in requests]
    )
    latencies: list[float] = []

    async def worker(connection: LeanConnection) -> None:
        for request in prepared:
            started = time.perf_counter()
            status, body = await connection.send(request)
            latencies.append(time.perf_counter() - started)
            if status != expect:
                raise RuntimeError(f"{status} {body.decode()}")

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(c) for c in connections))
    finally:
        elapsed = time.perf_counter() - started
        for connection in connections:
            await connection.close()
    return (len(requests) / elapsed, *percentiles(latencies))


async def drive(
    base: str, requests: list[tuple[str, dict[str, Any]]], concurrency: int, expect: int
) -> tuple[float, float, float]:
    """Send the requests with ``concurrency`` clients; (requests/s, p50 ms, p99 ms).

    The load client is aiohttp (several times faster than httpx), so that at 50 clients
    the server, not the client, is what is measured; both endpoints get the same client.
    """
    latencies: list[float] = []
    queue = iter(requests)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base_url=base, connector=connector) as client:

        async def worker() -> None:
            for path, payload in queue:
                started = time.perf_counter()
                async with client.post(path, json=payload) as response:
                    body = await response.read()
                latencies.append(time.perf_counter() - started)
                if response.status != expect:
                    raise RuntimeError(f"{path}: {response.status} {body.decode()}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return (len(requests) / elapsed, *percentiles(latencies))


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux ``/proc``); 0 if gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processes() -> dict[int, tuple[int, str]]:
    """Every process: pid → (parent pid, command line)."""
    found: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found[int(entry.name)] = (parent, command)
    return found


def app_processes(root: int) -> list[int]:
    """``root`` and every process under it (the app's workers)."""
    table = processes()
    tree, grown = {root}, True
    while grown:
        more = {pid for pid, (parent, _) in table.items() if parent in tree} - tree
        tree |= more
        grown = bool(more)
    return sorted(tree)


def database_processes(database: str) -> list[int]:
    """PostgreSQL's backends serving ``database`` (their titles name it); none for SQLite."""
    if not database.startswith("postgresql"):
        return []
    name = database.rpartition("/")[2]
    return [
        pid
        for pid, (_, command) in processes().items()
        if command.startswith("postgres: ") and f" {name} " in command
    ]


def cpu_of(pids: list[int]) -> dict[int, float]:
    return {pid: cpu_seconds(pid) for pid in pids}


def cpu_since(before: dict[int, float], now: dict[int, float]) -> float:
    """CPU seconds used between two readings (a process new since ``before`` counts whole)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items())


class Load:
    """How to send the requests: the client (``aiohttp`` or ``lean``), the app's root
    process and its database, whose CPU time is measured."""

    def __init__(self, base: str, server: int, database: str, client: str) -> None:
        self.base = base
        self.server = server
        self.database = database
        self.drive = drive_lean if client == "lean" else drive


async def measured(
    load: Load, requests: list[tuple[str, dict[str, Any]]], clients: int
) -> tuple[float, float, float, float, float, float]:
    """:func:`drive`, plus the CPU time per request (µs) of the app (all its processes), of
    the load client and of the database's backends (PostgreSQL; 0 on SQLite; a backend that
    ends during the run is not counted, the pools keep their connections)."""
    app = app_processes(load.server)
    server_before, db_before = cpu_of(app), cpu_of(database_processes(load.database))
    gc.collect()
    gc.freeze()  # the client's full collections would pause it and count as server latency
    own = os.times()
    rate, p50, p99 = await load.drive(load.base, requests, clients, 201)
    mine = os.times()
    gc.unfreeze()
    server = cpu_since(server_before, cpu_of(app))
    db = cpu_since(db_before, cpu_of(database_processes(load.database)))
    n = len(requests)
    client = (mine.user + mine.system) - (own.user + own.system)
    return rate, p50, p99, server / n * 1e6, client / n * 1e6, db / n * 1e6


def commit_ms(folder: Path, rounds: int = 300) -> float:
    """The median time of one durable SQLite commit of one small row in ``folder``, with the
    service's settings (WAL, ``synchronous=FULL``): the least a single cast must wait."""
    import sqlite3

    from service.db.session import sqlite_pragmas

    path = folder / "commit-probe.sqlite3"
    connection = sqlite3.connect(path, isolation_level=None)
    sqlite_pragmas(connection)
    connection.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY, body BLOB)")
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO probe (body) VALUES (?)", (b"\0" * 200,))
        connection.execute("COMMIT")
        times.append(time.perf_counter() - started)
    connection.close()
    return statistics.median(times) * 1000


async def store_million(database: str, round_id: int, n: int, secret: str) -> None:
    """Write ``n`` ballots into the round as the casting path stores them: sealed envelopes,
    and as many codes marked used (not timed: that is the voting)."""
    from ballots.digest import new_tracker
    from service.db.models import Envelope, VoterCode
    from service.db.session import create_engine
    from service.voting.sealing import RoundSeal

    raw = raw_ballots(n, len(OPTIONS), seed=7).astype("<i2")
    seal = RoundSeal(secret, round_id)
    rows = []
    for row in raw:
        nonce, sealed = seal.seal(new_tracker(), row.tobytes())
        rows.append({"round_id": round_id, "nonce": nonce, "sealed": sealed})
    codes = [
        {"round_id": round_id, "code_hash": f"{round_id:08x}{i:056x}", "status": "used"}
        for i in range(n)
    ]
    engine = create_engine(database)
    async with engine.begin() as conn:
        for start in range(0, n, 50_000):
            await conn.execute(Envelope.__table__.insert(), rows[start : start + 50_000])
            await conn.execute(VoterCode.__table__.insert(), codes[start : start + 50_000])
    # a real round fills over hours, long enough for the database to have written and
    # vacuumed it; here it was filled in seconds, so let that work finish before timing
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE envelopes, voter_codes")
            await conn.exec_driver_sql("CHECKPOINT")
    else:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    await engine.dispose()


async def run(
    database: str, casts: int, million: int, sync_ms: float, args: argparse.Namespace
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "REDBENCH_DATABASE_URL": database,
        "REDBENCH_SECRET": "bench-secret-of-at-least-32-characters",
        "REDBENCH_BENCHMARK_ENDPOINTS": "1",  # the no-op endpoint, the baseline
    }
    redbench("user", "add", "bench", "--role", "admin", "--password", PASSWORD, env=env)
    exe = str(Path(sys.executable).parent / "redbench")
    server = subprocess.Popen(
        [exe, "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        await wait_ready(base)
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            rid, auth, codes = await prepare(client, len(args.clients) * casts)
        workers = "one app worker" if args.workers == 1 else f"{args.workers} app workers"
        print(
            f"database: {database.split('://')[0]}; {workers}; {args.client} client; "
            f"{casts:,} requests per measurement; load average {loadavg()}\n"
        )
        header = (
            f"{'endpoint':<14}{'clients':>8}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
            f"{'server µs/req':>15}{'client µs/req':>15}{'db µs/req':>11}"
        )
        print(header + "\n" + "-" * len(header))
        floor = 0.0
        load = Load(base, server.pid, database, args.client)
        for concurrency in args.clients:
            noop = [
                (
                    "/api/v1/noop",
                    {
                        "code": "ABCDE-FGHJK",
                        "key": secrets.token_urlsafe(16),
                        "ballot": ballot_body(i),
                    },
                )
                for i in range(casts)
            ]
            n_rate, n_p50, n_p99, n_server, n_client, n_db = await measured(load, noop, concurrency)
            cast = [
                (
                    f"/api/v1/rounds/{rid}/ballots",
                    {
                        "code": codes.pop(),
                        "key": secrets.token_urlsafe(16),
                        "ballot": ballot_body(i),
                    },
                )
                for i in range(casts)
            ]
            c_rate, c_p50, c_p99, c_server, c_client, c_db = await measured(load, cast, concurrency)
            print(
                f"{'no-op':<14}{concurrency:>8}{n_rate:>9.0f}{n_p50:>8.2f}{n_p99:>8.2f}"
                f"{n_server:>15.0f}{n_client:>15.0f}{n_db:>11.0f}"
            )
            print(
                f"{'cast ballot':<14}{concurrency:>8}{c_rate:>9.0f}{c_p50:>8.2f}{c_p99:>8.2f}"
                f"{c_server:>15.0f}{c_client:>15.0f}{c_db:>11.0f}"
                f"   ({c_rate / n_rate:.0%} of no-op)"
            )
            if concurrency == 1:
                floor = 1000 / (n_p50 + sync_ms)
        if sync_ms and floor:
            print(
                f"\none durable SQLite commit on this disk: {sync_ms:.2f} ms. One client whose "
                "every cast waits for its own commit can reach at most 1 / (no-op p50 + one "
                f"commit) = {floor:.0f} casts/s."
            )
        if million:
            async with httpx.AsyncClient(base_url=base, timeout=600) as client:
                big, auth, _ = await prepare(client, 1)
                print(f"\nstoring {million:,} ballots in round {big} (not timed) ...", flush=True)
                await store_million(database, big, million, env["REDBENCH_SECRET"])
                started = time.perf_counter()
                await call(client, "POST", f"/api/v1/rounds/{big}/phase", {"to": "closed"}, auth)
                closed = time.perf_counter()
                await call(client, "POST", f"/api/v1/rounds/{big}/phase", {"to": "published"}, auth)
                result = await call(client, "GET", f"/api/v1/rounds/{big}/result", None, auth)
                done = time.perf_counter()
            print(
                f"close and count: {closed - started:.2f} s; publish and fetch the result: "
                f"{done - closed:.2f} s; total {done - started:.2f} s "
                f"(winner {result['result']['winners']}, {result['result']['ballots']:,} "
                "ballots)"
            )
    finally:
        server.terminate()
        server.wait(10)


def loadavg() -> str:
    """The machine's load average over 1, 5 and 15 minutes (it is shared: say how busy)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def client_counts(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--casts", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--ballots", type=int, default=1_000_000, help="ballots in the big round")
    parser.add_argument("--workers", type=int, default=1, help="app worker processes")
    parser.add_argument(
        "--clients", type=client_counts, default=[1, 50], help="concurrent clients, e.g. 1,50"
    )
    parser.add_argument(
        "--client", choices=["aiohttp", "lean"], default="aiohttp", help="the load client"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="redbench-bench-"))
    try:
        database = asyncio.run(fresh_database(args.database, folder))
        # what one SQLite commit waits for here (PostgreSQL's disk is not ours to probe)
        sync_ms = 0.0 if args.database else commit_ms(folder)
        asyncio.run(run(database, args.casts, args.ballots, sync_ms, args))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
