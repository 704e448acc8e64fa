"""The secret ballot at rest, attacked as someone holding the database files but not the
server secret would: a copy of the SQLite file and its write-ahead log, a PostgreSQL data
folder read with ``pageinspect`` — while the round is voting, right after it closes, and
after publishing. The attacker also has the printed code slips and, once published, every
ballot with its tracker. Each attack must find no link between a ballot and a code, a
household or the order of casting.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sqlite3
import struct
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.base import Base
from service.db.models import CastKey, Envelope, VoterCode
from service.db.session import create_engine, sqlite_pragmas
from service.results import purge
from service.voting.codes import code_hash
from service.voting.transactors import SqliteTransactor
from tests.support.app import SECRET
from tests.support.box import purged
from tests.support.pages import deliver, enrol_tablet, kept, kiosk_token
from tests.support.park import PARK
from tests.support.rounds import cast, issue, make_round, ranked

FACILITATOR_PHASE = "/api/v1/rounds/{}/phase"


@dataclass
class Voting:
    """What the residents of a test round did, as the attacker may later learn it: the
    printed codes, the households, and (once published) each tracker with its ballot."""

    round_id: int
    codes: list[str]
    households: list[str]
    trackers: list[str] = field(default_factory=list)
    """In casting order."""
    contents: list[bytes] = field(default_factory=list)
    marks: list[bytes] = field(default_factory=list)


def ballot_for(i: int) -> dict[str, Any]:
    """A different ranking for each resident (so each ballot is recognisable), of 1 to 6
    options (so ballots differ in length)."""
    order = list(PARK)
    random.Random(i).shuffle(order)
    return {"kind": "ranked", "ranking": [[name] for name in order[: 1 + i % 6]]}


def canonical(ballot: dict[str, Any]) -> bytes:
    groups = ",".join("[" + ",".join(f'"{n}"' for n in g) + "]" for g in ballot["ranking"])
    return f'{{"kind":"ranked","ranking":[{groups}]}}'.encode()


def marks(ballot: dict[str, Any]) -> bytes:
    position = {g[0]: p for p, g in enumerate(ballot["ranking"])}
    return struct.pack("<6h", *(position.get(name, -1) for name in PARK))


async def vote(client: Any, db: AsyncSession, staff: dict[str, Any], n: int) -> Voting:
    """A household-roll round; ``n`` households vote one after the other (one casting
    transaction each: the easiest case for the attacker), in an order that is neither the
    roll's nor the codes'."""
    round_id = await make_round(db, household_roll=True)
    households = [f"3栋{unit}单元{100 + unit}" for unit in range(1, n + 1)]
    issued = await client.post(
        f"/api/v1/rounds/{round_id}/codes",
        json={"households": households},
        headers=staff["facilitator"],
    )
    assert issued.status_code == 201, issued.text
    codes = [c["code"] for c in issued.json()["codes"]]
    random.Random(n).shuffle(codes)
    voting = Voting(round_id, codes, households)
    for i, code in enumerate(codes):
        ballot = ballot_for(i)
        response = await cast(client, round_id, code, ballot)
        assert response.status_code == 201, response.text
        voting.trackers.append(response.json()["tracker"])
        voting.contents.append(canonical(ballot))
        voting.marks.append(marks(ballot))
    return voting


async def close_and_publish(client: Any, staff: dict[str, Any], round_id: int) -> None:
    for phase in ("closed", "published"):
        answer = await client.post(
            FACILITATOR_PHASE.format(round_id), json={"to": phase}, headers=staff["facilitator"]
        )
        assert answer.status_code == 200, answer.text


def give_aways(voting: Voting) -> dict[str, list[bytes]]:
    """What would identify a ballot if found next to a code: its tracker (in the forms a
    tracker could be stored), its canonical JSON and its marks."""
    return {
        "tracker": [t.encode() for t in voting.trackers]
        + [t.encode("utf-16-le") for t in voting.trackers],
        "content": voting.contents,
        "marks": voting.marks,
    }


def found_in(blob: bytes, voting: Voting) -> list[str]:
    """Which give-aways of ``voting`` appear in ``blob``."""
    return [
        f"{kind} of ballot {i}"
        for kind, needles in give_aways(voting).items()
        for i, needle in enumerate(needles)
        if needle in blob
    ]


def digests_from_slips(voting: Voting) -> set[str]:
    """Every digest an attacker can compute from the printed codes and the published
    ballots without the secret: the codes alone and with each ballot, as the service used to
    store them (SHA-256 of code, line feed, canonical ballot) and similar guesses."""
    found: set[str] = set()
    for code in voting.codes:
        plain = code.replace("-", "")
        for form in (plain, code):
            found.add(hashlib.sha256(form.encode()).hexdigest())
            for content, mark in zip(voting.contents, voting.marks, strict=True):
                for body in (content, mark):
                    found.add(hashlib.sha256(form.encode() + b"\n" + body).hexdigest())
                    found.add(hashlib.sha256(form.encode() + body).hexdigest())
    return found


async def every_value(db: AsyncSession) -> str:
    """Every stored value of every table, as text (bytes as hex)."""
    values: list[str] = []
    for table in Base.metadata.sorted_tables:
        for row in (await db.execute(select(table))).all():
            values += [v.hex() if isinstance(v, bytes) else str(v) for v in row if v is not None]
    return "\n".join(values)


# --- both databases: the rows themselves ------------------------------------------------


async def test_while_voting_no_row_holds_a_tracker_a_ballot_or_a_slip_digest(client, db, staff):
    voting = await vote(client, db, staff, 8)
    stored = await every_value(db)
    for tracker in voting.trackers:
        assert tracker not in stored
    for content in voting.contents:
        assert content.decode() not in stored
    for digest in digests_from_slips(voting):
        assert digest not in stored, "a digest computable from the printed codes is stored"
    sealed = (
        await db.scalars(select(Envelope.sealed).where(Envelope.round_id == voting.round_id))
    ).all()
    assert len(sealed) == 8
    # rankings of 1 to 6 options, and every envelope of one length
    assert len({len(content) for content in voting.contents}) > 1
    assert len({len(s) for s in sealed}) == 1


async def test_after_publishing_no_slip_digest_and_trackers_only_in_the_ballots(client, db, staff):
    voting = await vote(client, db, staff, 8)
    await close_and_publish(client, staff, voting.round_id)
    await purged()
    stored = await every_value(db)
    for digest in digests_from_slips(voting):
        assert digest not in stored
    for table in Base.metadata.sorted_tables:
        if table.name == "box_parts":
            continue
        values = await every_value_of(db, table.name)
        for tracker in voting.trackers:
            assert tracker not in values, f"tracker found in {table.name}"


async def every_value_of(db: AsyncSession, name: str) -> str:
    table = Base.metadata.tables[name]
    rows = (await db.execute(select(table))).all()
    return "\n".join(v.hex() if isinstance(v, bytes) else str(v) for r in rows for v in r)


# --- PostgreSQL: transaction ids, dead row versions, raw pages --------------------------

ISSUE_JOIN = text(
    "SELECT b.trackers, h.label FROM box_parts b "
    "JOIN voter_codes v ON v.xmin = b.xmin AND v.round_id = b.round_id "
    "JOIN households h ON h.id = v.household_id "
    "UNION ALL SELECT e.sealed, h.label FROM envelopes e "
    "JOIN voter_codes v ON v.xmin = e.xmin AND v.round_id = e.round_id "
    "JOIN households h ON h.id = v.household_id"
)
"""The join that named each household's ballot before ballots were sealed (issue 11: then
``ballots b JOIN voter_codes v ON v.xmin = b.xmin``), over the tables that now hold them."""


async def heap(db: AsyncSession, table: str) -> list[tuple[str, int, int, bytes]]:
    """Every row version on disk in ``table``, dead ones included: (t_xmin, page, line
    pointer flags, tuple bytes), read with ``pageinspect`` as a DBA with the files could."""
    await db.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
    pages = await db.scalar(
        text("SELECT pg_relation_size(:t) / current_setting('block_size')::int"), {"t": table}
    )
    rows: list[tuple[str, int, int, bytes]] = []
    for page in range(pages or 0):
        items = await db.execute(
            text(
                "SELECT t_xmin::text, lp_flags, t_data FROM heap_page_items(get_raw_page(:t, :p))"
            ),
            {"t": table, "p": page},
        )
        rows += [(x, page, flags, bytes(d or b"")) for x, flags, d in items if x is not None]
    return rows


async def raw_pages(db: AsyncSession, table: str) -> bytes:
    """Every byte of ``table``'s heap file, free space included."""
    pages = await db.scalar(
        text("SELECT pg_relation_size(:t) / current_setting('block_size')::int"), {"t": table}
    )
    parts = [
        await db.scalar(text("SELECT get_raw_page(:t, :p)"), {"t": table, "p": p})
        for p in range(pages or 0)
    ]
    return b"".join(bytes(p) for p in parts)


