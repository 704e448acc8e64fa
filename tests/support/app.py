"""The app under test and its people: the server secret, the staff the tests create and
their password, a cheap password hashing for tests only, a clock the test moves, and an app
worker served in the test's own event loop; the API's request bodies.

Passwords: the staff the tests create have their password hashed once per session at
:data:`CHEAP`, a scrypt cost for tests only, and the ``client`` fixture's app checks and
hashes passwords at that cost too (:func:`cheap_hashing`); at the service's own cost
(OWASP's, a third of a second and 128 MiB a hash) the suite would spend minutes hashing.
The service has no setting that selects another cost: only a test can put a hasher of its
own into ``app.state``. ``tests/service/test_passwords.py`` checks the real cost.
"""

from __future__ import annotations

import importlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import msgspec
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from service.app import create_app
from service.auth.guard import token_hash
from service.auth.hashing import PasswordHasher
from service.auth.passwords import Cost, hash_password
from service.db.base import utcnow
from service.db.models import ApiToken, User
from service.settings import Settings
from tests.support.paths import ROOT

SECRET = "test-secret-key-of-at-least-32-characters"
PASSWORD = "correct horse battery"
"""The password of every staff member :func:`make_staff` creates."""
CHEAP = Cost(n=2**8, r=8, p=1)
"""Tests only: a scrypt cost a thousand times below the service's (see the module
docstring)."""
STAFF_HASH = hash_password(PASSWORD, CHEAP)
""":data:`PASSWORD` hashed once for the whole session."""


def cheap_hashing(app: Litestar) -> None:
    """Let a started app hash and check passwords at :data:`CHEAP` (tests only)."""
    app.state.passwords = PasswordHasher(CHEAP)


async def make_staff(
    db: AsyncSession,
    role: str,
    username: str | None = None,
    *,
    community_id: int | None = None,
    street_id: int | None = None,
    display_name: str | None = None,
) -> dict[str, str]:
    """A staff user with ``role`` (tied to a community or street if given) and the
    Authorization header for their token."""
    name = username or f"{role}-user"
    user = User(
        username=name,
        display_name=display_name or f"{role} 测试",
        role=role,
        password_hash=STAFF_HASH,
        community_id=community_id,
        street_id=street_id,
    )
    db.add(user)
    await db.flush()
    token = f"token-{name}"
    db.add(ApiToken(user_id=user.id, token_hash=token_hash(token), label="test"))
    await db.commit()
    return {"Authorization": f"Bearer {token}"}


class Clock:
    """A clock the test moves (``app.state.clock``): sign-in lockouts and session lifetimes
    are tested without sleeping."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def ok(response: Any, status: int = 200) -> Any:
    """The JSON body of an answer that has ``status`` (none for an empty answer)."""
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def free_port() -> int:
    """A local TCP port nobody listens on (for a server the test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serving(settings: Settings, clock: Clock) -> AsyncIterator[Litestar]:
    """An app worker running in this event loop (the test client runs its app in a thread
    of its own, one request at a time), at the tests' hashing cost and on ``clock``."""
    app = create_app(settings)
    async with app.lifespan():
        cheap_hashing(app)
        app.state.clock = clock
        yield app


@asynccontextmanager
async def from_address(app: Litestar, host: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app`` (served in this loop) that comes from network address ``host``."""
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        yield c


def request_structs() -> list[type[msgspec.Struct]]:
    """Every request body of the API: the Structs of the schemas that refuse unknown fields."""
    found = []
    for path in sorted((ROOT / "service").glob("*/schemas.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, msgspec.Struct)
                and value.__module__ == module.__name__
                and value.__struct_config__.forbid_unknown_fields
            ):
                found.append(value)
    return found
