"""The service's error tree and the one table that maps every domain error to HTTP.

    ServiceError
    ├── NotFound            404  no such thing (or not visible to you)
    ├── NotSignedIn         401  staff endpoint without a valid token
    ├── Forbidden           403  signed in, but the role may not do this
    ├── Conflict            409  the state forbids it now (frozen, used code, wrong phase)
    ├── Invalid             422  well-formed request whose content breaks a rule
    ├── TooLarge            413  an upload is over its size limit (photos)
    ├── Unsupported         415  an upload is not of an accepted kind (photos: JPEG, PNG, WebP)
    ├── TooMany             429  too many attempts; wait
    ├── (IntegrityError)    409  a clash with a change made at the same moment; retry
    ├── Misconfigured       500  the server lacks something it needs (a CJK font for PDFs)
    └── Unavailable         503  the database is away; retry with the same idempotency key

Engine and ballot errors keep their own trees; :data:`DOMAIN_STATUS` maps them. Every error
response has the same shape (:class:`ErrorBody`) with the message in Chinese and English.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)

from ballots.errors import BallotError, FormatError, InvalidBallot
from engine.errors import (
    EngineError,
    KindMismatch,
    OptionError,
    ProfileError,
    TieUnresolved,
    TransitionRefused,
    UnknownMethod,
)
from service.i18n import text
from service.logs import logger
from service.refusals import domain_zh, validation_zh

log = logger(__name__)


class ServiceError(Exception):
    """A refusal with a machine code, an HTTP status and a message in both languages."""

    status = 400
    code = "bad-request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        zh: str | None = None,
        field: str | None = None,
        **detail: Any,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.zh = zh
        self.field = field
        self.detail = detail


class NotFound(ServiceError):
    status, code = 404, "not-found"


class NotSignedIn(ServiceError):
    status, code = 401, "not-signed-in"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class Invalid(ServiceError):
    status, code = 422, "invalid"


class TooLarge(ServiceError):
    status, code = 413, "too-large"


class Unsupported(ServiceError):
    status, code = 415, "unsupported-media-type"


class TooMany(ServiceError):
    status, code = 429, "too-many-attempts"


class Misconfigured(ServiceError):
    status, code = 500, "misconfigured"


class Unavailable(ServiceError):
    status, code = 503, "unavailable"


DOMAIN_STATUS: dict[type[Exception], tuple[int, str]] = {
    TransitionRefused: (409, "transition-refused"),
    TieUnresolved: (409, "tie-unresolved"),
    InvalidBallot: (422, "invalid-ballot"),
    UnknownMethod: (422, "unknown-method"),
    KindMismatch: (422, "kind-mismatch"),
    OptionError: (422, "invalid-option"),
    ProfileError: (422, "invalid-ballots"),
    FormatError: (400, "bad-file"),
    BallotError: (422, "invalid-ballot"),
    EngineError: (422, "cannot-count"),
}
"""Domain error class → (HTTP status, code). The most specific class listed wins."""


class ErrorBody(msgspec.Struct, kw_only=True):
    """The shape of every error response."""

    status: int
    code: str
    message: str
    message_zh: str
    message_en: str
    field: str | None = None
    detail: dict[str, Any] = {}


_AT_PATH = re.compile(r"at `\$\.([^`]+)`")
_MISSING = re.compile(r"missing required field `([^`]+)`")


def _field_of(message: str) -> str | None:
    """The body field a msgspec validation message points at (``$.ballot.ranking[0]``,
    or the missing field's name)."""
    found = _AT_PATH.search(message) or _MISSING.search(message)
    return found.group(1) if found else None


def _language(request: Request[Any, Any, Any]) -> str:
    accept = request.headers.get("accept-language", "")
    return "en" if accept.lower().startswith("en") else "zh"


def _body(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    en: str,
    zh: str | None = None,
    field: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Response[ErrorBody]:
    zh_text = zh or text("zh", f"error.{code}", detail=en)
    if zh_text == f"error.{code}":
        zh_text = en  # no Chinese message for this code: the English one, not nothing
    lang = _language(request)
    body = ErrorBody(
        status=status,
        code=code,
        message=zh_text if lang == "zh" else en,
        message_zh=zh_text,
        message_en=en,
        field=field,
        detail=detail or {},
    )
    wait = (detail or {}).get("retry_after", 2)
    headers = {"Retry-After": str(wait)} if status in (429, 503) else None
    return Response(body, status_code=status, headers=headers)


def status_of(exc: Exception) -> tuple[int, str]:
    """The HTTP status and error code ``exc`` answers with (a bug: 500)."""
    if isinstance(exc, ServiceError):
        return exc.status, exc.code
    for cls in type(exc).__mro__:
        if cls in DOMAIN_STATUS:
            return DOMAIN_STATUS[cls]
    return 500, "internal-error"


def handle_service_error(request: Request[Any, Any, Any], exc: ServiceError) -> Response[ErrorBody]:
    return _body(request, exc.status, exc.code, str(exc), exc.zh, exc.field, exc.detail)


def handle_domain_error(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    status, code = status_of(exc)
    field = getattr(exc, "where", None)
    detail: dict[str, Any] = {}
    if isinstance(exc, InvalidBallot):
        detail = {"problem": exc.problem}
    return _body(request, status, code, str(exc), domain_zh(exc), field=field, detail=detail)


def handle_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    if isinstance(exc, ValidationException):
        extra = exc.extra if isinstance(exc.extra, list) else []
        first = extra[0] if extra and isinstance(extra[0], dict) else {}
        message = first.get("message") or exc.detail
        key = _field_of(str(message)) or first.get("key")
        where = f"{key}: " if key else ""
        said = text("zh", "error.invalid-request", detail=validation_zh(str(message), key))
        return _body(
            request,
            400,
            "invalid-request",
            f"{where}{message}",
            said,
            field=key,
            detail={"errors": extra},
        )
    if isinstance(exc, NotFoundException):
        return _body(request, 404, "not-found", exc.detail or "not found")
    code = {
        400: "invalid-request",
        401: "not-signed-in",
        403: "forbidden",
        405: "method-not-allowed",
        413: "too-large",
        415: "unsupported-media-type",
        429: "too-many-attempts",
    }.get(exc.status_code, "bad-request")
    zh = None
    if code == "invalid-request":  # a body the decoder could not read (malformed JSON)
        zh = text("zh", "error.invalid-request", detail=validation_zh(exc.detail or ""))
    return _body(request, exc.status_code, code, exc.detail or code, zh)


def handle_database_down(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    return _body(
        request, 503, "unavailable", "the database is not reachable right now; try again shortly"
    )


CONCURRENT_CHANGE = (
    "this clashed with another change made at the same moment and was not saved; "
    "reload and try again"
)


def handle_concurrent_change(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[ErrorBody]:
    """A uniqueness or reference clash the checks before it could not see coming (two
    requests racing): 409, nothing saved, worth a retry; logged, as it may hide a bug."""
    log.warning("integrity error on %s %s: %s", request.method, request.url.path, exc)
    return _body(request, 409, "concurrent-change", CONCURRENT_CHANGE)


DATABASE_AWAY: tuple[type[BaseException], ...] = (
    InterfaceError,  # the connection is closed or broken
    OSError,  # connection refused or reset, timeouts
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # the server is shutting down or starting
)
"""Failures that mean the database is away for now, not that the request is wrong."""

RETRY_STATES = frozenset({"40001", "40P01"})
"""PostgreSQL's serialization failure and deadlock: worth a retry, the database is there."""


def database_away(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be reached right now: a connection-level
    error (or one SQLAlchemy wrapped), or an operational error that is not a deadlock or
    serialization failure (SQLite's ``database is locked``, a lost server)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    driver = orig.__cause__ if orig is not None else None  # asyncpg's, under SQLAlchemy's adapter
    if any(isinstance(e, DATABASE_AWAY) for e in (exc, orig, driver)):
        return True
    if isinstance(exc, OperationalError):
        state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        return state not in RETRY_STATES
    return False


def value_refused(exc: BaseException) -> bool:
    """Whether the database (or its driver, binding parameters) refused a value of the
    request: a number too large to bind, or SQLSTATE class 22 ("data exception": out of
    range, NUL in text)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    driver = orig.__cause__ if orig is not None else None
    if any(isinstance(e, OverflowError | asyncpg.DataError) for e in (exc, orig, driver)):
        return True
    state = getattr(orig, "sqlstate", None) or getattr(driver, "sqlstate", None) or ""
    return isinstance(exc, DataError) or str(state).startswith("22")


def handle_unreadable(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    """A body the decoder gives up on before any validation: nested too deeply for it, or
    bytes that are not UTF-8."""
    if isinstance(exc, UnicodeDecodeError):
        return _body(
            request,
            400,
            "invalid-request",
            "the request body is not valid UTF-8",
            "请求内容不是有效的 UTF-8 文字",
        )
    return _body(
        request,
        400,
        "invalid-request",
        "the JSON body is nested too deeply",
        "请求内容的层次太深，无法读取",
    )


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    """Anything else: a database that went away is a 503; a bug is a logged 500, in the same
    shape as every other error (no traceback leaves the server)."""
    if value_refused(exc):
        return _body(
            request,
            422,
            "invalid",
            "a value in the request cannot be stored (a number out of range, or a character "
            "text may not hold)",
            zh="请求中有无法保存的值（数字超出范围，或含有不允许的字符）",
        )
    if database_away(exc):
        return handle_database_down(request, exc)
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return _body(request, 500, "internal-error", "something went wrong on the server")


EXCEPTION_HANDLERS: dict[int | type[Exception], Any] = {
    ServiceError: handle_service_error,
    EngineError: handle_domain_error,
    BallotError: handle_domain_error,
    HTTPException: handle_http_error,
    OperationalError: handle_database_down,
    IntegrityError: handle_concurrent_change,
    InterfaceError: handle_database_down,
    ConnectionError: handle_database_down,
    RecursionError: handle_unreadable,
    UnicodeDecodeError: handle_unreadable,
    Exception: handle_unexpected,
}
