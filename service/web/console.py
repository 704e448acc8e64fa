"""The facilitator's console, first part: signing in and out, the processes of each
community, a process with its options (proposals) and rounds, and setting up a round —
the method (each with a one-line plain explanation), seats or budget, the tie policy,
the slate and the comment prompts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from ballots.kinds import KINDS
from engine.process import ProcessPhase, RoundPhase
from engine.registry import get_method
from service.accounts.repository import sign_out
from service.accounts.signing_in import address_of, sign_in
from service.audit import record
from service.auth.guard import EVERY_ACCOUNT, SESSION_COOKIE, Actor, roles, signing_in
from service.auth.scope import check_community, reachable_communities
from service.communities.controllers import change_community
from service.communities.schemas import CommunityUpdate
from service.deps import DB, Caller
from service.errors import NotSignedIn, TooMany
from service.i18n import text
from service.meetings import repository as meetings_repository
from service.meetings.desk import todays_meetings
from service.processes import repository as processes
from service.processes.schemas import PhaseChange, ProcessCreate
from service.proposals.repository import create_proposal
from service.records.labels import sentence
from service.rounds import repository as rounds
from service.rounds.config import TIE_POLICIES, methods_for
from service.rounds.schemas import DEFAULT_PROMPTS
from service.surveys.repository import surveys_of
from service.web.forms import (
    Form,
    ProcessForm,
    ProposalForm,
    RoundForm,
    SignIn,
    ZoneForm,
    checked,
)
from service.web.render import language_of, local_path, page, redirect
from service.web.round_setup import RuleField, new_slate, rule_fields

RUNS_MEETINGS = roles(*meetings_repository.RUNS_MEETINGS)
"""The facilitator's pages: whoever runs bench meetings (:mod:`service.meetings`)."""
HOMES = {"secretary": "/secretary", "grid_worker": "/console/requests", "street": "/street"}
"""Where signing in leads each role that has a home other than the facilitator's console:
the secretary's desk, the grid worker's requests, the street office's desk."""

ZONE_CHOICES = ("Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei")
"""Zones offered as the admin types one (any zone of the IANA database is taken)."""


@dataclass(frozen=True, slots=True)
class MethodChoice:
    """A counting method offered when setting up a round, with its own counting rules."""

    name: str
    kind: str
    summary: str
    summary_zh: str
    rules: tuple[RuleField, ...] = ()


def method_choices() -> list[tuple[str, list[MethodChoice]]]:
    """Every method by the ballot kind it counts, ranked ballots first."""
    groups: list[tuple[str, list[MethodChoice]]] = []
    for kind in KINDS:
        choices = []
        for name in methods_for(kind):
            info = get_method(name)
            rules = rule_fields(name)
            choices.append(MethodChoice(name, kind, info.summary, info.summary_zh, rules))
        groups.append((kind, choices))
    return groups


