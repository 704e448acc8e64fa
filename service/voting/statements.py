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


def _among(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """``column IN (...)`` over the list given as parameter ``name`` when executing."""
    return column.in_(bindparam(name, expanding=True))


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
    .values(status="used")
    .returning(CODES.c.code_hash, CODES.c.household_id)
)
CLAIM_HOUSEHOLDS = (
    update(HOUSEHOLDS)
    .where(HOUSEHOLDS.c.voted.is_(False), _among(HOUSEHOLDS.c.id, "households"))
    .values(voted=True)
    .returning(HOUSEHOLDS.c.id)
)
RETURN_CODES = (
    update(CODES).where(_IN_ROUND, _among(CODES.c.code_hash, "codes")).values(status="issued")
)
RETURN_HOUSEHOLDS = (
    update(HOUSEHOLDS).where(_among(HOUSEHOLDS.c.id, "households")).values(voted=False)
)
CODE_STATUS = select(CODES.c.code_hash, CODES.c.status).where(
    _IN_ROUND, _among(CODES.c.code_hash, "codes")
)
STORE_ENVELOPES = insert(ENVELOPES)
STORE_KEYS = insert(CAST_KEYS)


class CoreStatements:
    """:class:`BoxStatements` through SQLAlchemy Core (the statements are built once)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _rows(self, statement: Any, params: Row) -> list[Any]:
        return [tuple(row) for row in self._conn.execute(statement, params)]

    def phases(self, round_ids: Sequence[int]) -> list[tuple[int, str]]:
        return self._rows(PHASES, {"rounds": list(round_ids)})

    def stored_keys(self, key_hashes: Sequence[str]) -> list[tuple[str, str, bytes, bytes]]:
        return self._rows(STORED_KEYS, {"keys": list(key_hashes)})

    def claim_codes(self, round_id: int, hashes: Sequence[str]) -> list[tuple[str, int | None]]:
        return self._rows(CLAIM_CODES, {"round": round_id, "codes": list(hashes)})

    def claim_households(self, ids: Sequence[int]) -> list[int]:
        return [row[0] for row in self._rows(CLAIM_HOUSEHOLDS, {"households": list(ids)})]

    def return_codes(self, round_id: int, hashes: Sequence[str]) -> None:
        self._conn.execute(RETURN_CODES, {"round": round_id, "codes": list(hashes)})

    def return_households(self, ids: Sequence[int]) -> None:
        self._conn.execute(RETURN_HOUSEHOLDS, {"households": list(ids)})

    def code_status(self, round_id: int, hashes: Sequence[str]) -> list[tuple[str, str]]:
        return self._rows(CODE_STATUS, {"round": round_id, "codes": list(hashes)})

    def store(self, envelopes: Sequence[Row], keys: Sequence[Row]) -> None:
        self._conn.execute(STORE_ENVELOPES, list(envelopes))
        self._conn.execute(STORE_KEYS, list(keys))


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
        "UPDATE voter_codes SET status = 'used' WHERE round_id + 0 = ? AND status = 'issued' "
        f"AND code_hash IN {_LIST} RETURNING code_hash, household_id"
    )
    CLAIM_HOUSEHOLDS = (
        f"UPDATE households SET voted = 1 WHERE voted = 0 AND id IN {_LIST} RETURNING id"
    )
    RETURN_CODES = (
        f"UPDATE voter_codes SET status = 'issued' WHERE round_id + 0 = ? AND code_hash IN {_LIST}"
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

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def _rows(self, sql: str, *params: Any) -> list[Any]:
        return self._cursor.execute(sql, params).fetchall()

    def phases(self, round_ids: Sequence[int]) -> list[tuple[int, str]]:
        return self._rows(self.PHASES, json.dumps(list(round_ids)))

    def stored_keys(self, key_hashes: Sequence[str]) -> list[tuple[str, str, bytes, bytes]]:
        return self._rows(self.STORED_KEYS, json.dumps(list(key_hashes)))

    def claim_codes(self, round_id: int, hashes: Sequence[str]) -> list[tuple[str, int | None]]:
        return self._rows(self.CLAIM_CODES, round_id, json.dumps(list(hashes)))

    def claim_households(self, ids: Sequence[int]) -> list[int]:
        return [row[0] for row in self._rows(self.CLAIM_HOUSEHOLDS, json.dumps(list(ids)))]

    def return_codes(self, round_id: int, hashes: Sequence[str]) -> None:
        self._cursor.execute(self.RETURN_CODES, (round_id, json.dumps(list(hashes))))

    def return_households(self, ids: Sequence[int]) -> None:
        self._cursor.execute(self.RETURN_HOUSEHOLDS, (json.dumps(list(ids)),))

    def code_status(self, round_id: int, hashes: Sequence[str]) -> list[tuple[str, str]]:
        return self._rows(self.CODE_STATUS, round_id, json.dumps(list(hashes)))

    def store(self, envelopes: Sequence[Row], keys: Sequence[Row]) -> None:
        self._cursor.executemany(self.STORE_ENVELOPES, envelopes)
        self._cursor.executemany(self.STORE_KEYS, keys)


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
        "UPDATE voter_codes SET status = 'used' WHERE round_id + 0 = $1 AND status = 'issued' "
        "AND code_hash = ANY($2::varchar[]) RETURNING code_hash, household_id"
    )
    CLAIM_HOUSEHOLDS = (
        "UPDATE households SET voted = true WHERE voted = false AND id = ANY($1::integer[]) "
        "RETURNING id"
    )
    RETURN_CODES = (
        "UPDATE voter_codes SET status = 'issued' WHERE round_id + 0 = $1 "
        "AND code_hash = ANY($2::varchar[])"
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

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    def _rows(self, sql: str, *params: Any) -> list[Any]:
        return [tuple(row) for row in await_only(self._connection.fetch(sql, *params))]

    def _execute(self, sql: str, *params: Any) -> None:
        await_only(self._connection.execute(sql, *params))

    def phases(self, round_ids: Sequence[int]) -> list[tuple[int, str]]:
        return self._rows(self.PHASES, list(round_ids))

    def stored_keys(self, key_hashes: Sequence[str]) -> list[tuple[str, str, bytes, bytes]]:
        return self._rows(self.STORED_KEYS, list(key_hashes))

    def claim_codes(self, round_id: int, hashes: Sequence[str]) -> list[tuple[str, int | None]]:
        return self._rows(self.CLAIM_CODES, round_id, list(hashes))

    def claim_households(self, ids: Sequence[int]) -> list[int]:
        return [row[0] for row in self._rows(self.CLAIM_HOUSEHOLDS, list(ids))]

    def return_codes(self, round_id: int, hashes: Sequence[str]) -> None:
        self._execute(self.RETURN_CODES, round_id, list(hashes))

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