async def casting_transactions(db: AsyncSession, round_id: int) -> set[str]:
    """The transaction ids that marked the round's codes used (one per cast here)."""
    rows = await db.execute(
        select(text("xmin::text"))
        .select_from(VoterCode)
        .where(VoterCode.round_id == round_id, VoterCode.status == "used")
    )
    return {row[0] for row in rows}


async def linked_by_xmin(db: AsyncSession, voting: Voting, casting: set[str]) -> list[str]:
    """Every give-away found in a row version (any table, live or dead) written by a casting
    transaction: the attacker's join of a code to a ballot through ``xmin``."""
    links: list[str] = []
    for table in Base.metadata.sorted_tables:
        for xmin, _, _, data in await heap(db, table.name):
            if xmin in casting:
                links += [f"{table.name}: {what}" for what in found_in(data, voting)]
    return links


@pytest.mark.backends("postgres")
async def test_postgres_while_voting_the_xmin_join_finds_nothing(client, db, staff):
    voting = await vote(client, db, staff, 8)
    await db.commit()
    casting = await casting_transactions(db, voting.round_id)
    assert len(casting) == 8  # one transaction per cast: the join has all it needs
    joined = (await db.execute(ISSUE_JOIN)).all()
    assert len(joined) == 8  # each household's envelope is found ...
    assert not [row for row in joined if found_in(bytes(row[0]), voting)]  # ... and is noise
    assert await linked_by_xmin(db, voting, casting) == []
    # nor does the code row a cast wrote name its slip: the cast cleared number and batch
    slips = (
        await db.execute(
            text(
                "SELECT v.number, v.batch_id FROM envelopes e JOIN voter_codes v "
                "ON v.xmin = e.xmin AND v.round_id = e.round_id"
            )
        )
    ).all()
    assert [tuple(row) for row in slips] == [(None, None)] * 8
    # the envelopes do share the codes' transactions, and they are all the attacker gets
    envelopes = await heap(db, "envelopes")
    assert {x for x, *_ in envelopes} == casting
    for _, _, _, data in envelopes:
        assert found_in(data, voting) == []


