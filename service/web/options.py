"""The facilitator's console, options of a process: amending one (with the reason kept in
its history), merging one into another, and withdrawing one with a reason. Each is refused
once the option stands on a round that is voting or later (its ballot is frozen)."""

from __future__ import annotations

import msgspec
from litestar import Controller, post
from litestar.params import FromPath
from litestar.response import Redirect

from service.auth.guard import MAX_ID
from service.deps import DB, Caller
from service.proposals import repository as proposals
from service.proposals.schemas import Merge, ProposalUpdate, Withdrawal
from service.web.console import RUNS_MEETINGS
from service.web.forms import Form, amount, checked, whole
from service.web.render import redirect


class AmendForm(msgspec.Struct):
    title: str = ""
    description: str = ""
    cost: str = ""
    author: str = ""
    reason: str = ""

    def to_update(self) -> ProposalUpdate:
        return checked(
            {
                "title": self.title.strip(),
                "description": self.description.strip(),
                "cost": amount(self.cost, "cost"),
                "author": self.author.strip(),
                "reason": self.reason.strip() or None,
            },
            ProposalUpdate,
        )


class MergeForm(msgspec.Struct):
    into: str = ""
    reason: str = ""

    def to_merge(self) -> Merge:
        return checked(
            {"into": whole(self.into, "into", least=1, most=MAX_ID), "reason": self.reason},
            Merge,
        )


class WithdrawForm(msgspec.Struct):
    reason: str = ""


def back_to(process_id: int) -> Redirect:
    return redirect(f"/console/processes/{process_id}#options")


class OptionsController(Controller):
    path = "/console/proposals"
    tags = ["pages"]
    include_in_schema = False

    @post("/{proposal_id:int}/amend", opt=RUNS_MEETINGS)
    async def amend(
        self, db: DB, actor: Caller, proposal_id: FromPath[int], data: Form[AmendForm]
    ) -> Redirect:
        row = await proposals.amend_proposal(db, actor, proposal_id, data.to_update())
        return back_to(row.process_id)

    @post("/{proposal_id:int}/merge", opt=RUNS_MEETINGS)
    async def merge(
        self, db: DB, actor: Caller, proposal_id: FromPath[int], data: Form[MergeForm]
    ) -> Redirect:
        row = await proposals.merge_proposal(db, actor, proposal_id, data.to_merge())
        return back_to(row.process_id)

    @post("/{proposal_id:int}/withdraw", opt=RUNS_MEETINGS)
    async def withdraw(
        self, db: DB, actor: Caller, proposal_id: FromPath[int], data: Form[WithdrawForm]
    ) -> Redirect:
        row = await proposals.withdraw_proposal(
            db, actor, proposal_id, Withdrawal(reason=data.reason)
        )
        return back_to(row.process_id)
