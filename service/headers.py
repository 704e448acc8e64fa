"""The security headers of every answer the service sends, set in one place.

:func:`secure_headers` runs as the app's ``before_send`` hook, so it sees every response's
start — a handler's answer, an error from any exception handler, litestar's own 404 and 405,
a refusal from a middleware — and adds the headers of the answer's kind that the answer does
not set itself:

- the API (``/api/...``, its OpenAPI documents included): :data:`API_HEADERS` — never
  sniffed, framed or stored. ``no-store`` goes on every API answer, not only those holding
  a token or a voter code: the answers are per caller (results before publishing, the user
  list, exports), and a list of the endpoints that hold secrets would miss the next one.
  An answer that says how it may be cached keeps its own ``Cache-Control`` (public photos);
- the static files (``/static/...``): :data:`STATIC_HEADERS`, so the browser may cache them;
- the pages (everything else): :data:`PAGE_HEADERS`, which the pages also set themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from litestar.types import Message, Scope

API_HEADERS: Final[Mapping[str, str]] = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}
"""On every API answer: JSON and downloads are never run as another type, never framed,
never kept by a browser or a proxy, and load nothing (the schema page included)."""

PAGE_HEADERS: Final[Mapping[str, str]] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""On every page: scripts and styles from this site only (no inline script), never framed,
no MIME sniffing, no referrer to other sites, and nothing kept in caches (a ballot, a code
slip or a result must not come back from the browser's cache or its Back button)."""

STATIC_HEADERS: Final[Mapping[str, str]] = {"X-Content-Type-Options": "nosniff"}
"""On the static files (scripts, styles): not sniffed; cacheable."""

API_PREFIX: Final = "/api/"
STATIC_PREFIX: Final = "/static/"


def _encoded(headers: Mapping[str, str]) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((name.lower().encode(), value.encode()) for name, value in headers.items())


_API: Final = _encoded(API_HEADERS)
_STATIC: Final = _encoded(STATIC_HEADERS)
_PAGE: Final = _encoded(PAGE_HEADERS)


async def secure_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: add to a response's start the headers of its kind (see the
    module docstring) that it does not carry already."""
    if message["type"] != "http.response.start":
        return
    path = scope["path"]
    if path.startswith(API_PREFIX):
        wanted = _API
    else:
        wanted = _STATIC if path.startswith(STATIC_PREFIX) else _PAGE
    present = {name.lower() for name, _ in message.get("headers", ())}
    missing = [(name, value) for name, value in wanted if name not in present]
    if missing:
        message["headers"] = [*message.get("headers", ()), *missing]
