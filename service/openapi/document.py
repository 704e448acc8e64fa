"""The served OpenAPI document: litestar's, made true to the service by :func:`finish`.

litestar lays out the paths, operations and parameters; it documents errors in its own
shape (``{status_code, detail, extra}``, a 400 only) and bodies with its own schema
generator. :func:`finish` puts in the bodies as msgspec, which decodes and encodes them,
sees their types (:mod:`service.openapi.bodies`), and rewrites every API operation's
refusals: for each status the operation can give — derived by
:func:`service.openapi.answers.derived` and declared by the handler
(:mod:`service.openapi.responses`) — the one error shape,
:class:`~service.errors.ErrorBody`, with ``status`` fixed to the answer's status, the
reasons (error codes) in the description and ``Retry-After`` where it is sent. Downloads
get their real media types. Unions become ``anyOf``: a value of a union type is one of
its members, and ``oneOf`` (exactly one) refused an integer where ``int | float`` is
allowed, as every integer is a number too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.serialization import encode_json

from service.errors import ErrorBody
from service.i18n import text
from service.openapi import bodies
from service.openapi.answers import derived
from service.openapi.responses import JSON, Download

API_PREFIX: Final = "/api/"
ERROR_REF: Final = "#/components/schemas/ErrorBody"
WAITS: Final = frozenset({429, 503})
"""Statuses whose answers carry ``Retry-After`` (:func:`service.errors._body`)."""
RETRY_AFTER: Final = {
    "description": "seconds to wait before trying again",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}


def finish(raw: Mapping[str, Any], app: Litestar) -> dict[str, Any]:
    """The document to serve, from litestar's ``raw`` one for ``app`` (not changed)."""
    document: dict[str, Any] = msgspec.json.decode(encode_json(raw))
    handlers = dict(_handlers(app))
    operations = [
        (operation, handler, method)
        for path, item in document.get("paths", {}).items()
        if path.startswith(API_PREFIX)
        for method, operation in item.items()
        if isinstance(operation, dict)
        and (handler := handlers.get((path, method.upper()))) is not None
    ]
    requests = {id(op): bodies.request_type(handler) for op, handler, _ in operations}
    answers = {id(op): bodies.answer_types(handler) for op, handler, _ in operations}
    typed, components = bodies.schemas(
        [ErrorBody]
        + [t for t in requests.values() if t is not None]
        + [t for found in answers.values() for t in found.values()]
    )
    for operation, handler, method in operations:
        _answers(operation, handler, method)
        _bodies(operation, requests[id(operation)], answers[id(operation)], typed)
    components["ErrorBody"] = _error_body(components["ErrorBody"])
    document.setdefault("components", {})["schemas"] = components
    document["info"]["description"] = (
        text("zh", "api.description") + "\n\n" + text("en", "api.description")
    )
    finished: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(_any_of(document)))
    return finished  # as JSON has it (tuples of defaults are lists)


def _handlers(app: Litestar) -> Iterator[tuple[tuple[str, str], HTTPRouteHandler]]:
    """(path as documented, method) → handler, for every HTTP route of ``app``."""
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, (handler, _) in route.route_handler_map.items():
                yield (route.path_format or "/", method), handler


def _answers(operation: dict[str, Any], handler: HTTPRouteHandler, method: str) -> None:
    """Rewrite ``operation``'s responses: the successes as the handler declares them,
    then one error response per status it can be refused with."""
    reasons = derived(handler, method, operation)
    declared = handler.responses or {}
    for status, spec in declared.items():
        if status >= 400:
            reasons.setdefault(status, []).insert(0, spec.description)
    responses = {
        status: response
        for status, response in operation.get("responses", {}).items()
        if not status.isdigit() or int(status) < 400
    }
    for status, spec in declared.items():
        if isinstance(spec, Download):
            responses[str(status)] = _download(spec)
    for status in sorted(reasons):
        responses[str(status)] = _refusal(status, reasons[status])
    operation["responses"] = responses


def _bodies(
    operation: dict[str, Any],
    request: Any | None,
    answers: Mapping[int, Any],
    typed: Mapping[Any, dict[str, Any]],
) -> None:
    """Put msgspec's schemas into ``operation``'s JSON request body and answers."""
    body = operation.get("requestBody", {}).get("content", {}).get(JSON)
    if body is not None and request is not None:
        body["schema"] = typed[request]
    for status, kind in answers.items():
        content = operation["responses"].get(str(status), {}).get("content") or {}
        if JSON in content:
            content[JSON]["schema"] = typed[kind]


def _refusal(status: int, reasons: list[str]) -> dict[str, Any]:
    """The error response for ``status``: :class:`ErrorBody` with that status."""
    response: dict[str, Any] = {
        "description": "\n".join(f"- {why}" for why in dict.fromkeys(reasons)),
        "content": {
            JSON: {
                "schema": {
                    "allOf": [
                        {"$ref": ERROR_REF},
                        {"type": "object", "properties": {"status": {"const": status}}},
                    ]
                }
            }
        },
    }
    if status in WAITS:
        response["headers"] = {"Retry-After": RETRY_AFTER}
    return response


def _download(spec: Download) -> dict[str, Any]:
    """A file answer: for JSON any JSON (:func:`_bodies` puts in the schema of ``spec``'s
    data), text for ``text/*``, bytes for the rest."""
    content: dict[str, Any] = {}
    for media_type in spec.media_types:
        if media_type == JSON:
            content[media_type] = {"schema": {}}
        elif media_type.startswith("text/"):
            content[media_type] = {"schema": {"type": "string"}}
        else:
            content[media_type] = {"schema": {"type": "string", "format": "binary"}}
    return {"description": spec.description, "content": content}


def _error_body(schema: dict[str, Any]) -> dict[str, Any]:
    """msgspec's schema of :class:`ErrorBody`: every field is always sent, nothing else."""
    return {
        **schema,
        "required": list(ErrorBody.__struct_fields__),
        "additionalProperties": False,
    }


def _any_of(node: Any) -> Any:
    """``node`` with every ``oneOf`` (without a discriminator) as ``anyOf``."""
    if isinstance(node, dict):
        return {
            "anyOf" if key == "oneOf" and "discriminator" not in node else key: _any_of(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_any_of(value) for value in node]
    return node