@pytest.mark.backends("postgres")
async def test_postgres_after_publishing_pageinspect_finds_no_order_and_no_link(client, db, staff):
    voting = await vote(client, db, staff, 8)
    await db.commit()
    casting = await casting_transactions(db, voting.round_id)
    sealed = [bytes(s) for s in (await db.scalars(select(Envelope.sealed))).all()]
    keys = [k.encode() for k in (await db.scalars(select(CastKey.key_hash))).all()]
    assert len(sealed) == 8
    assert len(keys) == 8
    await db.commit()  # no snapshot of ours keeps old row versions from the vacuum
    await close_and_publish(client, staff, voting.round_id)
    await purged()

    assert (await db.execute(ISSUE_JOIN)).all() == []
    assert await linked_by_xmin(db, voting, casting) == []
    # the counted ballots: written by one transaction that cast nothing, in tracker order
    ballots = await heap(db, "box_parts")
    assert len({x for x, *_ in ballots}) == 1
    assert not {x for x, *_ in ballots} & casting
    data = b"".join(d for *_, d in ballots)
    order = sorted(voting.trackers, key=lambda t: data.find(t.encode()))
    assert all(t.encode() in data for t in voting.trackers)
    assert order == sorted(voting.trackers)
    # the used codes and voted households no longer carry the casting transactions
    for table in ("voter_codes", "households"):
        assert not {x for x, _, flags, _ in await heap(db, table) if flags == 1} & casting
    # not one envelope or idempotency record left in their tables' pages, free space included
    for table, left in (("envelopes", sealed), ("cast_keys", keys)):
        blob = await raw_pages(db, table)
        assert not [s for s in left if s[-16:] in blob], table
    # no tracker anywhere on disk outside the ballot table, free space included
    for table in Base.metadata.sorted_tables:
        if table.name != "box_parts":
            blob = await raw_pages(db, table.name)
            assert not [t for t in voting.trackers if t.encode() in blob], table.name


