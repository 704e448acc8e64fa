"""Errors nobody planned for keep the documented shape: a database that went away is a 503
the client may retry, anything else a logged 500 without a traceback."""

from __future__ import annotations

import asyncpg
import pytest
from litestar import Litestar, get
from litestar.testing import TestClient
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError

from service.auth.guard import roles
from service.errors import EXCEPTION_HANDLERS, ErrorBody, database_away, database_trouble


class _Adapter(Exception):
    """Stands in for SQLAlchemy's asyncpg adapter error, whose cause is asyncpg's own."""

    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class _Locked(Exception):
    """Stands in for SQLite's error when its lock timeout runs out."""

    sqlite_errorcode = 5  # SQLITE_BUSY


def _wrapped(cause: BaseException | None, sqlstate: str | None = None) -> DBAPIError:
    orig = _Adapter("driver error", sqlstate)
    orig.__cause__ = cause
    return DBAPIError("SELECT 1", None, orig)


def _operational(sqlstate: str | None) -> OperationalError:
    return OperationalError("SELECT 1", None, _Adapter("operational", sqlstate))


@pytest.mark.parametrize(
    ("exc", "away"),
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError(), True),
        (InterfaceError("SELECT 1", None, _Adapter("connection is closed")), True),
        (_wrapped(asyncpg.exceptions.CannotConnectNowError("shutting down")), True),
        (_wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("gone")), True),
        (_operational(None), True),  # e.g. SQLite's "database is locked"
        (_operational("40P01"), False),  # a deadlock: the database is there, retry the work
        (_operational("40001"), False),  # a serialization failure: likewise
        (_wrapped(ValueError("bad value")), False),
        (ValueError("a bug"), False),
    ],
)
def test_database_away(exc: BaseException, away: bool) -> None:
    assert database_away(exc) is away


@pytest.mark.parametrize(
    ("exc", "trouble"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "away"),
        (_wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("gone")), "away"),
        (_operational(None), "away"),
        (_operational("40P01"), "busy"),  # a deadlock
        (_operational("40001"), "busy"),  # a serialization failure
        (_operational("55P03"), "busy"),  # a lock timeout
        (OperationalError("SELECT 1", None, _Locked("database is locked")), "busy"),
        (_wrapped(None, "40P01"), "busy"),
        (_wrapped(OverflowError("int too big")), "value"),
        (_wrapped(None, "22021"), "value"),  # a NUL in text
        (DataError("SELECT 1", None, _Adapter("out of range")), "value"),
        (IntegrityError("INSERT", None, _Adapter("unique")), "clash"),
        (_wrapped(ValueError("bad value")), None),
        (ValueError("a bug"), None),
    ],
)
def test_database_trouble(exc: BaseException, trouble: str | None) -> None:
    assert database_trouble(exc) == trouble
    assert database_away(exc) is (trouble == "away")


def _app(exc: Exception) -> Litestar:
    @get("/boom", opt=roles("public"), sync_to_thread=False)
    def boom() -> None:
        raise exc

    return Litestar([boom], exception_handlers=EXCEPTION_HANDLERS)


def test_an_unreachable_database_is_a_503_in_both_languages() -> None:
    refused = _wrapped(asyncpg.exceptions.CannotConnectNowError("the database is starting up"))
    with TestClient(_app(refused)) as client:
        response = client.get("/boom")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    body = response.json()
    assert body["code"] == "unavailable"
    assert body["message"] == body["message_zh"] == "数据库暂时无法连接，请稍后用同一提交编号重试"
    assert set(body) == set(ErrorBody.__struct_fields__)


def test_a_deadlock_is_a_409_to_send_again() -> None:
    with TestClient(_app(_operational("40P01"))) as client:
        response = client.get("/boom")
    assert response.status_code == 409
    assert response.headers["retry-after"] == "2"
    assert response.json()["code"] == "database-busy"


def test_a_bug_is_a_500_in_the_error_shape_without_a_traceback() -> None:
    with TestClient(_app(KeyError("secret internals"))) as client:
        response = client.get("/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal-error"
    assert body["message"] == "something went wrong on the server"
    assert "secret internals" not in response.text
    assert set(body) == set(ErrorBody.__struct_fields__)


@pytest.mark.parametrize("round_id", ["0", "2147483648", "9223372036854775808", "99" * 20])
@pytest.mark.parametrize("path", ["/api/v1/rounds/{}", "/api/v1/rounds/{}/receipts/ABCD"])
async def test_an_id_no_row_can_have_is_not_found(client, staff, path: str, round_id: str) -> None:
    """Ids beyond what the database can store are refused before reaching it (they once
    crashed the SQLite driver and would not bind on PostgreSQL)."""
    response = await client.get(path.format(round_id), headers=staff["admin"])
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not-found"
    assert set(body) == set(ErrorBody.__struct_fields__)
