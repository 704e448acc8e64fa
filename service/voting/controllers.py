"""Voter codes (facilitators and admins issue and void them), turnout for staff, casting for
anyone holding a code, and the round's live events for staff screens."""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

from litestar import Controller, Request, Response, get, post, websocket
from litestar.channels import ChannelsPlugin
from litestar.connection import WebSocket
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from service.auth.clock import now_of
from service.auth.guard import STAFF, roles
from service.deps import DB, Caller
from service.events import round_channel
from service.openapi.responses import refusals, success
from service.results.controllers import HIDDEN, ballot_page
from service.results.schemas import BallotPage
from service.rounds.repository import find_round
from service.voting import assistance, codes, devices
from service.voting.assistance import Assistance, AssistanceRecord
from service.voting.casting import prepare
from service.voting.channels import Channel
from service.voting.late import LateReport, late_report
from service.voting.lockouts import Lockouts
from service.voting.phone_window import check_cast
from service.voting.schemas import (
    CastRequest,
    CodesCreate,
    CodesIssued,
    CodeVoid,
    CodeVoided,
    Receipt,
    Turnout,
)
from service.voting.writer import CastWriter

Channels: TypeAlias = NamedDependency[ChannelsPlugin]
CAST_REFUSALS = {
    404: "`code-unknown`: no such voter code in this round (counted against the device's guesses)",
    409: "`code-used`, `code-void`, `household-voted`: the code cannot vote (again); "
    "`round-not-open`: the round is not voting; `phone-window-closed`: the round takes no "
    "ballots from home now (no phone window, or it has ended); `idempotency-key-reused`: "
    "the key was used for another ballot; `cast-retry`, `database-busy`: collided with "
    "another submission or change, send it again with the same key",
    422: "`invalid-ballot` (`detail.problem`): the ballot breaks the round's rules "
    "(unknown option, a rank twice, empty …)",
    429: "`too-many-attempts`: too many unknown codes from this device; wait `Retry-After` seconds",
    503: "`unavailable`: the ballot box is not taking ballots right now (the server is "
    "stopping or the database is away); send it again with the same key",
}
"""What casting can refuse besides what every endpoint can (:mod:`service.openapi.answers`)."""


async def cast(
    state: State, device: str, round_id: int, data: CastRequest, channel: Channel = "tablet"
) -> Receipt:
    """Check the ballot, then hand it to the writer and wait for its commit (its code marked
    with ``channel``). Unknown codes are charged to ``device``
    (:mod:`service.voting.devices`) before they are answered."""
    lockouts: Lockouts = state.lockouts
    lockouts.check(device)
    writer: CastWriter = state.cast_writer
    try:
        job = prepare(await writer.spec(round_id), data, state.settings.secret_key, channel)
        return await writer.cast(job)
    except codes.CodeUnknown:
        await lockouts.failed(device, round_id)
        raise


async def cast_from_home(state: State, device: str, round_id: int, data: CastRequest) -> Receipt:
    """A ballot from no enrolled tablet (the phone page, the public API): taken only inside
    the round's phone window (:func:`service.voting.phone_window.check_cast`; a retry of a
    ballot cast inside it still gets its receipt), and counted as channel ``phone``."""
    async with state.sessionmaker() as db:
        await check_cast(db, round_id, data.key, state.settings.secret_key, now_of(state))
    return await cast(state, device, round_id, data, channel="phone")


