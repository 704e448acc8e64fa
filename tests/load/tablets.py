"""The load tool: N simulated tablets cast ballots against a running server over HTTP, then
the published ballot box is checked against what the server acknowledged.

    .venv/bin/python -m tests.load.tablets                          # SQLite, 50 tablets
    .venv/bin/python -m tests.load.tablets --ballots 20000 --tablets 50 \\
        --database postgresql+asyncpg://postgres@127.0.0.1:5432/redbench_load --workers 3
    .venv/bin/python -m tests.load.tablets --kill-every 2   # SIGKILL the server every 2 s
    .venv/bin/python -m tests.load.tablets --url https://vote.example.org \\
        --user load --password ... --insecure          # a running deployment (docs/deployment.md)

Each tablet takes the next voter code, marks the ballot that code's number calls for (a
seeded random ranking of the pocket park), and sends it with a fresh idempotency key.
When the answer is lost (connection refused or cut, timeout, 5xx, ``cast-retry``) it sends
the same request again, as the kiosk page does, until it gets an answer or gives up after
``--give-up`` seconds (then the cast counts as *lost*). With ``--kill-every`` the server is
killed with SIGKILL at that interval and started again at once.

At the end the round is closed and counted, and the tool checks what the round publishes
(its receipts are sealed: a tracker list and a list of distinct ballots with their counts,
nothing pairing them):

- every acknowledged receipt is in the tracker list exactly once; no two codes got the
  same receipt;
- every ballot the tablets sent and had acknowledged is in the ballot list (as many times
  as sent); ballots or trackers beyond those number at most the casts whose answer was lost;
- turnout: codes used = trackers = ballots published;
- the two lists' digests and the ballot-box digest made of them are the server's;
- the server's result equals a recount of the acknowledged ballots by the engine (the
  result an uninterrupted run on the same ballots gives).

It prints ballots/s, p50/p99/p99.9 and the slowest latency (first send to answer, retries
included), answers and errors by kind, and the live events a facilitator's screen received
over the round's WebSocket while the tablets cast (turnout added up; through Redis when
several processes serve), and exits 1 if any check fails.

With ``--url`` no server is started: the tablets cast against that one (a deployment behind
its reverse proxy), staff signing in with ``--user`` and ``--password``; ``--insecure``
accepts a self-signed certificate. The load tool's own garbage collector is kept from
walking the objects of its setup (:func:`gc.freeze`), so that its pauses — up to 200 ms on
this machine with tens of thousands of receipts kept — are not counted as the server's
latency.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from ballots.digest import (
    canonical_ballot,
    content_list_digest,
    lot_seed,
    sealed_box_digest,
    tracker_list_digest,
)
from ballots.encode import encode
from ballots.errors import InvalidReceipt
from ballots.kinds import BallotRules, RankedBallot
from engine.registry import tally
from engine.result import Result, to_json
from tests.load.harness import PASSWORD, Server, Staff, fresh_database
from tests.support.park import PARK

RETRY = frozenset({500, 502, 503, 504})
"""Answers after which a tablet sends the same request again (and a 409 with one of
:data:`RETRY_CODES`)."""

RETRY_CODES = frozenset({"cast-retry", "database-busy"})
"""Conflicts that say "send it again with the same key": a clash with another submission, or
a database busy with another change at the same moment."""


def ballot_for(number: int) -> dict[str, Any]:
    """The ballot the ``number``-th code casts: a seeded ranking of 1 to 6 options, biased
    so that the count needs several rounds."""
    rng = random.Random(number)
    weights = [6, 5, 4, 4, 2, 1]
    order = sorted(PARK, key=lambda name: -(rng.random() ** (1 / weights[PARK.index(name)])))
    return {"kind": "ranked", "ranking": [[name] for name in order[: rng.randint(1, 6)]]}


@dataclass
class Ledger:
    """What the tablets saw."""

    acks: dict[int, str] = field(default_factory=dict)
    """Code number → tracker of the acknowledged cast."""
    replays: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    lost: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)
    """Live events received on the round's WebSocket, by kind."""
    turnout_added: int = 0
    """Ballots the turnout events announced."""


