"""Accounts: creating users, checking passwords, issuing and revoking tokens."""

from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts.schemas import UserCreate, UserOut, UserUpdate
from service.auth.guard import Actor, token_hash
from service.auth.passwords import hash_password, verify_password
from service.db.base import utcnow
from service.db.models import ApiToken, User
from service.errors import Conflict, NotFound, NotSignedIn


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        active=user.active,
    )


async def create_user(db: AsyncSession, data: UserCreate) -> User:
    exists = await db.scalar(select(User.id).where(User.username == data.username))
    if exists is not None:
        raise Conflict(
            f"the username {data.username!r} is taken",
            code="username-taken",
            zh=f"用户名 {data.username} 已被使用",
            field="username",
        )
    user = User(
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        password_hash=hash_password(data.password),
    )
    db.add(user)
    await db.flush()
    return user


async def update_user(db: AsyncSession, user_id: int, data: UserUpdate) -> User:
    user = await db.get(User, user_id)
    if user is None:
        raise NotFound(f"there is no user {user_id}", zh=f"没有编号为 {user_id} 的用户")
    if data.display_name is not None:
        user.display_name = data.display_name
    if data.role is not None:
        user.role = data.role
    if data.password is not None:
        user.password_hash = hash_password(data.password)
    if data.active is not None:
        user.active = data.active
    return user


async def issue_token(db: AsyncSession, user: User, label: str = "login") -> str:
    """A new random token for ``user``; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    db.add(ApiToken(user_id=user.id, token_hash=token_hash(token), label=label))
    return token


async def sign_in(db: AsyncSession, username: str, password: str) -> tuple[User, str]:
    user = await db.scalar(select(User).where(User.username == username))
    # verify even for unknown users so timing does not tell which usernames exist
    stored = user.password_hash if user else "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA"
    if not verify_password(password, stored) or user is None or not user.active:
        raise NotSignedIn(
            "wrong username or password", code="bad-credentials", zh="用户名或密码错误"
        )
    return user, await issue_token(db, user)


async def sign_out(db: AsyncSession, token: str) -> None:
    await db.execute(
        update(ApiToken).where(ApiToken.token_hash == token_hash(token)).values(revoked_at=utcnow())
    )


async def current_user(db: AsyncSession, actor: Actor) -> User:
    user = await db.get(User, actor.id) if actor.id is not None else None
    if user is None:
        raise NotSignedIn("sign in first", zh="请先登录")
    return user
