"""Sign in, sign out, who am I; the admin manages staff accounts."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from service.accounts import repository as repo
from service.accounts.schemas import Login, Session, UserCreate, UserOut, UserUpdate
from service.accounts.signing_in import address_of, sign_in
from service.audit import record
from service.auth.guard import (
    EVERY_ACCOUNT,
    SESSION_COOKIE,
    Actor,
    roles,
    signing_in,
    token_of,
)
from service.db.models import User
from service.deps import DB, Caller
from service.openapi.responses import refusals

SIGN_IN_BUSY = (
    "`sign-in-busy`: too many passwords are waiting to be hashed on this server; try again "
    "after `Retry-After` seconds"
)


class AccountController(Controller):
    path = "/api/v1/auth"
    tags = ["accounts"]

    @post(
        "/login",
        opt=signing_in(),
        status_code=200,
        responses=refusals(
            {
                401: "`bad-credentials`: wrong username or password",
                429: "`too-many-sign-ins`: too many failed sign-ins for this account or from "
                "this address, locked for a while (`detail.retry_after`); " + SIGN_IN_BUSY,
            }
        ),
    )
    async def login(
        self, request: Request[Any, Any, Any], db: DB, data: JSONBody[Login], actor: Caller
    ) -> Response[Session]:
        """Check a password and hand out a token (also set as an HttpOnly session cookie).
        Throttled per account and per client address (429 ``too-many-sign-ins``)."""
        user, token = await sign_in(
            db, request.app.state, data.username, data.password, address_of(request.client)
        )
        record(
            db,
            Actor(id=user.id, name=user.display_name, role=user.role),
            "user.login",
            "user",
            user.id,
        )
        response = Response(
            Session(token=token, user=repo.user_out(user)),
            status_code=200,
            headers={"Cache-Control": "no-store"},  # it holds a token
        )
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",  # Secure whenever served over TLS
            path="/",
        )
        return response

    @post("/logout", opt=roles(*EVERY_ACCOUNT), status_code=204)
    async def logout(self, db: DB, request: Request[Any, Any, Any], actor: Caller) -> None:
        """Revoke the token used for this request."""
        await repo.sign_out(db, token_of(request) or "")
        record(db, actor, "user.logout", "user", actor.id)

    @get("/me", opt=roles(*EVERY_ACCOUNT))
    async def me(self, db: DB, actor: Caller) -> UserOut:
        return repo.user_out(await repo.current_user(db, actor))


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["accounts"]

    @get("/", opt=roles("admin"))
    async def list_users(self, db: DB) -> list[UserOut]:
        users = (await db.scalars(select(User).order_by(User.id))).all()
        return [repo.user_out(u) for u in users]

    @post(
        "/",
        opt=roles("admin"),
        responses=refusals(
            {409: "`username-taken`: another user has this username", 429: SIGN_IN_BUSY}
        ),
    )
    async def create_user(
        self, request: Request[Any, Any, Any], db: DB, data: JSONBody[UserCreate], actor: Caller
    ) -> UserOut:
        user = await repo.create_user(db, data, request.app.state.passwords)
        record(db, actor, "user.created", "user", user.id, role=user.role)
        return repo.user_out(user)

    @patch(
        "/{user_id:int}",
        opt=roles("admin"),
        responses=refusals(
            {
                409: "`last-admin`: the last active admin cannot be demoted or deactivated",
                429: SIGN_IN_BUSY,
            }
        ),
    )
    async def update_user(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        user_id: FromPath[int],
        data: JSONBody[UserUpdate],
        actor: Caller,
    ) -> UserOut:
        """Change a user. A new password, another role or a deactivation signs them out
        everywhere; the last active admin cannot be demoted or deactivated (409)."""
        user = await repo.update_user(db, user_id, data, request.app.state.passwords)
        if data.password is not None:  # a new password lifts a lockout (other workers: soon)
            request.app.state.sign_in_locks.forget_account(user.username)
        changed = [f for f in UserUpdate.__struct_fields__ if getattr(data, f) is not None]
        record(db, actor, "user.updated", "user", user.id, fields=changed)
        return repo.user_out(user)
