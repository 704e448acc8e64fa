"""Processes (议题) under a community and the requests (诉求) that feed them."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from service.auth.guard import STAFF, roles
from service.deps import DB, Caller
from service.processes import repository as repo
from service.processes.schemas import (
    Decline,
    PhaseChange,
    Process,
    ProcessCreate,
    ProcessDetail,
    Promotion,
    RequestCreate,
    RequestStatus,
    ResidentRequest,
)


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


class RequestController(Controller):
    path = "/api/v1"
    tags = ["requests"]

    @post(
        "/communities/{community_id:int}/requests", opt=roles("grid_worker", "facilitator", "admin")
    )
    async def log_request(
        self, db: DB, community_id: FromPath[int], data: JSONBody[RequestCreate], actor: Caller
    ) -> ResidentRequest:
        return repo.request_out(await repo.log_request(db, actor, community_id, data))

    @get("/communities/{community_id:int}/requests", opt=roles(*STAFF))
    async def list_requests(
        self, db: DB, community_id: FromPath[int], status: FromQuery[RequestStatus | None] = None
    ) -> list[ResidentRequest]:
        return await repo.list_requests(db, community_id, status)

    @get("/requests/{request_id:int}", opt=roles(*STAFF))
    async def get_request(self, db: DB, request_id: FromPath[int]) -> ResidentRequest:
        return repo.request_out(await repo.find_request(db, request_id))

    @post(
        "/requests/{request_id:int}/promote",
        opt=roles("facilitator", "secretary", "admin"),
        status_code=200,
    )
    async def promote_request(
        self, db: DB, request_id: FromPath[int], data: JSONBody[Promotion], actor: Caller
    ) -> ResidentRequest:
        """Into an existing process of the same community, or into a new one."""
        return repo.request_out(await repo.promote_request(db, actor, request_id, data))

    @post(
        "/requests/{request_id:int}/decline",
        opt=roles("facilitator", "secretary", "admin"),
        status_code=200,
    )
    async def decline_request(
        self, db: DB, request_id: FromPath[int], data: JSONBody[Decline], actor: Caller
    ) -> ResidentRequest:
        return repo.request_out(await repo.decline_request(db, actor, request_id, data.reason))
