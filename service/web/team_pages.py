"""The console's page of a community's red-bench team (红板凳队伍): the members with their
role, grid and phone, whether the phone is on the board (and since when it may be), a form
to add a member and one to change each (or take them off the board)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from service.communities.controllers import community_out, find_community
from service.db.street import TEAM_ROLES
from service.deps import DB, Caller
from service.team import repository
from service.team.controllers import KEEPS_TEAM, READS_TEAM
from service.team.schemas import TeamMemberCreate, TeamMemberUpdate
from service.web.forms import Form, checked, whole
from service.web.render import page, redirect


class MemberForm(msgspec.Struct):
    """A member added or changed on the team page; the checkboxes send ``1`` or nothing."""

    name: str = ""
    role: str = ""
    grid: str = ""
    phone: str = ""
    phone_public: str = ""
    consent_on: str = ""
    active: str = ""

    def fields(self) -> dict[str, Any]:
        """The form as the API's fields (a blank grid or date: none)."""
        return {
            "name": self.name,
            "role": self.role,
            "grid_id": whole(self.grid, "grid_id", least=1),
            "phone": self.phone.strip(),
            "phone_public": bool(self.phone_public),
            "consent_on": self.consent_on.strip() or None,
        }


class TeamPagesController(Controller):
    path = "/console"
    tags = ["pages"]
    include_in_schema = False

    @get("/communities/{community_id:int}/team", opt=READS_TEAM)
    async def team_page(
        self, request: Request[Any, Any, Any], db: DB, community_id: FromPath[int]
    ) -> Template:
        """The team, with the forms to keep it (shown to those who may)."""
        community = await community_out(db, await find_community(db, community_id))
        return page(
            request,
            "console/team.html",
            community=community,
            members=await repository.team_of(db, community_id),
            roles=TEAM_ROLES,
            keeps=request.state.actor.role in KEEPS_TEAM["roles"],
        )

    @post("/communities/{community_id:int}/team", opt=KEEPS_TEAM)
    async def add_member(
        self, db: DB, actor: Caller, community_id: FromPath[int], data: Form[MemberForm]
    ) -> Redirect:
        made = checked(data.fields(), TeamMemberCreate)
        member = await repository.add_member(db, community_id, made, actor)
        return redirect(f"/console/communities/{community_id}/team#member-{member.id}")

    @post("/team/{member_id:int}", opt=KEEPS_TEAM)
    async def change_member(
        self, db: DB, actor: Caller, member_id: FromPath[int], data: Form[MemberForm]
    ) -> Redirect:
        change = checked({**data.fields(), "active": bool(data.active)}, TeamMemberUpdate)
        member = await repository.change_member(db, member_id, change, actor)
        return redirect(f"/console/communities/{member.community_id}/team#member-{member.id}")
