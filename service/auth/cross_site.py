"""Cross-site request forgery on the API: the rule for requests that a browser sends with the
session cookie.

The rule. An unsafe request (POST, PUT, PATCH, DELETE) under ``/api/`` whose credential is
the session cookie — it carries the cookie and no ``Authorization: Bearer`` header — is
refused with 403 ``cross-site-request`` unless

1. it carries the header ``X-CSRFToken`` holding the pages' form token, which must match
   the form-token cookie (``redbench_csrf``, HttpOnly, signed with a key derived from the
   server's secret) exactly as a page's form must; and
2. the browser does not say it came from elsewhere: ``Sec-Fetch-Site``, when sent, is
   ``same-origin``.

Why it holds. Another site — another port on the same host counts as the same *site*, so
SameSite=Strict lets the cookie through — can make a browser send a form or a ``text/plain``
POST, but it cannot add a custom header without a CORS preflight this server never grants,
and it can read neither the HttpOnly cookie nor the token in this site's pages. Browsers
that send ``Sec-Fetch-Site`` (all current ones) mark such a request ``same-site`` or
``cross-site``, which rule 2 refuses on its own.

Requests with a bearer token (scripts, the tablet load tool, the demo loader) are not
affected, and neither are those without the session cookie (a resident casting with a code,
signing in). The pages' own scripts post to the pages (``/kiosk/...``), not to the API,
with the same header.
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
    connection: ASGIConnection[Any, Any, Any, Any], secret_key: str, *, by_cookie: bool
) -> Forbidden | None:
    """The refusal for a request that breaks the rule (module docstring), or ``None``;
    ``by_cookie`` says whether the request's credential is the session cookie."""
    if not by_cookie or connection.scope["type"] != ScopeType.HTTP:
        return None
    if connection.scope["method"] not in UNSAFE:
        return None
    if not connection.scope["path"].startswith(API_PREFIX):
        return None
    site = connection.headers.get("sec-fetch-site")
    sent = connection.headers.get(FORM_HEADER, "")
    cookie = connection.cookies.get(FORM_COOKIE, "")
    if (site is None or site == "same-origin") and tokens_match(
        sent, cookie, form_secret(secret_key)
    ):
        return None
    return Forbidden(
        "refused: a change made through the API with the session cookie must come from this "
        "site's own pages and carry their form token in the X-CSRFToken header; programs "
        "sign in and send Authorization: Bearer <token> instead",
        code="cross-site-request",
        zh="已拒绝：凭登录会话通过接口修改数据时，请求必须来自本站页面并附带表单令牌；"
        "程序调用请先登录取得访问令牌，再用令牌发送请求",
    )
