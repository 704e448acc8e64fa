"""The API's headers, on every database: ``nosniff`` and ``no-store`` (and no framing, no
loading) on every API answer — a handler's, an error from any exception handler, litestar's
own 404 and 405, a middleware's refusal — and above all on those that hold a token or a
voter code; a public photo keeps its own caching; static files are not stored as pages are.
The pages' headers are checked on every page by ``test_access_matrix.py``."""

from __future__ import annotations

from typing import Any

import pytest

from service.headers import API_HEADERS, PAGE_HEADERS, STATIC_HEADERS, secure_headers
from tests.support.app import PASSWORD


def carries(response: Any, headers: dict[str, str] | Any) -> None:
    for name, value in headers.items():
        assert response.headers.get(name) == value, f"{response.request.url}: {name}"
        assert len(response.headers.get_list(name)) == 1, f"{name} twice"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/api/v1/ping", {}, 200),  # an answer
        ("GET", "/api/v1/users", {}, 401),  # the guard's refusal
        ("GET", "/api/v1/rounds/0/result", {}, 404),  # an id no row can have
        ("GET", "/api/v1/no-such-thing", {}, 404),  # litestar's router
        ("DELETE", "/api/v1/ping", {}, 405),  # litestar's router
        ("POST", "/api/v1/auth/login", {"content": b"{"}, 400),  # malformed JSON
        ("POST", "/api/v1/auth/login", {"content": b" " * 300_000}, 413),  # too large
        ("GET", "/api/v1/rounds/%00", {}, 404),  # a middleware's refusal
        ("GET", "/api/v1/schema", {}, 200),  # the schema page
        ("GET", "/api/v1/schema/openapi.json", {}, 200),  # the document
    ],
)
async def test_every_kind_of_api_answer_carries_the_api_headers(
    client: Any, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    response = await client.request(method, path, **kwargs)
    assert response.status_code == status
    carries(response, API_HEADERS)


async def test_answers_holding_a_token_or_codes_are_never_stored(
    client: Any, staff: dict[str, dict[str, str]]
) -> None:
    login = await client.post(
        "/api/v1/auth/login", json={"username": "facilitator-user", "password": PASSWORD}
    )
    assert login.status_code == 200
    carries(login, API_HEADERS)
    facilitator = staff["facilitator"]
    community = (
        await client.post("/api/v1/communities", json={"name": "杜集社区"}, headers=staff["admin"])
    ).json()
    process = (
        await client.post(
            f"/api/v1/communities/{community['id']}/processes",
            json={"title": "口袋公园", "question": "先建什么？"},
            headers=facilitator,
        )
    ).json()
    ids = [
        (
            await client.post(
                f"/api/v1/processes/{process['id']}/proposals",
                json={"title": title},
                headers=facilitator,
            )
        ).json()["id"]
        for title in ("儿童游乐设施", "健身器材")
    ]
    round_ = (
        await client.post(
            f"/api/v1/processes/{process['id']}/rounds",
            json={"title": "投票", "ballot_kind": "ranked", "method": "irv", "proposal_ids": ids},
            headers=facilitator,
        )
    ).json()
    rid = round_["id"]
    opened = await client.post(
        f"/api/v1/rounds/{rid}/phase", json={"to": "voting"}, headers=facilitator
    )
    assert opened.status_code == 200
    codes = await client.post(f"/api/v1/rounds/{rid}/codes", json={"count": 2}, headers=facilitator)
    assert codes.status_code == 201
    carries(codes, API_HEADERS)
    slips = await client.post(
        f"/api/v1/rounds/{rid}/code-slips", json={"count": 1}, headers=facilitator
    )
    assert slips.status_code == 201
    carries(slips, API_HEADERS)


async def test_static_files_are_not_sniffed_and_may_be_cached(client: Any) -> None:
    response = await client.get("/static/redbench.css")
    assert response.status_code == 200
    carries(response, STATIC_HEADERS)
    assert "cache-control" not in response.headers


async def test_pages_carry_the_pages_headers(client: Any) -> None:
    response = await client.get("/board")
    assert response.status_code == 200
    carries(response, PAGE_HEADERS)


async def test_a_header_an_answer_sets_itself_is_kept() -> None:
    message: dict[str, Any] = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"cache-control", b"public, max-age=86400")],
    }
    await secure_headers(message, {"type": "http", "path": "/api/v1/photos/1"})  # type: ignore[arg-type]
    names = [name for name, _ in message["headers"]]
    assert names.count(b"cache-control") == 1
    assert (b"cache-control", b"public, max-age=86400") in message["headers"]
    assert (b"x-content-type-options", b"nosniff") in message["headers"]


async def test_other_messages_are_left_alone() -> None:
    body: dict[str, Any] = {"type": "http.response.body", "body": b"{}"}
    await secure_headers(body, {"type": "http", "path": "/api/v1/ping"})  # type: ignore[arg-type]
    assert body == {"type": "http.response.body", "body": b"{}"}
