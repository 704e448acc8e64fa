"""Cross-site request forgery on the API: the rule for requests a browser may be made to send.

The rule, for an unsafe request (POST, PUT, PATCH, DELETE) under ``/api/`` that carries no
``Authorization: Bearer`` header:

1. if the browser marks it as made by another origin (``Sec-Fetch-Site: same-site`` or
   ``cross-site``) it is refused — on every endpoint, signing in and casting included;
2. if the endpoint needs a staff role and the session cookie is the request's credential,
   it must also carry the header ``X-CSRFToken`` holding the pages' form token, matching
   the form-token cookie (``redbench_csrf``: HttpOnly, signed with a key derived from the
   server's secret) as a page's form must.

Refusals are 403 ``cross-site-request`` in the service's error shape.

Why it holds. Another site — another port on the same host counts as the same *site*, so
SameSite=Strict lets the cookie through — can make a browser send a form or a ``text/plain``
POST, but it cannot add a custom header without a CORS preflight this server never grants,
and it can read neither the HttpOnly cookie nor the token in this site's pages. Rule 2 needs
nothing from the browser; rule 1 adds what current browsers say about the request's origin,
and keeps other sites from signing a browser in (endpoints open to anyone ignore the cookie,
so rule 2 has nothing to protect there).

Requests with a bearer token (scripts, the load tool, the demo loader) are not affected. The
pages' own scripts post to the pages (``/kiosk/...``, under the pages' own form-token check)
and never to the API; a script of this site that does must send the header.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Final

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, generate_csrf_hash

from service.errors import Forbidden

FORM_COOKIE: Final = "redbench_csrf"
FORM_HEADER: Final = "x-csrftoken"
UNSAFE: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ELSEWHERE: Final = frozenset({"same-site", "cross-site"})
"""``Sec-Fetch-Site`` values of a request another origin made the browser send."""
API_PREFIX: Final = "/api/"


def form_secret(secret_key: str) -> str:
    """The key that signs the pages' form tokens, derived from the server's secret."""
    return hashlib.sha256(b"redbench csrf\n" + secret_key.encode()).hexdigest()


def _unsigned(token: str, secret: str) -> str | None:
    """The random part of a form token whose signature is right (else ``None``)."""
    if len(token) <= CSRF_SECRET_LENGTH:
        return None
    random, signature = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    expected = generate_csrf_hash(token=random, secret=secret)
    return random if hmac.compare_digest(signature, expected) else None


def tokens_match(sent: str, cookie: str, secret: str) -> bool:
    """Whether the header's token and the cookie's are both signed and the same."""
    ours, theirs = _unsigned(sent, secret), _unsigned(cookie, secret)
    return ours is not None and theirs is not None and hmac.compare_digest(ours, theirs)


def forged(
    connection: ASGIConnection[Any, Any, Any, Any],
    secret_key: str,
    *,
    by_cookie: bool,
    staff_only: bool,
) -> Forbidden | None:
    """The refusal for a request that breaks the rule (module docstring), or ``None``.
    ``by_cookie``: the request's credential is the session cookie (no bearer token);
    ``staff_only``: the endpoint needs a staff role (it is not open to anyone)."""
    if connection.scope["type"] != ScopeType.HTTP or connection.scope["method"] not in UNSAFE:
        return None
    if not connection.scope["path"].startswith(API_PREFIX) or _has_bearer(connection):
        return None
    if connection.headers.get("sec-fetch-site") in ELSEWHERE:
        return _refusal()
    if not (by_cookie and staff_only):
        return None
    sent = connection.headers.get(FORM_HEADER, "")
    cookie = connection.cookies.get(FORM_COOKIE, "")
    return None if tokens_match(sent, cookie, form_secret(secret_key)) else _refusal()


def _has_bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether a bearer token is sent (an empty one does not count: the guard would take
    the session cookie instead)."""
    header = connection.headers.get("authorization", "")
    return header.lower().startswith("bearer ") and bool(header[7:].strip())


def _refusal() -> Forbidden:
    return Forbidden("cross-site-request")