class VotingController(Controller):
    path = "/api/v1/rounds"
    tags = ["voting"]

    @post(
        "/{round_id:int}/codes",
        opt=roles("facilitator", "admin"),
        status_code=201,
        responses=refusals(
            {
                409: "`codes-unconfirmed`: households that hold a live code or look like "
                "another household, listed in `detail.warnings`; send again with "
                "`confirm: true` to issue anyway"
            }
        ),
    )
    async def issue_codes(
        self,
        db: DB,
        state: State,
        round_id: FromPath[int],
        data: JSONBody[CodesCreate],
        actor: Caller,
    ) -> CodesIssued:
        """New one-time codes as one numbered batch (each with its slip's number); the
        console prints an unused one again, from the batch's page."""
        return await codes.issue_codes(db, round_id, data, state.settings.secret_key, actor)

    @post("/{round_id:int}/codes/void", opt=roles("facilitator", "admin"), status_code=200)
    async def void_code(
        self, db: DB, state: State, round_id: FromPath[int], data: JSONBody[CodeVoid], actor: Caller
    ) -> CodeVoided:
        key = state.settings.secret_key
        await codes.void_code(db, round_id, data.code, data.reason, key, actor)
        return CodeVoided(round_id=round_id, voided=True, reason=data.reason)

    @get("/{round_id:int}/turnout", opt=roles(*STAFF))
    async def turnout(self, db: DB, round_id: FromPath[int]) -> Turnout:
        return await codes.turnout(db, round_id)

    @post("/{round_id:int}/assistance", opt=roles("facilitator", "admin"), status_code=201)
    async def record_assistance(
        self, db: DB, round_id: FromPath[int], data: JSONBody[AssistanceRecord], actor: Caller
    ) -> Assistance:
        """Count one assisted vote while the round votes: ``chosen`` (helped by a person of
        the resident's choice) or ``staff`` (two staff together). Only counts are kept:
        no time, helper, household or anything of the ballot."""
        return await assistance.record_assistance(db, round_id, data.kind, actor)

    @get("/{round_id:int}/assistance", opt=roles(*STAFF))
    async def assistance_counts(self, db: DB, round_id: FromPath[int]) -> Assistance:
        """Assisted votes of the round so far, by kind of helper."""
        await find_round(db, round_id)
        return await assistance.assistance(db, round_id)

    @get("/{round_id:int}/late-ballots", opt=roles(*STAFF))
    async def late_ballots(self, db: DB, round_id: FromPath[int]) -> LateReport:
        """Ballots tablets kept while offline and delivered after their code was used or
        voided, or after the round stopped voting: how many, why, from how many tablets.
        They were not counted; nothing of the ballot or the code is kept."""
        await find_round(db, round_id)
        return await late_report(db, round_id)

    @post(
        "/{round_id:int}/ballots",
        opt=roles("public"),
        status_code=201,
        responses=success(
            200,
            Receipt,
            "the same receipt again: this key and ballot were cast "
            "before (a retry after a lost answer); nothing new was stored",
        )
        | refusals(CAST_REFUSALS),
    )
    async def cast_ballot(
        self,
        request: Request[Any, Any, Any],
        state: State,
        round_id: FromPath[int],
        data: JSONBody[CastRequest],
    ) -> Response[Receipt]:
        """Cast a ballot with a one-time code from home: 201 with the receipt, or 200 with the
        same receipt when the same key and ballot were already cast (a retry). A ballot here
        comes from no enrolled tablet (tablets cast through the kiosk page), so it is a
        ballot from home, like the phone page's: taken only inside the round's phone window
        (409 `phone-window-closed` outside it, nothing stored) and counted as `phone`."""
        host = request.client.host if request.client else ""
        receipt = await cast_from_home(state, devices.address(host), round_id, data)
        return Response(receipt, status_code=200 if receipt.replayed else 201)

    @get("/{round_id:int}/ballots", opt=roles("public", *STAFF), responses=HIDDEN)
    async def list_ballots(
        self,
        db: DB,
        round_id: FromPath[int],
        actor: Caller,
        after: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> BallotPage:
        """The published ballots, ``limit`` at a time after ``after`` (staff once the round
        is closed, everyone once it is published): with sealed receipts each distinct ballot
        and its count, no tracker; with open receipts each ballot beside its tracker."""
        return await ballot_page(db, round_id, actor, after, limit)

    @websocket("/{round_id:int}/events", opt=roles(*STAFF))
    async def events(
        self, socket: WebSocket[Any, Any, Any], round_id: FromPath[int], channels: Channels
    ) -> None:
        """Live events of the round (turnout while voting, phase changes) as JSON text."""
        await socket.accept()
        async with (
            channels.start_subscription([round_channel(round_id)]) as subscriber,
            subscriber.run_in_background(socket.send_data),
        ):
            try:
                while True:
                    await socket.receive_text()
            except WebSocketDisconnect:
                pass
