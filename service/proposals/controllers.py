"""Proposals (方案) under a process: add, read with history, amend, merge, withdraw."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import FromPath, JSONBody

from service.auth.guard import STAFF, roles
from service.deps import DB, Caller
from service.proposals import repository as repo
from service.proposals.schemas import (
    Merge,
    Proposal,
    ProposalCreate,
    ProposalDetail,
    ProposalUpdate,
    Withdrawal,
)

EDITORS = roles("facilitator", "admin")


class ProposalController(Controller):
    path = "/api/v1"
    tags = ["proposals"]

    @post("/processes/{process_id:int}/proposals", opt=EDITORS)
    async def create_proposal(
        self, db: DB, process_id: FromPath[int], data: JSONBody[ProposalCreate], actor: Caller
    ) -> Proposal:
        """Only while the process is collecting or deliberating."""
        return repo.proposal_out(await repo.create_proposal(db, actor, process_id, data))

    @get("/processes/{process_id:int}/proposals", opt=roles(*STAFF))
    async def list_proposals(self, db: DB, process_id: FromPath[int]) -> list[Proposal]:
        return await repo.list_proposals(db, process_id)

    @get("/proposals/{proposal_id:int}", opt=roles(*STAFF))
    async def get_proposal(self, db: DB, proposal_id: FromPath[int]) -> ProposalDetail:
        """The proposal with its history, oldest first."""
        return await repo.proposal_detail(db, proposal_id)

    @patch("/proposals/{proposal_id:int}", opt=EDITORS)
    async def amend_proposal(
        self, db: DB, proposal_id: FromPath[int], data: JSONBody[ProposalUpdate], actor: Caller
    ) -> Proposal:
        return repo.proposal_out(await repo.amend_proposal(db, actor, proposal_id, data))

    @post("/proposals/{proposal_id:int}/merge", opt=EDITORS, status_code=200)
    async def merge_proposal(
        self, db: DB, proposal_id: FromPath[int], data: JSONBody[Merge], actor: Caller
    ) -> Proposal:
        return repo.proposal_out(await repo.merge_proposal(db, actor, proposal_id, data))

    @post("/proposals/{proposal_id:int}/withdraw", opt=EDITORS, status_code=200)
    async def withdraw_proposal(
        self, db: DB, proposal_id: FromPath[int], data: JSONBody[Withdrawal], actor: Caller
    ) -> Proposal:
        return repo.proposal_out(await repo.withdraw_proposal(db, actor, proposal_id, data))
