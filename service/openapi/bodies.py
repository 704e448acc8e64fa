"""The JSON schemas of the API's bodies as msgspec — which decodes every request and
encodes every answer — sees their types, rather than as litestar's generator guesses them.

litestar's schemas let through what the service refuses: unknown fields of the request
Structs that forbid them, constraints on the items of a list (``prompts``: text of 1 to 200
characters), the tag of a ballot kind. msgspec's carry exactly its rules: constraints at
every depth, ``additionalProperties: false`` where unknown fields are refused, tagged unions
with their discriminator. One widening: msgspec writes a ``Decimal`` as a string and reads it
from a string or a number (a proposal's cost), so its schema says both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import msgspec
from litestar import Response
from litestar.handlers import HTTPRouteHandler
from litestar.typing import FieldDefinition

from service.openapi.responses import JSON

REF: Final = "#/components/schemas/{name}"
DECIMAL: Final = {"type": "string", "format": "decimal"}


def request_type(handler: HTTPRouteHandler) -> Any | None:
    """The type of the handler's JSON body (``None``: no body, or not JSON)."""
    data = handler.parsed_fn_signature.parameters.get("data")
    return None if data is None else _encodable(data)


def answer_types(handler: HTTPRouteHandler) -> dict[int, Any]:
    """Status → the type of the JSON the handler answers with it: its return type at its
    status code, and what it declares for other successes (``responses=``)."""
    found: dict[int, Any] = {}
    returned = handler.parsed_fn_signature.return_type
    if returned.is_subclass_of(Response):
        returned = (
            returned.inner_types[0]
            if returned.inner_types
            else FieldDefinition.from_annotation(Any)
        )
    made = _encodable(returned)
    if made is not None:
        found[handler.status_code] = made
    for status, spec in (handler.responses or {}).items():
        if status < 400 and spec.data_container is not None and spec.media_type == JSON:
            found[status] = spec.data_container
    return found


def _encodable(field: FieldDefinition) -> Any | None:
    """``field``'s type if msgspec has a JSON schema for it (not bytes, files or nothing)."""
    annotation = field.annotation
    if annotation in (None, type(None), bytes, Any):
        return None
    try:
        msgspec.json.schema(annotation)
    except TypeError:
        return None
    return annotation


def schemas(types: Iterable[Any]) -> tuple[dict[Any, dict[str, Any]], dict[str, Any]]:
    """The schema of each type (a ``$ref`` for Structs) and the components they refer to."""
    unique = list(dict.fromkeys(types))
    made, components = msgspec.json.schema_components(unique, ref_template=REF)
    widened: dict[str, Any] = _widen(components)
    return dict(zip(unique, _widen(list(made)), strict=True)), widened


def _widen(node: Any) -> Any:
    """``node`` with every decimal string also allowed as a number (what msgspec reads)."""
    if isinstance(node, dict):
        if node.items() >= DECIMAL.items():
            return {"anyOf": [{"type": "number"}, dict(node)]}
        return {key: _widen(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_widen(value) for value in node]
    return node
