"""The Alembic migrations build exactly the schema the models describe, on every database."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import struct
from contextlib import closing
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.digest import canonical_ballot
from ballots.marks import ballot_of
from engine.process import RoundPhase
from service.db.base import Base
from service.db.migrate import alembic_config, upgrade
from service.db.models import Round
from service.db.session import create_engine, sessionmaker
from service.results import ballot_box
from service.rounds.settings import BallotSettings, RoundOptions, SlateOption, ballot_rules
from tests.support.databases import fresh_database

NOW = "'2026-11-26 10:00:00'"
PARK_PROCESS = (
    f"INSERT INTO communities (id, name, created_at) VALUES (1, '杜集社区', {NOW})",
    "INSERT INTO processes (id, community_id, title, question, phase, created_at) "
    f"VALUES (1, 1, '口袋公园', '', 'deliberating', {NOW})",
)
"""The rows a round of an older schema belongs to: a community and its process."""


async def after_downgrade(url: str, revision: str, query: str) -> list[tuple[Any, ...]]:
    """The rows ``query`` reads once the database at ``url`` is taken back to ``revision``."""
    await asyncio.to_thread(command.downgrade, alembic_config(url), revision)
    engine = create_engine(url)
    async with engine.connect() as conn:
        rows = (await conn.execute(text(query))).all()
    await engine.dispose()
    return [tuple(r) for r in rows]


async def test_migrated_schema_matches_the_models(db: AsyncSession):
    def diff(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    connection = await db.connection()
    differences = await connection.run_sync(diff)
    assert differences == []


LEGACY = {
    # round 1 was counted, round 2 was still voting when the database was upgraded
    1: [
        ("ZZZZ0000AAAA1111", (0, 1, -1)),
        ("0000AAAA1111BBBB", (1, 0, 2)),
        ("MMMM2222CCCC3333", (2, -1, 0)),
    ],
    2: [("QQQQ4444DDDD5555", (-1, 0, -1)), ("AAAA6666EEEE7777", (0, -1, -1))],
}
SLATE = ["文化墙", "健身器材", "遮阳座椅"]


def legacy_rows() -> list[dict[str, object]]:
    rows = []
    for round_id, ballots in LEGACY.items():
        for tracker, marks in ballots:
            ballot = ballot_of(struct.pack("<3h", *marks), "ranked", SLATE)
            rows.append(
                {
                    "round_id": round_id,
                    "tracker": tracker,
                    "marks": struct.pack("<3h", *marks),
                    "content": canonical_ballot(ballot).decode(),
                }
            )
    return rows


async def test_counted_ballots_move_into_the_box_and_back(backend, request, tmp_path):
    """Upgrading a database of the previous revision moves every stored ballot into the
    counted box's parts, in tracker order (a voting round's too); downgrading gives back the
    same rows."""
    url = fresh_database(backend, request, tmp_path)
    upgrade(url, "0002")
    engine = create_engine(url)
    slate = json.dumps([{"proposal_id": i + 1, "name": n} for i, n in enumerate(SLATE)])
    async with engine.begin() as conn:
        for statement in PARK_PROCESS:
            await conn.execute(text(statement))
        for rid, phase in ((1, "closed"), (2, "voting")):
            await conn.execute(
                text(
                    "INSERT INTO rounds (id, process_id, number, title, phase, ballot_kind, "
                    "method, options, rules, prompts, household_roll, slate, created_at) VALUES "
                    f"({rid}, 1, {rid}, '', '{phase}', 'ranked', 'irv', '{{}}', '{{}}', '[]', "
                    f"false, :slate, {NOW})"
                ),
                {"slate": slate},
            )
        await conn.execute(
            text(
                "INSERT INTO ballots (round_id, tracker, marks, content) "
                "VALUES (:round_id, :tracker, :marks, :content)"
            ),
            legacy_rows(),
        )
    await engine.dispose()

    upgrade(url)
    engine = create_engine(url)
    async with sessionmaker(engine)() as db:
        for round_id, ballots in LEGACY.items():
            counted = await ballot_box.read_all(db, round_id)
            assert counted == sorted((t, struct.pack("<3h", *m)) for t, m in ballots)
    await engine.dispose()

    back = await after_downgrade(
        url, "0002", "SELECT round_id, tracker, marks, content FROM ballots"
    )
    expected = sorted(
        (r["round_id"], r["tracker"], r["marks"], r["content"]) for r in legacy_rows()
    )
    assert sorted((r, t, bytes(m), c) for r, t, m, c in back) == expected


@pytest.mark.backends("sqlite")
async def test_upgrading_scrubs_what_an_older_version_left_in_free_pages(backend, tmp_path):
    """An older version deleted a closed round's idempotency records — each with its
    tracker and a digest anyone holding the printed codes could recompute — without zeroing
    them (SQLite's own default): upgrading rewrites the file, so none survive in free pages."""
    path = tmp_path / "old.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0002")
    trackers = [f"OLDTRACKER{n:06d}" for n in range(300)]
    digests = [hashlib.sha256(f"CODE{n:06d}\n{{}}".encode()).hexdigest() for n in range(300)]
    with closing(sqlite3.connect(path, isolation_level=None)) as old:
        old.execute("PRAGMA secure_delete = OFF")
        old.execute(f"INSERT INTO communities (id, name, created_at) VALUES (1, 'c', {NOW})")
        old.execute(
            "INSERT INTO processes (id, community_id, title, question, phase, created_at) "
            f"VALUES (1, 1, 't', '', 'deliberating', {NOW})"
        )
        old.execute(
            "INSERT INTO rounds (id, process_id, number, title, phase, ballot_kind, method, "
            "options, rules, prompts, household_roll, created_at) VALUES "
            f"(1, 1, 1, '', 'closed', 'ranked', 'irv', '{{}}', '{{}}', '[]', 0, {NOW})"
        )
        old.executemany(
            "INSERT INTO cast_keys (key_hash, request_digest, tracker, round_id) "
            "VALUES (?, ?, ?, 1)",
            [(f"{n:064d}", d, t) for n, (d, t) in enumerate(zip(digests, trackers, strict=True))],
        )
        old.execute("DELETE FROM cast_keys")  # the older close
        old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    left = path.read_bytes()
    assert sum(t.encode() in left for t in trackers) > 100  # the residue is there to find

    upgrade(url)
    wal = path.with_name(path.name + "-wal")
    data = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert not [t for t in trackers if t.encode() in data]
    assert not [d for d in digests if d.encode() in data]


