"""Accounts: creating and changing users, issuing and revoking tokens (signing in:
:mod:`service.accounts.signing_in`)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts.schemas import UserCreate, UserOut, UserUpdate
from service.auth.guard import Actor, token_hash
from service.auth.hashing import PasswordHasher
from service.auth.throttle import forget_account
from service.db.base import utcnow
from service.db.models import ApiToken, Community, User
from service.db.street import Street
from service.errors import Conflict, Invalid, NotFound, NotSignedIn


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        active=user.active,
        community_id=user.community_id,
        street_id=user.street_id,
    )


async def _check_ties(
    db: AsyncSession, role: str, community_id: int | None, street_id: int | None
) -> None:
    """Refuse ties that do not fit the role or name nothing: a ``street`` account needs a
    street and no community; an admin has neither; a community role no street."""
    if role == "street" and street_id is None:
        raise Invalid("street-account-needs-street", field="street_id")
    if role == "street" and community_id is not None:
        raise Invalid("street-account-no-community", field="community_id")
    if role != "street" and street_id is not None:
        raise Invalid("only-street-accounts-have-street", field="street_id", role=role)
    if role == "admin" and community_id is not None:
        raise Invalid("admin-reaches-everything", field="community_id")
    if community_id is not None and await db.get(Community, community_id) is None:
        raise NotFound("no-community", community_id=community_id)
    if street_id is not None and await db.get(Street, street_id) is None:
        raise NotFound("no-street", street_id=street_id)


async def create_user(db: AsyncSession, data: UserCreate, hasher: PasswordHasher) -> User:
    """A new staff account (its password hashed before the transaction is touched, so no
    database connection waits on scrypt)."""
    password_hash = await hasher.hash(data.password)
    exists = await db.scalar(select(User.id).where(User.username == data.username))
    if exists is not None:
        raise Conflict("username-taken", field="username", username=data.username)
    await _check_ties(db, data.role, data.community_id, data.street_id)
    user = User(
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        password_hash=password_hash,
        community_id=data.community_id,
        street_id=data.street_id,
    )
    db.add(user)
    await db.flush()
    return user


async def update_user(
    db: AsyncSession, user_id: int, data: UserUpdate, hasher: PasswordHasher
) -> User:
    """Apply the admin's changes. A new password, another role or a deactivation revokes
    every token of the user (they sign in again, with what they now are); a new password
    also lifts a sign-in lockout of the account. The last active admin keeps the role."""
    new_hash = None if data.password is None else await hasher.hash(data.password)
    user = await db.get(User, user_id)
    if user is None:
        raise NotFound("no-user", user_id=user_id)
    demoted = data.role is not None and data.role != user.role and user.role == "admin"
    deactivated = data.active is False and user.active
    if user.role == "admin" and user.active and (demoted or deactivated):
        await _keep_an_admin(db, user)
    revoke = new_hash is not None or deactivated
    role = data.role or user.role
    community_id = data.community_id if data.community_id is not None else user.community_id
    street_id = data.street_id if data.street_id is not None else user.street_id
    if role == "admin":
        community_id = street_id = None
    elif role != "street":
        street_id = None
    else:
        community_id = None
    await _check_ties(db, role, community_id, street_id)
    if (community_id, street_id) != (user.community_id, user.street_id):
        revoke = True  # signed in again, with what the account now reaches
        user.community_id, user.street_id = community_id, street_id
    if data.display_name is not None:
        user.display_name = data.display_name
    if data.role is not None:
        revoke = revoke or data.role != user.role
        user.role = data.role
    if new_hash is not None:
        user.password_hash = new_hash
        await forget_account(db, user.username)
    if data.active is not None:
        user.active = data.active
    if revoke:
        await revoke_tokens(db, user.id)
    return user


async def _keep_an_admin(db: AsyncSession, user: User) -> None:
    """Refuse (409 ``last-admin``) to take the role or the account from the last active
    admin, the admin themself included. The active admins' rows are written (unchanged)
    before they are counted: that locks them on PostgreSQL and takes SQLite's write lock,
    so two admins demoting each other at the same moment cannot both succeed."""
    admins = (User.role == "admin", User.active.is_(True))
    await db.execute(
        update(User)
        .where(*admins)
        .values(role=User.role)
        .execution_options(synchronize_session=False)
    )
    others = await db.scalar(select(func.count()).where(*admins, User.id != user.id))
    if not others:
        raise Conflict("last-admin", field="role", username=user.username)


async def revoke_tokens(db: AsyncSession, user_id: int) -> None:
    """Revoke every token of the user that is still good."""
    await db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def issue_token(db: AsyncSession, user: User, now: datetime, label: str = "login") -> str:
    """A new random token for ``user``, issued ``now``; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    db.add(
        ApiToken(
            user_id=user.id,
            token_hash=token_hash(token),
            label=label,
            created_at=now,
            last_used_at=now,
        )
    )
    return token


async def sign_out(db: AsyncSession, token: str) -> None:
    await db.execute(
        update(ApiToken).where(ApiToken.token_hash == token_hash(token)).values(revoked_at=utcnow())
    )


async def current_user(db: AsyncSession, actor: Actor) -> User:
    user = await db.get(User, actor.id) if actor.id is not None else None
    if user is None:
        raise NotSignedIn("sign-in-first")
    return user