# --- SQLite: the file, its write-ahead log, and the log replayed commit by commit -------


def sqlite_files(database_url: str) -> tuple[Path, Path]:
    path = Path(database_url.split("///", 1)[1])
    return path, path.with_name(path.name + "-wal")


def commits(wal: bytes) -> list[list[bytes]]:
    """The page images of a write-ahead log, grouped by commit, in log order (every frame,
    whatever its salt: an attacker reads stale frames too)."""
    if len(wal) < 32:
        return []
    page_size = struct.unpack(">I", wal[8:12])[0]
    groups: list[list[bytes]] = []
    current: list[bytes] = []
    offset = 32
    while offset + 24 + page_size <= len(wal):
        commit_size = struct.unpack(">I", wal[offset + 4 : offset + 8])[0]
        current.append(wal[offset + 24 : offset + 24 + page_size])
        offset += 24 + page_size
        if commit_size:
            groups.append(current)
            current = []
    return groups


def used_codes(pages: list[bytes], hashes: list[str]) -> set[str]:
    """The code hashes these page images show as ``used``."""
    blob = b"".join(pages)
    used = set()
    for hashed in hashes:
        for match in re.finditer(
            re.escape(hashed.encode()) + rb".{0,9}?(used|issued|void)", blob, re.S
        ):
            if match.group(1) == b"used":
                used.add(hashed)
    return used


def replay(wal: bytes, voting: Voting) -> list[tuple[set[str], list[str]]]:
    """Per commit: the codes it newly shows used, and the give-aways it shows."""
    hashes = [code_hash(SECRET, c.replace("-", "")) for c in voting.codes]
    seen: set[str] = set()
    out = []
    for pages in commits(wal):
        used = used_codes(pages, hashes)
        out.append((used - seen, found_in(b"".join(pages), voting)))
        seen |= used
    return out


@pytest.mark.backends("sqlite")
async def test_sqlite_while_voting_the_files_hold_no_ballot(client, db, staff, database_url):
    voting = await vote(client, db, staff, 8)
    path, wal = sqlite_files(database_url)
    assert found_in(path.read_bytes() + wal.read_bytes(), voting) == []
    for digest in digests_from_slips(voting):
        assert digest.encode() not in path.read_bytes() + wal.read_bytes()
    # the log does show each code being used, commit by commit: with nothing beside it
    steps = replay(wal.read_bytes(), voting)
    assert sum(len(used) for used, _ in steps) == 8
    assert all(not shown for _, shown in steps)
    tables = dict(
        (await db.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))).all()
    )
    for name in ("box_parts", "envelopes", "cast_keys"):
        assert "WITHOUT ROWID" in tables[name], f"{name} keeps row ids in insertion order"


@pytest.mark.backends("sqlite")
async def test_sqlite_replaying_the_log_at_the_close_links_nothing(
    client, db, staff, database_url, monkeypatch
):
    """The worst moment to copy the folder: the close has committed, the log is not yet
    checkpointed (the purge is held back here)."""

    async def held_back(engine: Any) -> list[int]:
        return []

    monkeypatch.setattr(purge, "purge", held_back)
    voting = await vote(client, db, staff, 30)
    await close_and_publish(client, staff, voting.round_id)
    await purged()
    _, wal = sqlite_files(database_url)
    steps = replay(wal.read_bytes(), voting)
    assert sum(len(used) for used, _ in steps) == 30
    for used, shown in steps:
        assert not (used and shown), "a commit shows a code used and a ballot together"
    first = [i for i, (_, shown) in enumerate(steps) if shown]
    trackers_at = [
        i for i, (_, shown) in enumerate(steps) for s in shown if s.startswith("tracker of")
    ]
    assert first
    assert min(trackers_at) == first[0]
    opened = b"".join(commits(wal.read_bytes())[first[0]])
    assert all(t.encode() in opened for t in voting.trackers)  # all at once, at the close


