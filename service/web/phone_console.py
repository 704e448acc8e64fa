"""The facilitator's console, voting by phone: setting, moving or clearing the round's phone
window from the round page (``console/round_phone.html``), the time typed in the community's
zone (:mod:`service.voting.phone_window` does the rest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect

from service.auth.clock import now_of
from service.communities.controllers import zone_of_process
from service.deps import DB, Caller
from service.errors import Invalid
from service.rounds.repository import find_round
from service.voting.phone_window import set_window
from service.web.console import RUNS_MEETINGS
from service.web.forms import Form
from service.web.render import redirect
from service.zones import zone


class PhoneWindowForm(msgspec.Struct):
    """The round page's phone form: the end as a ``datetime-local`` input gives it, in the
    community's zone, or ``clear`` for no phone voting."""

    until: str = ""
    clear: str = ""


def local_time(typed: str, zone_name: str) -> datetime:
    """``2026-12-06T20:00`` typed in ``zone_name`` as an aware time (422 otherwise)."""
    typed = typed.strip().replace(" ", "T")
    try:
        if len(typed) > 19:
            raise ValueError(typed)
        naive = datetime.fromisoformat(typed)
    except ValueError:
        raise Invalid("phone-window-format", field="until") from None
    if naive.tzinfo is not None:
        raise Invalid("phone-window-format", field="until")
    return naive.replace(tzinfo=zone(zone_name))


class PhoneConsoleController(Controller):
    path = "/console"
    tags = ["pages"]
    include_in_schema = False

    @post("/rounds/{round_id:int}/phone-window", opt=RUNS_MEETINGS)
    async def phone_window(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        state: State,
        actor: Caller,
        round_id: FromPath[int],
        data: Form[PhoneWindowForm],
    ) -> Redirect:
        """Set or move the end of phone voting (in the community's zone), or clear it;
        audited. Before and during voting only; the end must be in the future."""
        round_row = await find_round(db, round_id)
        until = None
        if not data.clear:
            until = local_time(data.until, await zone_of_process(db, round_row.process_id))
        base = state.settings.public_base(str(request.base_url))
        await set_window(db, round_id, until, actor, now_of(state), base)
        return redirect(f"/console/rounds/{round_id}#phone")
