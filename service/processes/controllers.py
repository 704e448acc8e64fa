"""Processes (议题) under a community (the requests that feed them: :mod:`service.requests`)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from service.auth.guard import STAFF, roles
from service.deps import DB, Caller
from service.processes import repository as repo
from service.processes.schemas import PhaseChange, Process, ProcessCreate, ProcessDetail


class ProcessController(Controller):
    path = "/api/v1"
    tags = ["processes"]

    @post(
        "/communities/{community_id:int}/processes", opt=roles("facilitator", "secretary", "admin")
    )
    async def create_process(
        self, db: DB, community_id: FromPath[int], data: JSONBody[ProcessCreate], actor: Caller
    ) -> Process:
        process = await repo.create_process(db, actor, community_id, data.title, data.question)
        return repo.process_out(process)

    @get("/communities/{community_id:int}/processes", opt=roles(*STAFF))
    async def list_processes(self, db: DB, community_id: FromPath[int]) -> list[Process]:
        return await repo.list_processes(db, community_id)

    @get("/processes/{process_id:int}", opt=roles(*STAFF))
    async def get_process(self, db: DB, process_id: FromPath[int]) -> ProcessDetail:
        return await repo.process_detail(db, process_id)

    @post(
        "/processes/{process_id:int}/phase",
        opt=roles("facilitator", "secretary", "admin"),
        status_code=200,
    )
    async def change_phase(
        self, db: DB, process_id: FromPath[int], data: JSONBody[PhaseChange], actor: Caller
    ) -> Process:
        """Move the process on; which roles may depends on the phase asked for."""
        return repo.process_out(await repo.change_phase(db, actor, process_id, data))