@pytest.mark.backends("sqlite")
async def test_sqlite_after_the_close_the_ballots_lie_in_tracker_order_and_the_log_is_gone(
    client, db, staff, database_url
):
    voting = await vote(client, db, staff, 30)
    sealed = list(
        await db.scalars(select(Envelope.sealed).where(Envelope.round_id == voting.round_id))
    )
    await close_and_publish(client, staff, voting.round_id)
    await purged()
    path, wal = sqlite_files(database_url)
    log = wal.read_bytes() if wal.exists() else b""
    assert len(commits(log)) <= 2  # truncated after the close: the purge noted, the publishing
    assert all(not used for used, _ in replay(log, voting))
    data = path.read_bytes()
    for envelope in sealed:  # deleted content is zeroed, free pages included
        assert envelope not in data
        assert envelope not in log
    # the ballots' cells lie in tracker order in every page (casting order was random)
    page_size = struct.unpack(">H", data[16:18])[0] or 65536
    at = {t: data.find(t.encode()) for t in voting.trackers}
    assert all(offset > 0 for offset in at.values())
    by_page: dict[int, list[str]] = {}
    for tracker, offset in sorted(at.items(), key=lambda kv: kv[1]):
        by_page.setdefault(offset // page_size, []).append(tracker)
    for trackers in by_page.values():
        assert trackers in (sorted(trackers), sorted(trackers, reverse=True))
    assert voting.trackers != sorted(voting.trackers)  # the casting order was not this


@pytest.mark.backends("sqlite")
async def test_sqlite_every_connection_zeroes_what_it_deletes(database_url, tmp_path):
    """``secure_delete`` is set by the service on the app's connections and the writer's,
    whatever the SQLite library's own default (this machine's build has it on already)."""
    path = database_url.split("///", 1)[1]
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA secure_delete = OFF")
    sqlite_pragmas(raw)
    assert raw.execute("PRAGMA secure_delete").fetchone() == (1,)
    raw.close()
    writer = SqliteTransactor(database_url)
    assert writer._connect().execute("PRAGMA secure_delete").fetchone() == (1,)
    await writer.close()
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA secure_delete"))).one() == (1,)
    await engine.dispose()


async def test_tablets_guessers_and_late_ballots_leave_nothing_beside_a_ballot(client, db, staff):
    """A tablet casts, mistypes codes and delivers a ballot too late to count: the tablet's
    id, its guesses and its late report are never stored with a tracker or a ballot, nor (on
    PostgreSQL) written by a transaction that cast a ballot."""
    round_id = await make_round(db)
    codes = await issue(client, staff["facilitator"], round_id, 3)
    ticket = await enrol_tablet(client, staff["facilitator"], round_id)
    headers = await kiosk_token(client)
    trackers = []
    for code, names in zip(codes[:2], (PARK[:3], PARK[3:]), strict=True):
        body = {"code": code, "key": uuid.uuid4().hex, "ballot": ranked(*names)}
        answer = await client.post("/kiosk/ballots", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        trackers.append(answer.json()["tracker"])
        wrong = await client.post("/kiosk/code", json={"code": "ZZZZZ-ZZZZZ"}, headers=headers)
        assert wrong.status_code == 404
    late = await deliver(client, kept(round_id, ticket, codes[0], *PARK[4:]))
    assert late.json() == {"accepted": False, "receipt": None, "reason": "code-used"}
    stored = await every_value(db)
    assert ticket.partition(".")[0] in stored  # the late report names the tablet ...
    for tracker in trackers:  # ... and nothing anywhere names a ballot
        assert tracker not in stored
    for names in (PARK[:3], PARK[3:], PARK[4:]):
        assert json.dumps([[n] for n in names], ensure_ascii=False).replace(" ", "") not in stored
    if db.bind.dialect.name == "postgresql":
        await db.commit()
        casting = await casting_transactions(db, round_id)
        assert len(casting) == 2
        for table in ("late_ballots", "guess_budgets", "code_guesses", "audit_events"):
            written = {row[0] for row in await db.execute(text(f"SELECT xmin::text FROM {table}"))}
            assert not written & casting, f"{table} was written by a casting transaction"
