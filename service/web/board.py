"""The public board: pages per community listing its processes, where each stands, the
published decisions, how each is carried out with the residents' moderated feedback and a
form to give theirs (no account), each grid's card "有事请找我" with its team (a phone only
where the member consented), the community's figures of the year (counts only), and a
tracker lookup where residents check that their
ballot was counted (and, in a round with open receipts, what it says). Only published
rounds show results here; cancelled rounds are not shown at all; a resident's feedback shows
only once the secretary approved it, and never their household."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from ballots.digest import grouped_tracker, normalize_tracker
from ballots.errors import InvalidReceipt
from ballots.kinds import ApprovalBallot, Ballot, BudgetBallot, RankedBallot, ScoreBallot
from engine.process import RoundPhase
from engine.result import Result
from service.accounts.signing_in import address_of
from service.auth.clock import now_of
from service.auth.guard import ANONYMOUS, roles
from service.communities.controllers import all_communities, find_community
from service.db import models
from service.deps import DB
from service.errors import Invalid, TooMany
from service.i18n import text
from service.loop import board_throttle, residents
from service.loop.board import board as loop_board
from service.loop.board_throttle import address_key
from service.loop.schemas import VERDICTS, BoardProcess
from service.processes.repository import find_process
from service.records.labels import listed, method_name, sentence
from service.results import ballot_box
from service.results.explain import undecided_words
from service.rounds.repository import rounds_with_results
from service.team.cards import grid_cards
from service.web.board_forms import ResidentFeedbackForm
from service.web.digits import whole_number
from service.web.figures_pages import board_figures
from service.web.forms import Form
from service.web.render import language_of, page, redirect
from service.web.reveal import result_view
from service.zones import today

PUBLIC = roles("public")
_BALLOT = msgspec.json.Decoder(Ballot)


@dataclass(frozen=True, slots=True)
class RoundLine:
    """A round as the board lists it: results only once published."""

    id: int
    number: int
    title: str
    phase: str
    method: str
    winners: tuple[str, ...] | None
    """The published winners; "无结果" alone when the count decided nothing."""


@dataclass(frozen=True, slots=True)
class ProcessLine:
    process: BoardProcess
    rounds: list[RoundLine]

    @property
    def decision(self) -> tuple[str, ...] | None:
        """The winners of the last published round: the decision residents took."""
        published = [r for r in self.rounds if r.winners is not None]
        return published[-1].winners if published else None


async def process_lines(
    db: AsyncSession, processes: list[BoardProcess], lang: str
) -> list[ProcessLine]:
    """The board's processes (newest first) with their rounds."""
    ids = [p.id for p in processes]
    rounds: dict[int, list[RoundLine]] = {pid: [] for pid in ids}
    for round_row, stored in await rounds_with_results(db, ids):
        if round_row.phase is RoundPhase.CANCELLED:
            continue  # cancelled before its voting opened: never shown to residents
        winners = None
        if round_row.phase is RoundPhase.PUBLISHED and stored is not None:
            result = msgspec.json.decode(stored, type=Result)
            undecided = undecided_words(result, lang, short=True)
            winners = result.winners if undecided is None else (undecided,)
        rounds[round_row.process_id].append(
            RoundLine(
                id=round_row.id,
                number=round_row.number,
                title=round_row.title,
                phase=round_row.phase,
                method=method_name(round_row.method, lang),
                winners=winners,
            )
        )
    return [ProcessLine(process=p, rounds=rounds[p.id]) for p in processes]


def ballot_words(ballot: Ballot, lang: str) -> list[str]:
    """A published ballot as lines a resident can compare with what they marked."""
    if isinstance(ballot, RankedBallot):
        return [
            text(lang, "board.lookup.place", n=i, names=listed(lang, group))
            for i, group in enumerate(ballot.ranking, start=1)
        ]
    if isinstance(ballot, ScoreBallot):
        return [
            text(lang, "board.lookup.scored", name=name, score=score)
            for name, score in sorted(ballot.scores.items(), key=lambda item: -item[1])
        ]
    if isinstance(ballot, ApprovalBallot | BudgetBallot):
        return [text(lang, "board.lookup.approved", names=listed(lang, ballot.approved) or "—")]
    return []


async def find_receipt(
    db: AsyncSession, round_row: models.Round, typed: str
) -> ballot_box.Receipt | None:
    """The receipt with this tracker (or its 8-character short form) in the counted box; its
    ballot only if the round has open receipts (:func:`ballot_box.look_up` decides)."""
    return await ballot_box.look_up(db, round_row, normalize_tracker(typed))


