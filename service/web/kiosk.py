"""The tablet ballot (kiosk mode): enrolling a tablet for a voting round, the ballot page
it shows (its words in every language, for switching in place), checking a one-time code
and its household before the resident marks the ballot, casting through the same writer as
the API (same idempotency keys, same receipts), and the receipt's QR code.

A browser without a valid enrolment cookie gets no ballot and cannot cast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import JSONBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import RoundPhase
from service.accounts.repository import sign_out
from service.audit import record
from service.auth.guard import SESSION_COOKIE, roles
from service.db.models import Round
from service.deps import DB, Caller
from service.errors import ERROR_KINDS, Forbidden, Invalid, handle_error
from service.processes.repository import find_process
from service.proposals.repository import descriptions
from service.rounds.repository import get_round, voting_rounds
from service.rounds.settings import ballot_rules
from service.voting import devices, late
from service.voting.casting import not_open
from service.voting.code_check import check_code
from service.voting.controllers import cast
from service.voting.late import Delivery, KeptBallot
from service.voting.padding import padded_size
from service.voting.schemas import CastRequest, CodeText, Receipt
from service.web.forms import Form, RoundChoice
from service.web.kiosk_words import DEFAULT_LANGUAGE, every_language, kiosk_words
from service.web.kiosk_words import KIOSK_MESSAGES as KIOSK_MESSAGES  # re-exported
from service.web.receipt import ReceiptAsked, ReceiptCode, receipt_code
from service.web.render import SECURITY_HEADERS, language_of, page, redirect
from service.web.tablets import (
    ENROLMENT_DAYS,
    TABLET_COOKIE,
    Enrolment,
    delivery_ticket,
    enrolment_token,
    read_enrolment,
    read_ticket,
)

RUNS_ROUNDS = roles("facilitator", "admin")
RESET_SECONDS = 20
"""After a ballot was kept on the tablet, it clears itself for the next resident after this
pause."""
RECEIPT_SECONDS = 180
"""How long the receipt stays up if nobody taps "我记好了": time to write it down or take a
photo of its QR code, and still a reset for a tablet left alone."""
OPEN_RECEIPT_SECONDS = 60
"""How long the receipt stays up at most in a round with open receipts: there the board shows
what the ballot says to anyone with its number, so the screen must not wait for the next
person in line. Its QR code shows only once the resident taps "显示二维码"."""
QUIET_SECONDS = 30
"""The receipt's countdown is shown only for its last seconds, so nobody is hurried."""
IDLE_SECONDS = 300
"""A ballot left alone this long before it is sent (the resident walked away) is cleared and
the tablet handed over, so the next resident inherits neither its code nor its language."""


def page_headers(response: Response[Any]) -> Response[Any]:
    """The pages' security headers (never cached, never sniffed) on the tablet's JSON
    answers too: they carry codes and receipts."""
    response.headers.update(SECURITY_HEADERS)
    return response


def json_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A refusal in the API's error shape, with the pages' security headers."""
    return page_headers(handle_error(request, exc))


JSON_ERRORS: dict[int | type[Exception], Any] = dict.fromkeys(ERROR_KINDS, json_error)
"""The kiosk's JSON calls answer refusals in the API's error shape, for the tablet script,
with the pages' security headers."""


class CodeCheck(msgspec.Struct, forbid_unknown_fields=True):
    code: CodeText


@dataclass(frozen=True, slots=True)
class BallotOption:
    """One option as the resident sees it on the tablet."""

    name: str
    description: str
    cost_cents: int | None


@dataclass(frozen=True, slots=True)
class BallotView:
    """Everything the ballot page shows and the tablet script needs."""

    round_id: int
    number: int
    title: str
    process_title: str
    question: str
    kind: str
    options: list[BallotOption]
    allow_truncation: bool
    max_approvals: int | None
    max_score: int
    budget_cents: int | None
    allow_over_budget: bool
    open_receipts: bool
    """Whether the receipt will show the ballot on the board (what the receipt step says)."""


