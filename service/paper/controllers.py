"""The paper-ballot API: printing ballots with fresh serials (facilitators), keying entries
(any staff member as a clerk), the mismatches side by side and deciding them (a third
person: facilitator, secretary or admin), and the round's paper ballots by state."""

from __future__ import annotations

from typing import Any, Final

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from service import offload
from service.auth.guard import STAFF, Actor, roles
from service.deps import DB, Caller
from service.i18n import text
from service.openapi.responses import download, refusals
from service.paper.adjudication import adjudicate, mismatches
from service.paper.entries import DoubleEntry
from service.paper.printing import ballot_count, paper_size, print_ballots
from service.paper.schemas import Adjudication, EntryIn, EntryOutcome, MismatchList, PaperSummary
from service.paper.settling import Settler
from service.paper.summary import paper_summary
from service.records.controllers import NO_FONT, file_response
from service.records.exports import Exported
from service.records.paper_ballot import paper_ballots_pdf

PRINTS: Final = ("facilitator", "admin")
CLERKS: Final = STAFF
"""Who keys paper ballots: facilitators, secretaries, grid workers and admins."""
ADJUDICATORS: Final = ("facilitator", "secretary", "admin")
ENTRY_REFUSALS: Final = {
    409: "`round-not-open`; `paper-kind`; `paper-serial-settled`; `paper-serial-mismatch`; "
    "`paper-same-clerk`: the same account keys a serial once; `paper-entry-collided`",
    422: "`invalid`: unknown serial, unreadable code, wrong number of marks; "
    "`invalid-ballot`: the marks break the round's rules",
}


def settler(state: State) -> Settler:
    return Settler(state.sessionmaker, state.cast_writer, state.settings.secret_key)


def double_entry(state: State) -> DoubleEntry:
    return DoubleEntry(state.sessionmaker, settler(state), state.settings.secret_key)


async def enter(state: State, round_id: int, data: EntryIn, actor: Actor) -> EntryOutcome:
    return await double_entry(state).enter(round_id, data, actor)


async def decide(state: State, round_id: int, data: Adjudication, actor: Actor) -> EntryOutcome:
    return await adjudicate(
        state.sessionmaker, settler(state), state.settings.secret_key, round_id, data, actor
    )


async def ballots_download(
    db: AsyncSession, round_id: int, size: str, count: int, actor: Actor, lang: str
) -> Response[bytes]:
    """A printing's PDF (one ballot a page, fresh serials), recorded and audited."""
    paper = paper_size(size)
    facts = await print_ballots(db, round_id, paper, ballot_count(count), actor)
    content = await offload.run(paper_ballots_pdf, facts, paper, lang)
    first, last = facts.first, facts.first + facts.count - 1
    name = text(lang, "record.paper.file", round=facts.round_number, first=first, last=last)
    return file_response(
        Exported(
            "pdf",
            content,
            "application/pdf",
            f"{name}.pdf",
            f"round-{facts.round_number}-paper-ballots-{first}-{last}.pdf",
        )
    )


def language(request: Request[Any, Any, Any], lang: str | None) -> str:
    if lang in ("zh", "en"):
        return lang
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "zh"


class PaperController(Controller):
    path = "/api/v1/rounds"
    tags = ["paper ballots"]

    @get(
        "/{round_id:int}/paper-ballots.pdf",
        opt=roles(*PRINTS),
        responses=download(200, ["application/pdf"], description="the ballots, one a page")
        | refusals(
            {
                409: "`paper-kind`: score and budget ballots are not printed; `paper-no-slate`",
                422: "`invalid`: the size is neither A4 nor A5, or the count not 1-500",
            }
        )
        | NO_FONT,
    )
    async def paper_ballots(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        actor: Caller,
        round_id: FromPath[int],
        size: FromQuery[str] = "A5",
        count: FromQuery[int] = 10,
        lang: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """``count`` paper ballots of the round, with the next serials (never repeated)."""
        return await ballots_download(db, round_id, size, count, actor, language(request, lang))

    @get("/{round_id:int}/paper", opt=roles(*CLERKS))
    async def summary(self, db: DB, actor: Caller, round_id: FromPath[int]) -> PaperSummary:
        """The round's paper ballots by state, and the serials with their states (whether
        the caller keyed each; never an entry's content)."""
        return await paper_summary(db, round_id, actor)

    @post(
        "/{round_id:int}/paper/entries",
        opt=roles(*CLERKS),
        status_code=200,
        responses=refusals(ENTRY_REFUSALS),
    )
    async def entry(
        self, state: State, actor: Caller, round_id: FromPath[int], data: JSONBody[EntryIn]
    ) -> EntryOutcome:
        """One clerk's entry of a paper ballot; the second clerk's entry settles the ballot
        when the two agree (cast, spoiled, blank or refused), else awaits a decision."""
        return await enter(state, round_id, data, actor)

    @get(
        "/{round_id:int}/paper/mismatches",
        opt=roles(*ADJUDICATORS),
        responses=refusals({409: "`paper-kind`: score and budget rounds have no paper ballots"}),
    )
    async def mismatches(
        self, db: DB, state: State, actor: Caller, round_id: FromPath[int]
    ) -> MismatchList:
        """Serials whose two entries differ, field by field (hidden from their clerks)."""
        return await mismatches(db, round_id, state.settings.secret_key, actor)

    @post(
        "/{round_id:int}/paper/adjudications",
        opt=roles(*ADJUDICATORS),
        status_code=200,
        responses=refusals(
            {
                409: "`paper-not-mismatched`; `paper-clerk-adjudicates`: a clerk of the "
                "serial; `round-not-open`",
                422: "`invalid`: no reason, or a corrected entry missing or wrong",
            }
        ),
    )
    async def adjudication(
        self, state: State, actor: Caller, round_id: FromPath[int], data: JSONBody[Adjudication]
    ) -> EntryOutcome:
        """A third person's decision on differing entries, with a reason (audited without
        marks or code); the ballot is then settled."""
        return await decide(state, round_id, data, actor)
