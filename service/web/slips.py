"""The facilitator's console, voter-code slips: issuing a batch of codes as printable slips
and voiding codes that were handed back or given twice."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template
from markupsafe import Markup

from service import offload
from service.deps import DB, Caller
from service.errors import Invalid
from service.processes.repository import find_process
from service.records.slips import qr_svgs
from service.rounds import repository as rounds
from service.text import blank
from service.voting import codes
from service.voting.roll import refuse_clashes
from service.voting.schemas import CodesCreate
from service.web.console import RUNS_MEETINGS
from service.web.forms import CodesForm, Form, VoidForm, whole
from service.web.render import page, redirect


def code_requests(data: CodesForm, household_roll: bool) -> CodesCreate:
    """How many codes (or which households) a slips form asks for."""
    if household_roll:
        lines = [
            (number, line)
            for number, line in enumerate(data.households.splitlines(), start=1)
            if not blank(line)
        ]
        if not lines:
            raise Invalid("households-listed", field="households")
        refuse_clashes(lines)  # numbered as the facilitator sees the lines
        return CodesCreate(households=[line for _, line in lines])
    count = whole(data.count, "count", least=1, most=500)
    if count is None:
        raise Invalid("code-count-required", field="count")
    return CodesCreate(count=count)


class SlipsController(Controller):
    path = "/console"
    tags = ["pages"]
    include_in_schema = False

    @post("/rounds/{round_id:int}/codes", opt=RUNS_MEETINGS, status_code=200)
    async def print_codes(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        state: State,
        actor: Caller,
        round_id: FromPath[int],
        data: Form[CodesForm],
    ) -> Template:
        """New codes as a printable page of slips with QR codes: shown this once only. The
        codes and their QR codes are made in the worker before the codes are written."""
        round_row = await rounds.find_round(db, round_id)
        process = await find_process(db, round_row.process_id)
        wanted = code_requests(data, round_row.household_roll)
        plan = await codes.plan_codes(db, round_id, wanted)
        fresh = await offload.run(codes.fresh_codes, len(plan.bound), state.settings.secret_key)
        svgs = await offload.run(qr_svgs, [c.code for c in fresh])
        issued = await codes.store_codes(db, plan, fresh, actor)
        return page(
            request,
            "console/slips.html",
            round=round_row,
            process=process,
            slips=[
                {"code": c.code, "household": c.household, "qr": Markup(svg)}  # segno's own markup
                for c, svg in zip(issued.codes, svgs, strict=True)
            ],
            skipped=issued.skipped,
            here=f"/console/rounds/{round_id}",
        )

    @post("/rounds/{round_id:int}/codes/void", opt=RUNS_MEETINGS)
    async def void_code(
        self,
        db: DB,
        state: State,
        actor: Caller,
        round_id: FromPath[int],
        data: Form[VoidForm],
    ) -> Redirect:
        """Void an unused code with a reason (a slip handed back, or given twice)."""
        void = data.checked()
        key = state.settings.secret_key
        await codes.void_code(db, round_id, void.code, void.reason, key, actor)
        return redirect(f"/console/rounds/{round_id}?voided=1#codes")
