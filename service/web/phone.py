"""The phone ballot: voting from home with the code slip's QR code (``/vote/<round>#<code>``).

The tablet's page and script (:mod:`service.web.kiosk`, ``kiosk.js``) in phone mode: no
enrolment — the one-time code is the credential — no hand-over and no keeping a ballot for
later. Ballots are taken only inside the round's phone window
(:mod:`service.voting.phone_window`), cast through the same writer with the channel
``phone``. Wrong codes count against the client's address (its /64 for IPv6), under a keyed
hash, as on the public API (:mod:`service.voting.devices`). The code travels in the link's
fragment, which the browser never sends: it reaches no log and no ``Referer``, and the
page's script moves it into the code field and off the address bar (``phone.js``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.response import Template

from engine.process import RoundPhase
from service.auth.clock import now_of
from service.auth.guard import roles
from service.communities.controllers import zone_of_process
from service.db.models import Round
from service.deps import DB
from service.errors import NotFound
from service.rounds.repository import find_round
from service.rounds.settings import ballot_rules
from service.voting import devices
from service.voting.code_check import check_code
from service.voting.controllers import cast_from_home
from service.voting.padding import padded_size
from service.voting.phone_window import check_window, is_open
from service.voting.schemas import CastRequest, Receipt
from service.web.kiosk import JSON_ERRORS, QUIET_SECONDS, CodeCheck, ballot_view
from service.web.kiosk_words import DEFAULT_LANGUAGE
from service.web.phone_words import every_language, phone_words
from service.web.receipt import ReceiptAsked, ReceiptCode, receipt_code
from service.web.render import SECURITY_HEADERS, language_of, page

PHONE_HEADERS: Final = {**SECURITY_HEADERS, "Referrer-Policy": "no-referrer"}
"""The pages' headers, and no referrer at all: nothing of the phone page's address goes to
another page, even of this site."""


def phone_headers(response: Response[Any]) -> Response[Any]:
    response.headers.update(PHONE_HEADERS)
    return response


def device(request: Request[Any, Any, Any]) -> str:
    """Who wrong codes count against on a phone: its address (:func:`devices.address`)."""
    return devices.address(request.client.host if request.client else "")


def paths(round_id: int) -> dict[str, str]:
    """Where the phone's script sends its calls (``kiosk.js``'s ``paths``)."""
    base = f"/vote/{round_id}"
    return {
        "code": f"{base}/code",
        "ballots": f"{base}/ballots",
        "words": f"{base}/words",
        "receipt": f"{base}/receipt",
    }


def shut_reason(round_row: Round, now: datetime) -> str:
    """Why the page shows no ballot: ``none`` (no phone window), ``soon`` (the window is set
    but voting has not opened), ``round`` (the round stopped voting before the window's
    end) or ``over`` (the window has passed)."""
    until = round_row.phone_until
    if until is None:
        return "none"
    if now >= until:
        return "over"
    if round_row.phase in (RoundPhase.SCHEDULED, RoundPhase.COMMENTING):
        return "soon"
    return "round"


class PhoneController(Controller):
    path = "/vote"
    tags = ["pages"]
    include_in_schema = False
    after_request = phone_headers  # type: ignore[assignment]  # litestar's hook type

    @get("/{round_id:int}", opt=roles("public"))
    async def ballot(
        self, request: Request[Any, Any, Any], db: DB, round_id: FromPath[int]
    ) -> Template:
        """The round's ballot for a phone inside its phone window; outside it, when phone
        voting is or was open, in the community's zone (404 for no such round, and for a
        cancelled one: a link on a slip shows nothing of a round that never voted)."""
        round_row = await find_round(db, round_id)
        if round_row.phase is RoundPhase.CANCELLED:
            raise NotFound("no-round", round_id=round_id)
        zone = await zone_of_process(db, round_row.process_id)
        now = now_of(request.app.state)
        if not is_open(round_row, now):
            return page(
                request,
                "phone/closed.html",
                round=round_row,
                reason=shut_reason(round_row, now),
                zone=zone,
            )
        lang = language_of(request)
        view = await ballot_view(db, round_row)
        until = round_row.phone_until
        words = {code: phone_words(code, view, until, zone) for code in {lang, DEFAULT_LANGUAGE}}
        response = page(
            request,
            "phone/ballot.html",
            ballot=view,
            texts=words[lang]["slots"],
            script={
                "mode": "phone",
                "paths": paths(round_row.id),
                "lang": {"shown": lang, "start": DEFAULT_LANGUAGE},
                "words": words,
                "openReceipts": view.open_receipts,
                "quietSeconds": QUIET_SECONDS,
                "round": round_row.id,
                "padTo": padded_size(ballot_rules(round_row)),
            },
        )
        response.headers.update(PHONE_HEADERS)
        return response

    @post(
        "/{round_id:int}/code",
        opt=roles("public"),
        exception_handlers=JSON_ERRORS,
        status_code=200,
    )
    async def code(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        state: State,
        round_id: FromPath[int],
        data: JSONBody[CodeCheck],
    ) -> dict[str, bool]:
        """Can this code vote by phone now? 200, or the refusal a cast would get (the phone
        window first, then the code as on a tablet; unknown codes count against the
        address)."""
        await check_window(db, round_id, now_of(state))
        key = state.settings.secret_key
        await check_code(db, state.lockouts, key, device(request), round_id, data.code)
        return {"ok": True}

    @post(
        "/{round_id:int}/words",
        opt=roles("public"),
        exception_handlers=JSON_ERRORS,
        status_code=200,
    )
    async def words(
        self, db: DB, state: State, round_id: FromPath[int]
    ) -> dict[str, dict[str, Any]]:
        """The phone's words in every language, for the language switch in place."""
        round_row = await check_window(db, round_id, now_of(state))
        zone = await zone_of_process(db, round_row.process_id)
        return every_language(await ballot_view(db, round_row), round_row.phone_until, zone)

    @post(
        "/{round_id:int}/receipt",
        opt=roles("public"),
        exception_handlers=JSON_ERRORS,
        status_code=200,
    )
    async def receipt(
        self, request: Request[Any, Any, Any], state: State, data: JSONBody[ReceiptAsked]
    ) -> ReceiptCode:
        """The receipt as a link to the board's receipt check and its QR code (the round and
        the tracker only), on the public address when one is set."""
        return receipt_code(state.settings.public_base(str(request.base_url)), data)

    @post("/{round_id:int}/ballots", opt=roles("public"), exception_handlers=JSON_ERRORS)
    async def cast_ballot(
        self,
        request: Request[Any, Any, Any],
        state: State,
        round_id: FromPath[int],
        data: JSONBody[CastRequest],
    ) -> Response[Receipt]:
        """Cast by phone: 201 with the receipt (200 with the same receipt for a retry with
        the same key), only inside the phone window — after it 409 ``phone-window-closed``
        and nothing is stored (a phone keeps no ballot for later); a retry of a ballot cast
        inside it still gets its receipt."""
        receipt = await cast_from_home(state, device(request), round_id, data)
        return Response(receipt, status_code=200 if receipt.replayed else 201)
