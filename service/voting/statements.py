"""The writer's statements on the ballot box, behind one small interface
(:class:`BoxStatements`) with three implementations:

- :class:`CoreStatements`: SQLAlchemy Core on any connection (through an async engine and
  ``run_sync``);
- :class:`SqliteStatements`: the standard library's ``sqlite3`` cursor with fixed SQL texts,
  each list passed as one JSON array read by ``json_each`` — so each statement is prepared
  once and cached by the driver, and a cast alone costs a few tens of microseconds of
  statements instead of several hundred through the ORM's execution layer;
- :class:`AsyncpgStatements`: the same on PostgreSQL, an asyncpg connection with fixed SQL
  texts (prepared once, cached by the driver), each list one array parameter, and the rows
  of each table inserted in one statement (``unnest`` of the arrays).

Both run inside a transaction their caller opened (see :mod:`service.voting.writer`).
Every list parameter is sorted by the caller, so concurrent writers lock rows in one order.

A code marked used loses its slip number and batch in the same statement: the number is a
per-slip identifier, and on the row the cast writes it would tie the ballot's moment (on
PostgreSQL the row's ``xmin``, the envelope's) to whoever got that slip. A claim that no
cast wins (:meth:`BoxStatements.return_codes`) gets them back, as each implementation keeps
what its claims took until its transaction ends.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol

import asyncpg
from sqlalchemy import ColumnElement, Connection, Table, bindparam, insert, select, update
from sqlalchemy.util import await_only

from service.db.models import CastKey, Envelope, Household, Round, VoterCode

ROUNDS: Table = Round.__table__  # type: ignore[assignment]
CODES: Table = VoterCode.__table__  # type: ignore[assignment]
HOUSEHOLDS: Table = Household.__table__  # type: ignore[assignment]
ENVELOPES: Table = Envelope.__table__  # type: ignore[assignment]
CAST_KEYS: Table = CastKey.__table__  # type: ignore[assignment]

Row = dict[str, Any]
Slot = tuple[int | None, int | None]
"""A claimed code's slip number and batch id, kept to give back with the code."""


class BoxStatements(Protocol):
    """What writing a batch of casts asks of the database (lists are sorted)."""

    def phases(self, round_ids: Sequence[int]) -> list[tuple[int, str]]:
        """(round id, phase), read under a shared lock held to the end of the transaction
        (PostgreSQL ``FOR SHARE``; SQLite's write lock is already held)."""
        ...

    def stored_keys(self, key_hashes: Sequence[str]) -> list[tuple[str, str, bytes, bytes]]:
        """(key hash, request digest, envelope nonce, sealed envelope) of the casts stored
        under these keys."""
        ...

    def claim_codes(self, round_id: int, hashes: Sequence[str]) -> list[tuple[str, int | None]]:
        """Mark the round's *issued* codes among ``hashes`` used: (code hash, household)."""
        ...

    def claim_households(self, ids: Sequence[int]) -> list[int]:
        """Mark the households among ``ids`` that have not voted as voted: their ids."""
        ...

    def return_codes(self, round_id: int, hashes: Sequence[str]) -> None:
        """Make the round's codes among ``hashes`` issued again (claims no cast won)."""
        ...

    def return_households(self, ids: Sequence[int]) -> None:
        """Mark the households among ``ids`` as not voted again."""
        ...

    def code_status(self, round_id: int, hashes: Sequence[str]) -> list[tuple[str, str]]:
        """(code hash, status) of the round's codes among ``hashes``."""
        ...

    def store(self, envelopes: Sequence[Row], keys: Sequence[Row]) -> None:
        """Insert the sealed ballots and the idempotency keys."""
        ...

    def mark_channel(self, round_id: int, channel: str, hashes: Sequence[str]) -> None:
        """Say that the round's used codes among ``hashes`` came by ``channel`` (paper or
        phone; a used code with no channel came from a tablet)."""
        ...


