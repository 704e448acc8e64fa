"""Schemathesis against the OpenAPI document the service serves: generated requests
(valid and not) to every operation of a real server holding the pocket-park demo, anonymous
and as every staff role, on SQLite and on PostgreSQL. Every answer must conform to the
document: no 5xx, a documented status, a documented content type, a body that validates
against the schema documented for its status, the documented headers (``Retry-After``).

The document is made in this process by the function behind the server's
``openapi.json``, and a test checks that the server serves exactly it (Schemathesis's
loading from a fixture does not run under pytest 9). Path ids are drawn from the small
numbers the demo uses, and export formats from the real ones, so that requests reach real
rows rather than stopping at "not found". Two operations would lock the fuzzer out of the
rest of the run, so they stay off the callers' own tokens: signing out is sent with a token
minted for that one call, and the demo's four staff accounts are not edited (their ids are
not drawn for ``PATCH /users/{user_id}``; accounts the fuzzer creates itself are).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from service.app import create_app
from service.auth.guard import token_hash
from service.db.models import ApiToken, User
from service.db.session import create_engine, sessionmaker
from service.demo.loader import ACCOUNTS, PASSWORD, load_demo
from service.openapi.served import document
from service.records.exports import FORMATS
from service.settings import Settings
from tests.load.harness import Server, drop_database, fresh_database
from tests.support.databases import PG_URL

BACKENDS = ["sqlite", "postgres"] if PG_URL else ["sqlite"]
CHECKS = [
    not_a_server_error,
    negative_data_rejection,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
DEMO_IDS = st.integers(1, 12)
"""Row ids of the demo (communities, processes, rounds, proposals ... all start at 1)."""
DEMO_STAFF = len(ACCOUNTS)
"""The demo's staff accounts are users 1 to 4: not edited by the fuzzer."""
SIGN_OUT = ("POST", "/api/v1/auth/logout")
MINTED = 40
"""Tokens minted per role for signing out."""


def drawn(name: str) -> st.SearchStrategy[Any]:
    """What a path parameter is drawn from, most of the time."""
    if name == "user_id":
        return st.integers(DEMO_STAFF + 1, 12)
    if name == "fmt":
        return st.sampled_from(sorted(FORMATS))
    return DEMO_IDS


def flatmap_path_parameters(context: Any, parameters: dict[str, Any] | None) -> Any:
    """Path parameters from the demo's rows and the real export formats, most of the time."""
    if not parameters:
        return st.just(parameters)
    known = {k: v for k, v in parameters.items() if isinstance(v, int) or k == "fmt"}
    if not known:
        return st.just(parameters)
    demo = st.fixed_dictionaries({k: drawn(k) for k in known})
    return st.one_of(demo.map(lambda picked: {**parameters, **picked}), st.just(parameters))


def database_for(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{folder / 'demo.sqlite3'}"
    server = PG_URL.replace("postgresql://", "postgresql+asyncpg://", 1).rpartition("/")[0]
    return asyncio.run(fresh_database(f"{server}/redbench_schema_{os.getpid()}", folder))


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"schema-{request.param}")
    running = Server(database_for(request.param, folder), folder=folder)
    running.redbench("db", "upgrade")
    load_demo(Settings.from_env(database_url=running.database).with_secret())
    asyncio.run(running.start())
    yield running
    running.stop()
    if request.param == "postgres":
        asyncio.run(drop_database(running.database))


@pytest.fixture(scope="module")
def tokens(server: Server) -> dict[str, dict[str, str]]:
    """Headers per caller: anonymous and each demo staff account."""
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    with httpx.Client(base_url=server.base) as client:
        for username, _, role in ACCOUNTS:
            login = client.post(
                "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
            )
            login.raise_for_status()
            headers[role] = {"Authorization": f"Bearer {login.json()['token']}"}
    return headers


async def mint(database: str, per_role: int) -> dict[str, list[str]]:
    """Fresh tokens for each demo staff account, written straight into the database."""
    engine = create_engine(database)
    minted: dict[str, list[str]] = {}
    async with sessionmaker(engine)() as db:
        for username, _, role in ACCOUNTS:
            user_id = await db.scalar(select(User.id).where(User.username == username))
            assert user_id is not None
            minted[role] = [secrets.token_urlsafe(24) for _ in range(per_role)]
            db.add_all(
                ApiToken(user_id=user_id, token_hash=token_hash(t), label="schema")
                for t in minted[role]
            )
        await db.commit()
    await engine.dispose()
    return minted


@pytest.fixture(scope="module")
def spare_tokens(server: Server) -> dict[str, list[str]]:
    """Tokens to sign out with, one per call (signing out revokes the token it is sent with)."""
    return asyncio.run(mint(server.database, MINTED))


DOCUMENT = document(
    create_app(
        Settings(
            database_url="sqlite+aiosqlite:///:memory:",
            secret_key="schema-test-secret-of-32-characters",
        )
    )
)
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
"""What a request the document forbids may get (Schemathesis's list, and 413: a body too
large is one the document forbids); a 5xx is the other check's to report."""
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": [*REFUSALS, "5xx"]}}}
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
schema.hook(flatmap_path_parameters)


def test_the_server_serves_this_document(server: Server) -> None:
    served = httpx.get(f"{server.base}/api/v1/schema/openapi.json")
    assert served.headers["content-type"] == "application/vnd.oai.openapi+json"
    assert served.json() == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_answer_conforms_to_the_document(
    case: Any,
    server: Server,
    tokens: dict[str, dict[str, str]],
    spare_tokens: dict[str, list[str]],
) -> None:
    for caller, headers in tokens.items():
        if (case.method.upper(), case.path) == SIGN_OUT and caller != "anonymous":
            headers = {"Authorization": f"Bearer {spare_tokens[caller].pop()}"}
        response = case.call(base_url=server.base, headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as failed:
            raise AssertionError(f"as {caller}: {failed}") from None