async def send(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any], ledger: Ledger, give_up: float
) -> tuple[int, dict[str, Any]] | None:
    """POST ``body`` until an answer that is not worth a retry; ``None`` if it never came."""
    deadline = time.monotonic() + give_up
    pause = 0.02
    while time.monotonic() < deadline:
        try:
            async with session.post(url, json=body) as response:
                answer = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, msgspec.DecodeError, ValueError) as exc:
            ledger.errors[type(exc).__name__] += 1
        else:
            retry = status in RETRY or (status == 409 and answer.get("code") in RETRY_CODES)
            if not retry:
                return status, answer
            ledger.errors[f"{status} {answer.get('code', '')}".strip()] += 1
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)
    return None


async def tablet(
    session: aiohttp.ClientSession,
    url: str,
    codes: Iterator[tuple[int, str]],
    ledger: Ledger,
    give_up: float,
) -> None:
    for number, code in codes:
        body = {"code": code, "key": uuid.uuid4().hex, "ballot": ballot_for(number)}
        started = time.perf_counter()
        answer = await send(session, url, body, ledger, give_up)
        ledger.latencies.append(time.perf_counter() - started)
        if answer is None:
            ledger.lost.append(number)
        elif answer[0] in (200, 201):
            ledger.acks[number] = answer[1]["tracker"]
            ledger.replays += answer[0] == 200
        else:
            ledger.refused[str(answer[1].get("code", answer[0]))] += 1


async def killer(server: Server, stop: asyncio.Event, *, every: float, most: int) -> int:
    """SIGKILL the server every ``every`` seconds (``most`` times at most) and start it
    again; the number of kills."""
    kills = 0
    while not stop.is_set() and kills < most:
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            server.kill()
            kills += 1
            await server.start()
    return kills


def recount(ballots: list[dict[str, Any]], method: str, digest: str) -> Result:
    """The engine's count of ``ballots`` as the server counts a round (lot seeded by the
    ballot-box digest)."""
    rules = BallotRules(kind="ranked", candidates=tuple(PARK))
    typed = [msgspec.convert(b, RankedBallot) for b in ballots]
    return tally(method, encode(typed, rules), seed=lot_seed(digest))


def check(ledger: Ledger, closed: dict[str, Any]) -> list[str]:
    """Every problem found comparing what was acknowledged with what was published."""
    problems: list[str] = []
    listed: list[str] = closed["trackers"]
    published = set(listed)
    if len(published) != len(listed):
        problems.append("a tracker appears twice in the published list")
    trackers = list(ledger.acks.values())
    if len(set(trackers)) != len(trackers):
        problems.append("two codes were given the same receipt")
    for number, tracker in ledger.acks.items():
        if tracker not in published:
            problems.append(f"acknowledged receipt {tracker} (code #{number}) is not published")
    extra = published - set(trackers)
    contents: Counter[bytes] = Counter()
    for entry in closed["ballots"]:
        contents[canonical(entry["ballot"])] += entry["count"]
    sent = Counter(canonical(ballot_for(n)) for n in ledger.acks)
    missing = sent - contents
    if missing:
        problems.append(
            f"{sum(missing.values())} acknowledged ballots are not in the published ballot "
            "list (a ballot was changed or lost)"
        )
    unsent = contents - sent
    for what, many in (("published ballots", sum(unsent.values())), ("trackers", len(extra))):
        if many > len(ledger.lost):
            problems.append(
                f"{many} {what} were never acknowledged, but only {len(ledger.lost)} answers "
                "were lost"
            )
    turnout = closed["turnout"]
    if not turnout["codes_used"] == len(listed) == contents.total():
        problems.append(
            f"{turnout['codes_used']} codes used but {len(listed)} trackers and "
            f"{contents.total()} ballots"
        )
    stored = closed["result"]["ballot_box_digest"]
    try:
        lists = (
            tracker_list_digest(listed),
            content_list_digest(
                (msgspec.json.decode(c, type=RankedBallot), n) for c, n in contents.items()
            ),
        )
    except InvalidReceipt as exc:
        problems.append(f"the published lists cannot be digested: {exc}")
    else:
        digest = sealed_box_digest(*lists)
        given = (closed["result"]["trackers_digest"], closed["result"]["contents_digest"])
        if lists != given or digest != stored:
            problems.append(
                f"ballot-box digest {stored} (lists {given}) does not match the lists "
                f"({digest}, {lists})"
            )
    server = msgspec.convert(closed["result"]["result"], Result)
    intended = [ballot_for(n) for n in ledger.acks] + [
        msgspec.json.decode(c) for c in unsent.elements()
    ]
    again = recount(intended, server.method, stored)
    if to_json(again) != to_json(server):
        problems.append(f"the recount elects {again.winners}, the server {server.winners}")
    return problems


