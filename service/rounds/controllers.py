"""Rounds over HTTP: facilitators and admins set them up and move them through their
phases; every staff member reads them."""

from __future__ import annotations

from typing import TypeAlias

from litestar import Controller, get, patch, post, put
from litestar.channels import ChannelsPlugin
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from engine.process import RoundPhase
from service.auth.guard import STAFF, roles
from service.deps import DB, Caller
from service.events import publish_after_commit
from service.openapi.responses import refusals
from service.phases import change_phase
from service.rounds import repository as repo
from service.rounds.editing import update_round
from service.rounds.schemas import (
    PhaseChange,
    Round,
    RoundCancel,
    RoundCreate,
    RoundUpdate,
    SlateUpdate,
)

Channels: TypeAlias = NamedDependency[ChannelsPlugin]
RUNS_ROUNDS = roles("facilitator", "admin")


class RoundController(Controller):
    path = "/api/v1"
    tags = ["rounds"]

    @post("/processes/{process_id:int}/rounds", opt=RUNS_ROUNDS)
    async def create_round(
        self, db: DB, process_id: FromPath[int], data: JSONBody[RoundCreate], actor: Caller
    ) -> Round:
        """Set up a round: slate (proposal_ids or seed_from), ballot kind, method, options."""
        return await repo.round_out(db, await repo.create_round(db, process_id, data, actor))

    @get("/processes/{process_id:int}/rounds", opt=roles(*STAFF))
    async def list_rounds(self, db: DB, process_id: FromPath[int]) -> list[Round]:
        return [await repo.round_out(db, r) for r in await repo.list_rounds(db, process_id)]

    @get("/rounds/{round_id:int}", opt=roles(*STAFF))
    async def get_round(self, db: DB, round_id: FromPath[int]) -> Round:
        """The round with its slate and what still stops voting from opening."""
        return await repo.round_out(db, await repo.find_round(db, round_id))

    @patch(
        "/rounds/{round_id:int}",
        opt=RUNS_ROUNDS,
        responses=refusals(
            {
                409: "`round-frozen`: voting has opened, so the set-up is fixed; "
                "`round-cancelled`: the round was cancelled"
            }
        ),
    )
    async def update_round(
        self, db: DB, round_id: FromPath[int], data: JSONBody[RoundUpdate], actor: Caller
    ) -> Round:
        """Change a round's set-up — title, method, options, rules, slate and its order,
        prompts, household roll, receipts — until voting opens (409 after); the audit log
        keeps each change with its value before and after."""
        return await repo.round_out(db, await update_round(db, round_id, data, actor))

    @put("/rounds/{round_id:int}/slate", opt=RUNS_ROUNDS)
    async def replace_slate(
        self, db: DB, round_id: FromPath[int], data: JSONBody[SlateUpdate], actor: Caller
    ) -> Round:
        """Replace the slate (ballot order); refused (409 round-frozen) once voting opened."""
        row = await repo.replace_slate(db, round_id, data.proposal_ids, actor)
        return await repo.round_out(db, row)

    @post("/rounds/{round_id:int}/phase", opt=RUNS_ROUNDS, status_code=200)
    async def change_phase(
        self,
        db: DB,
        state: State,
        round_id: FromPath[int],
        data: JSONBody[PhaseChange],
        actor: Caller,
        channels: Channels,
    ) -> Round:
        """Move the round on: voting freezes it, closed counts it, published shows it."""
        secret = state.settings.secret_key
        row = await change_phase(db, round_id, RoundPhase(data.to), actor, secret)
        publish_after_commit(db, channels, round_id, "phase", phase=row.phase)
        return await repo.round_out(db, row)

    @post(
        "/rounds/{round_id:int}/cancel",
        opt=RUNS_ROUNDS,
        status_code=200,
        responses=refusals(
            {
                409: "`round-frozen`: voting has opened, so the round is closed and counted, "
                "not cancelled; `round-cancelled`: the round was cancelled already"
            }
        ),
    )
    async def cancel_round(
        self,
        db: DB,
        round_id: FromPath[int],
        data: JSONBody[RoundCancel],
        actor: Caller,
        channels: Channels,
    ) -> Round:
        """Cancel a round set up by mistake, with a reason, before its voting opens: it
        leaves the board and the public pages, and the audit log keeps the reason."""
        row = await repo.cancel_round(db, round_id, data.reason, actor)
        publish_after_commit(db, channels, round_id, "phase", phase=row.phase)
        return await repo.round_out(db, row)
