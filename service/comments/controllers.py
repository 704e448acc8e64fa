"""Comments over HTTP: facilitators and admins record and hide them; staff read them."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from service.auth.guard import STAFF, roles
from service.comments import repository as repo
from service.comments.schemas import Comment, CommentCreate, CommentHide, CommentSummary
from service.deps import DB, Caller
from service.rounds.repository import find_round

MODERATES = roles("facilitator", "admin")


class CommentController(Controller):
    path = "/api/v1"
    tags = ["comments"]

    @post("/rounds/{round_id:int}/comments", opt=MODERATES)
    async def add_comment(
        self, db: DB, round_id: FromPath[int], data: JSONBody[CommentCreate], actor: Caller
    ) -> Comment:
        """Record a speaker's comment (only while the round is commenting)."""
        row = await repo.add_comment(db, round_id, data, actor)
        return (await repo.comments_out(db, [row], await find_round(db, round_id)))[0]

    @get("/rounds/{round_id:int}/comments", opt=roles(*STAFF))
    async def list_comments(
        self,
        db: DB,
        round_id: FromPath[int],
        view: FromQuery[Literal["threaded", "flat"]] = "threaded",
    ) -> list[Comment]:
        """All comments of the round, hidden ones with their reason; threaded or flat."""
        return await repo.list_comments(db, round_id, threaded=view == "threaded")

    @get("/rounds/{round_id:int}/comments/summary", opt=roles(*STAFF))
    async def comment_summary(self, db: DB, round_id: FromPath[int]) -> CommentSummary:
        """Visible comments counted by stance for each option."""
        return await repo.summary(db, round_id)

    @post("/comments/{comment_id:int}/hide", opt=MODERATES, status_code=200)
    async def hide_comment(
        self, db: DB, comment_id: FromPath[int], data: JSONBody[CommentHide], actor: Caller
    ) -> Comment:
        """Hide an abusive comment; the text and the reason are kept."""
        row = await repo.hide_comment(db, comment_id, data.reason, actor)
        return (await repo.comments_out(db, [row], await find_round(db, row.round_id)))[0]
