"""Request paths no route can mean: a decoded path holding a control character (``%00``,
``%0a``, ``%1b`` …) is answered 404 before any handler, file lookup or log line sees it."""

from __future__ import annotations

import re
from typing import Final

from litestar.exceptions import NotFoundException
from litestar.types import ASGIApp, Receive, Scope, Send

CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f]")
"""C0 and C1 control characters and DEL: no path of the service holds one."""


def refuse_control_paths(app: ASGIApp) -> ASGIApp:
    """Middleware: 404 ``not-found`` (in the error shape of the API or the pages) for any
    request whose decoded path holds a control character. A plain ASGI closure: it runs on
    every request, casts included, so it costs one regular-expression search and a call."""
    search = CONTROL.search

    async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
        if search(scope["path"]):
            raise NotFoundException()
        await app(scope, receive, send)

    return refuse
