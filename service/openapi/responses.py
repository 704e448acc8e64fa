"""What a handler declares about its answers beyond what :mod:`service.openapi.answers`
derives from its roles, method and parameters: the refusals only its own code gives, and
what it sends when it sends a file. Used in the route decorators::

    @get("/{round_id:int}/result", opt=..., responses=refusals({409: "`results-hidden`: ..."}))
    @get("/{round_id:int}/bundle", opt=..., responses=download(200, ("application/json",), Bundle))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from litestar.openapi.datastructures import ResponseSpec

from service.errors import ErrorBody

JSON = "application/json"


def refusals(reasons: Mapping[int, str]) -> dict[int, ResponseSpec]:
    """A handler's own refusals: status → why (the error codes it answers, in backticks),
    each in the service's error shape."""
    return {
        status: ResponseSpec(ErrorBody, description=why, generate_examples=False)
        for status, why in reasons.items()
    }


@dataclass
class Download(ResponseSpec):
    """A success answer that is a file: one of ``media_types``; JSON ones have the schema of
    ``data_container`` (when given), the others are bytes (text for ``text/*``)."""

    media_types: tuple[str, ...] = field(default=())


def download(
    status: int,
    media_types: Sequence[str],
    data: type[Any] | None = None,
    *,
    description: str = "the file",
) -> dict[int, ResponseSpec]:
    """``responses=`` for a handler whose answer ``status`` is a file of ``media_types``
    (``data``: the schema of the JSON one)."""
    return {
        status: Download(
            data,
            description=description,
            media_type=JSON if JSON in media_types else media_types[0],
            generate_examples=False,
            media_types=tuple(dict.fromkeys(media_types)),
        )
    }


def success(status: int, data: type[Any], description: str) -> dict[int, ResponseSpec]:
    """Another success answer a handler gives besides its usual one (``data`` as JSON)."""
    return {status: ResponseSpec(data, description=description, generate_examples=False)}
