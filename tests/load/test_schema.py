"""Schemathesis against the OpenAPI schema the app serves: generated requests (valid and
not) to every operation of a real server holding the pocket-park demo, anonymous and as
every staff role. No answer is a 5xx, and every error follows the documented shape.

Path ids are drawn from the small numbers the demo uses, so requests reach real rows rather
than stopping at "not found".
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from service.app import create_app
from service.demo.loader import ACCOUNTS, PASSWORD, load_demo
from service.errors import ErrorBody
from service.settings import Settings
from tests.load.harness import Server

# as served: defaults in the schema (Structs) become plain JSON
served = msgspec.json.encode(
    create_app(
        Settings(secret_key="schema-test-secret-of-32-characters")
    ).openapi_schema.to_schema()
)
schema = schemathesis.openapi.from_dict(msgspec.json.decode(served))

ERROR_FIELDS = set(ErrorBody.__struct_fields__)


@schema.hook
def flatmap_path_parameters(context: Any, parameters: dict[str, Any] | None) -> Any:
    """Integer ids from 1 to 12 (the demo's rows), most of the time."""
    if not parameters:
        return st.just(parameters)
    ints = {k: v for k, v in parameters.items() if isinstance(v, int)}
    if not ints:
        return st.just(parameters)
    small = st.fixed_dictionaries({k: st.integers(1, 12) for k in ints})
    return st.one_of(small.map(lambda drawn: {**parameters, **drawn}), st.just(parameters))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("schema")
    running = Server(f"sqlite+aiosqlite:///{folder / 'demo.sqlite3'}", folder=folder)
    running.redbench("db", "upgrade")
    load_demo(Settings.from_env(database_url=running.database).with_secret())
    asyncio.run(running.start())
    yield running
    running.stop()


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


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_5xx_and_errors_in_shape(
    case: Any, server: Server, tokens: dict[str, dict[str, str]]
) -> None:
    for caller, headers in tokens.items():
        response = case.call(base_url=server.base, headers=headers)
        where = f"{case.method} {case.formatted_path} as {caller}"
        assert response.status_code < 500, f"{where}: {response.status_code} {response.text}"
        if response.status_code >= 400:
            body = response.json()
            assert set(body) == ERROR_FIELDS, f"{where}: {body}"
            assert body["status"] == response.status_code, where
            assert body["message_zh"], where
