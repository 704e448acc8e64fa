"""Who is calling, and may they? Every route handler declares ``opt={"roles": (...)}``;
the app-wide :func:`role_guard` refuses handlers that declare nothing (fail closed).

``"public"`` in the roles lets anyone in (residents casting with a code, the public board);
a signed-in staff member whose path names a row outside their reach
(:mod:`service.auth.scope`) is answered there as the public is.
The OpenAPI documents under ``/api/v1/schema`` are public.
Staff prove who they are with ``Authorization: Bearer <token>`` or the session cookie; a
token lapses after a while (:mod:`service.auth.lifetimes`), and a change made through the
API with the cookie must prove it comes from this site's pages (:mod:`service.auth.cross_site`).
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
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.auth.clock import now_of
from service.auth.cross_site import forged
from service.auth.lifetimes import ABSOLUTE, IDLE, TOUCH_EVERY, Lapse, due_for_touch, lapse_of
from service.auth.scope import check_path, unbounded
from service.db.models import ROLES, ApiToken, User
from service.errors import Forbidden, NotSignedIn, ServiceError

SESSION_COOKIE = "redbench_session"
SCHEMA_PATH = "/api/v1/schema"
PUBLIC = "public"
SIGNS_IN = "signs_in"
""":func:`signing_in` handlers' mark in ``opt``."""
STAFF = ("admin", "facilitator", "secretary", "grid_worker")
"""The roles that work in a community: what ``roles(*STAFF)`` admits. A ``street`` account
is named explicitly where it is let in."""
EVERY_ACCOUNT = ROLES
"""Every signed-in account, street staff included (signing out, who am I)."""


class Actor(msgspec.Struct, frozen=True):
    """The signed-in staff member (or the anonymous public) making a request."""

    id: int | None
    name: str
    role: str
    community_id: int | None = None
    """The community the account is tied to (:mod:`service.auth.scope`)."""
    street_id: int | None = None
    """The street a ``street`` account works for."""

    @property
    def is_staff(self) -> bool:
        return self.role in ROLES


ANONYMOUS = Actor(id=None, name="resident", role=PUBLIC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _bearer_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def token_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The request's token: the bearer token, else the session cookie's."""
    return _bearer_of(connection) or connection.cookies.get(SESSION_COOKIE) or None


def _by_cookie(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether the request's token is the session cookie's (no bearer token sent)."""
    return _bearer_of(connection) is None and bool(connection.cookies.get(SESSION_COOKIE))


def _lapsed(lapse: Lapse) -> NotSignedIn:
    if lapse is Lapse.IDLE:
        hours = int(IDLE.total_seconds() // 3600)
        return NotSignedIn("session-idle", hours=hours)
    hours = int(ABSOLUTE.total_seconds() // 3600)
    return NotSignedIn("session-too-old", hours=hours)


async def find_actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    """The staff member behind the request's token, or :data:`ANONYMOUS`. A token that was
    revoked, belongs to a deactivated user or has lapsed (:mod:`service.auth.lifetimes`) is
    refused; a good one has its idle timer written back, at most once a minute."""
    token = token_of(connection)
    if token is None:
        return ANONYMOUS
    now = now_of(connection.app.state)
    maker: async_sessionmaker[AsyncSession] = connection.app.state.sessionmaker
    async with maker() as session:
        row = (
            await session.execute(
                select(
                    User.id,
                    User.display_name,
                    User.role,
                    User.community_id,
                    User.street_id,
                    ApiToken.id.label("token_id"),
                    ApiToken.created_at,
                    ApiToken.last_used_at,
                )
                .join(ApiToken, ApiToken.user_id == User.id)
                .where(
                    ApiToken.token_hash == token_hash(token),
                    ApiToken.revoked_at.is_(None),
                    User.active.is_(True),
                )
            )
        ).first()
        if row is None:
            raise NotSignedIn("token-not-valid")
        lapse = lapse_of(row.created_at, row.last_used_at, now)
        if lapse is not None:
            raise _lapsed(lapse)
        if due_for_touch(row.last_used_at, now):
            await session.execute(
                update(ApiToken)
                .where(ApiToken.id == row.token_id, ApiToken.last_used_at < now - TOUCH_EVERY)
                .values(last_used_at=now)
            )
            await session.commit()
        actor = Actor(
            id=row.id,
            name=row.display_name,
            role=row.role,
            community_id=row.community_id,
            street_id=row.street_id,
        )
    return actor


async def within_reach(connection: ASGIConnection[Any, Any, Any, Any], actor: Actor) -> None:
    """Refuse a staff member a path naming a row outside the community or street their
    account is tied to (:func:`service.auth.scope.check_path`)."""
    if unbounded(actor) or not connection.path_params:
        return
    maker: async_sessionmaker[AsyncSession] = connection.app.state.sessionmaker
    async with maker() as session:
        await check_path(session, dict(connection.path_params), actor)


async def _public_or_within_reach(
    connection: ASGIConnection[Any, Any, Any, Any], actor: Actor
) -> None:
    """On a route open to the public and to staff, a staff member whose path names a row
    outside their reach is answered as the public would be: the request goes on as
    :data:`ANONYMOUS` (not refused, so the public board keeps working for everyone, and
    not with staff sight, so an unpublished result of another community stays hidden)."""
    try:
        await within_reach(connection, actor)
    except Forbidden:
        connection.state.actor = ANONYMOUS


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
            Forbidden("no-roles-declared", handler_name=handler.handler_name),
        )
    staff_only = PUBLIC not in roles
    refused = forged(
        connection,
        connection.app.state.settings.secret_key,
        by_cookie=staff_only and _by_cookie(connection),
        staff_only=staff_only,
    )
    if refused is not None:
        refuse(connection, refused)
    if handler.opt.get(SIGNS_IN) or (PUBLIC in roles and not token_of(connection)):
        connection.state.actor = ANONYMOUS
        return
    try:
        actor = await find_actor(connection)
    except NotSignedIn as stale:
        refuse(connection, stale)
    connection.state.actor = actor
    if PUBLIC in roles:
        await _public_or_within_reach(connection, actor)
        return
    if actor.role in roles:
        try:
            await within_reach(connection, actor)
        except Forbidden as outside:
            refuse(connection, outside)
        return
    if actor is ANONYMOUS:
        refuse(
            connection,
            NotSignedIn("staff-only"),
        )
    allowed = ", ".join(r for r in roles if r != PUBLIC)
    refuse(
        connection,
        Forbidden("role-may-not", role=actor.role, allowed=allowed),
    )


def roles(*names: str) -> dict[str, Any]:
    """``opt`` for a route handler: ``@post(..., opt=roles("facilitator", "admin"))``."""
    unknown = set(names) - set(ROLES) - {PUBLIC}
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    return {"roles": tuple(names)}


def signing_in() -> dict[str, Any]:
    """``opt`` for a sign-in handler: open to anyone, and the token the request may still
    carry (a lapsed session cookie, say) is not looked at, so it cannot stand in the way."""
    return {**roles(PUBLIC), SIGNS_IN: True}


async def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    """Dependency: the caller, as found by :func:`role_guard`."""
    actor: Actor = getattr(request.state, "actor", ANONYMOUS)
    return actor
