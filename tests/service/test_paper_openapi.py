"""The paper-ballot API's answers against the OpenAPI document the app serves, on every
database: printing, entries (keying, mismatch, cast), the summary, the mismatches, a
decision and the usual refusals, each checked by Schemathesis for its documented status,
content type, body and headers."""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.app import create_app
from service.openapi.served import document
from service.settings import Settings
from tests.support.app import SECRET
from tests.support.rounds import issue, make_round

SCHEMA = schemathesis.openapi.from_dict(
    document(create_app(Settings(database_url="sqlite+aiosqlite:///:memory:", secret_key=SECRET)))
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
MARKS = [2, None, 1, None, None, 3]


async def checked(client: Any, method: str, url: str, status: int, **kwargs: Any) -> Any:
    response = await client.request(method, url, **kwargs)
    assert response.status_code == status, response.text[:300]
    operation = SCHEMA.find_operation_by_path(method, response.request.url.path)
    assert operation is not None, f"{method} {url} is not in the document"
    operation.Case(path_parameters={"round_id": url.split("/")[4]}).validate_response(
        response, checks=CHECKS
    )
    return response


async def test_the_paper_api_answers_as_documented(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    base = f"/api/v1/rounds/{round_id}"
    chair, clerk, other = staff["facilitator"], staff["grid_worker"], staff["secretary"]
    await checked(
        client, "GET", f"{base}/paper-ballots.pdf", 200, params={"count": 2}, headers=chair
    )
    await checked(
        client, "GET", f"{base}/paper-ballots.pdf", 422, params={"size": "B5"}, headers=chair
    )
    entry = {"serial": 1, "code": code, "verdict": "ballot", "marks": MARKS}
    await checked(client, "POST", f"{base}/paper/entries", 200, json=entry, headers=clerk)
    await checked(client, "POST", f"{base}/paper/entries", 409, json=entry, headers=clerk)
    wrong = {**entry, "marks": [3, None, 1, None, None, 2]}
    await checked(client, "POST", f"{base}/paper/entries", 200, json=wrong, headers=other)
    await checked(client, "GET", f"{base}/paper/mismatches", 200, headers=chair)
    decision = {"serial": 1, "choose": 1, "reason": "核对原票"}
    await checked(client, "POST", f"{base}/paper/adjudications", 409, json=decision, headers=other)
    await checked(client, "POST", f"{base}/paper/adjudications", 200, json=decision, headers=chair)
    await checked(client, "GET", f"{base}/paper", 200, headers=clerk)
    await checked(
        client, "POST", f"{base}/paper/entries", 422, json={**entry, "serial": 9}, headers=clerk
    )
