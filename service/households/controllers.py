"""The community's household roll over HTTP: every staff role reads and keeps it (grid
workers keep the roll; facilitators and secretaries fix it at the desk)."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from service.auth.guard import STAFF, roles
from service.deps import DB, Caller
from service.households import repository
from service.households.schemas import (
    MOST_FILE_BYTES,
    ImportReport,
    RollHousehold,
    RollHouseholdCreate,
    RollHouseholds,
    RollHouseholdUpdate,
    RollImport,
)
from service.openapi.responses import refusals

KEEPS_ROLL = roles(*STAFF)
IMPORT_BODY = MOST_FILE_BYTES * 4 // 3 + 64 * 1024
"""A roll file in base64, and the rest of the request."""


class RollController(Controller):
    path = "/api/v1/communities/{community_id:int}/households"
    tags = ["communities"]

    @get("/", opt=KEEPS_ROLL)
    async def list_roll(
        self,
        db: DB,
        community_id: FromPath[int],
        building: FromQuery[str | None] = None,
        grid: FromQuery[int | None] = None,
        q: FromQuery[str | None] = None,
    ) -> RollHouseholds:
        """The roll ordered by label: of one building (``3`` or ``3号楼``) or grid (its id),
        or whose label or head contains ``q``; with the community's counts."""
        return await repository.roll_of(db, community_id, building, grid, q)

    @post(
        "/",
        opt=KEEPS_ROLL,
        responses=refusals({409: "`roll-household-exists`: the roll has this household"}),
    )
    async def add_household(
        self,
        db: DB,
        community_id: FromPath[int],
        data: JSONBody[RollHouseholdCreate],
        actor: Caller,
    ) -> RollHousehold:
        """Add one household (a bare number as building or unit gets its word)."""
        return await repository.add_household(db, community_id, data, actor)

    @patch("/{household_id:int}", opt=KEEPS_ROLL)
    async def change_household(
        self,
        db: DB,
        community_id: FromPath[int],
        household_id: FromPath[int],
        data: JSONBody[RollHouseholdUpdate],
        actor: Caller,
    ) -> RollHousehold:
        """Change a household's address, head or grid, or take it off (``active`` false)
        and back on the roll."""
        return await repository.change_household(db, community_id, household_id, data, actor)

    @post("/import", opt=KEEPS_ROLL, status_code=200, request_max_body_size=IMPORT_BODY)
    async def import_roll(
        self, db: DB, community_id: FromPath[int], data: JSONBody[RollImport], actor: Caller
    ) -> ImportReport:
        """Read the grid workers' CSV: each line new, changed, unchanged or refused (with
        its reason); with ``dry_run`` false the new and changed lines are written."""
        return await repository.import_roll(db, community_id, data.file, data.dry_run, actor)
