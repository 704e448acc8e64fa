"""Who is calling, and may they? Every route handler declares ``opt={"roles": (...)}``;
the app-wide :func:`role_guard` refuses handlers that declare nothing (fail closed).

``"public"`` in the roles lets anyone in (residents casting with a code, the public board).
The OpenAPI documents under ``/api/v1/schema`` are public.
Staff prove who they are with ``Authorization: Bearer <token>`` or the session cookie.
"""

from __future__ import annotations

import hashlib
from typing import Any, NoReturn

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotFoundException, WebSocketException
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.db.models import ROLES, ApiToken, User
from service.errors import Forbidden, NotSignedIn, ServiceError

SESSION_COOKIE = "redbench_session"
SCHEMA_PATH = "/api/v1/schema"
PUBLIC = "public"
STAFF = ROLES


class Actor(msgspec.Struct, frozen=True):
    """The signed-in staff member (or the anonymous public) making a request."""

    id: int | None
    name: str
    role: str

    @property
    def is_staff(self) -> bool:
        return self.role in ROLES


ANONYMOUS = Actor(id=None, name="resident", role=PUBLIC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return connection.cookies.get(SESSION_COOKIE) or None


async def find_actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    """The staff member behind the request's token, or :data:`ANONYMOUS`."""
    token = _token_of(connection)
    if token is None:
        return ANONYMOUS
    maker: async_sessionmaker[AsyncSession] = connection.app.state.sessionmaker
    async with maker() as session:
        row = (
            await session.execute(
                select(User.id, User.display_name, User.role)
                .join(ApiToken, ApiToken.user_id == User.id)
                .where(
                    ApiToken.token_hash == token_hash(token),
                    ApiToken.revoked_at.is_(None),
                    User.active.is_(True),
                )
            )
        ).first()
    if row is None:
        raise NotSignedIn(
            "this token is not valid (signed out or unknown); sign in again",
            zh="登录已失效，请重新登录",
        )
    return Actor(id=row.id, name=row.display_name, role=row.role)


MAX_ID = 2**31 - 1
"""The largest row id there can be (ids are 32-bit integers on PostgreSQL)."""


def no_such_row(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Refuse a path id no row can have (negative, zero or beyond :data:`MAX_ID`) with 404,
    before it reaches a database driver that cannot even bind it."""
    for name, value in connection.path_params.items():
        if isinstance(value, int) and not 0 < value <= MAX_ID:
            raise NotFoundException(f"there is no {name.removesuffix('_id')} {value}")


def refuse(connection: ASGIConnection[Any, Any, Any, Any], error: ServiceError) -> NoReturn:
    """Raise ``error``; on a websocket as a close with code 4000 + its status (4401, 4403),
    not the 4500 litestar gives any other exception there."""
    if connection.scope["type"] == ScopeType.WEBSOCKET:
        raise WebSocketException(detail=str(error), code=4000 + error.status) from error
    raise error


async def role_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Let the request through only if the handler's declared roles include the caller's
    (and its path ids can exist, see :func:`no_such_row`)."""
    no_such_row(connection)
    if connection.scope["path"].startswith(SCHEMA_PATH):
        return  # the OpenAPI documents are public
    roles = handler.opt.get("roles")
    if not roles:
        refuse(
            connection,
            Forbidden(
                f"{handler.handler_name} declares no roles and is closed",
                code="no-roles-declared",
            ),
        )
    if PUBLIC in roles and not _token_of(connection):
        connection.state.actor = ANONYMOUS
        return
    try:
        actor = await find_actor(connection)
    except NotSignedIn as stale:
        refuse(connection, stale)
    connection.state.actor = actor
    if PUBLIC in roles or actor.role in roles:
        return
    if actor is ANONYMOUS:
        refuse(
            connection,
            NotSignedIn(
                "sign in first: this needs a staff account", zh="请先登录：此操作需要工作人员账号"
            ),
        )
    allowed = ", ".join(r for r in roles if r != PUBLIC)
    refuse(
        connection,
        Forbidden(
            f"the {actor.role} role may not do this (allowed: {allowed})",
            zh=f"您的角色（{actor.role}）无权进行此操作",
        ),
    )


def roles(*names: str) -> dict[str, Any]:
    """``opt`` for a route handler: ``@post(..., opt=roles("facilitator", "admin"))``."""
    unknown = set(names) - set(ROLES) - {PUBLIC}
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    return {"roles": tuple(names)}


async def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    """Dependency: the caller, as found by :func:`role_guard`."""
    actor: Actor = getattr(request.state, "actor", ANONYMOUS)
    return actor
