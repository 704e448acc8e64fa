"""Which refusals an API operation can give, derived from what every handler declares —
its roles, its method, its parameters and body — and from the rules that apply to all:

- 400 ``invalid-request``: a body or a query parameter (other than free text) not of the
  documented shape;
- 401 ``not-signed-in``, ``session-expired``: on staff endpoints no valid token; on open
  ones a token was sent that is not valid (sign-in itself answers its own 401);
- 403 ``forbidden``: a role the endpoint does not admit;
- 403 ``cross-site-request``: unsafe methods, the rule of :mod:`service.auth.cross_site`;
- 404 ``not-found``: a path parameter naming no row (or an id no row can have);
- 409 ``concurrent-change``: unsafe methods that use the database, a clash with a change
  made at the same moment;
- 413 ``too-large``: a body over the size limit;
- 422 ``invalid`` …: a body or parameter of a handler that uses the database, a value that
  breaks a rule or cannot be stored;
- 503 ``unavailable`` (with ``Retry-After``): any, the database cannot be reached (the
  guard reads the token from it).

What only a handler's own code can refuse (a round that is frozen, a wrong password, a
guessing budget spent) it declares with :func:`service.openapi.responses.refusals`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from litestar.handlers import HTTPRouteHandler

from service.auth.guard import EVERY_ACCOUNT, PUBLIC, SIGNS_IN
from service.auth.scope import TRACES

UNSAFE: Final = frozenset({"post", "put", "patch", "delete"})

STALE_TOKEN: Final = (
    "`not-signed-in`, `session-expired`: a token was sent (bearer or session cookie) and it "
    "is not valid or has lapsed; send none to call this as anyone"
)
NOT_SIGNED_IN: Final = (
    "`not-signed-in`, `session-expired`: no token, or one that is not valid or has lapsed "
    "(2 hours unused, 16 hours after sign-in); sign in first"
)
CROSS_SITE_STAFF: Final = (
    "`cross-site-request`: the browser marked the request as sent by another site, or the "
    "session cookie was sent without the pages' form token in `X-CSRFToken` (programs send "
    "`Authorization: Bearer`)"
)
CROSS_SITE_OPEN: Final = (
    "`cross-site-request`: the browser marked the request as sent by another site"
)
NOT_FOUND: Final = "`not-found`: there is no such {what}"
CONTROL_IN_PATH: Final = "`not-found`: the path holds a control character (`%00`, `%0a` …)"
MALFORMED: Final = (
    "`invalid-request`: the body or a parameter is not of the documented shape (malformed "
    "JSON, a wrong type, an unknown or missing field); `field` names it"
)
INVALID: Final = (
    "`invalid` and the rule's own code (`unprintable-character`, `empty-text`, "
    "`text-too-long` …): a value breaks a rule or cannot be stored; `field` names it"
)
CONCURRENT: Final = (
    "`concurrent-change`: clashed with another change made at the same moment; nothing was "
    "saved, try again"
)
TOO_LARGE: Final = "`too-large`: the body is over the size limit"
UNAVAILABLE: Final = (
    "`unavailable`: the database cannot be reached right now; try again after `Retry-After` seconds"
)


def _free_text(schema: Mapping[str, Any]) -> bool:
    """Whether a parameter of ``schema`` takes any text (an optional one too): nothing
    about it can be malformed."""
    choices = schema.get("oneOf") or schema.get("anyOf")
    if choices:
        return all(c.get("type") == "null" or _free_text(c) for c in choices)
    return schema.get("type") == "string" and not set(schema) & {
        "enum",
        "const",
        "pattern",
        "format",
        "minLength",
        "maxLength",
    }


def _forbidden(roles: tuple[str, ...]) -> str:
    return f"`forbidden`: the caller's role may not do this (allowed: {', '.join(roles)})"


OUTSIDE_REACH: Final = (
    "`forbidden`: the path names a row of a community (or a street) outside the one the "
    "caller's account is tied to"
)


def derived(
    handler: HTTPRouteHandler, method: str, operation: Mapping[str, Any]
) -> dict[int, list[str]]:
    """Status → the reasons (one line each) the operation ``method`` of ``handler``, as the
    document describes it in ``operation``, can be refused with by the rules above."""
    roles: tuple[str, ...] = tuple(handler.opt.get("roles") or ())
    public = PUBLIC in roles
    unsafe = method.lower() in UNSAFE
    parameters = [p for p in operation.get("parameters") or () if isinstance(p, dict)]
    path = [p for p in parameters if p.get("in") == "path"]
    query = [p for p in parameters if p.get("in") == "query"]
    body = "requestBody" in operation
    texts = [p for p in path if p.get("schema", {}).get("type") != "integer"]
    uses_db = "db" in handler.parsed_fn_signature.parameters

    reasons: dict[int, list[str]] = {}

    def add(status: int, why: str) -> None:
        reasons.setdefault(status, []).append(why)

    if body or any(not _free_text(p.get("schema", {})) for p in query):
        add(400, MALFORMED)
    if not public:
        add(401, NOT_SIGNED_IN)
    elif not handler.opt.get(SIGNS_IN):
        add(401, STALE_TOKEN)
    if not public and set(roles) != set(EVERY_ACCOUNT):
        add(403, _forbidden(roles))
    if not public and any(p["name"] in TRACES or p["name"] == "street_id" for p in path):
        add(403, OUTSIDE_REACH)
    if unsafe:
        add(403, CROSS_SITE_OPEN if public else CROSS_SITE_STAFF)
    if path:
        ids = [p["name"].removesuffix("_id") for p in path if p not in texts]
        if ids:
            add(404, NOT_FOUND.format(what=" or ".join(ids)))
        if texts:
            add(404, CONTROL_IN_PATH)
    if unsafe and uses_db:
        add(409, CONCURRENT)
    if body:
        add(413, TOO_LARGE)
    if (body or query or texts) and uses_db:
        add(422, INVALID)
    add(503, UNAVAILABLE)
    return reasons
