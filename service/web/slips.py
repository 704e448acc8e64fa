"""The facilitator's console, voter-code slips: issuing a numbered batch of codes, its
printable page and PDF, voiding slips by their numbers, and voiding one code handed back.

Codes are made only by the issuing form's POST, which answers with a redirect (303) to the
batch's page: reloading that page, or going back to it, makes nothing. In the batch's
printing window (its issuer, 30 minutes) the page and the PDF show its unused slips, their
codes made again from the slip key (:mod:`service.voting.batches`); after it, or for anyone
else, the page lists the slips' numbers and statuses only, and printing again is a reprint:
a POST naming the slips with a reason, audited and counted for the meeting to see.
For a household roll the typed list is checked first (one household twice, look-alikes, a
household that voted or holds an unused code); the facilitator sees every such rule before
any code is made, with the list kept, and corrects it or issues anyway.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template
from markupsafe import Markup

from service import offload
from service.communities.controllers import zone_of_process
from service.db.models import Process, Round, SlipBatch
from service.deps import DB, Caller
from service.errors import Invalid
from service.processes.repository import find_process
from service.records.controllers import file_response, reprint_slips
from service.records.slips import phone_ballot, qr_svgs
from service.rounds import repository as rounds
from service.text import blank
from service.voting import batches, codes
from service.voting.phone_window import secure_base
from service.voting.roll import clashes
from service.voting.schemas import CodesCreate, HouseholdWarning
from service.web.console import RUNS_MEETINGS
from service.web.digits import whole_number
from service.web.forms import Form, VoidForm, whole
from service.web.render import language_of, page, redirect


class IssueForm(msgspec.Struct):
    """The issuing form: a count, or the households one a line; ``confirm`` once the
    facilitator has seen the household rules and issues anyway."""

    count: str = ""
    households: str = ""
    confirm: str = ""
    from_roll: str = ""
    buildings: str = ""
    grids: str = ""


class ReprintForm(msgspec.Struct):
    """Slips of a batch to print again (blank: every unused one), why, and whether as a
    PDF."""

    numbers: str = ""
    reason: str = ""
    pdf: str = ""


def phone_base(request: Request[Any, Any, Any]) -> str:
    """The public address slips' QR codes send phones to, or ``""`` when phones may not be
    sent there (not ``https`` nor a loopback host, :func:`secure_base`): then the slips carry
    the code alone, for the tablet, and no phone link."""
    base = request.app.state.settings.public_base(str(request.base_url))
    return base if secure_base(base) else ""


def prefetch(request: Request[Any, Any, Any]) -> bool:
    """Whether the browser only fetches the page ahead (a link hovered), not showing it:
    codes are not made or audited for that."""
    said = request.headers.get("sec-purpose", "") + request.headers.get("purpose", "")
    return "prefetch" in said.lower()


class VoidNumbersForm(msgspec.Struct):
    """Slips to void by their numbers (``12-18, 21``) and why."""

    numbers: str = ""
    reason: str = ""


def typed_lines(households: str) -> list[tuple[int, str]]:
    """The non-blank lines of a pasted list, numbered as the facilitator sees them."""
    return [
        (number, line)
        for number, line in enumerate(households.splitlines(), start=1)
        if not blank(line)
    ]


def code_requests(data: IssueForm, household_roll: bool) -> tuple[CodesCreate, list[int]]:
    """How many codes (or which households) a slips form asks for, one line per household
    (a repeated household's later lines dropped), and each request line's number in the
    typed list."""
    if household_roll and data.from_roll:
        return roll_request(data), []
    if household_roll:
        lines = typed_lines(data.households)
        if not lines:
            raise Invalid("households-listed", field="households")
        repeated = {n for group in clashes(lines) for n, _ in group[1:]}
        kept = [(n, line) for n, line in lines if n not in repeated]
        wanted = CodesCreate(households=[line for _, line in kept], confirm=bool(data.confirm))
        return wanted, [n for n, _ in kept]
    count = whole(data.count, "count", least=1, most=500)
    if count is None:
        raise Invalid("code-count-required", field="count")
    return CodesCreate(count=count), []


def roll_request(data: IssueForm) -> CodesCreate:
    """Codes for the community's roll (:mod:`service.households`), of the buildings and
    grids typed (separated by commas or spaces) if any; the roll was checked for
    look-alikes when it was kept, so they are not asked about again."""
    buildings = [b for b in data.buildings.replace("，", ",").replace(",", " ").split() if b]
    grids = [g for g in data.grids.replace("，", ",").replace(",", " ").split() if g]
    return CodesCreate(
        from_roll=True, buildings=buildings or None, grids=grids or None, confirm=True
    )


def as_typed(warnings: list[HouseholdWarning], lines: list[int]) -> list[HouseholdWarning]:
    """Warnings with their line numbers as the facilitator typed them (the request left
    out repeated households' later lines)."""
    return [
        HouseholdWarning(w.kind, [lines[n - 1] for n in w.lines], w.households) for w in warnings
    ]


def duplicates(data: IssueForm) -> list[HouseholdWarning]:
    """One household on several lines of the pasted list."""
    return [
        HouseholdWarning("duplicate", [n for n, _ in g], [typed for _, typed in g])
        for g in clashes(typed_lines(data.households))
    ]


async def slips_section(db: DB, round_row: Round) -> dict[str, Any]:
    """What the round page's codes section (``console/round_codes.html``) shows besides the
    turnout: the round's batches, and the zone their times are shown in."""
    return {
        "batches": await batches.batch_rows(db, round_row.id),
        "slips_zone": await zone_of_process(db, round_row.process_id),
    }


class SlipsController(Controller):
    path = "/console"
    tags = ["pages"]
    include_in_schema = False

    @post("/rounds/{round_id:int}/codes", opt=RUNS_MEETINGS, status_code=303)
    async def issue(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        state: State,
        actor: Caller,
        round_id: FromPath[int],
        data: Form[IssueForm],
    ) -> Template | Redirect:
        """Issue a numbered batch and go to its page (303), or, for a household roll whose
        list meets a household rule not yet confirmed, show the rules with the list kept
        (nothing made)."""
        round_row = await rounds.find_round(db, round_id)
        wanted, lines = code_requests(data, round_row.household_roll)
        plan = await codes.check_codes(db, round_id, wanted)
        warnings = duplicates(data) + (as_typed(plan.warnings, lines) if lines else plan.warnings)
        confirmed = bool(data.confirm or data.from_roll)
        if round_row.household_roll and ((warnings and not confirmed) or not plan.bound):
            return page(
                request,
                "console/slips_check.html",
                status=200,
                round=round_row,
                process=await find_process(db, round_row.process_id),
                warnings=warnings,
                households=data.households,
                issuable=bool(plan.bound),
                here=f"/console/rounds/{round_id}",
            )
        issued = await codes.issue_plan(db, plan, state.settings.secret_key, actor)
        return redirect(f"/console/rounds/{round_id}/slips/{issued.batch}")

    @get("/rounds/{round_id:int}/slips/{batch:int}", opt=RUNS_MEETINGS)
    async def batch_page(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        state: State,
        actor: Caller,
        round_id: FromPath[int],
        batch: FromPath[int],
    ) -> Template:
        """In the batch's printing window, its unused slips as a printable page with QR
        codes, made again (audited as a printing; opening it again makes no code). After it,
        or for anyone but the issuer, or for a prefetch: the slips' numbers and statuses
        with the reprint form, no code."""
        round_row = await rounds.find_round(db, round_id)
        process = await find_process(db, round_row.process_id)
        found = await batches.find_batch(db, round_id, batch)
        if prefetch(request) or not batches.in_printing_window(found, actor):
            states = await batches.batch_states(db, found)
            unused = [s.number for s in states if s.status == "issued"]
            return page(
                request,
                "console/slips_batch.html",
                round=round_row,
                process=process,
                batch=found,
                states=states,
                unused=", ".join(
                    str(a) if a == b else f"{a}-{b}" for a, b in batches.ranges(unused)
                ),
                window_minutes=int(batches.PRINTING_WINDOW.total_seconds() // 60),
            )
        key = state.settings.secret_key
        found, slips = await batches.unused_slips(db, round_id, batch, key, actor)
        return await self._slips_page(request, round_row, process, found, slips, reprint=False)

    async def _slips_page(
        self,
        request: Request[Any, Any, Any],
        round_row: Round,
        process: Process,
        found: SlipBatch,
        slips: list[batches.Slip],
        reprint: bool,
    ) -> Template:
        """Slips with their codes and QR codes, to print (a showing or a reprint)."""
        base = phone_base(request)
        phone = phone_ballot(base, round_row.id) if base else ""
        svgs = await offload.run(qr_svgs, [s.code for s in slips], phone)
        return page(
            request,
            "console/slips.html",
            round=round_row,
            process=process,
            batch=found,
            reprint=reprint,
            phone=bool(phone),
            slips=[
                {"code": s.code, "household": s.household, "number": s.number, "qr": Markup(svg)}
                for s, svg in zip(slips, svgs, strict=True)  # segno's own markup
            ],
        )

    @get("/rounds/{round_id:int}/slips/{batch:int}/pdf", opt=RUNS_MEETINGS)
    async def batch_pdf(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        state: State,
        actor: Caller,
        round_id: FromPath[int],
        batch: FromPath[int],
    ) -> Response[bytes] | Redirect:
        """In the batch's printing window, its unused slips as a PDF named for the round and
        the numbers (``第3轮投票码-第12至18号.pdf``), audited; after it, the batch's page
        (303), where a reprint is asked for."""
        found = await batches.find_batch(db, round_id, batch)
        if prefetch(request) or not batches.in_printing_window(found, actor):
            return redirect(f"/console/rounds/{round_id}/slips/{batch}")
        key = state.settings.secret_key
        lang, base = language_of(request), phone_base(request)
        made = await reprint_slips(db, round_id, batch, key, actor, lang, base=base)
        return file_response(made)

    @post("/rounds/{round_id:int}/slips/{batch:int}/reprint", opt=RUNS_MEETINGS, status_code=200)
    async def reprint(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        state: State,
        actor: Caller,
        round_id: FromPath[int],
        batch: FromPath[int],
        data: Form[ReprintForm],
    ) -> Template | Response[bytes]:
        """Print unused slips of a batch again, by their numbers (blank: every unused one),
        with a reason: audited (``codes.reprinted``, numbers and reason) and counted on the
        batch and in the turnout; the slips as a page (not stored by the browser) or a
        PDF."""
        numbers = None if blank(data.numbers) else batches.slip_numbers(data.numbers)
        if blank(data.reason):
            raise Invalid("reprint-reason-required", field="reason")
        reason = data.reason.strip()
        key = state.settings.secret_key
        if data.pdf:
            lang = language_of(request)
            base = phone_base(request)
            made = await reprint_slips(
                db, round_id, batch, key, actor, lang, numbers, reason, base=base
            )
            return file_response(made)
        round_row = await rounds.find_round(db, round_id)
        process = await find_process(db, round_row.process_id)
        found, slips = await batches.unused_slips(db, round_id, batch, key, actor, numbers, reason)
        return await self._slips_page(request, round_row, process, found, slips, reprint=True)

    @post("/rounds/{round_id:int}/slips/void", opt=RUNS_MEETINGS)
    async def void_numbers(
        self, db: DB, actor: Caller, round_id: FromPath[int], data: Form[VoidNumbersForm]
    ) -> Redirect:
        """Void unused slips by their numbers with a reason; used ones are reported."""
        numbers = batches.slip_numbers(data.numbers)
        if blank(data.reason):
            raise Invalid("void-reason-required", field="reason")
        done = await batches.void_slips(db, round_id, numbers, data.reason.strip(), actor)
        query = "&".join(
            f"{name}={','.join(map(str, found))}"
            for name, found in (
                ("voided", done.voided),
                ("used", done.used),
                ("already", done.already),
            )
            if found
        )
        return redirect(f"/console/rounds/{round_id}/slips/voided?{query}")

    @get("/rounds/{round_id:int}/slips/voided", opt=RUNS_MEETINGS)
    async def voided(
        self, request: Request[Any, Any, Any], db: DB, round_id: FromPath[int]
    ) -> Template:
        """What voiding by numbers did: the slips voided, and those left alone."""
        round_row = await rounds.find_round(db, round_id)

        def numbers(name: str) -> list[tuple[int, int]]:
            given = request.query_params.get(name, "")
            read = (whole_number(n) for n in given.split(","))
            return batches.ranges([n for n in read if n is not None])

        return page(
            request,
            "console/slips_voided.html",
            round=round_row,
            process=await find_process(db, round_row.process_id),
            voided=numbers("voided"),
            used=numbers("used"),
            already=numbers("already"),
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