def _among(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """``column IN (...)`` over the list given as parameter ``name`` when executing."""
    return column.in_(bindparam(name, expanding=True))


def _claimed(
    rows: list[Any], kept: dict[str, Slot], slots: list[Any] | None = None
) -> list[tuple[str, int | None]]:
    """(code hash, household) of claimed rows, keeping each one's slip number and batch in
    ``kept`` — from ``slots`` (code hash, number, batch) read just before, or from the rows'
    own last two columns."""
    if slots is not None:
        before = {h: (n, b) for h, n, b in slots}
        kept.update((row[0], before.get(row[0], (None, None))) for row in rows)
    else:
        kept.update((row[0], (row[2], row[3])) for row in rows)
    return [(row[0], row[1]) for row in rows]


def _slots_of(hashes: Sequence[str], kept: dict[str, Slot]) -> list[tuple[str, Slot]]:
    """The codes among ``hashes`` with the slip number and batch their claim took."""
    return [(h, kept.get(h, (None, None))) for h in hashes]


_IN_ROUND = CODES.c.round_id + 0 == bindparam("round")
"""``voter_codes.round_id = :round``, written so that no index serves it: the planner would
otherwise scan all the round's codes through the round index rather than look up each code
of a batch through the unique code index."""

PHASES = (
    select(ROUNDS.c.id, ROUNDS.c.phase)
    .where(_among(ROUNDS.c.id, "rounds"))
    .order_by(ROUNDS.c.id)
    .with_for_update(read=True)
)
STORED_KEYS = (
    select(CAST_KEYS.c.key_hash, CAST_KEYS.c.request_digest, ENVELOPES.c.nonce, ENVELOPES.c.sealed)
    .join(
        ENVELOPES,
        (ENVELOPES.c.round_id == CAST_KEYS.c.round_id)
        & (ENVELOPES.c.nonce == CAST_KEYS.c.envelope_nonce),
    )
    .where(_among(CAST_KEYS.c.key_hash, "keys"))
)
CLAIM_CODES = (
    update(CODES)
    .where(_IN_ROUND, CODES.c.status == "issued", _among(CODES.c.code_hash, "codes"))
    .values(status="used", number=None, batch_id=None)
    .returning(CODES.c.code_hash, CODES.c.household_id)
)
SLOTS = select(CODES.c.code_hash, CODES.c.number, CODES.c.batch_id).where(
    _IN_ROUND, CODES.c.status == "issued", _among(CODES.c.code_hash, "codes")
)
"""An issued code's slip number and batch never change until a claim takes them, so they
can be read just before it."""
CLAIM_HOUSEHOLDS = (
    update(HOUSEHOLDS)
    .where(HOUSEHOLDS.c.voted.is_(False), _among(HOUSEHOLDS.c.id, "households"))
    .values(voted=True)
    .returning(HOUSEHOLDS.c.id)
)
RETURN_CODES = (
    update(CODES)
    .where(_IN_ROUND, CODES.c.code_hash == bindparam("code"))
    .values(status="issued", number=bindparam("slip"), batch_id=bindparam("batch"))
)
RETURN_HOUSEHOLDS = (
    update(HOUSEHOLDS).where(_among(HOUSEHOLDS.c.id, "households")).values(voted=False)
)
CODE_STATUS = select(CODES.c.code_hash, CODES.c.status).where(
    _IN_ROUND, _among(CODES.c.code_hash, "codes")
)
STORE_ENVELOPES = insert(ENVELOPES)
STORE_KEYS = insert(CAST_KEYS)
MARK_CHANNEL = (
    update(CODES)
    .where(_IN_ROUND, CODES.c.status == "used", _among(CODES.c.code_hash, "codes"))
    .values(channel=bindparam("channel"))
)


class CoreStatements:
    """:class:`BoxStatements` through SQLAlchemy Core (the statements are built once)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._slots: dict[str, Slot] = {}

    def _rows(self, statement: Any, params: Row) -> list[Any]:
        return [tuple(row) for row in self._conn.execute(statement, params)]

    def phases(self, round_ids: Sequence[int]) -> list[tuple[int, str]]:
        return self._rows(PHASES, {"rounds": list(round_ids)})

    def stored_keys(self, key_hashes: Sequence[str]) -> list[tuple[str, str, bytes, bytes]]:
        return self._rows(STORED_KEYS, {"keys": list(key_hashes)})

    def claim_codes(self, round_id: int, hashes: Sequence[str]) -> list[tuple[str, int | None]]:
        params = {"round": round_id, "codes": list(hashes)}
        slots = self._rows(SLOTS, params)
        return _claimed(self._rows(CLAIM_CODES, params), self._slots, slots)

    def claim_households(self, ids: Sequence[int]) -> list[int]:
        return [row[0] for row in self._rows(CLAIM_HOUSEHOLDS, {"households": list(ids)})]

    def return_codes(self, round_id: int, hashes: Sequence[str]) -> None:
        rows = [
            {"round": round_id, "code": h, "slip": slip, "batch": batch}
            for h, (slip, batch) in _slots_of(hashes, self._slots)
        ]
        self._conn.execute(RETURN_CODES, rows)

    def return_households(self, ids: Sequence[int]) -> None:
        self._conn.execute(RETURN_HOUSEHOLDS, {"households": list(ids)})

    def code_status(self, round_id: int, hashes: Sequence[str]) -> list[tuple[str, str]]:
        return self._rows(CODE_STATUS, {"round": round_id, "codes": list(hashes)})

    def store(self, envelopes: Sequence[Row], keys: Sequence[Row]) -> None:
        self._conn.execute(STORE_ENVELOPES, list(envelopes))
        self._conn.execute(STORE_KEYS, list(keys))

    def mark_channel(self, round_id: int, channel: str, hashes: Sequence[str]) -> None:
        params = {"round": round_id, "channel": channel, "codes": list(hashes)}
        self._conn.execute(MARK_CHANNEL, params)


_LIST = "(SELECT value FROM json_each(?))"
"""One parameter holding a JSON array, read as a list of values."""


class SqliteStatements:
    """:class:`BoxStatements` on a ``sqlite3`` cursor, inside ``BEGIN IMMEDIATE``."""

    PHASES = f"SELECT id, phase FROM rounds WHERE id IN {_LIST} ORDER BY id"
    STORED_KEYS = (
        "SELECT k.key_hash, k.request_digest, e.nonce, e.sealed FROM cast_keys k "
        "JOIN envelopes e ON e.round_id = k.round_id AND e.nonce = k.envelope_nonce "
        f"WHERE k.key_hash IN {_LIST}"
    )
    CLAIM_CODES = (
        "UPDATE voter_codes SET status = 'used', number = NULL, batch_id = NULL "
        "WHERE round_id + 0 = ? AND status = 'issued' "
        f"AND code_hash IN {_LIST} RETURNING code_hash, household_id"
    )
    SLOTS = (
        "SELECT code_hash, number, batch_id FROM voter_codes WHERE round_id + 0 = ? "
        f"AND status = 'issued' AND code_hash IN {_LIST}"
    )
    CLAIM_HOUSEHOLDS = (
        f"UPDATE households SET voted = 1 WHERE voted = 0 AND id IN {_LIST} RETURNING id"
    )
    RETURN_CODES = (
        "UPDATE voter_codes SET status = 'issued', number = ?, batch_id = ? "
        "WHERE round_id + 0 = ? AND code_hash = ?"
    )
    RETURN_HOUSEHOLDS = f"UPDATE households SET voted = 0 WHERE id IN {_LIST}"
    CODE_STATUS = (
        f"SELECT code_hash, status FROM voter_codes WHERE round_id + 0 = ? AND code_hash IN {_LIST}"
    )
    STORE_ENVELOPES = (
        "INSERT INTO envelopes (round_id, nonce, sealed) VALUES (:round_id, :nonce, :sealed)"
    )
    STORE_KEYS = (
        "INSERT INTO cast_keys (key_hash, request_digest, envelope_nonce, round_id) "
        "VALUES (:key_hash, :request_digest, :envelope_nonce, :round_id)"
    )
    MARK_CHANNEL = (
        "UPDATE voter_codes SET channel = ? WHERE round_id + 0 = ? AND status = 'used' "
        f"AND code_hash IN {_LIST}"
    )

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor
        self._slots: dict[str, Slot] = {}

    def _rows(self, sql: str, *params: Any) -> list[Any]:
        return self._cursor.execute(sql, params).fetchall()

    def phases(self, round_ids: Sequence[int]) -> list[tuple[int, str]]:
        return self._rows(self.PHASES, json.dumps(list(round_ids)))

    def stored_keys(self, key_hashes: Sequence[str]) -> list[tuple[str, str, bytes, bytes]]:
        return self._rows(self.STORED_KEYS, json.dumps(list(key_hashes)))

    def claim_codes(self, round_id: int, hashes: Sequence[str]) -> list[tuple[str, int | None]]:
        listed = json.dumps(list(hashes))
        slots = self._rows(self.SLOTS, round_id, listed)  # the write lock is held
        rows = self._rows(self.CLAIM_CODES, round_id, listed)
        return _claimed(rows, self._slots, slots)

    def claim_households(self, ids: Sequence[int]) -> list[int]:
        return [row[0] for row in self._rows(self.CLAIM_HOUSEHOLDS, json.dumps(list(ids)))]

    def return_codes(self, round_id: int, hashes: Sequence[str]) -> None:
        self._cursor.executemany(
            self.RETURN_CODES,
            [(slip, batch, round_id, h) for h, (slip, batch) in _slots_of(hashes, self._slots)],
        )

    def return_households(self, ids: Sequence[int]) -> None:
        self._cursor.execute(self.RETURN_HOUSEHOLDS, (json.dumps(list(ids)),))

    def code_status(self, round_id: int, hashes: Sequence[str]) -> list[tuple[str, str]]:
        return self._rows(self.CODE_STATUS, round_id, json.dumps(list(hashes)))

    def store(self, envelopes: Sequence[Row], keys: Sequence[Row]) -> None:
        self._cursor.executemany(self.STORE_ENVELOPES, envelopes)
        self._cursor.executemany(self.STORE_KEYS, keys)

    def mark_channel(self, round_id: int, channel: str, hashes: Sequence[str]) -> None:
        self._cursor.execute(self.MARK_CHANNEL, (channel, round_id, json.dumps(list(hashes))))


class AsyncpgStatements:
    """:class:`BoxStatements` on an asyncpg connection inside a transaction, called from a
    greenlet (each statement awaited with ``await_only``)."""

    PHASES = "SELECT id, phase FROM rounds WHERE id = ANY($1::integer[]) ORDER BY id FOR SHARE"
    STORED_KEYS = (
        "SELECT k.key_hash, k.request_digest, e.nonce, e.sealed FROM cast_keys k "
        "JOIN envelopes e ON e.round_id = k.round_id AND e.nonce = k.envelope_nonce "
        "WHERE k.key_hash = ANY($1::varchar[])"
    )
    CLAIM_CODES = (
        "UPDATE voter_codes v SET status = 'used', number = NULL, batch_id = NULL "
        "FROM voter_codes o WHERE o.id = v.id AND v.round_id + 0 = $1 "
        "AND v.status = 'issued' AND v.code_hash = ANY($2::varchar[]) "
        "RETURNING v.code_hash, v.household_id, o.number, o.batch_id"
    )
    CLAIM_HOUSEHOLDS = (
        "UPDATE households SET voted = true WHERE voted = false AND id = ANY($1::integer[]) "
        "RETURNING id"
    )
    RETURN_CODES = (
        "UPDATE voter_codes SET status = 'issued', number = r.number, batch_id = r.batch "
        "FROM unnest($2::varchar[], $3::integer[], $4::integer[]) AS r(hash, number, batch) "
        "WHERE round_id + 0 = $1 AND code_hash = r.hash"
    )
    RETURN_HOUSEHOLDS = "UPDATE households SET voted = false WHERE id = ANY($1::integer[])"
    CODE_STATUS = (
        "SELECT code_hash, status FROM voter_codes WHERE round_id + 0 = $1 "
        "AND code_hash = ANY($2::varchar[])"
    )
    STORE_ENVELOPES = (
        "INSERT INTO envelopes (round_id, nonce, sealed) "
        "SELECT * FROM unnest($1::integer[], $2::bytea[], $3::bytea[])"
    )
    STORE_KEYS = (
        "INSERT INTO cast_keys (key_hash, request_digest, envelope_nonce, round_id) "
        "SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::bytea[], $4::integer[])"
    )
    MARK_CHANNEL = (
        "UPDATE voter_codes SET channel = $2 WHERE round_id + 0 = $1 AND status = 'used' "
        "AND code_hash = ANY($3::varchar[])"
    )

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection
        self._slots: dict[str, Slot] = {}

    def _rows(self, sql: str, *params: Any) -> list[Any]:
        return [tuple(row) for row in await_only(self._connection.fetch(sql, *params))]

    def _execute(self, sql: str, *params: Any) -> None:
        await_only(self._connection.execute(sql, *params))

    def phases(self, round_ids: Sequence[int]) -> list[tuple[int, str]]:
        return self._rows(self.PHASES, list(round_ids))

    def stored_keys(self, key_hashes: Sequence[str]) -> list[tuple[str, str, bytes, bytes]]:
        return self._rows(self.STORED_KEYS, list(key_hashes))

    def claim_codes(self, round_id: int, hashes: Sequence[str]) -> list[tuple[str, int | None]]:
        return _claimed(self._rows(self.CLAIM_CODES, round_id, list(hashes)), self._slots)

    def claim_households(self, ids: Sequence[int]) -> list[int]:
        return [row[0] for row in self._rows(self.CLAIM_HOUSEHOLDS, list(ids))]

    def return_codes(self, round_id: int, hashes: Sequence[str]) -> None:
        slots = _slots_of(hashes, self._slots)
        self._execute(
            self.RETURN_CODES,
            round_id,
            [h for h, _ in slots],
            [slip for _, (slip, _) in slots],
            [batch for _, (_, batch) in slots],
        )

    def return_households(self, ids: Sequence[int]) -> None:
        self._execute(self.RETURN_HOUSEHOLDS, list(ids))

    def code_status(self, round_id: int, hashes: Sequence[str]) -> list[tuple[str, str]]:
        return self._rows(self.CODE_STATUS, round_id, list(hashes))

    def store(self, envelopes: Sequence[Row], keys: Sequence[Row]) -> None:
        if envelopes:
            self._execute(
                self.STORE_ENVELOPES,
                [row["round_id"] for row in envelopes],
                [row["nonce"] for row in envelopes],
                [row["sealed"] for row in envelopes],
            )
        if keys:
            self._execute(
                self.STORE_KEYS,
                [row["key_hash"] for row in keys],
                [row["request_digest"] for row in keys],
                [row["envelope_nonce"] for row in keys],
                [row["round_id"] for row in keys],
            )

    def mark_channel(self, round_id: int, channel: str, hashes: Sequence[str]) -> None:
        self._execute(self.MARK_CHANNEL, round_id, channel, list(hashes))