async def ballot_view(db: AsyncSession, round_row: Round) -> BallotView:
    """The frozen slate of a voting round with the proposals' descriptions."""
    slate = round_row.slate or []
    ids = [entry.proposal_id for entry in slate]
    described = await descriptions(db, ids)
    process = await find_process(db, round_row.process_id)
    rules = ballot_rules(round_row)
    return BallotView(
        round_id=round_row.id,
        number=round_row.number,
        title=round_row.title,
        process_title=process.title,
        question=process.question,
        kind=round_row.ballot_kind,
        options=[
            BallotOption(
                name=entry.name,
                description=described.get(entry.proposal_id, ""),
                cost_cents=entry.cost_cents,
            )
            for entry in slate
        ],
        allow_truncation=rules.allow_truncation,
        max_approvals=rules.max_approvals,
        max_score=rules.max_score,
        budget_cents=None if rules.budget is None else round(rules.budget * 100),
        allow_over_budget=rules.allow_over_budget,
        open_receipts=round_row.open_receipts,
    )


def not_enrolled() -> Forbidden:
    return Forbidden("tablet-not-enrolled")


def enrolment_of(request: Request[Any, Any, Any], state: State) -> Enrolment:
    """The tablet's enrolment, or 403 ``tablet-not-enrolled``."""
    enrolment = read_enrolment(state.settings.secret_key, request.cookies.get(TABLET_COOKIE))
    if enrolment is None:
        raise not_enrolled()
    return enrolment


def enrolled_round(request: Request[Any, Any, Any], state: State) -> int:
    """The round this tablet is enrolled for, or 403 ``tablet-not-enrolled``."""
    return enrolment_of(request, state).round_id


def device(enrolment: Enrolment) -> str:
    """Who wrong codes count against: this tablet, whatever network it shares with others
    (so guessing on one tablet never locks out the resident on the next)."""
    return devices.tablet(enrolment.tablet_id)


