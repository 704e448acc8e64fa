"""The benchmark-only endpoints (the no-op ``POST /api/v1/noop`` and the export made whole,
``GET /api/v1/benchmark/rounds/{id}/exports/{fmt}``) are not routed unless a setting turns
them on: ``Settings.benchmark_endpoints``, ``REDBENCH_BENCHMARK_ENDPOINTS=1`` in the
environment (the service benchmark sets it for the server it starts)."""

from __future__ import annotations

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.settings import Settings
from tests.support.app import SECRET

BALLOT = {"code": "ABCDE-FGHJK", "key": "k" * 16, "ballot": {"kind": "ranked", "ranking": []}}


async def test_off_by_default_and_not_routed(client: AsyncTestClient) -> None:
    assert Settings().benchmark_endpoints is False
    response = await client.post("/api/v1/noop", json=BALLOT)
    assert response.status_code == 404
    assert response.json()["code"] == "not-found"
    paths = {route.path for route in client.app.routes}
    assert "/api/v1/noop" not in paths
    assert not [path for path in paths if path.startswith("/api/v1/benchmark/")]


async def test_the_setting_routes_it(settings: Settings) -> None:
    app = create_app(msgspec.structs.replace(settings, benchmark_endpoints=True))
    async with AsyncTestClient(app=app) as client:
        response = await client.post("/api/v1/noop", json=BALLOT)
    assert response.status_code == 201
    assert response.json() == {"ok": True}


@pytest.mark.parametrize(
    ("value", "on"), [("1", True), ("true", True), ("0", False), ("false", False), ("", False)]
)
def test_the_setting_comes_from_the_environment(value: str, on: bool) -> None:
    environ = {"REDBENCH_SECRET": SECRET, "REDBENCH_BENCHMARK_ENDPOINTS": value}
    assert Settings.from_env(environ).benchmark_endpoints is on
