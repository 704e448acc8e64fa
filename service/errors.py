"""The service's error tree, and the one function that turns any error into its answer.

    ServiceError
    ├── NotFound            404  no such thing (or not visible to you)
    ├── NotSignedIn         401  staff endpoint without a valid token
    ├── Forbidden           403  signed in, but the role may not do this
    ├── Conflict            409  the state forbids it now (frozen, used code, wrong phase)
    ├── Invalid             422  well-formed request whose content breaks a rule
    ├── TooLarge            413  an upload is over its size limit (photos)
    ├── Unsupported         415  an upload is not of an accepted kind (photos: JPEG, PNG, WebP)
    ├── TooMany             429  too many attempts; wait
    ├── Misconfigured       500  the server lacks something it needs (a CJK font for PDFs)
    └── Unavailable         503  the database is away; retry with the same idempotency key

A refusal is raised by its key in the catalogue with its parameters
(``raise NotFound("no-round", round_id=7)``): ``[error.no-round]`` in
``service/locale/errors.toml`` holds its HTTP status, its machine code when several refusals
share one, and its words in Chinese and English. Engine and ballot errors keep their own
trees; :data:`DOMAIN_KEYS` names their entries (:mod:`service.domain` holds them and
:class:`Refusal`, for the command line, which does without the web stack). Database
failures are sorted once by :func:`database_trouble`. :func:`refusal_of` turns any of
these into a :class:`Refusal`, the API answers it as an :class:`ErrorBody` and the pages
show its message.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)

from ballots.errors import BallotError
from engine.errors import EngineError
from service.domain import DOMAIN_KEYS as DOMAIN_KEYS
from service.domain import Refusal, domain_refusal
from service.domain import entry as entry
from service.i18n import settled
from service.logs import logger
from service.refusals import validation_zh
from service.sizes import megabytes

log = logger(__name__)


class ServiceError(Exception):
    """A refusal raised by its catalogue key with the parameters of its words; ``str()`` is
    its English message."""

    status: ClassVar[int] = 400
    """The status of every refusal of this class (the catalogue's entries agree)."""

    def __init__(
        self,
        key: str,
        /,
        *,
        field: str | None = None,
        detail: Mapping[str, Any] | None = None,
        **params: object,
    ) -> None:
        self.refusal = Refusal(key, settled(params), field, dict(detail or {}))
        self.code = self.refusal.code
        super().__init__(self.refusal.message("en"))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its refusal (errors of a worker process come back as themselves)."""
        return (_rebuilt, (type(self), self.refusal))

    @property
    def key(self) -> str:
        return self.refusal.key

    @property
    def field(self) -> str | None:
        return self.refusal.field

    @property
    def detail(self) -> Mapping[str, Any]:
        return self.refusal.detail

    @property
    def zh(self) -> str:
        """The message in Chinese."""
        return self.refusal.message("zh")


def _rebuilt(cls: type[ServiceError], refusal: Refusal) -> ServiceError:
    exc = cls.__new__(cls)
    exc.refusal, exc.code = refusal, refusal.code
    Exception.__init__(exc, refusal.message("en"))
    return exc


class NotFound(ServiceError):
    status = 404


class NotSignedIn(ServiceError):
    status = 401


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class Invalid(ServiceError):
    status = 422


class TooLarge(ServiceError):
    status = 413


class Unsupported(ServiceError):
    status = 415


class TooMany(ServiceError):
    status = 429


class Misconfigured(ServiceError):
    status = 500


class Unavailable(ServiceError):
    status = 503


class ErrorBody(msgspec.Struct, kw_only=True):
    """The shape of every error response."""

    status: int
    code: str
    message: str
    message_zh: str
    message_en: str
    field: str | None = None
    detail: dict[str, Any] = {}


# --- the database ----------------------------------------------------------------------

DATABASE_AWAY: Final[tuple[type[BaseException], ...]] = (
    InterfaceError,  # the connection is closed or broken
    OSError,  # connection refused or reset, timeouts
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # the server is shutting down or starting
    asyncpg.InternalClientError,  # a connection an interrupted operation left between states
)
"""Failures that mean the database is away for now, not that the request is wrong."""

RETRY_STATES: Final = frozenset({"40001", "40P01", "55P03"})
"""PostgreSQL's serialization failure, deadlock and lock timeout: the database is there and
the same request is worth sending again."""

SQLITE_BUSY: Final = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
"""SQLite's ``database is locked`` (its lock timeout ran out): worth a retry too."""

Trouble = Literal["away", "busy", "value", "clash"]


def database_trouble(exc: BaseException) -> Trouble | None:
    """What a database error means, or ``None`` if ``exc`` is not one:

    - ``away``: the database cannot be reached (a connection-level error, or one SQLAlchemy
      wrapped; an operational error that is not a retry state) — 503;
    - ``busy``: a deadlock, serialization failure or lock timeout (PostgreSQL's states in
      :data:`RETRY_STATES`, SQLite's ``database is locked``) — 409, send it again;
    - ``value``: a value of the request the database (or its driver) refused: a number too
      large to bind, or SQLSTATE class 22 ("data exception") — 422;
    - ``clash``: a uniqueness or reference clash with a change made at the same moment — 409.
    """
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    driver = orig.__cause__ if orig is not None else None  # asyncpg's, under SQLAlchemy's adapter
    chain = (exc, orig, driver)
    if any(isinstance(e, OverflowError | asyncpg.DataError) for e in chain):
        return "value"
    state = str(
        getattr(orig, "sqlstate", None)
        or getattr(orig, "pgcode", None)
        or getattr(driver, "sqlstate", None)
        or ""
    )
    if isinstance(exc, DataError) or state.startswith("22"):
        return "value"
    if any(isinstance(e, DATABASE_AWAY) for e in chain):
        return "away"
    if isinstance(exc, IntegrityError):
        return "clash"
    if isinstance(exc, OperationalError):
        busy = state in RETRY_STATES or getattr(orig, "sqlite_errorcode", None) in SQLITE_BUSY
        return "busy" if busy else "away"
    if isinstance(exc, DBAPIError) and state in RETRY_STATES:
        return "busy"
    return None


def database_away(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be reached right now (:func:`database_trouble`
    says ``away``)."""
    return database_trouble(exc) == "away"


DATABASE_KEYS: Final[dict[Trouble, str]] = {
    "away": "unavailable",
    "busy": "database-busy",
    "value": "value-refused",
    "clash": "concurrent-change",
}


# --- any error as a refusal --------------------------------------------------------------

_AT_PATH = re.compile(r"at `\$\.([^`]+)`")
_MISSING = re.compile(r"missing required field `([^`]+)`")
HTTP_KEYS: Final = {
    400: "invalid-request",
    401: "not-signed-in",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    415: "unsupported-media-type",
    429: "too-many-attempts",
}
HTTP_OTHER: Final = "bad-request"
"""The refusal of a framework error with a status not listed above."""
PAGE_KEYS: Final = {
    "invalid-request": "form-invalid-request",
    "unavailable": "database-away",
    "internal-error": "server-fault",
}
"""Refusals a page says in its own words (a form, not a request body; no idempotency key)."""


def _field_of(message: str) -> str | None:
    """The body field a msgspec validation message points at (``$.ballot.ranking[0]``,
    or the missing field's name)."""
    found = _AT_PATH.search(message) or _MISSING.search(message)
    return found.group(1) if found else None


def _validation(exc: ValidationException) -> Refusal:
    extra = exc.extra if isinstance(exc.extra, list) else []
    first = extra[0] if extra and isinstance(extra[0], dict) else {}
    message = str(first.get("message") or exc.detail)
    key = _field_of(message) or first.get("key")
    return Refusal(
        "invalid-request",
        {
            "where": f"{key}: " if key else "",
            "field": key or "",
            "message": message,
            "said": validation_zh(message, key),
        },
        key,
        {"errors": extra},
    )


def refusal_of(exc: BaseException, *, page: bool = False, where: str | None = None) -> Refusal:
    """Any error as a refusal: a service refusal as raised, an engine or ballot error by
    :data:`DOMAIN_KEYS`, the framework's refusals, a database in trouble
    (:func:`database_trouble`), and anything else as a 500. On a ``page`` some are said in
    the page's own words. With ``where`` (the request), a bug is logged with its traceback
    and a clash of concurrent changes as a warning (it may hide a bug)."""
    refusal = _refusal_of(exc)
    if where is not None and refusal.key == "internal-error":
        log.error("unexpected error on %s", where, exc_info=exc)
    elif where is not None and refusal.key == "concurrent-change":
        log.warning("integrity error on %s: %s", where, exc)
    if page and refusal.key in PAGE_KEYS:
        return Refusal(PAGE_KEYS[refusal.key], refusal.params, refusal.field, refusal.detail)
    return refusal


def _refusal_of(exc: BaseException) -> Refusal:
    if isinstance(exc, ServiceError):
        return exc.refusal
    if isinstance(exc, EngineError | BallotError):
        return domain_refusal(exc)
    if isinstance(exc, ValidationException):
        return _validation(exc)
    if isinstance(exc, PermissionDeniedException):
        return Refusal("csrf")  # only the form-token check raises it here
    if isinstance(exc, NotFoundException):
        return Refusal("not-found")
    if isinstance(exc, HTTPException):
        key = HTTP_KEYS.get(exc.status_code, HTTP_OTHER)
        if key == "invalid-request":  # a body the decoder could not read (malformed JSON)
            message = exc.detail or ""
            params = {"where": "", "field": "", "message": message}
            return Refusal(key, {**params, "said": validation_zh(message)})
        return Refusal(key)
    if isinstance(exc, UnicodeDecodeError):
        return Refusal("not-utf-8")
    if isinstance(exc, RecursionError):
        return Refusal("nested-too-deeply")
    trouble = database_trouble(exc)
    if trouble is not None:
        wait = {"retry_after": 2} if trouble in ("away", "busy") else {}
        return Refusal(DATABASE_KEYS[trouble], detail=wait)
    return Refusal("internal-error")


def sized_refusal(request: Request[Any, Any, Any], refusal: Refusal) -> Refusal:
    """A request over its route's body limit said with sizes people know: "上传的内容太大
    （123.4 兆），一次最多 100 兆" (the size from ``Content-Length``, when the client sent
    it). Other refusals, and a route without an upload limit of its own (the app's small
    limit for forms and JSON), are left as they are."""
    if refusal.key != "too-large" or "route_handler" not in request.scope:
        return refusal
    limit = getattr(request.route_handler, "request_max_body_size", None)
    if not isinstance(limit, int) or limit <= 0:
        return refusal
    most = {"most": megabytes(limit)}
    sent = request.headers.get("content-length", "")
    if sent.isdigit():
        return Refusal(
            "upload-too-large", {**most, "size": megabytes(int(sent), up=True)}, "photos"
        )
    return Refusal("upload-too-large-unsized", most, "photos")


def error_body(refusal: Refusal, lang: str) -> ErrorBody:
    """The API's answer to ``refusal`` for a reader of ``lang``."""
    zh, en = refusal.message("zh"), refusal.message("en")
    return ErrorBody(
        status=refusal.status,
        code=refusal.code,
        message=zh if lang == "zh" else en,
        message_zh=zh,
        message_en=en,
        field=refusal.field,
        detail=dict(refusal.detail),
    )


def _language(request: Request[Any, Any, Any]) -> str:
    accept = request.headers.get("accept-language", "")
    return "en" if accept.lower().startswith("en") else "zh"


def handle_error(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    """The API's exception handler: any error in the shape of :class:`ErrorBody`, with
    ``Retry-After`` when waiting helps (no traceback leaves the server)."""
    refusal = sized_refusal(request, refusal_of(exc, where=f"{request.method} {request.url.path}"))
    body = error_body(refusal, _language(request))
    wait = refusal.detail.get("retry_after", 2)
    retry = body.status in (429, 503) or "retry_after" in refusal.detail
    headers = {"Retry-After": str(wait)} if retry else None
    return Response(body, status_code=body.status, headers=headers)


ERROR_KINDS: Final[tuple[type[Exception], ...]] = (
    ServiceError,
    EngineError,
    BallotError,
    HTTPException,
    OperationalError,
    IntegrityError,
    InterfaceError,
    ConnectionError,
    RecursionError,
    UnicodeDecodeError,
    Exception,
)
"""The exception types the handlers are registered for (each more specific than litestar's
own handlers; all answered by one function)."""

EXCEPTION_HANDLERS: Final[dict[int | type[Exception], Any]] = dict.fromkeys(
    ERROR_KINDS, handle_error
)