class KioskController(Controller):
    path = "/kiosk"
    tags = ["pages"]
    include_in_schema = False
    after_request = page_headers  # type: ignore[assignment]  # litestar's hook type

    @get("/", opt=roles("public"))
    async def ballot(self, request: Request[Any, Any, Any], db: DB, state: State) -> Template:
        """The enrolled round's ballot; a refusal page for any other browser."""
        enrolment = read_enrolment(state.settings.secret_key, request.cookies.get(TABLET_COOKIE))
        if enrolment is None:
            return page(request, "kiosk/blocked.html", status=403, reason="not-enrolled")
        round_row = await get_round(db, enrolment.round_id)
        if round_row is None or round_row.phase is not RoundPhase.VOTING:
            return page(request, "kiosk/blocked.html", reason="closed")
        lang = language_of(request)
        view = await ballot_view(db, round_row)
        words = {code: kiosk_words(code, view) for code in {lang, DEFAULT_LANGUAGE}}
        return page(
            request,
            "kiosk/ballot.html",
            ballot=view,
            texts=words[lang]["slots"],
            script={
                "lang": {"shown": lang, "start": DEFAULT_LANGUAGE},
                "words": words,
                "resetSeconds": RESET_SECONDS,
                "receiptSeconds": OPEN_RECEIPT_SECONDS if view.open_receipts else RECEIPT_SECONDS,
                "openReceipts": view.open_receipts,
                "quietSeconds": QUIET_SECONDS,
                "idleSeconds": IDLE_SECONDS,
                "round": round_row.id,
                "padTo": padded_size(ballot_rules(round_row)),
                "ticket": delivery_ticket(
                    state.settings.secret_key, round_row.id, enrolment.tablet_id
                ),
            },
        )

    @post("/code", opt=roles("public"), exception_handlers=JSON_ERRORS, status_code=200)
    async def code(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        state: State,
        data: JSONBody[CodeCheck],
    ) -> dict[str, bool]:
        """Can this code vote in the tablet's round now? 200, or the refusal a cast would
        get, in the API shape (:mod:`service.voting.code_check`): asked at the code step, so
        that a used code or a household that has voted is told before the ranking."""
        enrolment = enrolment_of(request, state)
        await check_code(
            db,
            state.lockouts,
            state.settings.secret_key,
            device(enrolment),
            enrolment.round_id,
            data.code,
        )
        return {"ok": True}

    @post("/words", opt=roles("public"), exception_handlers=JSON_ERRORS, status_code=200)
    async def words(
        self, request: Request[Any, Any, Any], db: DB, state: State
    ) -> dict[str, dict[str, Any]]:
        """The tablet's words in every language (:mod:`service.web.kiosk_words`), fetched
        once the ballot page is loaded, so that the language switch works in place."""
        round_id = enrolled_round(request, state)
        round_row = await get_round(db, round_id)
        if round_row is None or round_row.phase is not RoundPhase.VOTING:
            raise not_open(round_id, round_row.phase if round_row else "gone")
        return every_language(await ballot_view(db, round_row))

    @post("/receipt", opt=roles("public"), exception_handlers=JSON_ERRORS, status_code=200)
    async def receipt(
        self, request: Request[Any, Any, Any], state: State, data: JSONBody[ReceiptAsked]
    ) -> ReceiptCode:
        """The receipt the tablet is showing as a link to the board's receipt check and its
        QR code, for the resident's phone (:mod:`service.web.receipt`: the round and the
        tracker only). Enrolled tablets only; the link is on the public address when one is set,
        else on the address the tablet used."""
        enrolment_of(request, state)
        return receipt_code(state.settings.public_base(str(request.base_url)), data)

    @post("/ballots", opt=roles("public"), exception_handlers=JSON_ERRORS)
    async def cast_ballot(
        self, request: Request[Any, Any, Any], state: State, data: JSONBody[CastRequest]
    ) -> Response[Receipt]:
        """Cast for the tablet's round: 201 with the receipt, 200 with the same receipt for
        a retry with the same key (the tablet resends until it hears an answer)."""
        enrolment = enrolment_of(request, state)
        receipt = await cast(state, device(enrolment), enrolment.round_id, data)
        return Response(receipt, status_code=200 if receipt.replayed else 201)

    @post("/queued", opt=roles("public"), exception_handlers=JSON_ERRORS, status_code=200)
    async def deliver_kept(self, state: State, data: JSONBody[KeptBallot]) -> Delivery:
        """Deliver a ballot the tablet kept while offline: cast if its code is still unused
        and its round still voting; otherwise recorded as late for the facilitator (see
        :mod:`service.voting.late`). Other refusals answer as errors, as for a cast, and the
        tablet keeps the ballot.

        The ballot carries its round and the delivery ticket the tablet had for that round,
        so it can be delivered after the enrolment ended or moved to another round. That
        opens nothing new: casting needs a valid code of the round, as on the public API.
        Unknown codes count against the tablet's deliveries, apart from its live code
        checks, so typing mistakes made offline cannot lock the next resident out."""
        tablet = read_ticket(state.settings.secret_key, data.round_id, data.ticket)
        if tablet is None:
            raise Forbidden("ticket-invalid", field="ticket", round_id=data.round_id)
        try:
            receipt = await cast(state, devices.kept(tablet), data.round_id, data)
        except Exception as refusal:
            reason = late.final_reason(refusal)
            if reason is None:
                raise
            await late.record_late(
                state.sessionmaker,
                state.settings.secret_key,
                data.round_id,
                tablet,
                data.key,
                reason,
            )
            return Delivery(accepted=False, reason=reason)
        return Delivery(accepted=True, receipt=receipt)

    @get("/enrol", opt=RUNS_ROUNDS)
    async def enrol_form(self, request: Request[Any, Any, Any], db: DB) -> Template:
        """The rounds now voting, to enrol this device for one of them."""
        voting = await voting_rounds(db)
        return page(request, "kiosk/enrol.html", rounds=voting, days=ENROLMENT_DAYS)

    @post("/enrol", opt=RUNS_ROUNDS)
    async def enrol(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        state: State,
        actor: Caller,
        data: Form[RoundChoice],
    ) -> Redirect:
        """Make this device the ballot tablet of a voting round, and sign the facilitator
        out on it, so residents passing it along see the ballot and nothing else."""
        round_row = await get_round(db, data.round_id)
        if round_row is None or round_row.phase is not RoundPhase.VOTING:
            raise Invalid("tablet-round-not-open", field="round_id")
        token = enrolment_token(state.settings.secret_key, round_row.id)
        record(db, actor, "tablet.enrolled", "round", round_row.id)
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            await sign_out(db, session)
        response = redirect("/kiosk")
        response.set_cookie(
            TABLET_COOKIE,
            token,
            max_age=ENROLMENT_DAYS * 86400,
            path="/kiosk",
            httponly=True,
            samesite="strict",
        )
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
