"""The OpenAPI document, read as a client would: every refusal in the service's error shape
for every status an operation can give (derived from roles, method and parameters, plus
what handlers declare), downloads with their media types, bodies as msgspec reads and
writes them, and unions that take what the service sends (``Result.options`` with
integers). Real answers are checked against it in ``test_openapi_conformance.py`` and by
the fuzzing in ``tests/load/test_schema.py``.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
import pytest

from service.app import create_app
from service.errors import ErrorBody
from service.openapi.served import document
from service.records.exports import FORMATS
from service.settings import Settings

DOCUMENT = document(
    create_app(
        Settings(
            database_url="sqlite+aiosqlite:///:memory:",
            secret_key="document-test-secret-of-32-characters",
        )
    )
)
OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
OPEN = {  # endpoints open to anyone (the rest need a staff role)
    ("GET", "/api/v1/ping"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/rounds/{round_id}/ballots"),
    ("GET", "/api/v1/rounds/{round_id}/result"),
    ("GET", "/api/v1/rounds/{round_id}/ballots"),
    ("GET", "/api/v1/rounds/{round_id}/trackers"),
    ("GET", "/api/v1/rounds/{round_id}/receipts/{tracker}"),
    ("GET", "/api/v1/rounds/{round_id}/bundle"),
    ("GET", "/api/v1/rounds/{round_id}/poster"),
    ("GET", "/api/v1/photos/{photo_id}"),
    ("GET", "/api/v1/communities/{community_id}/board"),
}


def operation(method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = DOCUMENT["paths"][path][method.lower()]
    return found


def statuses(method: str, path: str) -> set[int]:
    return {int(s) for s in operation(method, path)["responses"]}


def validator(component: str) -> Any:
    """A validator for ``component`` of the document, its references resolved in it."""
    schema = {"$ref": f"#/components/schemas/{component}", "components": DOCUMENT["components"]}
    return jsonschema_rs.validator_for(schema)


def test_every_operation_of_the_api_is_documented_and_nothing_else() -> None:
    assert all(path.startswith("/api/v1/") for _, path, _ in OPERATIONS)
    assert len(OPERATIONS) == 137  # 138 API endpoints less the live-events websocket
    assert ("POST", "/api/v1/noop") not in {(m, p) for m, p, _ in OPERATIONS}  # off by default


@pytest.mark.parametrize(
    ("method", "path", "op"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_every_refusal_is_in_the_error_shape_with_its_status(
    method: str, path: str, op: dict[str, Any]
) -> None:
    refusals = {int(s): r for s, r in op["responses"].items() if int(s) >= 400}
    assert {401, 503} <= set(refusals), "a token that is not valid; the database away"
    for status, response in refusals.items():
        assert set(response["content"]) == {"application/json"}, status
        schema = response["content"]["application/json"]["schema"]
        assert schema["allOf"][0] == {"$ref": "#/components/schemas/ErrorBody"}, status
        assert schema["allOf"][1]["properties"]["status"] == {"const": status}
        assert response["description"].startswith("- `"), status  # the error codes
        if status in (429, 503):
            assert response["headers"]["Retry-After"]["required"] is True
    if method in UNSAFE:
        assert "`cross-site-request`" in refusals[403]["description"]
    if (method, path) in OPEN:
        assert "token was sent" in refusals[401]["description"] or path.endswith("/login")
        assert 403 not in refusals or method in UNSAFE
    else:
        assert "sign in first" in refusals[401]["description"]
    if "{" in path:
        assert "`not-found`" in refusals[404]["description"]


def test_litestar_s_error_shape_is_nowhere() -> None:
    text = json.dumps(DOCUMENT)
    assert '"status_code"' not in text
    assert '"extra"' not in text


def test_the_error_shape_is_exactly_what_the_service_sends() -> None:
    body = DOCUMENT["components"]["schemas"]["ErrorBody"]
    assert body["required"] == list(ErrorBody.__struct_fields__)
    assert body["additionalProperties"] is False
    check = validator("ErrorBody")
    sent = {
        "status": 404,
        "code": "not-found",
        "message": "没有编号为 1 的轮次",
        "message_zh": "没有编号为 1 的轮次",
        "message_en": "there is no round 1",
        "field": None,
        "detail": {},
    }
    assert check.is_valid(sent)
    assert not check.is_valid({**sent, "status_code": 404})


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/api/v1/ping", {200, 401, 503}),
        ("POST", "/api/v1/auth/login", {200, 400, 401, 403, 409, 413, 422, 429, 503}),
        ("POST", "/api/v1/auth/logout", {204, 401, 403, 409, 503}),
        ("GET", "/api/v1/users", {200, 401, 403, 503}),
        # every community role, but not a street account: 403
        ("GET", "/api/v1/communities", {200, 401, 403, 503}),
        ("GET", "/api/v1/rounds/{round_id}/result", {200, 401, 404, 409, 503}),
        # 403: a street account, or a round outside the caller's community
        ("GET", "/api/v1/rounds/{round_id}/comments", {200, 400, 401, 403, 404, 422, 503}),
        (
            "POST",
            "/api/v1/rounds/{round_id}/ballots",
            {200, 201, 400, 401, 403, 404, 409, 413, 422, 429, 503},
        ),
        (
            "GET",
            "/api/v1/rounds/{round_id}/exports/{fmt}",
            {200, 401, 403, 404, 409, 422, 500, 503},
        ),
        (
            "POST",
            "/api/v1/task-notes/{note_id}/photos",
            {201, 400, 401, 403, 404, 409, 413, 415, 422, 503},
        ),
        ("GET", "/api/v1/tasks/overdue", {200, 400, 401, 403, 422, 503}),
        ("GET", "/api/v1/photos/{photo_id}", {200, 401, 404, 503}),
    ],
)
def test_statuses_follow_roles_method_parameters_and_declarations(
    method: str, path: str, expected: set[int]
) -> None:
    assert statuses(method, path) == expected


def test_signing_in_is_documented_with_the_status_it_answers() -> None:
    """Found by the fuzzing: the handler answers 200, the document said 201."""
    login = operation("POST", "/api/v1/auth/login")["responses"]
    assert "201" not in login
    session = login["200"]["content"]["application/json"]["schema"]
    assert session == {"$ref": "#/components/schemas/Session"}


def test_a_retried_cast_is_documented() -> None:
    """Found by the fuzzing: a retry answers 200 with the same receipt, undocumented."""
    cast = operation("POST", "/api/v1/rounds/{round_id}/ballots")["responses"]
    for status in ("200", "201"):
        assert cast[status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Receipt"
        }


def test_downloads_have_their_media_types() -> None:
    binary = {"type": "string", "format": "binary"}
    bundle = operation("GET", "/api/v1/rounds/{round_id}/bundle")["responses"]["200"]
    assert bundle["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Bundle"}}
    }
    exports = operation("GET", "/api/v1/rounds/{round_id}/exports/{fmt}")["responses"]["200"]
    assert set(exports["content"]) == {f.media_type for f in FORMATS.values()}
    assert exports["content"]["application/json"]["schema"]["$ref"].endswith("/Bundle")
    assert exports["content"]["application/pdf"]["schema"] == binary
    assert exports["content"]["text/csv"]["schema"] == {"type": "string"}
    slips = operation("POST", "/api/v1/rounds/{round_id}/code-slips")["responses"]["201"]
    assert slips["content"] == {"application/pdf": {"schema": binary}}
    photo = operation("GET", "/api/v1/photos/{photo_id}")["responses"]["200"]
    assert set(photo["content"]) == {"image/jpeg", "image/png", "image/webp"}


def test_result_options_take_integers() -> None:
    """Found by the fuzzing: ``options`` was ``oneOf`` string, integer, number …, and an
    integer is a number too, so every integer option failed validation."""
    assert '"oneOf"' not in json.dumps(DOCUMENT)
    result = {
        "method": "equal-shares",
        "options": {"budget": 200000, "completion": "add1", "exact": True, "ratio": 0.5},
        "candidates": ["儿童游乐设施", "健身器材"],
        "ballots": 40,
        "winners": ["儿童游乐设施"],
    }
    assert validator("Result").is_valid(result)


def test_request_bodies_refuse_what_the_service_refuses() -> None:
    """Found by the fuzzing: the document let unknown fields and empty prompts through,
    which the service refuses (400)."""
    schemas = DOCUMENT["components"]["schemas"]
    assert schemas["CastRequest"]["additionalProperties"] is False
    prompts = schemas["RoundUpdate"]["properties"]["prompts"]["anyOf"][0]
    assert prompts["items"] == {"type": "string", "minLength": 1, "maxLength": 200}
    assert prompts["maxItems"] == 10
    create = validator("ProposalCreate")
    assert create.is_valid({"title": "健身器材", "cost": 45000})  # a number, as sent
    assert create.is_valid({"title": "健身器材", "cost": "45000.50"})
    assert not create.is_valid({"title": "健身器材", "colour": "red"})