class ConsoleController(Controller):
    path = "/console"
    tags = ["pages"]
    include_in_schema = False

    @get("/login", opt=roles("public"))
    async def login_form(
        self, request: Request[Any, Any, Any], next: FromQuery[str] = "/console"
    ) -> Template:
        return page(request, "console/login.html", next=local_path(next, "/console"), error="")

    @post("/login", opt=signing_in())
    async def login(
        self, request: Request[Any, Any, Any], db: DB, data: Form[SignIn]
    ) -> Template | Redirect:
        """Check the password; the session cookie is the API's (HttpOnly, SameSite strict).
        Throttled as the API's sign-in is: a lockout is shown with its wait in words."""
        target = local_path(data.next, "/console")
        again = {"next": target, "here": f"/console/login?next={quote(target)}"}
        try:
            user, token = await sign_in(
                db,
                request.app.state,
                data.username.strip(),
                data.password,
                address_of(request.client),
            )
        except NotSignedIn:
            wrong = text(language_of(request), "page.login.wrong")
            return page(request, "console/login.html", status=401, error=wrong, **again)
        except TooMany as refused:
            lang = language_of(request)
            error = sentence(lang, refused.refusal.message(lang))
            locked = page(request, "console/login.html", status=429, error=error, **again)
            locked.headers["Retry-After"] = str(refused.detail["retry_after"])
            return locked
        actor = Actor(id=user.id, name=user.display_name, role=user.role)
        record(db, actor, "user.login", "user", user.id)
        if target == "/console":
            target = HOMES.get(user.role, target)
        response = redirect(target)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",  # plain http on the meeting's own laptop
            path="/",
        )
        return response

    @post("/logout", opt=roles(*EVERY_ACCOUNT))
    async def logout(self, request: Request[Any, Any, Any], db: DB, actor: Caller) -> Redirect:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await sign_out(db, token)
        record(db, actor, "user.logout", "user", actor.id)
        response = redirect("/console/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @get("/", opt=RUNS_MEETINGS)
    async def home(self, request: Request[Any, Any, Any], db: DB, actor: Caller) -> Template:
        """Today's meetings first (today in each community's zone), then every community
        the caller reaches with its processes, newest first, and a form for a new one."""
        reach = await reachable_communities(db, actor)
        communities = await processes.processes_by_community(db, reach)
        today = await todays_meetings(db, actor)
        return page(
            request,
            "console/home.html",
            communities=communities,
            zones=ZONE_CHOICES,
            today=today,
        )

    @post("/communities/{community_id:int}/time-zone", opt=roles("admin"))
    async def time_zone(
        self, db: DB, actor: Caller, community_id: FromPath[int], data: Form[ZoneForm]
    ) -> Redirect:
        """The admin sets the zone a community's pages and records show times in."""
        change = checked({"time_zone": data.time_zone.strip()}, CommunityUpdate)
        await change_community(db, community_id, change, actor)
        return redirect(f"/console#community-{community_id}")

    @post("/processes", opt=RUNS_MEETINGS)
    async def create_process(self, db: DB, actor: Caller, data: Form[ProcessForm]) -> Redirect:
        form = checked(
            {"title": data.title.strip(), "question": data.question.strip()}, ProcessCreate
        )
        await check_community(db, actor, data.community_id)
        process = await processes.create_process(
            db, actor, data.community_id, form.title, form.question
        )
        return redirect(f"/console/processes/{process.id}")

    @get("/processes/{process_id:int}", opt=RUNS_MEETINGS)
    async def process(
        self, request: Request[Any, Any, Any], db: DB, process_id: FromPath[int]
    ) -> Template:
        """A process: its options, its rounds, and the form for a new round."""
        overview = await processes.process_overview(db, process_id)
        process = overview.process
        return page(
            request,
            "console/process.html",
            process=process,
            community=overview.community,
            proposals=overview.proposals,
            rounds=overview.rounds,
            open=process.phase in processes.OPEN_PHASES,
            decidable=process.phase is ProcessPhase.DELIBERATING
            and any(r.phase is RoundPhase.PUBLISHED for r in overview.rounds),
            methods=method_choices(),
            tie_policies=TIE_POLICIES,
            prompts="\n".join(DEFAULT_PROMPTS),
            slate_choices=new_slate(overview.proposals),
            surveys=await surveys_of(db, [process_id]),
        )

    @post("/processes/{process_id:int}/proposals", opt=RUNS_MEETINGS)
    async def add_proposal(
        self, db: DB, actor: Caller, process_id: FromPath[int], data: Form[ProposalForm]
    ) -> Redirect:
        await create_proposal(db, actor, process_id, data.to_create())
        return redirect(f"/console/processes/{process_id}#options")

    @post("/processes/{process_id:int}/rounds", opt=RUNS_MEETINGS)
    async def create_round(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        actor: Caller,
        process_id: FromPath[int],
        data: Form[RoundForm],
    ) -> Redirect:
        """A new round; the chosen method's counting rules come as fields of their own."""
        created = data.to_create(await request.form())
        round_row = await rounds.create_round(db, process_id, created, actor)
        return redirect(f"/console/rounds/{round_row.id}")

    @post("/processes/{process_id:int}/decided", opt=RUNS_MEETINGS)
    async def decided(self, db: DB, actor: Caller, process_id: FromPath[int]) -> Redirect:
        """Hand the decision over: the process moves to decided (a round must be published)."""
        await processes.change_phase(db, actor, process_id, PhaseChange(to=ProcessPhase.DECIDED))
        return redirect(f"/console/processes/{process_id}")