@dataclass(frozen=True, slots=True)
class Draft:
    """A feedback form the board refused: what was typed, and why (shown by its field)."""

    process_id: int
    form: ResidentFeedbackForm
    refused: Invalid | TooMany

    def message(self, lang: str) -> str:
        return sentence(lang, self.refused.refusal.message(lang))

    @property
    def field(self) -> str | None:
        return self.refused.field


async def community_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    community_id: int,
    *,
    thanked: int | None = None,
    draft: Draft | None = None,
) -> Template:
    """The community's board page; a refused feedback form comes back filled in."""
    community = await find_community(db, community_id)
    shown = (await loop_board(db, community_id)).processes
    lines = await process_lines(db, shown, language_of(request))
    numbers, charts = await board_figures(db, community_id, language_of(request))
    return page(
        request,
        "board/community.html",
        status=draft.refused.refusal.status if draft else 200,
        here=f"/board/communities/{community_id}",
        community=community,
        processes=lines,
        loops={p.id: p for p in shown},
        remarks=await residents.remarks(db, [p.id for p in shown]),
        taking={p.id for p in shown if residents.taking_feedback(p.phase)},
        verdicts=VERDICTS,
        thanked=thanked,
        draft=draft,
        cards=await grid_cards(db, community_id),
        figures=numbers,
        charts=charts,
    )


class BoardController(Controller):
    path = "/"
    tags = ["pages"]
    include_in_schema = False

    @get("/", opt=PUBLIC)
    async def root(self) -> Redirect:
        return redirect("/board")

    @get("/board", opt=PUBLIC)
    async def communities(self, request: Request[Any, Any, Any], db: DB) -> Template:
        return page(request, "board/index.html", communities=await all_communities(db))

    @get("/board/communities/{community_id:int}", opt=PUBLIC)
    async def community(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        community_id: FromPath[int],
        sent: FromQuery[str] = "",
    ) -> Template:
        """The community's processes, their status and decisions, how each is carried out,
        and the residents' feedback form (``?sent=<process>``: the thanks after sending)."""
        thanked = whole_number(sent)
        return await community_page(request, db, community_id, thanked=thanked)

    @post("/board/processes/{process_id:int}/feedback", opt=PUBLIC)
    async def give_feedback(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        state: State,
        process_id: FromPath[int],
        data: Form[ResidentFeedbackForm],
    ) -> Template | Redirect:
        """A resident's feedback, stored as pending until the secretary has read it.
        Throttled per client address; a refusal shows the board again with the words next to
        the form and what was typed kept (429 with ``Retry-After`` for the throttle)."""
        process = await find_process(db, process_id)
        community = await find_community(db, process.community_id)
        try:
            given = data.to_create()
            key = address_key(state.settings.secret_key, address_of(request.client))
            await board_throttle.admit(db, key, now_of(state))
            await residents.give(db, process_id, given, today(community.time_zone))
        except (Invalid, TooMany) as refused:
            draft = Draft(process_id, data, refused)
            shown = await community_page(request, db, community.id, draft=draft)
            if isinstance(refused, TooMany):
                shown.headers["Retry-After"] = str(refused.detail["retry_after"])
            return shown
        return redirect(
            f"/board/communities/{community.id}?sent={process_id}#feedback-{process_id}"
        )

    @get("/board/rounds/{round_id:int}", opt=PUBLIC)
    async def round_result(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        round_id: FromPath[int],
        tracker: FromQuery[str] = "",
    ) -> Template:
        """A published result, and the tracker lookup (``?tracker=``)."""
        lang = language_of(request)
        view = await result_view(db, round_id, ANONYMOUS, lang)
        community = await find_community(db, view.process.community_id)
        lookup: dict[str, Any] | None = None
        if tracker.strip():
            try:
                found = await find_receipt(db, view.round, tracker)
            except InvalidReceipt:
                lookup = {"status": "malformed", "tracker": tracker.strip()}
            else:
                lookup = {
                    "status": "found" if found else "missing",
                    "tracker": grouped_tracker(found.tracker) if found else tracker.strip(),
                    "lines": ballot_words(found.ballot, lang) if found and found.ballot else [],
                }
        return page(request, "board/round.html", view=view, community=community, lookup=lookup)