async def test_rounds_counted_before_sealed_receipts_keep_their_open_receipts(
    backend, request, tmp_path
):
    """Upgrading to revision 0006: a round counted before it published each ballot beside its
    tracker (and hashed those pairs), so it keeps open receipts — its lookups and lists stay
    as published; a round not yet counted gets sealed receipts. Downgrading drops the
    columns again."""
    url = fresh_database(backend, request, tmp_path)
    upgrade(url, "0005")
    engine = create_engine(url)
    slate = json.dumps([{"proposal_id": i + 1, "name": n} for i, n in enumerate(SLATE)])
    counted = LEGACY[1]
    async with engine.begin() as conn:
        for statement in PARK_PROCESS:
            await conn.execute(text(statement))
        for rid, phase in ((1, "published"), (2, "voting")):
            await conn.execute(
                text(
                    "INSERT INTO rounds (id, process_id, number, title, phase, ballot_kind, "
                    "method, options, rules, prompts, household_roll, slate, created_at) VALUES "
                    f"({rid}, 1, {rid}, '', '{phase}', 'ranked', 'irv', '{{}}', '{{}}', '[]', "
                    f"false, :slate, {NOW})"
                ),
                {"slate": slate},
            )
        await conn.execute(
            text(
                "INSERT INTO round_results (round_id, result, ballot_box_digest, ballots, "
                f"codes_issued, counted_at) VALUES (1, :result, :digest, 3, 3, {NOW})"
            ),
            {"result": b"{}", "digest": "0" * 64},
        )
        rows = sorted((t, struct.pack("<3h", *m)) for t, m in counted)
        await conn.execute(
            text(
                "INSERT INTO box_parts (round_id, first_tracker, count, trackers, marks) "
                "VALUES (1, :first, 3, :trackers, :marks)"
            ),
            {
                "first": rows[0][0],
                "trackers": b"".join(t.encode() for t, _ in rows),
                "marks": b"".join(m for _, m in rows),
            },
        )
    await engine.dispose()

    upgrade(url)
    engine = create_engine(url)
    async with sessionmaker(engine)() as db:
        opened = {
            rid: flag
            for rid, flag in (await db.execute(text("SELECT id, open_receipts FROM rounds"))).all()
        }
        assert opened == {1: True, 2: False}
        digests = (
            await db.execute(text("SELECT trackers_digest, contents_digest FROM round_results"))
        ).all()
        assert [tuple(d) for d in digests] == [(None, None)]
        round_row = await db.get(Round, 1)
        tracker, marks = counted[0]
        found = await ballot_box.look_up(db, round_row, tracker)
        assert found is not None
        assert found.ballot == ballot_of(struct.pack("<3h", *marks), "ranked", SLATE)
    await engine.dispose()

    back = await after_downgrade(url, "0005", "SELECT id, phase FROM rounds ORDER BY id")
    assert [tuple(r) for r in back] == [(1, "published"), (2, "voting")]


