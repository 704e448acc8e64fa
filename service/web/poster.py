"""The result poster from the pages: the board's round page and the console's reveal page
link here, so that a facilitator or a resident prints it in one click. The poster is the
API's (:func:`service.records.controllers.poster_download`), in the page's language; like
the board, it is public and shows a round only once its result is published."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery

from service.auth.guard import roles
from service.deps import DB
from service.records.controllers import poster_download
from service.web.render import language_of


class PosterController(Controller):
    path = "/board"
    tags = ["pages"]
    include_in_schema = False

    @get("/rounds/{round_id:int}/poster", opt=roles("public"))
    async def poster(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        round_id: FromPath[int],
        size: FromQuery[str] = "A4",
    ) -> Response[bytes]:
        """The poster of a published round as a PDF download (A4 or A3, ``?size=``)."""
        return await poster_download(db, request, round_id, size, language_of(request))
