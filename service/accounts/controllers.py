"""Sign in, sign out, who am I; the admin manages staff accounts."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from service.accounts import repository as repo
from service.accounts.schemas import Login, Session, UserCreate, UserOut, UserUpdate
from service.audit import record
from service.auth.guard import SESSION_COOKIE, STAFF, Actor, roles
from service.db.models import User
from service.deps import DB, Caller


class AccountController(Controller):
    path = "/api/v1/auth"
    tags = ["accounts"]

    @post("/login", opt=roles("public"))
    async def login(
        self, request: Request[Any, Any, Any], db: DB, data: JSONBody[Login], actor: Caller
    ) -> Response[Session]:
        """Check a password and hand out a token (also set as an HttpOnly session cookie)."""
        user, token = await repo.sign_in(db, data.username, data.password)
        record(
            db,
            Actor(id=user.id, name=user.display_name, role=user.role),
            "user.login",
            "user",
            user.id,
        )
        response = Response(Session(token=token, user=repo.user_out(user)), status_code=200)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",  # Secure whenever served over TLS
            path="/",
        )
        return response

    @post("/logout", opt=roles(*STAFF), status_code=204)
    async def logout(self, db: DB, request: Request[Any, Any, Any], actor: Caller) -> None:
        """Revoke the token used for this request."""
        header = request.headers.get("authorization", "")
        token = (
            header[7:].strip()
            if header.lower().startswith("bearer ")
            else (request.cookies.get(SESSION_COOKIE, ""))
        )
        await repo.sign_out(db, token)
        record(db, actor, "user.logout", "user", actor.id)

    @get("/me", opt=roles(*STAFF))
    async def me(self, db: DB, actor: Caller) -> UserOut:
        return repo.user_out(await repo.current_user(db, actor))


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["accounts"]

    @get("/", opt=roles("admin"))
    async def list_users(self, db: DB) -> list[UserOut]:
        users = (await db.scalars(select(User).order_by(User.id))).all()
        return [repo.user_out(u) for u in users]

    @post("/", opt=roles("admin"))
    async def create_user(self, db: DB, data: JSONBody[UserCreate], actor: Caller) -> UserOut:
        user = await repo.create_user(db, data)
        record(db, actor, "user.created", "user", user.id, role=user.role)
        return repo.user_out(user)

    @patch("/{user_id:int}", opt=roles("admin"))
    async def update_user(
        self, db: DB, user_id: FromPath[int], data: JSONBody[UserUpdate], actor: Caller
    ) -> UserOut:
        user = await repo.update_user(db, user_id, data)
        changed = [f for f in UserUpdate.__struct_fields__ if getattr(data, f) is not None]
        record(db, actor, "user.updated", "user", user.id, fields=changed)
        return repo.user_out(user)