def canonical(ballot: dict[str, Any]) -> bytes:
    """A ballot's canonical bytes, to compare ballots sent with ballots published."""
    return canonical_ballot(msgspec.convert(ballot, RankedBallot))


def quantile(ordered: list[float], share: float) -> float:
    """The ``share`` quantile of sorted seconds, in ms (0 for none)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def report(ledger: Ledger, elapsed: float, kills: int) -> str:
    answered = sorted(ledger.latencies)
    p50 = statistics.median(answered) * 1000 if answered else 0.0
    p99, p999 = quantile(answered, 0.99), quantile(answered, 0.999)
    slowest = answered[-1] * 1000 if answered else 0.0
    lines = [
        f"acknowledged {len(ledger.acks):,} ballots in {elapsed:.1f} s: "
        f"{len(ledger.acks) / elapsed:,.0f} ballots/s; p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"p99.9 {p999:.1f} ms, slowest {slowest:.1f} ms",
        f"answers: {len(ledger.acks):,} receipts ({ledger.replays} replayed after a lost "
        f"answer), refused {dict(ledger.refused) or 0}, lost {len(ledger.lost)}",
        f"errors on the way (then retried): {dict(ledger.errors) or 'none'}; "
        f"server killed {kills} times",
        f"live events on the round's WebSocket: {dict(ledger.events) or 'none'}; turnout "
        f"announced {ledger.turnout_added:,} ballots",
    ]
    return "\n".join(lines)


@dataclass
class Run:
    """One load run: what the tablets saw, what the check found."""

    ledger: Ledger
    problems: list[str]
    elapsed: float
    kills: int
    round_id: int
    starts: int
    """How many times the server was started (1 when it was never killed)."""


async def watch(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    ledger: Ledger,
    listening: asyncio.Event,
) -> None:
    """Follow the round's live events as the facilitator's screen does, until cancelled."""
    async with session.ws_connect(url, headers=headers, heartbeat=20) as socket:
        listening.set()
        async for message in socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            event = msgspec.json.decode(message.data)
            ledger.events[str(event.get("kind"))] += 1
            if event.get("kind") == "turnout":
                ledger.turnout_added += int(event.get("added", 0))


def events_url(base: str, round_id: int) -> str:
    scheme = "wss" if base.startswith("https") else "ws"
    return f"{scheme}{base[base.index(':') :]}/api/v1/rounds/{round_id}/events"


Disruption = Callable[[Server, asyncio.Event], Awaitable[int]]
"""Something done to the server while the tablets cast, until the event is set; returns the
number of kills (see :func:`killer`)."""


async def run(args: argparse.Namespace, say: Any = print, disrupt: Disruption | None = None) -> Run:
    """Start a server on a fresh database (or use the one at ``--url``), drive it with the
    tablets, close and check. ``disrupt`` (default: the killer when ``--kill-every`` is
    given) runs alongside."""
    if args.url:
        return await drive(args, None, say, disrupt)
    folder = Path(tempfile.mkdtemp(prefix="redbench-load-"))
    database = await fresh_database(args.database, folder)
    server = Server(database, workers=args.workers, folder=folder)
    server.redbench("db", "upgrade")
    server.redbench("user", "add", args.user, "--role", "admin", "--password", args.password)
    await server.start()
    try:
        return await drive(args, server, say, disrupt)
    finally:
        server.stop()
        if args.keep:
            say(f"server logs and files kept in {server.folder}")
        else:
            shutil.rmtree(server.folder, ignore_errors=True)


async def drive(
    args: argparse.Namespace, server: Server | None, say: Any, disrupt: Disruption | None
) -> Run:
    """Open a round, cast with the tablets while a staff screen follows the live events,
    close the round and check it."""
    base = args.url.rstrip("/") if server is None else server.base
    verify = not args.insecure
    staff = Staff(base, args.user, args.password, verify=verify)
    try:
        await staff.login()
        round_id, plain = await staff.open_round(args.ballots, args.method)
        where = f"{server.database.split('://')[0]}, {args.workers} worker(s)" if server else base
        say(f"{where}, {args.tablets} tablets, {args.ballots:,} codes in round {round_id}")
        ledger = Ledger()
        codes = iter(enumerate(plain))
        url = f"{base}/api/v1/rounds/{round_id}/ballots"
        stop = asyncio.Event()
        timeout = aiohttp.ClientTimeout(total=args.timeout)
        connector = aiohttp.TCPConnector(limit=args.tablets + 1, ssl=verify)
        gc.collect()
        gc.freeze()  # the setup's objects: out of the collector's walks while the tablets run
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            if disrupt is None and args.kill_every and server is not None:
                disrupt = partial(killer, every=args.kill_every, most=args.kills)
            kills = asyncio.create_task(disrupt(server, stop)) if disrupt and server else None
            listening = asyncio.Event()
            watcher = asyncio.create_task(
                watch(session, events_url(base, round_id), staff.auth, ledger, listening)
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(listening.wait(), 5)
            started = time.perf_counter()
            await asyncio.gather(
                *(tablet(session, url, codes, ledger, args.give_up) for _ in range(args.tablets))
            )
            elapsed = time.perf_counter() - started
            stop.set()
            killed = await kills if kills else 0
            await asyncio.sleep(0.5)  # the last turnout events on their way
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
                await watcher
        gc.unfreeze()
        if server is not None:
            await server.wait_ready()
        await staff.login()
        problems = check(ledger, await staff.close(round_id))
        return Run(ledger, problems, elapsed, killed, round_id, server.starts if server else 1)
    finally:
        await staff.aclose()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--workers", type=int, default=1, help="app worker processes")
    parser.add_argument("--tablets", type=int, default=50, help="simulated tablets")
    parser.add_argument("--ballots", type=int, default=5000, help="codes, one ballot each")
    parser.add_argument("--method", default="irv", help="counting method of the round")
    parser.add_argument("--kill-every", type=float, help="SIGKILL the server every N seconds")
    parser.add_argument("--kills", type=int, default=1000, help="kill at most N times")
    parser.add_argument("--keep", action="store_true", help="keep the server's logs and files")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--give-up", type=float, default=60.0, help="seconds per ballot")
    parser.add_argument("--url", help="cast against this running server instead of a new one")
    parser.add_argument("--user", default="load", help="staff account that opens the round")
    parser.add_argument("--password", default=PASSWORD, help="that account's password")
    parser.add_argument(
        "--insecure", action="store_true", help="accept the server's self-signed certificate"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    done = asyncio.run(run(parse(argv), say=lambda line: print(line, flush=True)))
    print(report(done.ledger, done.elapsed, done.kills))
    for problem in done.problems:
        print(f"FAILED: {problem}")
    verdict = "verified: every acknowledged ballot stored once; digest and count agree"
    print(verdict if not done.problems else f"{len(done.problems)} problems")
    return 1 if done.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
