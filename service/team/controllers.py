"""The team over HTTP: facilitators, secretaries and admins keep it, every community role
reads it.

    GET   /api/v1/communities/{community_id}/team    the members (staff)
    POST  /api/v1/communities/{community_id}/team    add one
    PATCH /api/v1/team/{member_id}                   change one, or deactivate (active: false)
"""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import FromPath, JSONBody

from service.auth.guard import STAFF, roles
from service.deps import DB, Caller
from service.openapi.responses import refusals
from service.team import repository
from service.team.schemas import TeamMember, TeamMemberCreate, TeamMemberUpdate

READS_TEAM = roles(*STAFF)
KEEPS_TEAM = roles("facilitator", "secretary", "admin")
MEMBER_REFUSED = refusals(
    {
        422: "`team-consent-required`: `phone_public` without `consent_on`; "
        "`team-phone-required`: `phone_public` without a phone number; "
        "`team-grid-elsewhere`: `grid_id` is not a grid of the member's community"
    }
)


class TeamController(Controller):
    path = "/api/v1"
    tags = ["team"]

    @get("/communities/{community_id:int}/team", opt=READS_TEAM)
    async def list_team(self, db: DB, community_id: FromPath[int]) -> list[TeamMember]:
        """The community's team, active members first, then by grid and name."""
        return await repository.team_of(db, community_id)

    @post("/communities/{community_id:int}/team", opt=KEEPS_TEAM, responses=MEMBER_REFUSED)
    async def add_member(
        self,
        db: DB,
        community_id: FromPath[int],
        data: JSONBody[TeamMemberCreate],
        actor: Caller,
    ) -> TeamMember:
        """Add a member; a phone shown on the board needs the day the member consented."""
        return await repository.add_member(db, community_id, data, actor)

    @patch("/team/{member_id:int}", opt=KEEPS_TEAM, responses=MEMBER_REFUSED)
    async def change_member(
        self, db: DB, member_id: FromPath[int], data: JSONBody[TeamMemberUpdate], actor: Caller
    ) -> TeamMember:
        """Change a member, or take them off the board (``active`` false)."""
        return await repository.change_member(db, member_id, data, actor)