async def test_round_cancellation_columns_come_and_go(backend, request, tmp_path):
    """Revision 0007 adds when and why a round was cancelled to the rounds of a database in
    use (existing rounds were not cancelled); going back, a cancelled round becomes a
    scheduled one again, every other round unchanged."""
    url = fresh_database(backend, request, tmp_path)
    upgrade(url, "0006")
    engine = create_engine(url)
    async with engine.begin() as conn:
        for statement in (
            f"INSERT INTO communities (id, name, created_at) VALUES (1, '杜集社区', {NOW})",
            "INSERT INTO processes (id, community_id, title, question, phase, created_at) "
            f"VALUES (1, 1, '口袋公园', '', 'deliberating', {NOW})",
            "INSERT INTO rounds (id, process_id, number, title, phase, ballot_kind, method, "
            "options, rules, prompts, household_roll, created_at) VALUES "
            f"(1, 1, 1, '设施排序', 'commenting', 'ranked', 'irv', '{{}}', '{{}}', '[]', false, "
            f"{NOW})",
        ):
            await conn.execute(text(statement))
    await engine.dispose()

    upgrade(url)
    engine = create_engine(url)
    async with engine.begin() as conn:
        row = (
            await conn.execute(text("SELECT phase, cancelled_at, cancel_reason FROM rounds"))
        ).one()
        assert tuple(row) == ("commenting", None, None)
        await conn.execute(
            text(
                "UPDATE rounds SET phase = 'cancelled', cancelled_at = "
                f"{NOW}, cancel_reason = '建错了'"
            )
        )
    await engine.dispose()

    back = await after_downgrade(url, "0006", "SELECT id, title, phase FROM rounds")
    assert [tuple(r) for r in back] == [(1, "设施排序", "scheduled")]


async def test_round_settings_written_by_the_previous_schema_read_back_typed(
    backend, request, tmp_path
):
    """Revision 0009 rewrites a round's options, rules and slate as their Structs read them
    (the method's own options under ``own``, every default written out); going back gives
    the flat shape the older version wrote."""
    url = fresh_database(backend, request, tmp_path)
    upgrade(url, "0008")
    engine = create_engine(url)
    older = {
        1: ("ranked", "schulze", {"seats": 2, "tie_policy": "refuse", "strength": "margin"}),
        2: ("score", "score", {"seats": 1, "tie_policy": "lot"}),
        3: ("budget", "equal-shares", {"seats": 1, "tie_policy": "lot", "budget": 150000}),
    }
    rules = {
        1: {"allow_ties": True, "allow_truncation": True, "max_approvals": None, "max_score": None},
        2: {"allow_ties": False, "allow_truncation": False, "max_approvals": None, "max_score": 7},
        3: {"allow_ties": False, "allow_truncation": True, "max_approvals": 2, "max_score": None},
    }
    slate = [{"proposal_id": i + 1, "name": n} for i, n in enumerate(SLATE)]
    async with engine.begin() as conn:
        for statement in PARK_PROCESS:
            await conn.execute(text(statement))
        for rid, (kind, method, options) in older.items():
            await conn.execute(
                text(
                    "INSERT INTO rounds (id, process_id, number, title, phase, ballot_kind, "
                    "method, options, rules, prompts, household_roll, slate, created_at) VALUES "
                    f"({rid}, 1, {rid}, '', 'voting', '{kind}', '{method}', :options, :rules, "
                    f"'[]', false, :slate, {NOW})"
                ),
                {
                    "options": json.dumps(options),
                    "rules": json.dumps(rules[rid]),
                    "slate": json.dumps(slate) if rid != 2 else None,
                },
            )
    await engine.dispose()

    upgrade(url)
    engine = create_engine(url)
    async with sessionmaker(engine)() as db:
        ranked, score, budget = [await db.get(Round, rid) for rid in older]
        assert ranked.phase is RoundPhase.VOTING
        assert ranked.options == RoundOptions(
            seats=2, tie_policy="refuse", own={"strength": "margin"}
        )
        assert ranked.rules == BallotSettings(allow_ties=True)
        assert ranked.slate == [SlateOption(proposal_id=i + 1, name=n) for i, n in enumerate(SLATE)]
        assert score.options == RoundOptions()
        assert score.rules == BallotSettings(allow_truncation=False, max_score=7)
        assert score.slate is None
        assert budget.options == RoundOptions(budget=150000)
        assert budget.rules == BallotSettings(max_approvals=2)
        assert ballot_rules(budget).budget == 150000.0  # yuan
        assert ballot_rules(ranked).max_score == 5
    await engine.dispose()

    back = await after_downgrade(
        url, "0008", "SELECT id, CAST(options AS TEXT), CAST(rules AS TEXT) FROM rounds ORDER BY id"
    )
    for rid, options, stored_rules in back:
        assert json.loads(options) == older[rid][2]
        assert json.loads(stored_rules) == rules[rid]
