"""The street office's pages: ``/street``, the home of a street account (the escalated
requests waiting, by community, with their days open, and a link to the street's
dashboard), and ``/street/requests/{id}`` (take it on, answer, return it to the
community). Who raised a request is never shown here."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from service.auth.clock import now_of
from service.communities.controllers import community_out, find_community
from service.deps import DB, Caller
from service.requests import repository as requests
from service.requests import street_desk
from service.streets import STREET_OFFICE
from service.streets import repository as streets
from service.web.forms import Form
from service.web.render import page, redirect
from service.web.request_forms import AnswerForm, AssignForm, NoteForm


class StreetPagesController(Controller):
    path = "/street"
    tags = ["pages"]
    include_in_schema = False

    @get("/", opt=STREET_OFFICE)
    async def home(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        actor: Caller,
        street: FromQuery[int | None] = None,
    ) -> Template:
        """The requests at the street, by community, longest waiting first; the returned
        and closed ones below."""
        choices = await streets.list_streets(db, actor)
        shown = next((s for s in choices if s.id == street), choices[0] if choices else None)
        waiting: dict[str, list[Any]] = {}
        handled: list[Any] = []
        if shown is not None:
            now = now_of(request.app.state)
            for row in await street_desk.escalations(db, shown.id, now):
                if row.stage == "escalated":
                    waiting.setdefault(row.community, []).append(row)
                else:
                    handled.append(row)
        count = sum(len(rows) for rows in waiting.values())
        return page(
            request,
            "street/home.html",
            street=shown,
            choices=choices,
            waiting=dict(sorted(waiting.items())),
            handled=handled,
            count=count,
        )

    @get("/requests/{request_id:int}", opt=STREET_OFFICE)
    async def request_page(
        self, request: Request[Any, Any, Any], db: DB, actor: Caller, request_id: FromPath[int]
    ) -> Template:
        """An escalated request with its history and the street's forms."""
        row = await requests.find_request(db, request_id, actor=actor)
        community = await community_out(db, await find_community(db, row.community_id))
        detail = await requests.request_detail(db, row, actor, now_of(request.app.state))
        grid = next((g.name for g in community.grids if g.id == row.grid_id), None)
        return page(
            request,
            "street/request.html",
            item=detail,
            community=community,
            grid=grid,
            at_street=row.stage == "escalated",
        )

    @post("/requests/{request_id:int}/assign", opt=STREET_OFFICE)
    async def assign(
        self, db: DB, state: State, actor: Caller, request_id: FromPath[int], data: Form[AssignForm]
    ) -> Redirect:
        assignee = data.assignment().assignee
        await street_desk.assign(db, actor, request_id, assignee, now_of(state))
        return redirect(f"/street/requests/{request_id}")

    @post("/requests/{request_id:int}/answer", opt=STREET_OFFICE)
    async def answer(
        self, db: DB, state: State, actor: Caller, request_id: FromPath[int], data: Form[AnswerForm]
    ) -> Redirect:
        await street_desk.answer(db, actor, request_id, data.answered().answer, now_of(state))
        return redirect(f"/street/requests/{request_id}")

    @post("/requests/{request_id:int}/return", opt=STREET_OFFICE)
    async def return_request(
        self, db: DB, state: State, actor: Caller, request_id: FromPath[int], data: Form[NoteForm]
    ) -> Redirect:
        await street_desk.return_request(db, actor, request_id, data.handled().note, now_of(state))
        return redirect("/street")
