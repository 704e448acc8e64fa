"""The API of voting from home by phone: the facilitator sets, moves or clears the round's
phone window (:mod:`service.voting.phone_window`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from service.auth.clock import now_of
from service.auth.guard import STAFF, roles
from service.deps import DB, Caller
from service.openapi.responses import refusals
from service.rounds.repository import find_round
from service.voting.phone_window import (
    PhoneWindow,
    PhoneWindowSet,
    set_window,
    window_of,
)


class PhoneWindowController(Controller):
    path = "/api/v1/rounds"
    tags = ["voting"]

    @put(
        "/{round_id:int}/phone-window",
        opt=roles("facilitator", "admin"),
        responses=refusals(
            {
                409: "`phone-window-fixed`: the round has closed (or was cancelled); its "
                "window can no longer change; `phone-window-insecure`: the public address "
                "(`REDBENCH_PUBLIC_URL`, else the address this request came to) is not "
                "`https` (nor a loopback host), so phones would send codes and ballots in "
                "clear",
                422: "`invalid`: `until` is not in the future, or has no offset",
            }
        ),
    )
    async def set_phone_window(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        state: State,
        round_id: FromPath[int],
        data: JSONBody[PhoneWindowSet],
        actor: Caller,
    ) -> PhoneWindow:
        """Set or move (``until``: an ISO 8601 time with its offset, in the future) or clear
        (``until: null``) until when residents may vote from home by phone, before or
        during voting. Phone ballots are taken only while the round is voting and before
        ``until``: closing the round ends phone voting too. Setting or moving it needs an
        ``https`` public address (or a loopback host, for trying it out). Audited."""
        base = state.settings.public_base(str(request.base_url))
        return await set_window(db, round_id, data.until, actor, now_of(state), base)

    @get("/{round_id:int}/phone-window", opt=roles(*STAFF))
    async def phone_window(self, db: DB, state: State, round_id: FromPath[int]) -> PhoneWindow:
        """Until when the round takes phone ballots, and whether it takes them now."""
        return window_of(await find_round(db, round_id), now_of(state))
