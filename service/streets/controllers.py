"""Streets and grid party branches over HTTP: an admin makes them and places communities
and grids; street staff read their own street; the community's staff read its branches."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody

from service.auth.guard import STAFF, roles
from service.deps import DB, Caller
from service.streets import STREET_OFFICE
from service.streets import repository as repo
from service.streets.schemas import (
    Branch,
    BranchCreate,
    BranchPlacement,
    Street,
    StreetCreate,
    StreetPlacement,
)

ADMIN = roles("admin")


class StreetController(Controller):
    path = "/api/v1"
    tags = ["streets"]

    @post("/streets", opt=ADMIN)
    async def create_street(self, db: DB, data: JSONBody[StreetCreate], actor: Caller) -> Street:
        """A street office above communities (矿山集街道)."""
        return await repo.street_out(db, await repo.create_street(db, actor, data))

    @get("/streets", opt=STREET_OFFICE)
    async def list_streets(self, db: DB, actor: Caller) -> list[Street]:
        """Every street (admin); a street account sees its own only."""
        return await repo.list_streets(db, actor)

    @get("/streets/{street_id:int}", opt=STREET_OFFICE)
    async def get_street(self, db: DB, street_id: FromPath[int]) -> Street:
        return await repo.street_out(db, await repo.find_street(db, street_id))

    @put("/communities/{community_id:int}/street", opt=ADMIN)
    async def place_community(
        self, db: DB, community_id: FromPath[int], data: JSONBody[StreetPlacement], actor: Caller
    ) -> Street | None:
        """Put the community under a street (``street_id: null``: under none)."""
        return await repo.place_community(db, actor, community_id, data.street_id)

    @post("/communities/{community_id:int}/branches", opt=ADMIN)
    async def create_branch(
        self, db: DB, community_id: FromPath[int], data: JSONBody[BranchCreate], actor: Caller
    ) -> Branch:
        """A grid party branch (网格党支部) covering the grids named."""
        return await repo.create_branch(db, actor, community_id, data)

    @get("/communities/{community_id:int}/branches", opt=roles(*STAFF, "street"))
    async def list_branches(self, db: DB, community_id: FromPath[int]) -> list[Branch]:
        return await repo.branches_of(db, community_id)

    @put("/grids/{grid_id:int}/branch", opt=ADMIN)
    async def place_grid(
        self, db: DB, grid_id: FromPath[int], data: JSONBody[BranchPlacement], actor: Caller
    ) -> Branch | None:
        """The branch that covers a grid (``branch_id: null``: none)."""
        return await repo.place_grid(db, actor, grid_id, data.branch_id)
